"""The paper's Listing 1 pattern against moto's S3 server, and the bonus data estimate."""

from __future__ import annotations

import boto3
import doubleml as dml
import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LassoCV

from pydmlserverless import DoubleMLDataS3, DoubleMLPLRServerless
from pydmlserverless.datasets import BONUS_X_COLS, bonus_data, bonus_frame
from pydmlserverless.worker.execute import clear_caches
from tests.conftest import plain_twin


def _count_puts(client):
    calls = []
    client.meta.events.register("provide-client-params.s3.PutObject", lambda params, **kw: calls.append(params["Key"]))
    return calls


def test_listing1_runs_against_s3(s3_env):
    bucket = s3_env
    df_bonus = bonus_frame()
    s3 = boto3.client("s3")
    puts = _count_puts(s3)
    dml_data_bonus = DoubleMLDataS3(bucket, "bonus_data.csv", df_bonus, y_col="inuidur1", d_cols="tg",
                                    x_cols=BONUS_X_COLS, s3_client=s3)  # fmt: skip
    key = dml_data_bonus.store_and_upload_to_s3()
    assert key.startswith("pydmlserverless/data/") and puts == [key]
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["Metadata"] == {"source-file-key": "bonus_data.csv", "pydmlserverless-sha256": key[21:-4]}

    # same content again: the content-addressed object is not uploaded twice
    again = DoubleMLDataS3(bucket, "bonus_copy.csv", df_bonus.copy(), y_col="inuidur1", d_cols="tg",
                           x_cols=BONUS_X_COLS, s3_client=s3)  # fmt: skip
    assert again.store_and_upload_to_s3() == key and puts == [key]

    ml = RandomForestRegressor(n_estimators=10, max_depth=5, random_state=0, n_jobs=1)
    np.random.seed(1)
    dml_lambda_plr_bonus = DoubleMLPLRServerless("LambdaCVPredict", "eu-central-1", dml_data_bonus,
                                                 clone(ml), clone(ml), n_folds=5, n_rep=2)  # fmt: skip
    clear_caches()
    heads = []
    s3.meta.events.register("provide-client-params.s3.HeadObject", lambda params, **kw: heads.append(params["Key"]))
    dml_lambda_plr_bonus.fit_local(n_jobs=2, seed=5, progress=False)

    # the workers read the data and the splits from S3; both repetitions' splits: one PUT, no HEAD
    splits = s3.list_objects_v2(Bucket=bucket, Prefix="pydmlserverless/splits/")["KeyCount"]
    assert splits == 1
    assert len([k for k in puts if "/splits/" in k]) == 1 and not [k for k in heads if "/splits/" in k]
    assert dml_lambda_plr_bonus.task_metrics["dataset_cache_hit"].sum() < len(dml_lambda_plr_bonus.task_metrics)

    plain = plain_twin(dml.DoubleMLPLR, dml_lambda_plr_bonus, bonus_data(),
                       {"ml_l": clone(ml), "ml_m": clone(ml)}, seed=5).fit()  # fmt: skip
    np.testing.assert_allclose(dml_lambda_plr_bonus.coef, plain.coef, rtol=1e-9)
    np.testing.assert_allclose(dml_lambda_plr_bonus.se, plain.se, rtol=1e-9)


def test_bonus_plr_lasso_5_folds_10_reps_equals_doubleml():
    data = bonus_data()
    np.random.seed(3141)
    ours = DoubleMLPLRServerless(None, None, data, LassoCV(), LassoCV(), n_folds=5, n_rep=10)
    ours.fit_local(n_jobs=2, progress=False)
    plain = plain_twin(dml.DoubleMLPLR, ours, data, {"ml_l": LassoCV(), "ml_m": LassoCV()}, seed=None).fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=1e-9)
    np.testing.assert_allclose(ours.se, plain.se, rtol=1e-9)
    np.testing.assert_allclose(ours.all_coef, plain.all_coef, rtol=1e-9)
    # the estimate is the paper's ballpark (a negative effect of the bonus on log duration)
    assert -0.12 < ours.coef[0] < -0.04
