"""Shared fixtures: an isolated local store, small data sets, plain-DoubleML twins of our models."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.conftest_emulator", "tests.skip_policy", "pytester"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test stages into its own local store directory."""
    monkeypatch.setenv("PYDMLSERVERLESS_CACHE_DIR", str(tmp_path_factory.mktemp("store")))


def plain_twin(plain_cls, model, data, learners: dict, seed: int | None, **kwargs):
    """A plain DoubleML model on the same splits whose per-fold params reproduce ``model``'s fit with ``seed``."""
    from pydmlserverless.doubleml.adapter import seeded_nuisance_params

    twin = plain_cls(data, **learners, n_folds=model.n_folds, n_rep=model.n_rep, draw_sample_splitting=False, **kwargs)
    if data.is_cluster_data:
        twin.set_sample_splitting(model.smpls, all_smpls_cluster=model.smpls_cluster)
    else:
        twin.set_sample_splitting(model.smpls)
    if seed is not None:
        for name, by_treatment in seeded_nuisance_params(model, data, seed).items():
            for treatment, nested in by_treatment.items():
                twin.set_ml_nuisance_params(name, treatment, nested)
    return twin


def plain_container_twin(plain, model, data, seed: int | None):
    """Give a plain DoubleML APOS or DIDMulti ``plain`` the splits and seeded per-fold params of ``model``'s sub-models.

    DoubleML's APOS shares one set of splits over its levels; DIDMulti's cells each draw their own.
    """
    from pydmlserverless.doubleml.adapter import seeded_nuisance_params

    if hasattr(plain, "treatment_levels"):
        plain.set_sample_splitting(model.smpls)
        keys = list(plain.treatment_levels)
    else:
        for ours, theirs in zip(model.modellist, plain.modellist):
            theirs.set_sample_splitting(ours.smpls)
        keys = list(plain.gt_labels)
    if seed is not None:
        for key, by_name in seeded_nuisance_params(model, data, seed).items():
            sub = plain.modellist[keys.index(key)]
            for name, by_treatment in by_name.items():
                for treatment, nested in by_treatment.items():
                    sub.set_ml_nuisance_params(name, treatment, nested)
    return plain


@pytest.fixture(scope="session")
def moto_s3_endpoint(moto_s3_server) -> str:
    """A real HTTP S3 endpoint on loopback (moto's ThreadedMotoServer, shared with the Lambda tests)."""
    return moto_s3_server.endpoint_url


@pytest.fixture
def s3_env(moto_s3_endpoint, monkeypatch):
    """AWS SDK settings that point S3 at the moto server; yields a bucket that exists."""
    import uuid

    import boto3

    for name, value in {
        "AWS_ENDPOINT_URL_S3": moto_s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    from pydmlserverless.worker import store

    store._STORES.clear()  # clients made under other settings must not be reused
    yield bucket
    store._STORES.clear()
