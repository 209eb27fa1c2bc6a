"""DoubleML's tuning fanned out: grid and randomized search (:mod:`.grid`) and Optuna studies (:mod:`.optuna`)."""
