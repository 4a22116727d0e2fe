"""Honest final evaluation: tune on a training split, score once on a held-out test split.

:func:`split_holdout` sets the test rows aside before tuning starts (stratified for
classification). After tuning, :func:`holdout_evaluate` refits the chosen configuration on
the whole training split with a seed no tuning trial used, scores it once on the test rows
and attaches a 95% percentile bootstrap interval over those rows (resampled within each
class for classification, so every bootstrap sample keeps all classes).

Example:
    >>> from sklearn.datasets import load_breast_cancer
    >>> from assistant.tools import Dataset, get_tool
    >>> data = Dataset.from_arrays(*load_breast_cancer(return_X_y=True))
    >>> train, test = split_holdout(data, test_size=0.25, seed=0)
    >>> tool = get_tool("logistic")
    >>> result = holdout_evaluate(tool, train, test, tool.default_config("classification"))
    >>> result.ci_low <= result.score <= result.ci_high
    True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import ToolError

from .base import Tool
from .data import Dataset, holdout_indices
from .metrics import Direction, Metric, resolve_metric

logger = logging.getLogger(__name__)

# Tuning seeds count up from 0; the final refit and the bootstrap use a seed far from them.
FINAL_SEED = 1_000_003
_CONFIDENCE = 0.95


class HoldoutResult(BaseModel):
    """The test score of a refit model, with a bootstrap confidence interval.

    ``ci_low`` / ``ci_high`` are ``None`` for tools that return only a score (function
    tools), since there are no per-row predictions to resample. ``model`` is the refit model
    (not serialized).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    metric: str
    direction: Direction
    score: float
    ci_low: float | None
    ci_high: float | None
    n_test: int
    n_train: int
    n_bootstrap: int
    seed: int
    config: dict[str, Any]
    model: Any = Field(default=None, exclude=True, repr=False)


def split_holdout(
    dataset: Dataset, test_size: float = 0.2, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """Split rows into (train, test), stratified by class for classification.

    A dataset built from a frame is coded, both parts, by its encoding refitted on the
    training rows: categories seen only in the test rows are missing there, as they would be
    for new data.
    """
    train_rows, test_rows = holdout_indices(dataset, test_size, seed)
    dataset = dataset.refit_encoding(train_rows)
    return dataset.subset(train_rows), dataset.subset(test_rows)


def holdout_evaluate(
    tool: Tool,
    train: Dataset,
    test: Dataset,
    config: Mapping[str, Any],
    metric: str | Metric | None = None,
    seed: int = FINAL_SEED,
    n_bootstrap: int = 1000,
) -> HoldoutResult:
    """Refit ``config`` on all of ``train``, score it once on ``test``, bootstrap a 95% CI.

    ``seed`` seeds the refit and the bootstrap; keep it distinct from the tuning seeds.
    """
    if train.task != test.task:
        raise ToolError(f"train is {train.task} but test is {test.task}")
    if n_bootstrap < 0:
        raise ToolError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    resolved = resolve_metric(metric, test.task)
    split = tool.score_split(train, test, config, seed, resolved)
    low = high = None
    if split.predictions is not None and n_bootstrap > 0:
        low, high = bootstrap_interval(resolved, test, split.predictions, n_bootstrap, seed)
    logger.info(
        "holdout %s on %d test rows: %.6g (95%% CI %s to %s)",
        resolved.name, test.n_rows, split.score, low, high,
    )  # fmt: skip
    return HoldoutResult(
        metric=resolved.name,
        direction=resolved.direction,
        score=split.score,
        ci_low=low,
        ci_high=high,
        n_test=test.n_rows,
        n_train=train.n_rows,
        n_bootstrap=n_bootstrap,
        seed=seed,
        config=dict(config),
        model=split.model,
    )


def bootstrap_interval(
    metric: Metric, test: Dataset, predictions: np.ndarray, n_bootstrap: int, seed: int
) -> tuple[float, float]:
    """95% percentile bootstrap interval of ``metric`` over the test rows."""
    rng = np.random.default_rng(seed)
    y = np.asarray(test.y)
    if test.task == "classification":
        groups = [np.flatnonzero(y == c) for c in np.unique(y)]
    else:
        groups = [np.arange(len(y))]
    scores = np.empty(n_bootstrap)
    for i in range(n_bootstrap):
        rows = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        scores[i] = metric(y[rows], predictions[rows])
    tail = (1.0 - _CONFIDENCE) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)
