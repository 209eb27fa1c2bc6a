"""The client side of a run, whatever the backend and the model: plan, stage, run, resume, report.

:mod:`.run` holds a run's options and its frozen context, :mod:`.tasks` turns a model's fit
specification into tasks, :mod:`.staging` stores the data and splits once, :mod:`.fitting` is the
one fit driver (every backend, every model), :mod:`.resume` finds what an earlier attempt kept,
:mod:`.report` and :mod:`.progress` say what a run did and is doing. Nothing here imports DoubleML:
what a fit reads from a model and hands back to it goes through the context's ``adapter``.
"""
