"""The command line: the default job, user files, help and errors."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pydmlserverless.cli import main
from pydmlserverless.datasets import four01k_frame


def test_default_job_prints_summary_and_timing(capsys):
    assert main(["--n-obs", "200", "--n-estimators", "10", "--n-folds", "3", "--n-jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "DoubleMLPLRServerless Object" in out and "coef" in out and "std err" in out
    assert "Fit on local (1 process), scaling 'n_folds * n_rep': 6 tasks" in out
    assert "Total time including data preparation" in out


def test_same_seed_same_numbers(capsys):
    args = ["--n-obs", "150", "--n-estimators", "5", "--n-folds", "2", "--n-jobs", "1", "--no-progress", "--seed", "4"]
    main(args)
    first = capsys.readouterr().out.split("Fit Summary")[1].split("Fit on")[0]
    main(args + ["--scaling", "n_rep"])
    assert capsys.readouterr().out.split("Fit Summary")[1].split("Fit on")[0] == first


@pytest.mark.parametrize("suffix", [".csv", ".dta", ".parquet"])
def test_user_file_irm(tmp_path, capsys, suffix):
    frame = four01k_frame().sample(600, random_state=1)
    path = tmp_path / f"k401{suffix}"
    {".csv": frame.to_csv, ".dta": frame.to_stata, ".parquet": frame.to_parquet}[suffix](
        path, **({"index": False} if suffix != ".dta" else {"write_index": False})
    )
    code = main(["--data", str(path), "--model", "irm", "--y", "net_tfa", "--d", "e401", "--x", "age", "inc", "educ",
                 "--learner", "linear", "--n-folds", "2", "--n-jobs", "1", "--no-progress"])  # fmt: skip
    assert code == 0
    assert "e401" in capsys.readouterr().out


def test_missing_column_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "d.csv"
    pd.DataFrame({"y": [1.0, 2.0, 3.0], "d": [0.0, 1.0, 0.0], "x": [1.0, 2.0, 4.0]}).to_csv(path, index=False)
    assert main(["--data", str(path), "--y", "y", "--d", "treat", "--n-jobs", "1", "--no-progress"]) == 2
    assert "pydmlserverless: error: d_cols: column(s) ['treat'] not found in the data" in capsys.readouterr().err


def test_help_and_module_entry_point():
    command = [sys.executable, "-m", "pydmlserverless", "--help"]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "--scaling" in out.stdout and "examples:" in out.stdout


def test_a_rerun_resumes_unless_told_not_to(capsys):
    args = ["--n-obs", "200", "--n-estimators", "5", "--n-folds", "2", "--n-jobs", "1", "--no-progress"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    again = capsys.readouterr().out
    assert main([*args, "--no-resume"]) == 0
    computed = capsys.readouterr().out
    assert "': 4 tasks\n" in first and "0 tasks (4 more resumed from kept results)" in again
    assert "': 4 tasks\n" in computed
    coef = [out.split("\nd ")[1].split()[0] for out in (first, again, computed)]
    assert coef[0] == coef[1] == coef[2]


def _coef(out: str, treatment: str) -> float:
    return float(out.split("Fit Summary")[1].split(f"\n{treatment} ")[1].split()[0])


@pytest.mark.parametrize("model", ["apo", "did", "didcs"])
def test_the_further_models_run_from_a_file_as_in_python(tmp_path, capsys, model):
    import doubleml as dml
    from doubleml.did.datasets import make_did_SZ2020
    from doubleml.irm.datasets import make_irm_data_discrete_treatments
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from pydmlserverless import DoubleMLAPOServerless, DoubleMLDIDCSServerless, DoubleMLDIDServerless

    np.random.seed(2)
    if model == "apo":
        raw = make_irm_data_discrete_treatments(n_obs=300)
        frame = pd.DataFrame(raw["x"], columns=[f"x{i}" for i in range(raw["x"].shape[1])])
        frame = frame.assign(y=raw["y"], d=raw["d"].astype(float))
        extra, data = ["--treatment-level", "1"], dml.DoubleMLData(frame, "y", "d")
    else:
        frame = make_did_SZ2020(n_obs=300, cross_sectional_data=model == "didcs", return_type="DataFrame")
        extra = ["--t", "t"] if model == "didcs" else []
        x_cols = [c for c in frame.columns if c.startswith("Z")]
        data = dml.DoubleMLDIDData(frame, "y", "d", x_cols=x_cols, t_col="t" if model == "didcs" else None)
        extra += ["--x", *x_cols]
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    args = ["--data", str(path), "--model", model, "--y", "y", "--d", "d", "--learner", "linear", "--n-folds", "3"]
    assert main([*args, *extra, "--n-jobs", "1", "--no-progress", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    np.random.seed(5)
    cls = {"apo": DoubleMLAPOServerless, "did": DoubleMLDIDServerless, "didcs": DoubleMLDIDCSServerless}[model]
    kwargs = {"treatment_level": 1} if model == "apo" else {}
    python = cls(None, None, data, LinearRegression(), LogisticRegression(max_iter=1000), n_folds=3, **kwargs)
    python.fit_local(n_jobs=1, seed=5, progress=False)
    assert _coef(out, "d") == pytest.approx(python.coef[0], rel=1e-5)  # the summary prints 6 digits


def test_the_further_models_name_what_they_need(tmp_path, capsys):
    path = tmp_path / "data.csv"
    pd.DataFrame({"y": [1.0, 2.0], "d": [0.0, 1.0]}).to_csv(path, index=False)
    assert main(["--data", str(path), "--model", "apo", "--y", "y", "--d", "d", "--no-progress"]) == 2
    assert "--treatment-level" in capsys.readouterr().err
    assert main(["--data", str(path), "--model", "didcs", "--y", "y", "--d", "d", "--no-progress"]) == 2
    assert "--t" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["apos", "didmulti", "plpr", "lplr"])
def test_the_container_and_panel_models_run_from_a_file_as_in_python(tmp_path, capsys, model):
    import doubleml as dml
    from doubleml.did.datasets import make_did_CS2021
    from doubleml.irm.datasets import make_irm_data_discrete_treatments
    from doubleml.plm.datasets import make_plpr_CP2025
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from pydmlserverless import DoubleMLAPOSServerless, DoubleMLDIDMultiServerless, DoubleMLPLPRServerless

    np.random.seed(3)
    ols, logit = LinearRegression(), LogisticRegression(max_iter=1000)
    if model == "apos":
        raw = make_irm_data_discrete_treatments(n_obs=300)
        frame = pd.DataFrame(raw["x"], columns=[f"x{i}" for i in range(raw["x"].shape[1])])
        frame = frame.assign(y=raw["y"], d=raw["d"].astype(float))
        extra = ["--y", "y", "--d", "d", "--treatment-levels", "0", "1", "2"]
        data = dml.DoubleMLData(frame, "y", "d")
        make = lambda: DoubleMLAPOSServerless(None, None, data, ols, logit, treatment_levels=[0, 1, 2], n_folds=3)  # noqa: E731
        label = "0"
    elif model == "didmulti":
        frame = make_did_CS2021(n_obs=200, dgp_type=1, time_type="float")  # never treated: d = inf
        x_cols = ["Z1", "Z2", "Z3", "Z4"]
        extra = ["--y", "y", "--g", "d", "--t", "t", "--id", "id", "--x", *x_cols, "--aggregate", "eventstudy"]
        data = dml.DoubleMLPanelData(frame, "y", "d", t_col="t", id_col="id", x_cols=x_cols)
        make = lambda: DoubleMLDIDMultiServerless(None, None, data, ols, logit, n_folds=3)  # noqa: E731
        label = "ATT(2.0,1,2)"
    elif model == "lplr":
        from doubleml.plm.datasets import make_lplr_LZZ2020

        from pydmlserverless import DoubleMLLPLRServerless

        frame = make_lplr_LZZ2020(n_obs=300, dim_x=20, return_type="DataFrame")
        extra = ["--y", "y", "--d", "d"]
        data = dml.DoubleMLData(frame, "y", "d")
        make = lambda: DoubleMLLPLRServerless(None, None, data, logit, ols, ols, n_folds=3, n_folds_inner=3)  # noqa: E731
        label = "d"
    else:
        frame = make_plpr_CP2025(num_id=60, num_t=4, dim_x=5)
        extra = ["--y", "y", "--d", "d", "--t", "time", "--id", "id", "--approach", "wg_approx"]
        data = dml.DoubleMLPanelData(frame, "y", "d", "time", "id", static_panel=True)
        make = lambda: DoubleMLPLPRServerless(None, None, data, ols, ols, n_folds=3, approach="wg_approx")  # noqa: E731
        label = "d_demean"
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    args = ["--data", str(path), "--model", model, "--learner", "linear", "--n-folds", "3", *extra]
    assert main([*args, "--n-jobs", "1", "--no-progress", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    np.random.seed(5)
    python = make().fit_local(n_jobs=1, seed=5, progress=False)
    printed = re.split("Fit [Ss]ummary", out)[1].split(f"\n{label} ")[1].split()[0]
    decimals = len(printed.partition(".")[2])  # compared at the precision the summary prints it
    coef = python.coef[[str(i) for i in python.summary.index].index(label)]
    assert float(printed) == pytest.approx(coef, abs=0.51 * 10.0**-decimals)
    if model == "didmulti":
        assert "Event Study Aggregation" in out


def test_the_panel_models_name_what_they_need(tmp_path, capsys):
    path = tmp_path / "data.csv"
    pd.DataFrame({"y": [1.0, 2.0], "d": [0.0, 1.0], "t": [0, 1]}).to_csv(path, index=False)
    assert main(["--data", str(path), "--model", "didmulti", "--y", "y", "--d", "d", "--no-progress"]) == 2
    assert "--t" in capsys.readouterr().err
    assert main(["--data", str(path), "--model", "plpr", "--y", "y", "--d", "d", "--t", "t", "--no-progress"]) == 2
    assert "--id" in capsys.readouterr().err
    assert main(["--data", str(path), "--model", "apos", "--y", "y", "--d", "d", "--no-progress"]) == 2
    assert "--treatment-levels" in capsys.readouterr().err
    assert main(["--data", str(path), "--model", "plr", "--y", "y", "--g", "d", "--no-progress"]) == 2
    assert "--g names didmulti's group column" in capsys.readouterr().err


def _latin1_file(tmp_path):
    frame = four01k_frame().sample(300, random_state=2)[["net_tfa", "e401", "age", "inc"]]
    frame = frame.rename(columns={"age": "âge"})
    path = tmp_path / "latin1.csv"
    frame.to_csv(path, index=False, encoding="latin-1")
    return path


def test_a_file_not_in_the_given_encoding_is_one_line_naming_it_and_encoding_reads_it(tmp_path, capsys):
    path = _latin1_file(tmp_path)
    args = ["--data", str(path), "--model", "plr", "--y", "net_tfa", "--d", "e401", "--learner", "linear"]
    assert main(args + ["--n-jobs", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"'{path}' is not valid utf-8 text" in err and "--encoding latin-1" in err
    assert main(args + ["--n-jobs", "1", "--no-progress", "--encoding", "latin-1", "--n-folds", "2"]) == 0
    assert "coef" in capsys.readouterr().out
    assert main(args + ["--encoding", "klingon"]) == 2
    assert "Unknown text encoding 'klingon'" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_a_column_name_given_twice_is_refused_as_doubleml_refuses_it(tmp_path, capsys, suffix):
    path = tmp_path / f"twice{suffix}"
    sep = "," if suffix == ".csv" else " "
    path.write_text(
        sep.join(["y", "d", "x0", "x0"]) + "\n" + "\n".join(sep.join(["1", "0", "2", "3"]) for _ in range(20))
    )
    assert main(["--data", str(path), "--y", "y", "--d", "d", "--no-progress", "--n-jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "Invalid pd.DataFrame: Contains duplicate column names." in err and "['x0'] more than once" in err


@pytest.mark.parametrize("model", ["pq", "cvar"])
def test_a_potential_quantile_and_a_cvar_run_from_a_file_as_in_python(tmp_path, capsys, model):
    import doubleml as dml
    from doubleml.irm.datasets import make_irm_data
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from pydmlserverless import DoubleMLCVARServerless, DoubleMLPQServerless

    np.random.seed(3)
    frame = make_irm_data(n_obs=300, dim_x=3, return_type="DataFrame")
    path = tmp_path / "irm.csv"
    frame.to_csv(path, index=False)
    args = ["--data", str(path), "--model", model, "--y", "y", "--d", "d", "--learner", "linear", "--n-folds", "3"]
    extra = ["--quantile", "0.3", "--treatment-level", "0", "--n-jobs", "1", "--no-progress", "--seed", "5"]
    assert main([*args, *extra]) == 0
    out = capsys.readouterr().out
    assert "': 15 tasks" in out  # 3 folds x (3 preliminary fits + the ml_m refit + ml_g)
    np.random.seed(5)
    log_reg = LogisticRegression(max_iter=1000)
    data = dml.DoubleMLData(frame, "y", "d")
    cls, ml_g = (DoubleMLPQServerless, log_reg) if model == "pq" else (DoubleMLCVARServerless, LinearRegression())
    python = cls(None, None, data, ml_g, log_reg, treatment=0, quantile=0.3, n_folds=3)
    python.fit_local(n_jobs=1, seed=5, progress=False)
    assert _coef(out, "d") == pytest.approx(python.coef[0], rel=1e-5, abs=1e-6)  # the summary prints 6 digits
