"""automl-assistant: LLM-assisted hyperparameter tuning on Optuna.

The names below are imported when first used (PEP 562), so that importing a submodule
(a trial worker imports ``assistant.tools._worker``) does not import the whole package:
that took a worker about four seconds to start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api import TuningResult, tune
    from assistant.context import DatasetInfo, FeatureInfo, ProblemContext
    from assistant.deploy import DeployedModel, load_model
    from assistant.engine import EngineOptions
    from assistant.errors import AssistantError
    from assistant.sampler import LLAMBOSampler
    from assistant.session import TuningSession
    from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace
    from assistant.store import Store

__version__ = "0.1.0"

_HOME = {
    "AssistantError": "assistant.errors",
    "CategoricalParam": "assistant.space",
    "DatasetInfo": "assistant.context",
    "DeployedModel": "assistant.deploy",
    "EngineOptions": "assistant.engine",
    "FeatureInfo": "assistant.context",
    "FloatParam": "assistant.space",
    "IntParam": "assistant.space",
    "LLAMBOSampler": "assistant.sampler",
    "ProblemContext": "assistant.context",
    "SearchSpace": "assistant.space",
    "Store": "assistant.store",
    "TuningResult": "assistant.api",
    "TuningSession": "assistant.session",
    "load_model": "assistant.deploy",
    "tune": "assistant.api",
}

__all__ = [
    "AssistantError",
    "CategoricalParam",
    "DatasetInfo",
    "DeployedModel",
    "EngineOptions",
    "FeatureInfo",
    "FloatParam",
    "IntParam",
    "LLAMBOSampler",
    "ProblemContext",
    "SearchSpace",
    "Store",
    "TuningResult",
    "TuningSession",
    "__version__",
    "load_model",
    "tune",
]
assert set(__all__) == {*_HOME, "__version__"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
