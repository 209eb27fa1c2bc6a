"""Functional tests: whole features against local pools, fakes and local servers (moto, Dask and Ray on loopback)."""
