"""The package's exception hierarchy.

Every error raised on purpose by pydmlserverless derives from :class:`PyDMLServerlessError`.
Errors about bad input also derive from the builtin a caller would expect (``ValueError`` or
``TypeError``), so existing ``except ValueError`` blocks keep working.
"""

from __future__ import annotations

__all__ = [
    "PyDMLServerlessError",
    "InvalidInputError",
    "InvalidTypeError",
    "DataError",
    "LearnerError",
    "ConfigurationError",
    "StoreError",
    "TaskError",
    "TaskTimeoutError",
    "DeploymentMismatchError",
    "ProtocolError",
    "CorruptObjectError",
    "UntrustedModelError",
    "NonFinitePredictionsError",
    "TaskNearTimeoutWarning",
]


class PyDMLServerlessError(Exception):
    """Base class of all errors raised by pydmlserverless."""


class InvalidInputError(PyDMLServerlessError, ValueError):
    """Raise when an argument is invalid; detected before any task runs."""


class DataError(InvalidInputError):
    """Raise when the data cannot be used: missing, non-numeric or non-finite columns, etc."""


class DataTypeError(DataError, TypeError):
    """Raise when DoubleML's data checks raise a ``TypeError`` (e.g. a non-numeric outcome)."""


class LearnerError(InvalidInputError, TypeError):
    """Raise when a learner is of the wrong kind or cannot travel as data."""


class ConfigurationError(InvalidInputError):
    """Raise when a fit option (scaling, backend, AWS settings) is invalid."""


class StoreError(PyDMLServerlessError, OSError):
    """Raise when the data store (a local directory or S3) cannot be read or written."""


class TaskError(PyDMLServerlessError, RuntimeError):
    """Raise when a task failed after its retries.

    Parameters
    ----------
    message : str
        What went wrong.
    task : dict, optional
        The task's coordinates: treatment, learner, rep and folds.
    error_type, error_message : str, optional
        The remote function's ``errorType`` and ``errorMessage``, when it reported them.

    Attributes
    ----------
    aws_lambda_metrics, aws_lambda_cost
        After a failed ``fit_aws_lambda()``: the invocations of the failed attempt (billed ones
        included) and their cost. The model itself keeps the state it had before the fit.
    """

    aws_lambda_metrics: object = None
    aws_lambda_cost: object = None

    def __init__(
        self,
        message: str,
        task: dict | None = None,
        error_type: str | None = None,
        error_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.task = task
        self.error_type = error_type
        self.error_message = error_message


class TaskTimeoutError(TaskError, TimeoutError):
    """Raise when a task ran past the function's timeout."""


class DeploymentMismatchError(PyDMLServerlessError, RuntimeError):
    """Raise when a deployed worker runs library versions that would change the results."""


class InvalidTypeError(InvalidInputError, TypeError):
    """Raise when an argument has the wrong type."""


class ProtocolError(PyDMLServerlessError, ValueError):
    """Raise when a task payload or a worker's answer breaks the wire contract (:mod:`.worker.protocol`)."""


class CorruptObjectError(StoreError):
    """Raise when a stored object is not what its content-addressed key says, or too large to decode."""


class UntrustedModelError(CorruptObjectError, TypeError):
    """Raise when stored fitted learners name a type that is not trusted, or hold indices that leave their arrays.

    Nothing in such a file is imported or constructed (see :mod:`pydmlserverless.worker.fitted_models`).
    """


class NonFinitePredictionsError(TaskError, ValueError):
    """Raise when a task's predictions hold NaN or infinity; DoubleML's own check, with the task named."""


class TaskNearTimeoutWarning(UserWarning):
    """Warn when a Lambda task ran past 80 % of the function's timeout: the next one may not fit."""
