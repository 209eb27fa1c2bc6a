"""The two classic DML data sets, prepared exactly as DoubleML's ``fetch_bonus`` / ``fetch_401K`` do.

They read a local copy of the public replication files (Chernozhukov et al., 2018) when given a
path or when ``PYDMLSERVERLESS_DATA_DIR`` names a folder holding them; otherwise they defer to
DoubleML's own fetchers, which download the files.
"""

from __future__ import annotations

import os
from pathlib import Path

import doubleml
import numpy as np
import pandas as pd

__all__ = ["BONUS_X_COLS", "FOUR01K_X_COLS", "bonus_frame", "bonus_data", "four01k_frame", "four01k_data"]

#: Covariates of the bonus data, as DoubleML's fetch_bonus.
BONUS_X_COLS = ["female", "black", "othrace", "dep1", "dep2", "q2", "q3", "q4", "q5", "q6",
                "agelt35", "agegt54", "durable", "lusd", "husd"]  # fmt: skip
#: Covariates of the 401(k) data, as DoubleML's fetch_401K.
FOUR01K_X_COLS = ["age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown"]


def _local(name: str, path: str | os.PathLike | None) -> Path | None:
    if path is not None:
        return Path(path)
    folder = os.environ.get("PYDMLSERVERLESS_DATA_DIR")
    if folder and (Path(folder) / name).exists():
        return Path(folder) / name
    return None


def bonus_frame(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The Pennsylvania reemployment bonus data (treatment groups 0 and 4), as ``fetch_bonus``.

    Parameters
    ----------
    path : str or path-like, optional
        A local ``penn_jae.dat``. Default: ``$PYDMLSERVERLESS_DATA_DIR/penn_jae.dat`` if present,
        else DoubleML's ``fetch_bonus`` (downloads).

    Returns
    -------
    pandas.DataFrame
        With ``inuidur1`` = log duration, ``tg`` = 1 for group 4, and ``dep1``/``dep2`` dummies.
    """
    local = _local("penn_jae.dat", path)
    if local is None:
        from doubleml.datasets import fetch_bonus

        return fetch_bonus(return_type="DataFrame")
    raw = pd.read_csv(local, sep=r"\s+")
    data = raw[(raw["tg"] == 0) | (raw["tg"] == 4)].copy().reset_index()
    data["tg"] = data["tg"].replace(4, 1)
    data["inuidur1"] = np.log(data["inuidur1"])
    # dep in {0, 1, 2}: dummies with the first level dropped, as DoubleML's OneHotEncoder(drop="first")
    data["dep1"] = (data["dep"] == 1).astype(np.float64)
    data["dep2"] = (data["dep"] == 2).astype(np.float64)
    return data


def bonus_data(path: str | os.PathLike | None = None) -> doubleml.DoubleMLData:
    """:func:`bonus_frame` as a DoubleMLData (y = inuidur1, d = tg, x = :data:`BONUS_X_COLS`)."""
    return doubleml.DoubleMLData(bonus_frame(path), "inuidur1", "tg", x_cols=BONUS_X_COLS)


def four01k_frame(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The 401(k) data (SIPP 1991), as ``fetch_401K``.

    Parameters
    ----------
    path : str or path-like, optional
        A local ``sipp1991.dta``. Default: ``$PYDMLSERVERLESS_DATA_DIR/sipp1991.dta`` if present,
        else DoubleML's ``fetch_401K`` (downloads).
    """
    local = _local("sipp1991.dta", path)
    if local is None:
        from doubleml.datasets import fetch_401K

        return fetch_401K(return_type="DataFrame")
    return pd.read_stata(local)


def four01k_data(path: str | os.PathLike | None = None, instrument: bool = False) -> doubleml.DoubleMLData:
    """:func:`four01k_frame` as a DoubleMLData: y = net_tfa, d = e401 (or d = p401 with z = e401)."""
    frame = four01k_frame(path)
    if instrument:
        return doubleml.DoubleMLData(frame, "net_tfa", "p401", x_cols=FOUR01K_X_COLS, z_cols="e401")
    return doubleml.DoubleMLData(frame, "net_tfa", "e401", x_cols=FOUR01K_X_COLS)
