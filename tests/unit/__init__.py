"""Unit tests: pure logic in this process.

The worker, the codecs, learners as data, the checks, the package layout and the
benchmark report.
"""
