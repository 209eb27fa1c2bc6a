"""The Lambda planner: a probe of a fit's own tasks (:mod:`.plan`) and the cost and time model (:mod:`.model`)."""
