"""Command line: fit a DML model on the local backend and print DoubleML's summary and the timing.

Run ``pydmlserverless --help`` (or ``python -m pydmlserverless --help``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .doubleml import plain
from .doubleml.data import validate_data, validate_frame
from .doubleml.registry import MODELS as MODEL_ENTRIES
from .errors import DataError, PyDMLServerlessError

__all__ = ["main", "build_parser", "read_table", "make_learner"]

MODELS = tuple(entry.name.lower() for entry in MODEL_ENTRIES)
#: The models on panel data (doubleml.DoubleMLPanelData: --t and --id).
PANEL_MODELS = tuple(entry.name.lower() for entry in MODEL_ENTRIES if entry.panel)
LEARNERS = ("rf", "lasso", "linear", "hgb")

EPILOG = """examples:
  pydmlserverless
      PLR on simulated data (DoubleML's make_plr_CCDDHNR2018, 500 rows, 20 covariates), random forests.
  pydmlserverless --data bonus.csv --y inuidur1 --d tg --x female black othrace --learner lasso --n-rep 10
  pydmlserverless --data 401k.dta --model irm --y net_tfa --d e401 --x age inc educ fsize --seed 1
  pydmlserverless --data 401k.dta --model iivm --y net_tfa --d p401 --z e401 --x age inc educ fsize
  pydmlserverless --data panel.csv --model apo --y y --d dose --treatment-level 2
  pydmlserverless --data panel.csv --model did --y y_change --d treated          (outcome differences)
  pydmlserverless --data survey.csv --model didcs --y y --d treated --t post     (repeated cross-sections)
  pydmlserverless --data doses.csv --model apos --y y --d dose --treatment-levels 0 1 2
  pydmlserverless --data staggered.csv --model didmulti --y y --g first_treated --t period --id unit
      (staggered adoption; --aggregate eventstudy prints the event study, --cross-sections for repeated ones)
  pydmlserverless --data panel.csv --model plpr --y y --d d --t time --id id --approach cre_general
  pydmlserverless --data employed.csv --model lplr --y employed --d training   (binary outcome)
  pydmlserverless --data 401k.dta --model pq --y net_tfa --d e401 --quantile 0.25 --treatment-level 0

Files: .csv (comma separated), .tsv/.dat/.txt (whitespace separated), .parquet, .dta (Stata).
Covariates default to every column that is not the outcome, treatment or instrument.
The same --seed gives the same sample splits and the same learner seeds, so identical numbers.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    # Long: declarative, one add_argument per command-line option.
    parser = argparse.ArgumentParser(
        prog="pydmlserverless",
        description="Fit a Double Machine Learning model with the cross-fitting on a local process pool, "
        "then print DoubleML's summary and the run's timing.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pydmlserverless {__version__}")
    data = parser.add_argument_group("data (default: simulated PLR data)")
    data.add_argument("--data", type=Path, help="data file: .csv, .tsv, .dat, .txt, .parquet or .dta")
    data.add_argument(
        "--encoding", default="utf-8", help="text encoding of a .csv/.tsv/.dat/.txt file (default utf-8; e.g. latin-1)"
    )
    data.add_argument("--y", help="outcome column")
    data.add_argument("--d", nargs="+", help="treatment column(s)")
    data.add_argument("--x", nargs="+", help="covariate columns (default: all other columns)")
    data.add_argument("--z", nargs="+", help="instrument column(s), for pliv and iivm")
    data.add_argument("--t", help="period column: 0/1 for didcs; the period for didmulti and plpr")
    data.add_argument("--id", help="unit column, for didmulti and plpr")
    data.add_argument(
        "--g", help="group column (the first treated period; 0 or inf: never treated), for didmulti in place of --d"
    )
    data.add_argument("--n-obs", type=int, default=500, help="rows of simulated data (default 500)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=MODELS, default="plr", help="DML model (default plr)")
    model.add_argument(
        "--score",
        help="score: plr 'partialling out' | 'IV-type'; irm 'ATE' | 'ATTE'; iivm 'LATE'; "
        "did/didcs/didmulti 'observational' | 'experimental'; plpr as plr; lplr 'nuisance_space' | 'instrument'",
    )
    model.add_argument(
        "--treatment-level", type=float, help="apo's treatment level (required); pq's and cvar's, 0 or 1 (default 1)"
    )
    model.add_argument("--quantile", type=float, default=0.5, help="pq's and cvar's quantile, in (0, 1) (default 0.5)")
    model.add_argument("--treatment-levels", type=float, nargs="+", help="the treatment levels of apos (required)")
    model.add_argument(
        "--control-group",
        choices=("never_treated", "not_yet_treated"),
        default="never_treated",
        help="didmulti's control group (default never_treated)",
    )
    model.add_argument(
        "--cross-sections", action="store_true", help="didmulti on repeated cross-sections (panel=False)"
    )
    model.add_argument(
        "--aggregate",
        choices=("group", "time", "eventstudy"),
        help="didmulti: also print DoubleML's aggregation of the group-time effects",
    )
    model.add_argument(
        "--approach",
        choices=("fd_exact", "wg_approx", "cre_general", "cre_normal"),
        default="fd_exact",
        help="plpr's panel transformation (default fd_exact)",
    )
    model.add_argument(
        "--learner",
        choices=LEARNERS,
        default="rf",
        help="nuisance learners: rf = random forest, lasso = LassoCV / L1 logistic CV, linear = OLS / logistic, "
        "hgb = histogram gradient boosting (default rf)",
    )
    model.add_argument("--n-estimators", type=int, default=100, help="trees for rf and hgb (default 100)")
    model.add_argument("--n-folds", type=int, default=5, help="cross-fitting folds (default 5)")
    model.add_argument("--n-rep", type=int, default=1, help="repetitions of the sample splitting (default 1)")
    run = parser.add_argument_group("run")
    run.add_argument("--seed", type=int, default=42, help="seed for splits and learners (default 42)")
    run.add_argument("--n-jobs", type=int, default=-1, help="worker processes, -1 = all cores (default -1)")
    run.add_argument("--scaling", choices=("n_folds * n_rep", "n_rep"), default="n_folds * n_rep")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--no-resume",
        action="store_true",
        help="compute every task, even those whose results an earlier run of the same fit kept (default: resume)",
    )
    return parser


#: DoubleML's own refusal of a data frame with a column name twice (doubleml.data.base_data).
DUPLICATE_COLUMNS_MESSAGE = "Invalid pd.DataFrame: Contains duplicate column names."


def read_table(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a data file by its extension (.csv, .tsv/.dat/.txt, .parquet, .dta).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    encoding : str, default 'utf-8'
        The text encoding of a .csv, .tsv, .dat or .txt file.

    Raises
    ------
    DataError
        If the file is missing, of another type, not valid text in ``encoding``, or names a
        column twice (DoubleML's refusal; pandas would rename the second ``x0`` to ``x0.1``).
    """
    suffix = path.suffix.lower()
    if not path.exists():
        raise DataError(f"Data file {str(path)!r} does not exist.")
    if suffix in (".csv", ".tsv", ".dat", ".txt"):
        sep = "," if suffix == ".csv" else r"\s+"
        try:
            header = pd.read_csv(path, sep=sep, encoding=encoding, header=None, nrows=1, dtype=str)
            frame = pd.read_csv(path, sep=sep, encoding=encoding)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"Data file {str(path)!r} is not valid {encoding} text (it holds the byte "
                f"{exc.object[exc.start]:#04x}); give its encoding with --encoding, e.g. --encoding latin-1."
            ) from None
        except LookupError:
            raise DataError(f"Unknown text encoding {encoding!r} (--encoding); e.g. utf-8, latin-1, cp1252.") from None
        names = [str(name) for name in header.iloc[0]] if len(header) else []
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
        names = [str(name) for name in frame.columns]
    elif suffix == ".dta":
        frame = pd.read_stata(path, convert_categoricals=False)
        names = [str(name) for name in frame.columns]
    else:
        raise DataError(f"Unsupported data file type {suffix!r}; use .csv, .tsv, .dat, .txt, .parquet or .dta.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{DUPLICATE_COLUMNS_MESSAGE} {str(path)!r} names {repeated} more than once.")
    return frame


def make_learner(kind: str, classifier: bool, n_estimators: int, seed: int) -> Any:
    """A scikit-learn learner for the CLI's ``--learner`` choice."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LassoCV, LinearRegression, LogisticRegression, LogisticRegressionCV

    if kind == "rf":
        cls = RandomForestClassifier if classifier else RandomForestRegressor
        return cls(n_estimators=n_estimators, min_samples_leaf=2, max_features="sqrt", random_state=seed, n_jobs=1)
    if kind == "hgb":
        cls = HistGradientBoostingClassifier if classifier else HistGradientBoostingRegressor
        return cls(max_iter=n_estimators, random_state=seed)
    if kind == "lasso":
        if classifier:
            return LogisticRegressionCV(cv=5, l1_ratios=(1.0,), solver="liblinear", max_iter=1000)
        return LassoCV(cv=5, max_iter=10000)
    return LogisticRegression(max_iter=1000) if classifier else LinearRegression()


def _data(args: argparse.Namespace) -> tuple[Any, str]:
    if args.g:
        if args.model != "didmulti":
            raise DataError("--g names didmulti's group column; other models take --d.")
        if args.d and args.d != [args.g]:
            raise DataError("--g and --d both name didmulti's group column; give one of them.")
        args.d = [args.g]
    if args.data is None:
        if args.model != "plr":
            raise DataError("Simulated data is for --model plr; give --data with --y/--d(/--z) for other models.")
        np.random.seed(args.seed)
        return plain.make_plr_CCDDHNR2018(n_obs=args.n_obs, dim_x=20, alpha=0.5), "simulated (make_plr_CCDDHNR2018)"
    if not args.y or not args.d:
        raise DataError("With --data, name the outcome (--y) and treatment(s) (--d).")
    frame = read_table(args.data, args.encoding)
    if args.model in ("didcs", *PANEL_MODELS) and not args.t:
        raise DataError(f"--model {args.model} needs the period column (--t).")
    if args.model in PANEL_MODELS:
        return _panel_data(args, frame), str(args.data)
    roles = {"y_col": [args.y], "d_cols": args.d, "x_cols": args.x or [], "z_cols": args.z or []}
    roles["t_col"] = [args.t] if args.t else []
    validate_frame(frame, {role: cols for role, cols in roles.items() if cols})
    try:
        if args.model in ("did", "didcs"):
            data = plain.DoubleMLDIDData(frame, args.y, args.d, x_cols=args.x, z_cols=args.z, t_col=args.t)
        else:
            data = plain.DoubleMLData(frame, args.y, args.d, x_cols=args.x, z_cols=args.z)
    except (TypeError, ValueError) as exc:
        raise DataError(str(exc)) from exc
    validate_data(data)  # covariates that default to "all other columns" must be numeric too
    return data, str(args.data)


def _panel_data(args: argparse.Namespace, frame: pd.DataFrame) -> Any:
    """DoubleML's panel data for didmulti and plpr (the group and period columns may be numbers or dates)."""
    if not args.id:
        raise DataError(f"--model {args.model} needs the unit column (--id).")
    validate_frame(frame, {"y_col": [args.y], "x_cols": args.x or []})
    missing = [c for c in (*args.d, args.t, args.id) if c not in frame.columns]
    if missing:
        raise DataError(f"column(s) {missing} not found in the data. Available columns: {list(frame.columns)}.")
    try:
        data = plain.DoubleMLPanelData(
            frame, args.y, args.d, t_col=args.t, id_col=args.id, x_cols=args.x, static_panel=args.model == "plpr"
        )
    except (TypeError, ValueError) as exc:
        raise DataError(str(exc)) from exc
    validate_data(data)
    return data


def _levels(values: list[float]) -> list[Any]:
    return [int(v) if float(v).is_integer() else v for v in values]


def _model(args: argparse.Namespace, data: Any) -> Any:
    from .doubleml import models

    def learner(classifier: bool = False) -> Any:
        return make_learner(args.learner, classifier, args.n_estimators, args.seed)

    common = {"n_folds": args.n_folds, "n_rep": args.n_rep}
    if args.score:
        common["score"] = args.score
    if args.model == "plr":
        ml_g = learner() if args.score == "IV-type" else None
        return models.DoubleMLPLRServerless(None, None, data, learner(), learner(), ml_g, **common)
    if args.model == "pliv":
        ml_g = learner() if args.score == "IV-type" else None
        return models.DoubleMLPLIVServerless(None, None, data, learner(), learner(), learner(), ml_g, **common)
    if args.model == "irm":
        return models.DoubleMLIRMServerless(None, None, data, learner(), learner(classifier=True), **common)
    if args.model == "apo":
        if args.treatment_level is None:
            raise DataError("--model apo needs the treatment level (--treatment-level).")
        level = args.treatment_level
        level = int(level) if float(level).is_integer() else level
        return models.DoubleMLAPOServerless(
            None, None, data, learner(), learner(classifier=True), treatment_level=level, **common
        )
    if args.model == "apos":
        if not args.treatment_levels:
            raise DataError("--model apos needs the treatment levels (--treatment-levels).")
        levels = _levels(args.treatment_levels)
        return models.DoubleMLAPOSServerless(
            None, None, data, learner(), learner(classifier=True), treatment_levels=levels, **common
        )
    if args.model in ("did", "didcs", "didmulti"):
        ml_m = None if args.score == "experimental" else learner(classifier=True)
        if args.model == "didmulti":
            options = {"control_group": args.control_group, "panel": not args.cross_sections}
            return models.DoubleMLDIDMultiServerless(None, None, data, learner(), ml_m, **options, **common)
        cls = models.DoubleMLDIDServerless if args.model == "did" else models.DoubleMLDIDCSServerless
        return cls(None, None, data, learner(), ml_m, **common)
    if args.model == "lplr":  # as many inner as outer folds (DoubleML takes LPLR's predictions only then)
        return models.DoubleMLLPLRServerless(
            None, None, data, learner(classifier=True), learner(), learner(), n_folds_inner=args.n_folds, **common
        )
    if args.model in ("pq", "cvar"):  # PQ's ml_g classifies y <= a preliminary quantile; CVAR's regresses
        level = 1 if args.treatment_level is None else int(args.treatment_level)
        cls = models.DoubleMLPQServerless if args.model == "pq" else models.DoubleMLCVARServerless
        return cls(
            None, None, data, learner(classifier=args.model == "pq"), learner(classifier=True), treatment=level,
            quantile=args.quantile, **common,
        )  # fmt: skip
    if args.model == "plpr":
        ml_g = learner() if args.score == "IV-type" else None
        return models.DoubleMLPLPRServerless(
            None, None, data, learner(), learner(), ml_g, approach=args.approach, **common
        )
    return models.DoubleMLIIVMServerless(
        None, None, data, learner(), learner(classifier=True), learner(classifier=True), **common
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    try:
        data, source = _data(args)
        np.random.seed(args.seed)  # DoubleML draws the sample splits from numpy's global generator
        model = _model(args, data)
        model.fit_local(
            n_jobs=args.n_jobs,
            scaling=args.scaling,
            seed=args.seed,
            progress=not args.no_progress,
            verbose=False,
            resume=not args.no_resume,
        )
    except PyDMLServerlessError as exc:
        print(f"pydmlserverless: error: {exc}", file=sys.stderr)
        return 2
    pd.set_option("display.width", 120)
    print(f"Data: {source}, {data.n_obs} observations")
    print(model)
    if args.aggregate and args.model == "didmulti":
        print()
        print(model.aggregate(args.aggregate))
    print()
    print(model.fit_report)
    print(f"Total time including data preparation: {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
