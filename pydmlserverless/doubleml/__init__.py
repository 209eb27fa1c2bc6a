"""The one door to DoubleML: the model classes, the S3-staged data classes and what a fit reads from a model.

No module outside this subpackage imports DoubleML.
"""
