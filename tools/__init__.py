"""Training tools: model families the tuner trains, the runner that isolates trials, and the
final held-out evaluation.

Importing this package does not import PyTorch or the gradient-boosting libraries (LightGBM,
XGBoost, CatBoost: the optional ``gbm`` extra); their tools load them when they train.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from assistant.tools import Dataset, TrialRunner, get_tool
    >>> data = Dataset.from_arrays(*load_iris(return_X_y=True))
    >>> tool = get_tool("random_forest")
    >>> with TrialRunner(tool, data, "accuracy", n_folds=3, isolation="inline") as runner:
    ...     outcome = runner.run(tool.default_config("classification"), seed=0)
    >>> outcome.status, outcome.value > 0.9
    ('complete', True)
"""

from .base import ReportFn, SplitResult, Tool, snap_config
from .data import Dataset, Task, kfold_indices
from .evaluation import HoldoutResult, holdout_evaluate, split_holdout
from .function_tool import FunctionTool, TrainFn
from .metrics import (
    Metric,
    default_metric,
    get_metric,
    list_metrics,
    resolve_metric,
)
from .registry import get_tool, list_tools, register_tool, unregister_tool
from .runner import TrialOutcome, TrialRunner, detect_gpus, suggest_config

__all__ = [
    "Dataset",
    "FunctionTool",
    "HoldoutResult",
    "Metric",
    "ReportFn",
    "SplitResult",
    "Task",
    "Tool",
    "TrainFn",
    "TrialOutcome",
    "TrialRunner",
    "default_metric",
    "detect_gpus",
    "get_metric",
    "get_tool",
    "holdout_evaluate",
    "kfold_indices",
    "list_metrics",
    "list_tools",
    "register_tool",
    "resolve_metric",
    "snap_config",
    "split_holdout",
    "suggest_config",
    "unregister_tool",
]
