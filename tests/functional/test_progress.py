"""Progress sinks (``progress=`` an object or a callable) and the local pool's warnings raised in the client."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from doubleml.irm.datasets import make_irm_data
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression

from pydmlserverless import DoubleMLIRMServerless, DoubleMLPLRServerless
from pydmlserverless.core.progress import ProgressSink, progress_option
from pydmlserverless.worker.protocol import TaskResponse
from pydmlserverless.worker.warning_capture import compact, plain, recording, reemit, summarize


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.threads: set[int] = set()

    def reset(self, total=None):
        self.calls.append(("reset", total))

    def update(self, n=1):
        self.threads.add(threading.get_ident())
        self.calls.append(("update", n))

    def close(self):
        self.calls.append(("close",))


def _plr(n_folds: int = 3, n_rep: int = 2) -> DoubleMLPLRServerless:
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=150, dim_x=3)
    return DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=n_folds, n_rep=n_rep)


def test_progress_option():
    sink = Sink()
    assert progress_option(sink) is sink and isinstance(sink, ProgressSink)
    assert progress_option(True) is True and progress_option(False) is False and progress_option(0) is False
    assert progress_option(print) is print


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_sink_gets_every_task_on_the_calling_thread(n_jobs, capsys):
    sink = Sink()
    model = _plr().fit_local(n_jobs=n_jobs, seed=1, progress=sink, resume=False)
    n_tasks = len(model.task_metrics)
    assert n_tasks == 3 * 2 * 2
    assert sink.calls == [("reset", n_tasks)] + [("update", 1)] * n_tasks + [("close",)]
    assert sink.threads == {threading.get_ident()}
    assert capsys.readouterr().err == ""  # no tqdm bar, no report


def test_a_callable_is_called_per_task_and_resumed_tasks_count():
    model = _plr()
    model.fit_local(n_jobs=1, seed=3, progress=False)  # results kept in the store
    counts: list[int] = []
    model.fit_local(n_jobs=1, seed=3, progress=counts.append)  # every task resumed
    assert counts == [1] * (3 * 2 * 2) and model.fit_report.n_resumed == 3 * 2 * 2


def test_the_sink_is_closed_when_the_fit_fails():
    sink = Sink()

    class Broken(Sink):
        def update(self, n=1):
            raise RuntimeError("stop")

    broken = Broken()
    with pytest.raises(RuntimeError, match="stop"):
        _plr().fit_local(n_jobs=1, seed=1, progress=broken, resume=False)
    assert broken.calls[-1] == ("close",)
    assert sink.calls == []


def test_recording_counts_repeats_and_keeps_ignores():
    with recording() as caught:
        warnings.filterwarnings("ignore", message="quiet")
        for _ in range(3):
            warnings.warn("loud\n   twice", UserWarning, stacklevel=1)
        warnings.warn("quiet", stacklevel=1)
        warnings.warn("other", FutureWarning, stacklevel=1)
    summary = summarize(caught)
    assert [(s["category"], s["count"], s["message"]) for s in summary] == [
        ("UserWarning", 3, "loud twice"),
        ("FutureWarning", 1, "other"),
    ]
    assert summary[1]["classes"] == ["FutureWarning", "Warning", "Exception", "BaseException"]


def test_reemit_raises_the_category_again_once_per_registry():
    with recording() as caught:
        warnings.warn("not converged", ConvergenceWarning, stacklevel=1)
    records = plain(caught) * 3
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("default")
        reemit(records, {})
    assert len(again) == 1 and again[0].category is ConvergenceWarning
    with recording() as all_of_them:
        reemit(records, {})
    assert len(all_of_them) == 3


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_workers_warnings_reach_the_client(n_jobs, capfd):
    np.random.seed(1)
    data = make_irm_data(n_obs=300, dim_x=5)
    model = DoubleMLIRMServerless(
        None, None, data, LinearRegression(), LogisticRegression(max_iter=1, solver="lbfgs"), n_folds=2
    )
    with recording() as caught:
        model.fit_local(n_jobs=n_jobs, seed=1, progress=False, resume=False)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) >= 2  # one per fold's logistic fit at least
    assert "ConvergenceWarning" not in capfd.readouterr().err  # not printed by the workers


def test_a_warning_record_imports_nothing_in_the_client():
    """A worker's record names its category; the client looks it up among loaded modules only."""
    import sys

    from pydmlserverless.worker.warning_capture import _category

    assert _category("sklearn.exceptions.ConvergenceWarning").__name__ == "ConvergenceWarning"
    assert _category("builtins.DeprecationWarning") is DeprecationWarning
    assert "antigravity" not in sys.modules
    assert _category("antigravity.Warning") is UserWarning  # not imported to find out
    assert "antigravity" not in sys.modules
    assert _category("os.system") is UserWarning  # not a Warning class


def test_compact_merges_repeats_and_bounds_the_list_and_texts():
    with recording() as caught:
        for i in range(60):
            for _ in range(2):
                warnings.warn_explicit(f"warning {i} " + "x" * 3000, UserWarning, "learner.py", i)
    records = compact(plain(caught), max_records=50, max_message=100)
    assert len(records) == 51 and {r["count"] for r in records[:50]} == {2}
    assert all(len(r["message"]) == 100 for r in records[:50])
    assert records[-1]["message"].startswith("20 further warning(s) of this task were not returned")
    with recording() as again:
        reemit(records[:1])
    assert len(again) == 2  # raised count times: R and the user's filters see every occurrence


def test_a_responses_warning_records_are_checked_and_malformed_ones_dropped():
    good = {"category": "sklearn.exceptions.ConvergenceWarning", "message": "m", "filename": "f.py", "lineno": 3}
    response = {
        "task_id": "t",
        "n_predictions": 0,
        "predictions_b64": "",
        "warnings": [
            {**good, "count": 10**9, "module": 42},
            {**good, "lineno": "3"},
            {**good, "count": True},
            "text",
            {"category": None, "message": "m", "filename": "f", "lineno": 1},
        ],
    }
    (record,) = TaskResponse.from_dict(response).warnings
    assert record["count"] == 100_000 and record["module"] is None
    assert TaskResponse.from_dict({**response, "warnings": "not a list"}).warnings == []
    assert "warnings" not in TaskResponse.from_dict({**response, "warnings": []}).to_dict()
