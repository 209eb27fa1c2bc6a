"""What the AWS Lambda layer holds, and what every backend's worker runs.

The wire contract (:mod:`.protocol`), the binary forms of data, splits and results (:mod:`.codec`),
the stores (:mod:`.store`) and where a worker may read and write (:mod:`.config`), the one worker
(:mod:`.execute`) and the Lambda function's handler around it (:mod:`.handler`), learners as data
(:mod:`.learners`, :mod:`.learner_parameters`), fitted learners across the wire
(:mod:`.fitted_models`, :mod:`.fitted_model_checks`), warning capture (:mod:`.warning_capture`) and
the library versions a deployment reports (:mod:`.versions`).

Nothing here imports DoubleML, pandas or the client side of the package: ``sam/build_layer.py``
installs this subpackage (with :mod:`pydmlserverless.errors`) and nothing else of the package.
"""
