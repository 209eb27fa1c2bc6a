"""DoubleML's own public objects that the front ends build, taken through the one door.

The command line, the R bridge and the shipped data sets construct DoubleML's data classes (and
its propensity-score settings, and the simulated PLR data of the default job); they import them
from here, so that no module outside this subpackage imports DoubleML.
"""

from __future__ import annotations

from doubleml import DoubleMLData, DoubleMLDIDData, DoubleMLPanelData
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from doubleml.utils import PSProcessorConfig

__all__ = ["DoubleMLDIDData", "DoubleMLData", "DoubleMLPanelData", "PSProcessorConfig", "make_plr_CCDDHNR2018"]
