"""automl-assistant: LLM-assisted hyperparameter tuning on Optuna."""

from assistant.context import DatasetInfo, FeatureInfo, ProblemContext
from assistant.errors import AssistantError
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from assistant.store import Store

__version__ = "0.1.0"

__all__ = [
    "AssistantError",
    "CategoricalParam",
    "DatasetInfo",
    "FeatureInfo",
    "FloatParam",
    "IntParam",
    "ProblemContext",
    "SearchSpace",
    "Store",
    "__version__",
]
