"""The R package (rpkg/): R CMD check, R-Python parity, DoubleML-R's print layout, the vignettes.

Needs R with the Debian r-cran-* packages (tools/install_r.sh installs them); skipped when
Rscript is missing, unless PYDMLSERVERLESS_REQUIRE_R=1 (set by tools/test.sh, so CI fails instead).
R's Python is this interpreter (or RETICULATE_PYTHON when set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pydmlserverless import ConfigurationError
from pydmlserverless.datasets import data_file

REPO = Path(__file__).resolve().parents[2]
RPKG = REPO / "rpkg"
VIGNETTES = sorted((REPO / "vignettes").glob("*.Rmd"))
GOLDEN = REPO / "tests" / "r_golden"
FOUR01K_X = ["age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown"]

R_MISSING = shutil.which("Rscript") is None and not os.environ.get("PYDMLSERVERLESS_REQUIRE_R")
pytestmark = [pytest.mark.r, pytest.mark.skipif(R_MISSING, reason="R is not installed (tools/install_r.sh)")]


@pytest.fixture(scope="module")
def r_env(tmp_path_factory) -> dict:
    """The environment for R: the package installed into a temporary library, R's Python set."""
    lib = tmp_path_factory.mktemp("rlib")
    env = dict(os.environ)
    env["RETICULATE_PYTHON"] = os.environ.get("RETICULATE_PYTHON", sys.executable)
    env["R_LIBS"] = os.pathsep.join(filter(None, [str(lib), env.get("R_LIBS", "")]))
    env.setdefault("PYDMLSERVERLESS_CACHE_DIR", str(tmp_path_factory.mktemp("store")))
    out = subprocess.run(["R", "CMD", "INSTALL", "--no-test-load", str(RPKG)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return env


def rscript(code: str, env: dict, timeout: int = 900, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["Rscript", "-e", code], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO
    )


def run_r(code: str, env: dict, **kwargs) -> str:
    out = rscript(code, env, **kwargs)
    assert out.returncode == 0, f"R failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


# --------------------------------------------------------------------------- R CMD check


def test_r_cmd_check_is_clean(r_env, tmp_path):
    """R CMD build + R CMD check --no-manual (the testthat tests included): no ERROR, no WARNING."""
    built = subprocess.run(["R", "CMD", "build", str(RPKG)], cwd=tmp_path, env=r_env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = next(tmp_path.glob("DoubleMLServerless_*.tar.gz"))
    env = dict(r_env, _R_CHECK_FORCE_SUGGESTS_="false")
    check = subprocess.run(
        ["R", "CMD", "check", "--no-manual", tarball.name], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    log = (tmp_path / "DoubleMLServerless.Rcheck" / "00check.log").read_text()
    tests_out = "".join(p.read_text() for p in (tmp_path / "DoubleMLServerless.Rcheck" / "tests").glob("*.Rout*"))
    assert check.returncode == 0, log + tests_out
    status = re.search(r"^Status: (.*)$", log, re.M)
    assert status, log
    assert "ERROR" not in status.group(1) and "WARNING" not in status.group(1), log
    # the tests ran against Python, not skipped for want of it
    assert "pydmlserverless is not available" not in tests_out, tests_out


# --------------------------------------------------------------------------- parity with Python


def test_r_and_python_give_identical_plr_and_irm(r_env, tmp_path):
    """R fits PLR and IRM on data it writes; Python refits them from that file with the seed R drew."""
    csv = tmp_path / "sim.csv"
    out = run_r(
        textwrap.dedent(f"""
        library(DoubleMLServerless)
        set.seed(7)
        n <- 400
        x <- matrix(rnorm(n * 5), n, dimnames = list(NULL, paste0("X", 1:5)))
        d <- rbinom(n, 1, plogis(x[, 1]))
        df <- data.frame(y = 0.5 * d + x[, 2] + sin(x[, 3]) + rnorm(n), d = d, x)
        # 17 significant digits: the file holds R's doubles exactly
        write.csv(format(df, digits = 17), "{csv}", row.names = FALSE, quote = FALSE)
        data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
        set.seed(123)
        plr <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.ranger", num.trees = 20, max.depth = 4),
                                         lrn("classif.ranger", num.trees = 20, max.depth = 4), n_folds = 3, n_rep = 2)
        plr$fit_local(n_jobs = 2)
        irm <- DoubleMLIRMServerless$new(NULL, NULL, data, lrn("regr.cv_glmnet", nfolds = 3),
                                         lrn("classif.log_reg"), n_folds = 4)
        irm$fit_local(n_jobs = 1, scaling = "n_rep")
        f <- function(x) sprintf("%.17g", unname(x))  # every digit of the double
        cat(jsonlite::toJSON(list(plr = list(seed = plr$seed, coef = f(plr$coef), se = f(plr$se)),
                                  irm = list(seed = irm$seed, coef = f(irm$coef), se = f(irm$se))),
                             auto_unbox = TRUE))
        """),
        r_env,
    )
    r = json.loads(out.strip().splitlines()[-1])

    import doubleml as dml
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LassoCV, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from pydmlserverless import DoubleMLIRMServerless, DoubleMLPLRServerless

    # pandas 3 parses floats exactly by default (and deprecates the option)
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    df = pd.read_csv(csv, **exact)
    data = dml.DoubleMLData(df, "y", "d", x_cols=[f"X{i}" for i in range(1, 6)])
    np.random.seed(r["plr"]["seed"])
    plr = DoubleMLPLRServerless(
        None, None, data,
        RandomForestRegressor(n_estimators=20, max_depth=4, max_features="sqrt", min_samples_split=6),
        RandomForestClassifier(n_estimators=20, max_depth=4, max_features="sqrt", min_samples_split=11),
        n_folds=3, n_rep=2,
    )  # fmt: skip
    plr.fit_local(n_jobs=2, seed=r["plr"]["seed"], progress=False)
    np.random.seed(r["irm"]["seed"])
    irm = DoubleMLIRMServerless(
        None, None, data,
        Pipeline([("scale", StandardScaler()), ("model", LassoCV(cv=3))]),
        LogisticRegression(C=np.inf, max_iter=1000), n_folds=4,
    )  # fmt: skip
    irm.fit_local(n_jobs=1, seed=r["irm"]["seed"], progress=False)
    assert [plr.coef[0], plr.se[0]] == [float(r["plr"]["coef"]), float(r["plr"]["se"])]
    assert [irm.coef[0], irm.se[0]] == [float(r["irm"]["coef"]), float(r["irm"]["se"])]


def test_r_and_python_give_identical_apos_contrasts_and_didmulti_event_study(r_env, tmp_path):
    """APOS and staggered DiD from R equal Python refits: estimates, causal contrasts, event-study aggregation."""
    levels_csv, panel_csv = tmp_path / "levels.csv", tmp_path / "panel.csv"
    out = run_r(
        textwrap.dedent(f"""
        library(DoubleMLServerless)
        f <- function(x) sprintf("%.17g", unname(x))
        set.seed(8)
        n <- 300
        x <- matrix(rnorm(n * 3), n, dimnames = list(NULL, paste0("X", 1:3)))
        d <- sample(0:2, n, replace = TRUE)
        levels_df <- data.frame(y = d + x[, 1] + rnorm(n), d = d, x)
        write.csv(format(levels_df, digits = 17), "{levels_csv}", row.names = FALSE, quote = FALSE)
        set.seed(9)
        apos <- DoubleMLAPOSServerless$new(NULL, NULL, DoubleMLData$new(levels_df, y_col = "y", d_cols = "d"),
                                           lrn("regr.lm"), lrn("classif.log_reg"), treatment_levels = 0:2, n_folds = 3)
        apos$fit_local(n_jobs = 2)
        contrast <- apos$causal_contrast(0)
        m <- 120
        panel_df <- data.frame(id = rep(1:m, each = 4), t = rep(1:4, m),
                               g = rep(sample(c(0, 3, 4), m, replace = TRUE), each = 4), x = rep(rnorm(m), each = 4))
        panel_df$y <- panel_df$x + panel_df$t + (panel_df$g > 0 & panel_df$t >= panel_df$g) + rnorm(4 * m)
        write.csv(format(panel_df, digits = 17), "{panel_csv}", row.names = FALSE, quote = FALSE)
        panel <- DoubleMLPanelData$new(panel_df, y_col = "y", d_cols = "g", t_col = "t", id_col = "id", x_cols = "x")
        set.seed(10)
        did <- DoubleMLDIDMultiServerless$new(NULL, NULL, panel, lrn("regr.lm"), lrn("classif.log_reg"), n_folds = 3)
        did$fit_local(n_jobs = 2, scaling = "n_rep")
        es <- did$aggregate("eventstudy")
        cat(jsonlite::toJSON(list(
          apos = list(seed = apos$seed, names = names(apos$coef), coef = f(apos$coef), se = f(apos$se),
                      contrast = f(contrast[, "coef"])),
          did = list(seed = did$seed, names = names(did$coef), coef = f(did$coef), se = f(did$se),
                     es = f(es$effects[, "coef"]), es_overall = f(es$overall[, "coef"]))
        ), auto_unbox = TRUE))
        """),
        r_env,
    )
    r = json.loads(out.strip().splitlines()[-1])

    import doubleml as dml
    import pandas as pd

    from pydmlserverless import DoubleMLAPOSServerless, DoubleMLDIDMultiServerless
    from pydmlserverless.r.mlr3_learners import make_learner

    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    ols, logit = make_learner("regr.lm", {}), make_learner("classif.log_reg", {})
    frame = pd.read_csv(levels_csv, **exact).astype(np.float64)  # R hands over doubles
    np.random.seed(r["apos"]["seed"])
    apos = DoubleMLAPOSServerless(None, None, dml.DoubleMLData(frame, "y", "d"), ols, logit,
                                  treatment_levels=[0, 1, 2], n_folds=3)  # fmt: skip
    apos.fit_local(n_jobs=1, seed=r["apos"]["seed"], progress=False)
    assert r["apos"]["names"] == ["0", "1", "2"]
    assert apos.coef.tolist() == [float(v) for v in r["apos"]["coef"]]
    assert apos.se.tolist() == [float(v) for v in r["apos"]["se"]]
    assert apos.causal_contrast(0).thetas.tolist() == [float(v) for v in r["apos"]["contrast"]]

    panel = pd.read_csv(panel_csv, **exact).astype(np.float64)
    panel["g"] = panel["g"].replace(0.0, np.inf)  # DoubleML's never-treated value for a float group
    data = dml.DoubleMLPanelData(panel, "y", "g", t_col="t", id_col="id", x_cols=["x"])
    np.random.seed(r["did"]["seed"])
    did = DoubleMLDIDMultiServerless(None, None, data, ols, logit, n_folds=3)
    did.fit_local(n_jobs=1, seed=r["did"]["seed"], progress=False)
    assert r["did"]["names"] == did.gt_labels
    assert did.coef.tolist() == [float(v) for v in r["did"]["coef"]]
    assert did.se.tolist() == [float(v) for v in r["did"]["se"]]
    study = did.aggregate("eventstudy")
    assert study.aggregated_frameworks.thetas.tolist() == [float(v) for v in r["did"]["es"]]
    assert study.overall_aggregated_framework.thetas.tolist() == [float(r["did"]["es_overall"])]  # one, unboxed


def test_sipp1991_irm_from_r_equals_python_core(r_env):
    """sipp1991.dta read with haven in R and with pandas in Python: the same IRM estimate and SE."""
    path = data_file("sipp1991.dta")
    out = run_r(
        textwrap.dedent(f"""
        library(DoubleMLServerless)
        df <- haven::read_dta("{path}")
        data <- DoubleMLData$new(df, x_cols = c({", ".join(repr(c) for c in FOUR01K_X)}),
                                 y_col = "net_tfa", d_cols = "e401")
        set.seed(1991)
        irm <- DoubleMLIRMServerless$new(NULL, NULL, data, lrn("regr.ranger", num.trees = 25, max.depth = 6),
                                         lrn("classif.ranger", num.trees = 25, max.depth = 6), n_folds = 3)
        irm$fit_local(n_jobs = 2)
        f <- function(x) sprintf("%.17g", unname(x))  # every digit of the double
        cat(jsonlite::toJSON(list(seed = irm$seed, coef = f(irm$coef), se = f(irm$se)), auto_unbox = TRUE))
        """),
        r_env,
    )
    r = json.loads(out.strip().splitlines()[-1])

    import doubleml as dml
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    from pydmlserverless import DoubleMLIRMServerless

    data = dml.DoubleMLData(pd.read_stata(path), "net_tfa", "e401", x_cols=FOUR01K_X)
    np.random.seed(r["seed"])
    irm = DoubleMLIRMServerless(
        None, None, data,
        RandomForestRegressor(n_estimators=25, max_depth=6, max_features="sqrt", min_samples_split=6),
        RandomForestClassifier(n_estimators=25, max_depth=6, max_features="sqrt", min_samples_split=11),
        n_folds=3,
    )  # fmt: skip
    irm.fit_local(n_jobs=2, seed=r["seed"], progress=False)
    assert [irm.coef[0], irm.se[0]] == [float(r["coef"]), float(r["se"])]


# --------------------------------------------------------------------------- print layout

PRINT_SCRIPT = """
library(DoubleMLServerless)
options(useFancyQuotes = FALSE, width = 120)
set.seed(20251125)
n <- 500
x <- matrix(rnorm(n * 3), n, dimnames = list(NULL, paste0("X", 1:3)))
d <- x[, 1] + rnorm(n)
df <- data.frame(y = 0.5 * d + x[, 2] + rnorm(n), d = d, x)
data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 5)
model$fit_local(n_jobs = 1)
print(model)
"""


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """(block title, the labels of its lines) for each "----- title -----" block, after the header."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        title = re.fullmatch(r"-{18} (.+?) +-{18}", line)
        if title:
            blocks.append((title.group(1), []))
        elif blocks and line.strip():
            if line.startswith("Signif. codes"):
                label = "Signif. codes"
            else:
                label = line.split(":")[0] if ":" in line else line.split()[0]
            blocks[-1][1].append(label.strip())
    return blocks


def test_print_matches_doubleml_r_layout_and_golden(r_env):
    ours = run_r(PRINT_SCRIPT, r_env)
    golden = GOLDEN / "plr_print.txt"
    if os.environ.get("DMLS_UPDATE_GOLDEN") == "1":
        golden.write_text(ours)
    assert ours == golden.read_text()

    reference = (GOLDEN / "doubleml_r_plr_print.txt").read_text()
    ours_lines, ref_lines = ours.splitlines(), reference.splitlines()
    # header: the class name in DoubleML-R's frame, then two empty lines
    assert re.fullmatch(r"={17} DoubleMLPLRServerless Object ={18}", ours_lines[0])
    assert re.fullmatch(r"={17} DoubleMLPLR Object ={18}", ref_lines[0])
    assert ours_lines[1:3] == ref_lines[1:3] == ["", ""]
    ours_blocks, ref_blocks = _blocks(ours), _blocks(reference)
    assert [b[0] for b in ours_blocks] == [b[0] for b in ref_blocks]
    for (title, ours_labels), (_, ref_labels) in zip(ours_blocks, ref_blocks):
        if title == "Fit summary":
            # " Estimates and ...", the table header, one row per treatment, the legend
            assert ours_labels[0] == ref_labels[0] == "Estimates"
            header = re.compile(r"\s+Estimate\. Std\. Error t value Pr\(>\|t\|\)\s*")
            assert header.fullmatch(ours.split("target variables\n")[1].splitlines()[0])
            assert header.fullmatch(reference.split("target variables\n")[1].splitlines()[0])
            assert ours_labels[-2:] == ref_labels[-2:] == ["---", "Signif. codes"]
        elif title == "Machine learner":
            assert ours_labels == ref_labels == ["ml_l", "ml_m"]
        else:
            assert ours_labels == ref_labels, title
    # the same blank-line rhythm: an empty line before each block title (up to the legend) ...
    ours_end = next(i for i, line in enumerate(ours_lines) if line.startswith("Signif. codes"))
    ref_end = next(i for i, line in enumerate(ref_lines) if line.startswith("Signif. codes"))
    assert [i for i, line in enumerate(ours_lines[:ours_end]) if not line] == [
        i for i, line in enumerate(ref_lines[:ref_end]) if not line
    ]
    # ... and DoubleML-R's summary() ends with two cat("\n") after printCoefmat's legend
    assert ours.endswith(" 1\n\n\n")
    assert re.search(r"^d +0\.\d+ +0\.\d+ +\d+\.\d+ +<2e-16 \*\*\*$", ours, re.M)


# --------------------------------------------------------------------------- vignettes


#: Python's voice in R output: a path into site-packages, a Python warning category ("UserWarning:",
#: "ConvergenceWarning (x5):"; R's own "Warning:" has no prefix), joblib's exit notices.
PYTHON_TEXT = re.compile(r"site-packages|[A-Za-z]\w*Warning(?: \(x\d+\))?:|resource_tracker|leaked folder")


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v.stem for v in VIGNETTES])
def test_vignette_knits(r_env, tmp_path, vignette):
    out = rscript(
        f'rmarkdown::render("{vignette}", output_dir = "{tmp_path}", intermediates_dir = "{tmp_path}", quiet = TRUE)',
        r_env,
    )
    assert out.returncode == 0, f"R failed:\n{out.stdout}\n{out.stderr}"
    html = tmp_path / f"{vignette.stem}.html"
    assert html.stat().st_size > 10_000
    # no Python warning text: neither in the knitted document nor on the console
    assert not PYTHON_TEXT.findall(html.read_text()), PYTHON_TEXT.findall(html.read_text())
    assert not PYTHON_TEXT.search(out.stdout + out.stderr), out.stdout + out.stderr


def test_lambda_vignette_runs_against_the_emulators(r_env, tmp_path, emulated_aws_env):
    """The Lambda vignette's AWS chunks, evaluated against the emulator pool and moto's S3."""
    from pydmlserverless.testing import ensure_bucket

    bucket = ensure_bucket()  # the one the emulated function is deployed for
    env = dict(r_env, **emulated_aws_env.env, DMLS_VIGNETTE_AWS="true", DMLS_BUCKET=bucket)
    vignette = REPO / "vignettes" / "aws-lambda-r.Rmd"
    run_r(
        f'rmarkdown::render("{vignette}", output_dir = "{tmp_path}", intermediates_dir = "{tmp_path}", quiet = TRUE)',
        env,
    )
    html = (tmp_path / "aws-lambda-r.html").read_text()
    assert "lambda" in html and "Estimates and significance testing" in html


def _r_on_emulated_s3(r_env, emulated_aws_env, seed: int, treatment: str, key: str, body: str) -> str:
    """Run ``body`` in R after staging simulated data (``n`` rows, ``d <- treatment``) as ``data`` in moto's S3.

    Returns the script's last line of output.
    """
    from pydmlserverless.testing import ensure_bucket

    env = dict(r_env, **emulated_aws_env.env, DMLS_BUCKET=ensure_bucket())
    preamble = f"""
    library(DoubleMLServerless)
    set.seed({seed})
    n <- 200
    x <- matrix(rnorm(n * 3), n, dimnames = list(NULL, paste0("X", 1:3)))
    d <- {treatment}
    df <- data.frame(y = 0.5 * d + x[, 2] + rnorm(n), d = d, x)
    data <- DoubleMLDataS3$new(Sys.getenv("DMLS_BUCKET"), "{key}", df, y_col = "y", d_cols = "d",
                               region = Sys.getenv("AWS_REGION"))
    data$store_and_upload_to_s3()
    """
    out = run_r(textwrap.dedent(preamble) + textwrap.dedent(body), env)
    return out.strip().splitlines()[-1]


def test_r_tune_aws_lambda_on_the_emulators_chooses_what_tune_local_chooses(r_env, emulated_aws_env):
    """R's $tune_aws_lambda() and $tune_ml_models() against the emulator pool and moto's S3: as on local."""
    last = _r_on_emulated_s3(
        r_env, emulated_aws_env, 5, "x[, 1] + rnorm(n)", "tune.csv",
        """
        param_set <- list(ml_l = list(maxdepth = c(1, 4)), ml_m = list(lambda = c(0.01, 1)))
        settings <- list(n_folds_tune = 2, measure = "regr.mae")
        models <- lapply(c("lambda", "local"), function(where) {
          set.seed(6)
          model <- DoubleMLPLRServerless$new("LambdaCVPredict", Sys.getenv("AWS_REGION"), data,
                                             lrn("regr.rpart"), lrn("regr.glmnet"), n_folds = 2)
          if (where == "lambda") model$tune_aws_lambda(param_set, settings, max_concurrency = 2)
          else model$tune_local(param_set, settings, n_jobs = 1)
          model
        })
        scores <- function(m) c(m$tuning_res$d$tune_res$l_tune[[1]]$cv_results$mean_test_score,
                                m$tuning_res$d$tune_res$m_tune[[1]]$cv_results$mean_test_score)
        stopifnot(identical(models[[1]]$params, models[[2]]$params),
                  identical(scores(models[[1]]), scores(models[[2]])),
                  identical(models[[1]]$tune_seed, models[[2]]$tune_seed))
        space <- list(ml_l = list(maxdepth = dmls_int(1, 4)), ml_m = list(lambda = dmls_dbl(0.01, 1, logscale = TRUE)))
        backends <- list(list(backend = "aws_lambda", max_concurrency = 2), list(backend = "local", n_jobs = 1))
        for (i in 1:2) {
          set.seed(7)  # the same tuning seed for both
          settings <- list(space, cv = 2, optuna_settings = list(n_trials = 3))
          do.call(models[[i]]$tune_ml_models, c(settings, backends[[i]]))
        }
        values <- function(m) c(m$optuna_res$d$ml_l$trials$value, m$optuna_res$d$ml_m$trials$value)
        stopifnot(identical(models[[1]]$params, models[[2]]$params),
                  identical(values(models[[1]]), values(models[[2]])), all(is.finite(values(models[[1]]))))
        cat(startsWith(models[[1]]$tune_report, "Tuning on AWS Lambda 'LambdaCVPredict'"),
            length(scores(models[[1]])), length(values(models[[1]])), "\n")
        """,
    )  # fmt: skip
    assert last == "TRUE 4 6"


def test_r_sees_the_lambda_functions_warnings_as_r_warnings(r_env, emulated_aws_env):
    """ConvergenceWarnings raised in the emulated function become one counted R warning, as the pool's."""
    last = _r_on_emulated_s3(
        r_env, emulated_aws_env, 8, "as.integer(x[, 1] + rnorm(n) > 0)", "irm-warn.csv",
        """
        model <- DoubleMLIRMServerless$new("LambdaCVPredict", Sys.getenv("AWS_REGION"), data,
                                           lrn("regr.lm"), lrn("classif.log_reg", maxit = 2), n_folds = 3)
        caught <- list()
        withCallingHandlers(model$fit_aws_lambda(max_concurrency = 2), warning = function(w) {
          caught[[length(caught) + 1L]] <<- w
          invokeRestart("muffleWarning")
        })
        convergence <- Filter(function(w) inherits(w, "dmls_ConvergenceWarning"), caught)
        stopifnot(length(convergence) == 1L, !grepl("site-packages", conditionMessage(convergence[[1]])))
        cat(convergence[[1]]$count, is.finite(model$coef), "\n")
        """,
    )  # fmt: skip
    assert last == "3 TRUE"


# --------------------------------------------------------------------------- no Python


def test_missing_python_says_to_run_install(r_env, tmp_path):
    """With a Python that lacks pydmlserverless, using a model says to run install_pydmlserverless()."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    env = dict(r_env, RETICULATE_PYTHON=str(bare / "bin" / "python"))
    out = rscript(
        textwrap.dedent("""
        library(DoubleMLServerless)
        stopifnot(!pydmlserverless_available())
        data <- DoubleMLData$new(data.frame(y = rnorm(9), d = rnorm(9), x = rnorm(9)), y_col = "y", d_cols = "d")
        err <- tryCatch(DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm")),
                        error = function(e) e)
        stopifnot(inherits(err, "dmls_NoPythonError"))
        cat(conditionMessage(err))
        """),
        env,
        cwd=tmp_path,  # not the repository root, whose pydmlserverless/ Python would import
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "install_pydmlserverless()" in out.stdout
    assert "RETICULATE_PYTHON" in out.stdout


# --------------------------------------------------------------------------- the bridge, from Python


def test_rbridge_plain_types_and_seed_convention(tmp_path):
    from doubleml.plm.datasets import make_plr_CCDDHNR2018
    from sklearn.linear_model import LinearRegression

    from pydmlserverless import DoubleMLPLRServerless
    from pydmlserverless.r import bridge as _rbridge
    from pydmlserverless.r import model_state, objects

    np.random.seed(3)
    frame = make_plr_CCDDHNR2018(n_obs=120, dim_x=4, return_type="DataFrame")
    cols = list(frame.columns)
    path = tmp_path / "cols.f8"
    np.concatenate([frame[c].to_numpy(dtype="<f8") for c in cols]).tofile(path)
    from_file = _rbridge.frame_from_file(str(path), cols, len(frame))
    from_lists = _rbridge.frame_from_columns({c: frame[c].tolist() for c in cols})
    assert from_file.equals(from_lists) and np.array_equal(from_file.to_numpy(), frame.to_numpy())
    assert _rbridge.frame_from_columns({"a": 1.5})["a"].tolist() == [1.5]

    x_cols = [c for c in cols if c.startswith("X")]
    data = _rbridge.make_data(from_lists, "y", "d", x_cols)
    spec = {"__estimator__": "sklearn.linear_model.LinearRegression", "params": {}}
    learners = {"ml_l": objects.make_learner(spec), "ml_m": objects.make_learner(spec)}
    model = objects.make_model("PLR", None, None, data, learners, {"n_folds": 3}, seed=99)
    report = _rbridge.fit(model, "local", 99, {"n_jobs": 1})
    assert report.startswith("Fit on local")
    res = _rbridge.results(model)
    assert res["psi"]["dim"] == [120, 1, 1] and all(isinstance(v, float) for v in res["psi"]["values"])
    splits = model_state.splits(model)
    assert sorted(i for fold in splits[0]["test_ids"] for i in fold) == list(range(1, 121))

    np.random.seed(99)  # what a Python user writes
    twin = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=3)
    twin.fit_local(n_jobs=1, seed=99, progress=False)
    assert res["coef"] == twin.coef.tolist() and res["se"] == twin.se.tolist()

    boot = _rbridge.bootstrap(model, "normal", 20, seed=5)
    assert boot["boot_t_stat"]["dim"] == [20, 1, 1]
    ci = _rbridge.confint(model, joint=False, level=0.95)
    assert ci["columns"] == ["2.5 %", "97.5 %"] and ci["rows"] == ["d"]
    assert len(_rbridge.p_adjust_romano_wolf(model)) == 1
    with pytest.raises(ConfigurationError, match=r"backend must be one of \['aws_lambda', 'dask', 'local', 'ray'\]"):
        _rbridge.fit(model, "cloud", 1, {})


def test_rbridge_builds_the_did_data_doubleml_takes_from_rs_plain_data():
    """R hands DiD data over as plain (S3) data and staggered groups with 0 for never treated."""
    import pandas as pd
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from pydmlserverless import DoubleMLDIDDataS3, DoubleMLDIDMultiServerless, DoubleMLPanelDataS3
    from pydmlserverless.r import bridge as _rbridge
    from pydmlserverless.r import objects, values

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"dy": rng.normal(size=60), "d": np.repeat([0.0, 1.0], 30), "x": rng.normal(size=60)})
    two_period = objects._two_period(_rbridge.make_data(frame, "dy", "d", ["x"], bucket="b", file_key="did.csv"))
    assert isinstance(two_period, DoubleMLDIDDataS3) and two_period.bucket == "b" and two_period.x_cols == ["x"]
    panel = pd.DataFrame({
        "id": np.repeat(np.arange(40.0), 4), "t": np.tile(np.arange(1.0, 5.0), 40),
        "g": np.repeat(np.tile([0.0, 3.0, 4.0, 0.0], 10), 4), "x": np.repeat(rng.normal(size=40), 4),
    })  # fmt: skip
    panel["y"] = panel["x"] + rng.normal(size=len(panel))
    data = _rbridge.make_panel_data(panel, "y", "g", ["x"], "t", "id", bucket="b", file_key="panel")
    staggered = objects._staggered(data)
    assert isinstance(staggered, DoubleMLPanelDataS3) and np.isinf(staggered.data["g"]).sum() == 80
    learners = {"ml_g": LinearRegression(), "ml_m": LogisticRegression()}
    model = objects.make_model("DIDMulti", None, None, data, learners, {"n_folds": 2, "anticipation_periods": 0.0}, 1)
    assert isinstance(model, DoubleMLDIDMultiServerless) and model.never_treated_value == np.inf
    levels = values._levels([0.0, 1.0, 2.5])
    assert levels == [0, 1, 2.5] and isinstance(levels[0], int) and values._levels(2.0) == 2


def test_rbridge_makes_rs_whole_numbers_integers_for_every_backends_options():
    """R's ``max_concurrency = 2`` is the double 2.0: the bridge passes 2, and leaves 2.5 to Python's check."""
    from pydmlserverless.backends import AWSLambda, Dask, Local, Ray
    from pydmlserverless.r.runs import _backend_and_run

    spec, rest = _backend_and_run("aws_lambda", {"max_concurrency": 2.0, "memory_mb": 1769.0, "scaling": "n_rep"}, "")
    assert spec == AWSLambda(max_concurrency=2, memory_mb=1769) and type(spec.max_concurrency) is int
    assert rest == {"scaling": "n_rep", "progress": False, "verbose": False}
    assert _backend_and_run("local", {"n_jobs": -1.0, "n_jobs_cv": 2.0}, "") == (
        Local(n_jobs=-1),
        {"n_jobs_cv": 2, "progress": False, "verbose": False},
    )
    assert _backend_and_run("dask", {"client": None, "ship": "store"}, "")[0] == Dask(ship="store")
    with pytest.raises(ConfigurationError, match="max_retries must be"):
        _backend_and_run("ray", {"max_retries": 2.5}, "")
    assert _backend_and_run("ray", {"max_retries": 2.0}, "")[0] == Ray(max_retries=2)
