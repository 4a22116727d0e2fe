"""automl-assistant: LLM-assisted hyperparameter tuning on Optuna."""

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
