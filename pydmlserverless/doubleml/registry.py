"""The one list of DoubleML's models: which run on a backend, under which names, and which do not yet.

Every list of models in the package is derived from :data:`MODELS` (the package's exports, the
model classes' module, the R bridge, the command line, the tunable and container models), and
every refusal of a model from :data:`UNSUPPORTED_MODELS`. This module imports nothing: the
package's light ``__init__`` reads it.

Examples
--------
>>> [entry.name for entry in MODELS][:4]
['PLR', 'PLIV', 'IRM', 'IIVM']
>>> model_entry("DoubleMLIRM").class_name
'DoubleMLIRMServerless'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MODELS", "UNSUPPORTED_MODELS", "ModelEntry", "model_entry"]


@dataclass(frozen=True)
class ModelEntry:
    """One DoubleML model that runs on a backend.

    Attributes
    ----------
    name : str
        The short name (R's ``make_model``, the command line's ``--model`` lower-cased).
    doubleml_class : str
        DoubleML's class, by its import path.
    container : bool
        A model of sub-models (APOS's treatment levels, DIDMulti's group-time cells) whose
        ``fit()`` also takes ``n_jobs_models`` and which has no grid-search ``tune()``.
    grid_tuning : bool
        Its ``tune()`` runs on a backend (LPLR's is DoubleML's own, in process).
    panel : bool
        On a ``DoubleMLPanelData`` (the command line's ``--t`` and ``--id``).
    """

    name: str
    doubleml_class: str
    container: bool = False
    grid_tuning: bool = True
    panel: bool = False

    @property
    def doubleml_name(self) -> str:
        """DoubleML's class name (``DoubleMLPLR``)."""
        return self.doubleml_class.rpartition(".")[2]

    @property
    def class_name(self) -> str:
        """This package's class name (``DoubleMLPLRServerless``)."""
        return f"{self.doubleml_name}Serverless"


#: DoubleML's models that run on a backend, in the order the documentation lists them.
MODELS: tuple[ModelEntry, ...] = (
    ModelEntry("PLR", "doubleml.DoubleMLPLR"),
    ModelEntry("PLIV", "doubleml.DoubleMLPLIV"),
    ModelEntry("IRM", "doubleml.DoubleMLIRM"),
    ModelEntry("IIVM", "doubleml.DoubleMLIIVM"),
    ModelEntry("APO", "doubleml.DoubleMLAPO"),
    ModelEntry("APOS", "doubleml.DoubleMLAPOS", container=True, grid_tuning=False),
    ModelEntry("DID", "doubleml.DoubleMLDID"),
    ModelEntry("DIDCS", "doubleml.DoubleMLDIDCS"),
    ModelEntry("DIDMulti", "doubleml.did.DoubleMLDIDMulti", container=True, grid_tuning=False, panel=True),
    ModelEntry("PLPR", "doubleml.DoubleMLPLPR", panel=True),
    ModelEntry("LPLR", "doubleml.DoubleMLLPLR", grid_tuning=False),
    ModelEntry("PQ", "doubleml.DoubleMLPQ", grid_tuning=False),
    ModelEntry("CVAR", "doubleml.DoubleMLCVAR", grid_tuning=False),
)

#: DoubleML models that cannot run on a backend yet, and why (their names raise an error that says so).
UNSUPPORTED_MODELS = {
    "DoubleMLLPQ": "it computes a preliminary quantile inside each fold, which external predictions cannot carry",
    "DoubleMLQTE": "DoubleML 0.11 takes no external predictions for it",
    "DoubleMLSSM": "DoubleML 0.11 takes no external predictions for it",
}


def model_entry(name: str) -> ModelEntry:
    """The entry of a model by its short name, DoubleML's class name or this package's.

    Raises
    ------
    KeyError
        For a model that is not in :data:`MODELS`.
    """
    for entry in MODELS:
        if name in (entry.name, entry.doubleml_name, entry.class_name):
            return entry
    raise KeyError(name)
