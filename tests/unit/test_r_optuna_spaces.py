"""R's Optuna search spaces, given as data, as the functions DoubleML's ``tune_ml_models()`` takes."""

from __future__ import annotations

import optuna
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Lasso

from pydmlserverless.errors import LearnerError
from pydmlserverless.r.optuna_spaces import search_spaces

RANGER = {"id": "regr.ranger", "params": {"num.trees": 10}}


def _space(learner_spec, params, estimator=None):
    spaces, names = search_spaces({"ml_l": learner_spec}, {"ml_l": params}, {"ml_l": estimator})
    return spaces["ml_l"], names["ml_l"]


def _trial(values):
    return optuna.trial.FixedTrial(values)


def test_ranges_and_candidates_become_optuna_suggestions_in_the_order_given():
    space, _ = _space(
        None,
        {
            "max_depth": {"type": "int", "lower": 2, "upper": 8},
            "min_impurity_decrease": {"type": "dbl", "lower": 1e-4, "upper": 1.0, "logscale": True},
            "criterion": {"type": "fct", "levels": ["squared_error", "absolute_error"]},
            "bootstrap": {"type": "lgl"},
            "n_estimators": [50.0, 100.0],
        },
        RandomForestRegressor(),
    )
    chosen = {
        "max_depth": 7,
        "min_impurity_decrease": 0.01,
        "criterion": "absolute_error",
        "bootstrap": False,
        "n_estimators": 100,
    }
    assert space(_trial(chosen)) == chosen
    assert [d.name for d in space.dimensions] == list(chosen)
    # R's doubles for an int parameter become ints, as in a grid
    assert [(c, type(c)) for c in space.dimensions[-1].choices] == [(50, int), (100, int)]
    log_range = space.dimensions[1]
    assert (log_range.kind, log_range.low, log_range.high, log_range.log) == ("float", 1e-4, 1.0, True)


def test_an_lrn_learners_names_are_translated_and_kept_for_the_results():
    space, names = _space(RANGER, {"num.trees": {"type": "int", "lower": 5, "upper": 20}, "min.node.size": [2, 8]})
    assert [d.name for d in space.dimensions] == ["n_estimators", "min_samples_split"]
    # mlr3's min.node.size n is scikit-learn's min_samples_split n + 1: candidates are translated one by one
    assert space.dimensions[1].choices == (3, 9)
    assert names["n_estimators"] == ("num.trees", [])
    assert names["min_samples_split"] == ("min.node.size", [(3, 2), (9, 8)])
    assert space(_trial({"n_estimators": 11, "min_samples_split": 9})) == {"n_estimators": 11, "min_samples_split": 9}


@pytest.mark.parametrize(
    ("learner", "params", "message"),
    [
        (
            RANGER,
            {"min.node.size": {"type": "int", "lower": 1, "upper": 10}},
            "ml_param_space$ml_l$min.node.size: lrn('regr.ranger') translates min.node.size to min_samples_split "
            "with other values (1 -> 2, 10 -> 11, 5 -> 6), so Optuna cannot draw it from a range",
        ),
        (
            {"id": "regr.rpart", "params": {}},
            {"minsplit": [6.0, 12.0]},
            "ml_param_space$ml_l$minsplit: lrn('regr.rpart') translates minsplit = 6 to several scikit-learn "
            "parameters (min_samples_leaf, min_samples_split)",
        ),
        (None, {"alpha": {"type": "dbl", "lower": 0.0, "upper": 1.0, "logscale": True}}, "needs lower > 0; got 0.0"),
        (None, {"alpha": {"type": "dbl", "lower": 2.0, "upper": 1.0}}, "lower <= upper; got [2.0, 1.0]"),
        (None, {"alpha": {"type": "dbl", "lower": 0.1, "upper": float("inf")}}, "the range must be finite"),
        (None, {"alpha": {"type": "complex"}}, "a range's type must be 'int', 'dbl', 'fct' or 'lgl'; got 'complex'"),
        (None, {"alpha": []}, "ml_param_space$ml_l$alpha: no candidate values."),
        (None, {"alpha": [{"a": 1}]}, "candidate values must be numbers, strings, logicals or NULL"),
        (None, {"lambda": [0.1]}, "ml_param_space$ml_l$lambda: unknown parameter(s) 'lambda' of "),
        (None, {"selection": {"type": "fct"}}, "a factor range needs levels"),
    ],
)
def test_what_cannot_be_searched_is_refused_naming_the_parameter(learner, params, message):
    with pytest.raises(LearnerError) as info:
        _space(learner, params, Lasso())
    assert message in str(info.value)


def test_a_learner_left_out_or_empty_is_not_tuned():
    spaces, names = search_spaces(
        {"ml_l": None, "ml_m": None},
        {"ml_l": {"alpha": [0.1, 1.0]}, "ml_m": {}},
        {"ml_l": Lasso(), "ml_m": Lasso()},
    )
    assert list(spaces) == ["ml_l"] and list(names) == ["ml_l"]
