"""The client side of a fit, whatever the backend: plan, stage, run, resume, report.

:mod:`.tasks` turns a model's fit specification into tasks, :mod:`.staging` stores the data and
splits once, :mod:`.fitting` is the one fit driver (every backend, every model), :mod:`.resume`
finds what an earlier attempt kept, :mod:`.checks` holds the argument checks shared by the options.
"""
