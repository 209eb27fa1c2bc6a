"""Shared fixtures: an isolated local store, small data sets, plain-DoubleML twins of our models."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test stages into its own local store directory."""
    monkeypatch.setenv("PYDMLSERVERLESS_CACHE_DIR", str(tmp_path_factory.mktemp("store")))


def plain_twin(plain_cls, model, data, learners: dict, seed: int | None, **kwargs):
    """A plain DoubleML model on the same splits whose per-fold params reproduce ``model``'s fit with ``seed``."""
    from pydmlserverless.planning import seeded_nuisance_params

    twin = plain_cls(data, **learners, n_folds=model.n_folds, n_rep=model.n_rep, draw_sample_splitting=False, **kwargs)
    twin.set_sample_splitting(model.smpls)
    if seed is not None:
        for name, by_treatment in seeded_nuisance_params(model, data, seed).items():
            for treatment, nested in by_treatment.items():
                twin.set_ml_nuisance_params(name, treatment, nested)
    return twin


@pytest.fixture
def rng_seed():
    np.random.seed(20261125)
    return 20261125
