"""The versions of the libraries a task's predictions depend on, as a worker reports them in every answer.

The client compares them with its own (:mod:`pydmlserverless.backends.aws_lambda.versions`).
"""

from __future__ import annotations

import platform

from .._version import __version__

__all__ = ["runtime_versions"]


def runtime_versions() -> dict[str, str]:
    """Versions of the libraries the predictions depend on, in this process (client or worker).

    Examples
    --------
    >>> sorted(runtime_versions())
    ['numpy', 'pydmlserverless', 'python', 'scikit-learn', 'scipy']
    """
    import numpy
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "pydmlserverless": __version__,
    }
