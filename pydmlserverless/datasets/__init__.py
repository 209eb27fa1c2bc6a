"""The two classic DML data sets, prepared exactly as DoubleML's ``fetch_bonus`` / ``fetch_401K`` do.

The public replication files of Chernozhukov et al. (2018) ship inside this package (see the
``README.md`` beside this module for their source and licence), so nothing is downloaded.
``PYDMLSERVERLESS_DATA_DIR`` may name a folder with other copies of them, which then win; a
``path`` argument wins over both.

Examples
--------
>>> from pydmlserverless.datasets import bonus_frame, data_file
>>> data_file("penn_jae.dat").name
'penn_jae.dat'
>>> bonus_frame().shape
(5099, 26)
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..doubleml import plain
from ..errors import DataError

__all__ = [
    "BONUS_X_COLS",
    "DATA_FILES",
    "FOUR01K_X_COLS",
    "bonus_data",
    "bonus_frame",
    "data_file",
    "four01k_data",
    "four01k_frame",
]

#: The data files shipped with the package.
DATA_FILES = ("penn_jae.dat", "sipp1991.dta")

#: Covariates of the bonus data, as DoubleML's fetch_bonus.
BONUS_X_COLS = ["female", "black", "othrace", "dep1", "dep2", "q2", "q3", "q4", "q5", "q6",
                "agelt35", "agegt54", "durable", "lusd", "husd"]  # fmt: skip
#: Covariates of the 401(k) data, as DoubleML's fetch_401K.
FOUR01K_X_COLS = ["age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown"]


def data_file(name: str) -> Path:
    """The path of a data file shipped with the package.

    Parameters
    ----------
    name : {"penn_jae.dat", "sipp1991.dta"}
        The file: the bonus experiment or the 401(k) data.

    Returns
    -------
    pathlib.Path
        ``$PYDMLSERVERLESS_DATA_DIR/<name>`` when that file exists, else the package's own copy.

    Raises
    ------
    DataError
        For a name that is not one of :data:`DATA_FILES`, or a package installed without its data.

    Examples
    --------
    >>> import pandas as pd
    >>> pd.read_stata(data_file("sipp1991.dta")).shape
    (9915, 14)
    """
    if name not in DATA_FILES:
        raise DataError(f"Unknown data file {name!r}; the package ships {', '.join(DATA_FILES)}.")
    folder = os.environ.get("PYDMLSERVERLESS_DATA_DIR")
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    packaged = Path(str(resources.files(__name__) / name))
    if not packaged.is_file():
        raise DataError(
            f"{name} is missing from this installation of pydmlserverless ({packaged}); reinstall the "
            "package, or set PYDMLSERVERLESS_DATA_DIR to a folder holding the file."
        )
    return packaged


def _source(name: str, path: str | os.PathLike | None) -> Path:
    return Path(path) if path is not None else data_file(name)


def bonus_frame(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The Pennsylvania reemployment bonus data (treatment groups 0 and 4), as ``fetch_bonus``.

    Parameters
    ----------
    path : str or path-like, optional
        A ``penn_jae.dat`` to read. Default: :func:`data_file` (the package's copy).

    Returns
    -------
    pandas.DataFrame
        With ``inuidur1`` = log duration, ``tg`` = 1 for group 4, and ``dep1``/``dep2`` dummies.
    """
    raw = pd.read_csv(_source("penn_jae.dat", path), sep=r"\s+")
    data = raw[(raw["tg"] == 0) | (raw["tg"] == 4)].copy().reset_index()
    data["tg"] = data["tg"].replace(4, 1)
    data["inuidur1"] = np.log(data["inuidur1"])
    # dep in {0, 1, 2}: dummies with the first level dropped, as DoubleML's OneHotEncoder(drop="first")
    data["dep1"] = (data["dep"] == 1).astype(np.float64)
    data["dep2"] = (data["dep"] == 2).astype(np.float64)
    return data


def bonus_data(path: str | os.PathLike | None = None) -> plain.DoubleMLData:
    """:func:`bonus_frame` as a DoubleMLData (y = inuidur1, d = tg, x = :data:`BONUS_X_COLS`)."""
    return plain.DoubleMLData(bonus_frame(path), "inuidur1", "tg", x_cols=BONUS_X_COLS)


def four01k_frame(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The 401(k) data (SIPP 1991), as ``fetch_401K``.

    Parameters
    ----------
    path : str or path-like, optional
        A ``sipp1991.dta`` to read. Default: :func:`data_file` (the package's copy).
    """
    return pd.read_stata(_source("sipp1991.dta", path))


def four01k_data(path: str | os.PathLike | None = None, instrument: bool = False) -> plain.DoubleMLData:
    """:func:`four01k_frame` as a DoubleMLData: y = net_tfa, d = e401 (or d = p401 with z = e401)."""
    frame = four01k_frame(path)
    if instrument:
        return plain.DoubleMLData(frame, "net_tfa", "p401", x_cols=FOUR01K_X_COLS, z_cols="e401")
    return plain.DoubleMLData(frame, "net_tfa", "e401", x_cols=FOUR01K_X_COLS)
