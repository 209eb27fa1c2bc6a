"""Benchmarks of pydmlserverless (run from the repository root: ``python -m bench.run_all``).

Each module is a script (``python -m bench.<name>``) that prints a table, writes a JSON result
under ``bench/results/<cores>-cores/`` and is rendered into ``docs/benchmarks.md`` by
:mod:`bench.report`. Timings are ratios against a baseline run in the same process.
"""
