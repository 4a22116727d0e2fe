"""Ensembles of configurations already tuned: greedy ensemble selection over out-of-fold
predictions (Caruana et al., ICML 2004), judged honestly before it is kept.

Each candidate configuration is cross-validated once more on the same seeded folds to get a
prediction for every training row from a model that did not see it (:func:`out_of_fold`).
:func:`greedy_selection` then builds a blend by adding, one round at a time and with
replacement, the candidate whose inclusion scores best on those predictions; a member's
weight is the share of rounds that picked it. Such a blend is scored on the rows it was
chosen on, which flatters it, so :func:`cross_fitted_score` chooses the weights on all folds
but one and scores them on the one left out, for each fold in turn: that is the figure
compared with the best single configuration's score on the same folds.

A :class:`Blend` is the fitted ensemble: the members' tools and models and their weights;
it predicts the weighted mean of the members' probabilities (classification) or values
(regression), in the shape every metric reads.

Example:
    >>> import numpy as np
    >>> from assistant.tools import get_metric
    >>> y = np.array([0, 1, 0, 1])
    >>> a = np.array([[0.6, 0.4], [0.4, 0.6], [0.4, 0.6], [0.6, 0.4]])  # half right
    >>> b = np.array([[0.9, 0.1], [0.1, 0.9], [0.9, 0.1], [0.1, 0.9]])  # all right
    >>> greedy_selection([a, b], y, get_metric("accuracy"), [np.arange(4)], rounds=4).tolist()
    [0.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.errors import ToolError

from .base import Tool
from .data import Dataset
from .metrics import Metric

# Rounds of greedy selection: enough for weights in steps of 1/20, few enough to be quick.
SELECTION_ROUNDS = 20


def out_of_fold(
    tool: Tool,
    data: Dataset,
    config: Mapping[str, Any],
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    seed: int,
    metric: Metric,
) -> np.ndarray:
    """Predictions for every row of ``data`` by models fitted on the other folds' rows."""
    predictions: np.ndarray | None = None
    for train_rows, valid_rows in folds:
        split = tool.score_split(
            data.subset(train_rows), data.subset(valid_rows), config, seed, metric
        )
        if split.predictions is None:
            raise ToolError(f"tool {tool.name!r} returns only scores; it cannot be ensembled")
        fold = np.asarray(split.predictions, dtype=np.float64)
        if predictions is None:
            predictions = np.zeros((data.n_rows, *fold.shape[1:]))
        predictions[valid_rows] = fold
    assert predictions is not None, "at least one fold"
    return predictions


def fold_score(
    predictions: np.ndarray, y: np.ndarray, metric: Metric, folds: Sequence[np.ndarray]
) -> float:
    """The mean of ``metric`` over the given folds' rows, as a trial's score is computed."""
    return float(np.mean([metric(y[rows], predictions[rows]) for rows in folds]))


def greedy_selection(
    candidates: Sequence[np.ndarray],
    y: np.ndarray,
    metric: Metric,
    folds: Sequence[np.ndarray],
    rounds: int = SELECTION_ROUNDS,
) -> np.ndarray:
    """Weights (summing to one) of a greedy, with-replacement selection from ``candidates``
    (out-of-fold predictions), scored on the rows of ``folds``.

    Each round adds the candidate whose inclusion scores best (ties: the earlier candidate,
    so list the best single one first); the blend is the mean of the picks so far. The
    weights are those of the best-scoring round, so a blend is never worse, on these rows,
    than its best single member.
    """
    if not candidates:
        raise ToolError("ensemble selection needs at least one candidate")
    y = np.asarray(y)
    counts = np.zeros(len(candidates))
    total = np.zeros_like(candidates[0])
    best_counts, best_score = counts.copy(), None
    for round_ in range(1, rounds + 1):
        scores = [fold_score((total + c) / round_, y, metric, folds) for c in candidates]
        pick = _best_index(scores, metric)
        counts[pick] += 1
        total = total + candidates[pick]
        if best_score is None or metric.is_better(scores[pick], best_score):
            best_counts, best_score = counts.copy(), scores[pick]
    return best_counts / best_counts.sum()


def cross_fitted_score(
    candidates: Sequence[np.ndarray],
    y: np.ndarray,
    metric: Metric,
    folds: Sequence[np.ndarray],
    rounds: int = SELECTION_ROUNDS,
) -> float:
    """An honest estimate of the selected blend's score: for each fold, weights chosen on
    the other folds' rows, scored on that fold's rows; the mean over folds."""
    if len(folds) < 2:
        raise ToolError("a cross-fitted score needs at least two folds")
    scores = []
    for held_out, rows in enumerate(folds):
        others = [f for i, f in enumerate(folds) if i != held_out]
        weights = greedy_selection(candidates, y, metric, others, rounds)
        scores.append(metric(np.asarray(y)[rows], blend(candidates, weights)[rows]))
    return float(np.mean(scores))


def blend(predictions: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the members' predictions."""
    return np.sum([w * p for w, p in zip(weights, predictions, strict=True) if w > 0], axis=0)


def _best_index(scores: Sequence[float], metric: Metric) -> int:
    best = 0
    for i, score in enumerate(scores):
        if metric.is_better(score, scores[best]):
            best = i
    return best


@dataclass(frozen=True)
class Blend:
    """A fitted ensemble: ``tools[i]`` trained ``models[i]``, weighted ``weights[i]``.

    It stands where a single tool and model stand in a deployed model: ``predict(models,
    data)`` is the weighted mean of the members' predictions.
    """

    tools: tuple[Tool, ...]
    weights: tuple[float, ...]
    labels: tuple[str, ...] = ()
    name: str = "ensemble"

    def predict(self, models: Sequence[Any], data: Dataset) -> np.ndarray:
        """Class probabilities (rows x classes) or values: the members' weighted mean."""
        outputs = [
            np.asarray(tool.predict(model, data), dtype=np.float64)
            for tool, model in zip(self.tools, models, strict=True)
        ]
        return blend(outputs, np.asarray(self.weights))
