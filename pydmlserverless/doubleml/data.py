"""Data: validation, the content-addressed stored form, and :class:`DoubleMLDataS3`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import doubleml
import numpy as np
import pandas as pd

from ..errors import DataError, DataTypeError
from ..worker import codec
from ..worker.protocol import dataset_key
from ..worker.store import S3Store, Store
from . import _compat

__all__ = [
    "S3StagedData",
    "DoubleMLDataS3",
    "DoubleMLDIDDataS3",
    "DoubleMLPanelDataS3",
    "model_columns",
    "validate_frame",
    "validate_data",
    "covariates_with_missing_values",
    "derived_values",
    "stage_dataset",
]

logger = logging.getLogger(__name__)


def _as_list(cols: Any) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def model_columns(data: doubleml.DoubleMLData) -> list[str]:
    """The columns the nuisance fits read, in stored order: covariates, treatments, outcome, instruments.

    Covariates come first so that a single treatment's features are a contiguous block.
    """
    ordered = list(data.x_cols) + list(data.d_cols) + [data.y_col] + _as_list(data.z_cols)
    return list(dict.fromkeys(ordered))


def validate_frame(
    frame: pd.DataFrame, roles: Mapping[str, Sequence[str]], force_all_x_finite: bool | str = True
) -> None:
    """Check that every column named in ``roles`` exists, is numeric and finite.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    roles : dict of str to list of str
        Column names by role (``"y_col"``, ``"d_cols"``, ...), for the messages.
    force_all_x_finite : bool or 'allow-nan', default True
        DoubleML's rule for the covariates (``x_cols``): ``'allow-nan'`` lets them hold NaN,
        False NaN and infinity (for learners that handle them); the other roles stay finite.

    Raises
    ------
    DataError
        Naming the role and columns at fault.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(frame).__name__}.")
    for role, cols in roles.items():
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(
                f"{role}: column(s) {missing} not found in the data. Available columns: {list(frame.columns)}."
            )
    for role, cols in roles.items():
        if role == "cluster_cols":
            continue
        non_numeric = [
            c for c in cols if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
        ]
        if non_numeric:
            kinds = {c: str(frame[c].dtype) for c in non_numeric}
            raise DataError(
                f"{role}: column(s) {non_numeric} are not numeric ({kinds}). Encode them as numbers first, "
                "e.g. with pandas.get_dummies for categorical variables."
            )
        values = frame[list(cols)].to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(values)
        if role == "x_cols" and force_all_x_finite is not True:
            ok |= np.isnan(values) if force_all_x_finite == "allow-nan" else ~np.isfinite(values)
        bad = [c for c, fine in zip(cols, ok.all(axis=0)) if not fine]
        if bad:
            hint = (
                ", or let DoubleML pass them to learners that handle missing values (force_all_x_finite='allow-nan')"
                if role == "x_cols"
                else ""
            )
            raise DataError(
                f"{role}: column(s) {bad} contain missing or infinite values. Drop or impute those rows first "
                f"(e.g. frame.dropna(subset=...)){hint}."
            )


def _explain(frame: pd.DataFrame, roles: Mapping[str, Sequence[str]], force_all_x_finite: Any) -> str | None:
    """What :func:`validate_frame` finds wrong with ``frame`` (None: nothing)."""
    if "x_cols" not in roles and isinstance(frame, pd.DataFrame):  # DoubleML's default: every other column
        taken = {c for cols in roles.values() for c in cols}
        roles = {**roles, "x_cols": [c for c in frame.columns if c not in taken]}
    try:
        validate_frame(frame, roles, force_all_x_finite if force_all_x_finite in (True, False, "allow-nan") else True)
    except DataError as exc:
        return str(exc)
    return None


def _roles(data: doubleml.DoubleMLData) -> dict[str, list[str]]:
    if isinstance(data, doubleml.DoubleMLPanelData):
        # the group and period columns may be dates; DoubleML checks them, and the learners see only
        # the indicators each group-time cell derives from them
        return {"y_col": [data.y_col], "x_cols": list(data.x_cols)}
    roles = {"y_col": [data.y_col], "d_cols": list(data.d_cols), "x_cols": list(data.x_cols)}
    if data.z_cols:
        roles["z_cols"] = list(data.z_cols)
    return roles


def validate_data(data: Any) -> None:
    """Check a DoubleMLData object's model columns (see :func:`validate_frame`), by its own ``force_all_x_finite``."""
    if not isinstance(data, doubleml.DoubleMLData):
        raise DataError(
            f"The data must be a doubleml.DoubleMLData (or pydmlserverless.DoubleMLDataS3); got {type(data).__name__}."
        )
    validate_frame(data.data, _roles(data), getattr(data, "force_all_x_finite", True))


def covariates_with_missing_values(data: doubleml.DoubleMLData, columns: Sequence[str]) -> list[str]:
    """Those of ``columns`` that hold NaN or infinity (allowed by ``force_all_x_finite``)."""
    values = data.data[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)
    return [c for c, fine in zip(columns, np.isfinite(values).all(axis=0)) if not fine]


#: Columns stored besides the model's: name to the (column, level) pairs whose conjunction they
#: indicate (as 0/1), or to None for a data column that the model's roles do not name.
Derived = Mapping[str, tuple[tuple[str, float], ...] | None]


def derived_values(data: doubleml.DoubleMLData, derived: Derived, name: str) -> np.ndarray:
    """A column of the stored dataset: the data's, or a ``derived`` indicator's 0/1 values."""
    conjunction = derived.get(name)
    if conjunction is None:  # a data column (a model column, or one the roles do not name)
        return data.data[name].to_numpy(dtype=np.float64)
    indicator = np.ones(len(data.data), dtype=bool)
    for col, level in conjunction:
        indicator &= data.data[col].to_numpy(dtype=np.float64) == level
    return indicator.astype(np.float64)


def encode_model_data(data: doubleml.DoubleMLData, derived: Derived | None = None) -> tuple[bytes, str]:
    """The stored form of the model's columns (and ``derived`` indicators): (npz bytes, content digest)."""
    cols = model_columns(data)
    frame = data.data[cols]
    dates = [c for c in cols if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if dates:  # a panel's group and period columns: stored as seconds since the epoch
        frame = frame.assign(**{c: frame[c].astype("datetime64[s]").astype(np.int64) for c in dates})
    values = frame.to_numpy(dtype=np.float64)
    if derived:
        values = np.column_stack([values, *(derived_values(data, derived, name) for name in derived)])
        cols = cols + list(derived)
    return codec.encode_dataset(values, cols)


def stage_dataset(
    data: doubleml.DoubleMLData,
    store: Store,
    force: bool = False,
    derived: Derived | None = None,
) -> tuple[str, bool]:
    """Store the model's columns once (content-addressed; a stored object of other content is replaced).

    ``derived`` indicator columns (see :data:`Derived`) are stored after them.

    Returns
    -------
    key : str
        The dataset's store key.
    written : bool
        False when an identical dataset was already stored.
    """
    body, digest = encode_model_data(data, derived)
    key = dataset_key(digest)
    written = store.put_content_addressed(
        key, body, digest, _verifier(digest), metadata={"columns": str(len(model_columns(data)))}, force=force
    )
    return key, written


def _verifier(digest: str) -> Callable[[bytes], object]:
    return lambda body: codec.decode_dataset(body, expected_digest=digest)


class S3StagedData:
    """What a data object needs to be staged in S3: its bucket and the content-addressed upload.

    Mixed into :class:`DoubleMLDataS3` and :class:`DoubleMLDIDDataS3` before their DoubleML class;
    ``fit_aws_lambda()`` takes any data of this kind.
    """

    data: pd.DataFrame

    def _init_staged(
        self,
        bucket: str,
        file_key: str,
        data: pd.DataFrame,
        y_col: Any,
        d_cols: Any,
        columns: dict[str, Any],
        options: dict[str, Any],
        force_all_x_finite: bool | str,
        s3: tuple[Any, Any, str | None],
    ) -> None:
        """Build the DoubleML data object (its own errors, the column named) and the S3 store beside it.

        ``columns`` are the DoubleML class's column roles besides ``y_col`` and ``d_cols``,
        ``options`` its other arguments but ``force_all_x_finite``, ``s3`` the client, session and
        region of the store.
        """
        _check_s3_names(bucket, file_key, data)
        roles = _roles_given(y_col, d_cols, **columns)
        with _doubleml_data_errors(data, roles, force_all_x_finite):
            # the DoubleML class after this mixin in the data class's MRO
            super().__init__(  # type: ignore[call-arg]
                data, y_col=y_col, d_cols=d_cols, **columns, **options, force_all_x_finite=force_all_x_finite
            )
        validate_frame(self.data, _roles(self), force_all_x_finite)  # x_cols=None means "all other columns"
        self.bucket = bucket
        self.file_key = file_key
        s3_client, session, region = s3
        self._store = S3Store(bucket, client=s3_client, session=session, region=region)
        self._encoded: tuple[tuple, bytes, str] | None = None
        self.uploaded = False

    @property
    def store(self) -> S3Store:
        """The S3 store holding the data."""
        return self._store

    def _encoded_data(self) -> tuple[bytes, str]:
        # column roles can be reassigned after construction: re-encode when they change
        roles = (tuple(model_columns(self)), id(self.data))
        if self._encoded is None or self._encoded[0] != roles:
            self._encoded = (roles, *encode_model_data(self))
        return self._encoded[1], self._encoded[2]

    @property
    def s3_key(self) -> str:
        """The content-addressed object key of the stored model columns."""
        return dataset_key(self._encoded_data()[1])

    def store_and_upload_to_s3(self, force: bool = False) -> str:
        """Upload the model columns to S3, unless an object with this content is already there.

        The object's digest is kept in its metadata; an object under the key without it, or with
        another, is replaced (and the workers verify what they read against the key).

        Parameters
        ----------
        force : bool, default False
            Upload even if the object looks present (repairs an object that was tampered with).

        Returns
        -------
        str
            The object key.
        """
        body, digest = self._encoded_data()
        written = self._store.put_content_addressed(
            self.s3_key, body, digest, _verifier(digest), metadata={"source-file-key": self.file_key}, force=force
        )
        self.uploaded = True
        logger.info("%s s3://%s/%s", "uploaded" if written else "already present:", self.bucket, self.s3_key)
        return self.s3_key


def _check_s3_names(bucket: Any, file_key: Any, data: Any) -> None:
    if not isinstance(bucket, str) or not bucket:
        raise DataError(f"bucket must be a non-empty string; got {bucket!r}.")
    if not isinstance(file_key, str) or not file_key:
        raise DataError(f"file_key must be a non-empty string; got {file_key!r}.")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}.")


def _doubleml_data_errors(data: pd.DataFrame, roles: dict[str, list[str]], force_all_x_finite: Any) -> Any:
    """DoubleML's own data errors (its type, its message), with the column named where DoubleML does not."""

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except (TypeError, ValueError) as exc:
            detail = _explain(data, roles, force_all_x_finite)
            message = f"{exc}" + (f" ({detail})" if detail and detail not in str(exc) else "")
            raise (DataTypeError if isinstance(exc, TypeError) else DataError)(message) from exc

    return guard()


def _roles_given(y_col: Any, d_cols: Any, **others: Any) -> dict[str, list[str]]:
    roles = {"y_col": _as_list(y_col), "d_cols": _as_list(d_cols)}
    for role, cols in others.items():
        if cols is not None:
            roles[role] = _as_list(cols)
    return roles


class DoubleMLDataS3(S3StagedData, doubleml.DoubleMLData):
    """A :class:`doubleml.DoubleMLData` whose model columns are stored in an S3 bucket.

    Parameters
    ----------
    bucket : str
        S3 bucket that the Lambda function may read (the SAM stack's bucket).
    file_key : str
        A name for the data set (kept as the object's ``source-file-key`` metadata; the object key
        itself is content-addressed: ``pydmlserverless/data/<sha256>.npz``).
    data : pandas.DataFrame
        The data.
    y_col, d_cols, x_cols, z_cols, cluster_cols, use_other_treat_as_covariate, force_all_x_finite
        As for :class:`doubleml.DoubleMLData` (``force_all_x_finite='allow-nan'`` or False lets the
        covariates hold missing values, for learners that handle them).
    s3_client : botocore client, optional
        A ready S3 client; else one is made from ``session``.
    session : boto3.Session, optional
        Session for the S3 client (profiles, credentials); the default session when omitted.
    region : str, optional
        Region of the S3 client.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "d": [0.0, 1.0, 0.0], "x": [0.5, 0.1, 0.2]})
    >>> data = DoubleMLDataS3("my-bucket", "toy.csv", df, y_col="y", d_cols="d", x_cols=["x"])
    >>> data.s3_key.startswith("pydmlserverless/data/")
    True
    """

    def __init__(
        self,
        bucket: str,
        file_key: str,
        data: pd.DataFrame,
        y_col: str,
        d_cols: str | Sequence[str],
        x_cols: str | Sequence[str] | None = None,
        z_cols: str | Sequence[str] | None = None,
        cluster_cols: str | Sequence[str] | None = None,
        use_other_treat_as_covariate: bool = True,
        force_all_x_finite: bool | str = True,
        s3_client: Any = None,
        session: Any = None,
        region: str | None = None,
    ):
        columns = {"x_cols": x_cols, "z_cols": z_cols, "cluster_cols": cluster_cols}
        options = {"use_other_treat_as_covariate": use_other_treat_as_covariate}
        s3 = (s3_client, session, region)
        self._init_staged(bucket, file_key, data, y_col, d_cols, columns, options, force_all_x_finite, s3)


class DoubleMLDIDDataS3(S3StagedData, doubleml.DoubleMLDIDData):
    """A :class:`doubleml.DoubleMLDIDData` whose model columns are stored in an S3 bucket.

    For :class:`~pydmlserverless.DoubleMLDIDServerless` on AWS Lambda. The parameters are
    :class:`DoubleMLDataS3`'s, plus ``t_col`` (repeated cross-sections).

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.did.datasets import make_did_SZ2020
    >>> np.random.seed(1)
    >>> frame = make_did_SZ2020(n_obs=50, return_type="DataFrame")
    >>> data = DoubleMLDIDDataS3("my-bucket", "did.csv", frame, y_col="y", d_cols="d")
    >>> data.s3_key.startswith("pydmlserverless/data/")
    True
    """

    def __init__(
        self,
        bucket: str,
        file_key: str,
        data: pd.DataFrame,
        y_col: str,
        d_cols: str | Sequence[str],
        x_cols: str | Sequence[str] | None = None,
        z_cols: str | Sequence[str] | None = None,
        t_col: str | None = None,
        cluster_cols: str | Sequence[str] | None = None,
        use_other_treat_as_covariate: bool = True,
        force_all_x_finite: bool | str = True,
        s3_client: Any = None,
        session: Any = None,
        region: str | None = None,
    ):
        columns = {"x_cols": x_cols, "z_cols": z_cols, "t_col": t_col, "cluster_cols": cluster_cols}
        options = {"use_other_treat_as_covariate": use_other_treat_as_covariate}
        s3 = (s3_client, session, region)
        self._init_staged(bucket, file_key, data, y_col, d_cols, columns, options, force_all_x_finite, s3)


class DoubleMLPanelDataS3(S3StagedData, doubleml.DoubleMLPanelData):
    """A :class:`doubleml.DoubleMLPanelData` for a fit on AWS Lambda, with the S3 bucket its cells are staged in.

    For :class:`~pydmlserverless.DoubleMLDIDMultiServerless`: at the fit, each group-time cell's
    subsample (as DoubleML forms it) is stored in the bucket once, content-addressed, and the
    function reads it from there. The parameters are :class:`DoubleMLDataS3`'s, plus ``t_col``,
    ``id_col``, ``static_panel`` and ``datetime_unit`` as for :class:`doubleml.DoubleMLPanelData`.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.did.datasets import make_did_CS2021
    >>> np.random.seed(1)
    >>> frame = make_did_CS2021(n_obs=50)
    >>> data = DoubleMLPanelDataS3("my-bucket", "panel.csv", frame, y_col="y", d_cols="d", t_col="t",
    ...                            id_col="id", x_cols=["Z1", "Z2", "Z3", "Z4"])
    >>> data.n_ids, data.bucket
    (50, 'my-bucket')
    """

    def __init__(
        self,
        bucket: str,
        file_key: str,
        data: pd.DataFrame,
        y_col: str,
        d_cols: str | Sequence[str],
        t_col: str,
        id_col: str,
        x_cols: str | Sequence[str] | None = None,
        z_cols: str | Sequence[str] | None = None,
        static_panel: bool = False,
        use_other_treat_as_covariate: bool = True,
        force_all_x_finite: bool | str = True,
        datetime_unit: str = "M",
        s3_client: Any = None,
        session: Any = None,
        region: str | None = None,
    ):
        columns = {"t_col": t_col, "id_col": id_col, "x_cols": x_cols, "z_cols": z_cols}
        options = {
            "static_panel": static_panel,
            "use_other_treat_as_covariate": use_other_treat_as_covariate,
            "datetime_unit": datetime_unit,
        }
        s3 = (s3_client, session, region)
        self._init_staged(bucket, file_key, data, y_col, d_cols, columns, options, force_all_x_finite, s3)

    @doubleml.DoubleMLData.d_cols.setter  # type: ignore[attr-defined, untyped-decorator, misc]
    def d_cols(self, value: Any) -> None:
        # DoubleMLPanelData's own setter finds its parent class through ``self.__class__``, which
        # recurses without end in any subclass; this is it, with the parent named
        value = [value] if isinstance(value, str) else value
        doubleml.DoubleMLData.d_cols.__set__(self, value)  # type: ignore[attr-defined]
        _compat.refresh_treatment_levels(self)
