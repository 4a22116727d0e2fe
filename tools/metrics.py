"""Scores a trial can be tuned on, with their direction and the tasks they apply to.

Classification metrics read a probability matrix (one column per class code, rows summing
to one) and take its arg-max where they need labels; regression metrics read predicted
values. Every tool predicts in that shape, so any metric fits any tool.

Example:
    >>> import numpy as np
    >>> metric = get_metric("accuracy")
    >>> metric.direction, metric(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    ('maximize', 1.0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm

from assistant.context import Direction
from assistant.errors import ToolError

from .data import Task

_EPS = 1e-15


@dataclass(frozen=True)
class Metric:
    """A named score: ``metric(y_true, predictions) -> float``.

    ``needs_probability`` is true when the score reads calibrated probabilities rather than
    a ranking or labels (log loss); tools without native probabilities calibrate then.
    """

    name: str
    direction: Direction
    tasks: frozenset[str]
    function: Callable[[np.ndarray, np.ndarray], float]
    needs_probability: bool = False
    description: str = ""
    low: float | None = None
    """The lowest score possible (``None``: unbounded); an LLM's guess is clipped to it."""
    high: float | None = None
    """The highest score possible (``None``: unbounded)."""

    def __call__(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        return float(self.function(np.asarray(y_true), np.asarray(predictions)))

    def applies_to(self, task: str) -> bool:
        """Whether the metric makes sense for ``task``."""
        return task in self.tasks

    def is_better(self, a: float, b: float) -> bool:
        """True when score ``a`` is strictly better than ``b``."""
        return a > b if self.direction == "maximize" else a < b


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.argmax(proba, axis=1)


def _normalized(proba: np.ndarray) -> np.ndarray:
    clipped = np.clip(proba, _EPS, None)
    return clipped / clipped.sum(axis=1, keepdims=True)


def _accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    return float(np.mean(_labels(proba) == y))


def _balanced_accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    return float(skm.balanced_accuracy_score(y, _labels(proba)))


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    if proba.shape[1] == 2:
        return _binary_roc_auc(y, proba[:, 1])
    return float(
        skm.roc_auc_score(
            y, _normalized(proba), multi_class="ovr", labels=np.arange(proba.shape[1])
        )
    )


def _binary_roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic over average ranks: the value scikit-learn's
    ``roc_auc_score`` gives (ties count one half), without its input validation, which
    costs milliseconds a call; ensemble selection and bootstrap intervals call it
    thousands of times."""
    positive = np.asarray(y) == 1
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            "Only one class present in y_true. ROC AUC score is not defined in that case."
        )
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    return float(skm.log_loss(y, _normalized(proba), labels=np.arange(proba.shape[1])))


def _f1(y: np.ndarray, proba: np.ndarray) -> float:
    average = "binary" if proba.shape[1] == 2 else "macro"
    return float(skm.f1_score(y, _labels(proba), average=average, zero_division=0))


# RMSE and MAE in numpy: scikit-learn's validation costs more than the arithmetic, and
# the bootstrap and the ensemble's selection score thousands of resamples.
def _rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(pred, float)) ** 2)))


def _mae(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(pred, float))))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    return float(skm.r2_score(y, pred))


_CLASSIFICATION = frozenset({"classification"})
_REGRESSION = frozenset({"regression"})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", "maximize", _CLASSIFICATION, _accuracy, low=0.0, high=1.0,
               description="fraction of rows whose most probable class is right"),
        Metric("balanced_accuracy", "maximize", _CLASSIFICATION, _balanced_accuracy,
               low=0.0, high=1.0,
               description="mean recall over classes; robust to class imbalance"),
        Metric("roc_auc", "maximize", _CLASSIFICATION, _roc_auc, low=0.0, high=1.0,
               description="area under the ROC curve (one-vs-rest macro for multiclass)"),
        Metric("log_loss", "minimize", _CLASSIFICATION, _log_loss, needs_probability=True,
               low=0.0, description="cross-entropy of the predicted probabilities"),
        Metric("f1", "maximize", _CLASSIFICATION, _f1, low=0.0, high=1.0,
               description="F1 of the positive class (binary) or macro F1 (multiclass)"),
        Metric("rmse", "minimize", _REGRESSION, _rmse, low=0.0,
               description="root mean squared error"),
        Metric("mae", "minimize", _REGRESSION, _mae, low=0.0, description="mean absolute error"),
        Metric("r2", "maximize", _REGRESSION, _r2, high=1.0,
               description="coefficient of determination"),
    )
}  # fmt: skip

DEFAULT_METRICS: dict[str, str] = {"classification": "accuracy", "regression": "rmse"}


def get_metric(name: str, task: Task | None = None) -> Metric:
    """Look a metric up by name, optionally checking that it applies to ``task``.

    >>> get_metric("rmse").direction
    'minimize'
    """
    key = name.strip().lower()
    if key not in METRICS:
        raise ToolError(f"unknown metric {name!r}; known metrics: {', '.join(sorted(METRICS))}")
    metric = METRICS[key]
    if task is not None and not metric.applies_to(task):
        names = ", ".join(m.name for m in list_metrics(task))
        raise ToolError(f"metric {metric.name!r} does not apply to {task}; use one of: {names}")
    return metric


def list_metrics(task: Task | None = None) -> list[Metric]:
    """All metrics, or those that apply to ``task``, in a stable order."""
    return [m for m in METRICS.values() if task is None or m.applies_to(task)]


def default_metric(task: Task) -> Metric:
    """The metric used when none is given: accuracy for classification, RMSE for regression."""
    return METRICS[DEFAULT_METRICS[task]]


def resolve_metric(metric: str | Metric | None, task: Task) -> Metric:
    """Turn a name, a :class:`Metric` or ``None`` (the task's default) into a metric."""
    if metric is None:
        return default_metric(task)
    if isinstance(metric, Metric):
        if not metric.applies_to(task):
            raise ToolError(f"metric {metric.name!r} does not apply to {task}")
        return metric
    return get_metric(metric, task)
