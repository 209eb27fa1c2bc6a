test_that("DoubleMLDataS3 uploads to S3 once (against moto's S3 server)", {
  skip_if_no_pydmlserverless()
  skip_if_not(reticulate::py_module_available("moto.server"), "moto[server] is not installed")
  main <- reticulate::py_run_string("
import os, boto3
from moto.server import ThreadedMotoServer
s3_server = ThreadedMotoServer(ip_address='127.0.0.1', port=0)
s3_server.start()
host, port = s3_server.get_host_and_port()
s3_saved_env = {k: os.environ.get(k) for k in ('AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION')}
os.environ.update(AWS_ENDPOINT_URL_S3=f'http://{host}:{port}', AWS_ACCESS_KEY_ID='testing',
                  AWS_SECRET_ACCESS_KEY='testing', AWS_DEFAULT_REGION='eu-central-1')
boto3.client('s3').create_bucket(Bucket='dmls-test', CreateBucketConfiguration={'LocationConstraint': 'eu-central-1'})
")
  withr::defer(reticulate::py_run_string("
s3_server.stop()
for k, v in s3_saved_env.items():
    os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
"))
  df <- sim_plr(n = 60)
  data <- DoubleMLDataS3$new("dmls-test", "sim.csv", df, y_col = "y", d_cols = "d", region = "eu-central-1")
  expect_false(data$uploaded)
  expect_message(key <- data$store_and_upload_to_s3(), "s3://dmls-test/pydmlserverless/data/")
  expect_true(data$uploaded)
  expect_equal(key, data$s3_key)
  keys <- reticulate::py_eval("[o['Key'] for o in boto3.client('s3').list_objects_v2(Bucket='dmls-test')['Contents']]")
  expect_true(key %in% unlist(keys))
  again <- double_ml_data_from_data_frame(df, y_col = "y", d_cols = "d", data_class = "DoubleMLDataS3",
                                          bucket = "dmls-test", file_key = "sim.csv")
  expect_equal(again$s3_key, key)
  set.seed(1)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 2)
  model$fit_local(n_jobs = 2)  # worker processes read the data from S3
  expect_true(is.finite(model$coef))
})
