"""Greedy ensemble selection over out-of-fold predictions, and its honest score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from assistant.errors import ToolError
from assistant.tools import Dataset, get_metric, get_tool
from assistant.tools.data import kfold_indices
from assistant.tools.ensemble import (
    Blend,
    blend,
    cross_fitted_score,
    fold_score,
    greedy_selection,
    out_of_fold,
)


def _complementary(n: int = 400, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """A regression target and two predictors whose errors cancel when averaged."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    shared = rng.normal(size=n) * 0.6
    return y, [y + shared + rng.normal(size=n) * 0.1, y - shared + rng.normal(size=n) * 0.1]


def test_selection_blends_complementary_predictors_and_scores_them_honestly() -> None:
    y, (a, b) = _complementary()
    rmse = get_metric("rmse")
    folds = np.array_split(np.arange(len(y)), 4)
    weights = greedy_selection([a, b], y, rmse, folds)
    assert weights.sum() == pytest.approx(1.0)
    assert 0.3 < weights[0] < 0.7, weights  # the errors cancel at about half and half
    blended = fold_score(blend([a, b], weights), y, rmse, folds)
    assert blended < 0.5 * min(fold_score(p, y, rmse, folds) for p in (a, b))
    honest = cross_fitted_score([a, b], y, rmse, folds)
    # Weights chosen without each fold's rows still nearly halve the error there.
    assert honest < 0.6 * min(fold_score(p, y, rmse, folds) for p in (a, b))


def test_a_useless_candidate_gets_no_weight() -> None:
    y, (a, _b) = _complementary()
    noise = np.random.default_rng(1).normal(size=len(y)) * 5
    folds = np.array_split(np.arange(len(y)), 3)
    weights = greedy_selection([a, noise], y, get_metric("rmse"), folds)
    assert weights.tolist() == [1.0, 0.0]


def test_selection_maximizes_for_scores_to_maximize() -> None:
    y = np.array([0, 1] * 50)
    good = np.column_stack([1 - y * 0.8 - 0.1, y * 0.8 + 0.1])
    bad = good[:, ::-1]
    weights = greedy_selection([bad, good], y, get_metric("roc_auc"), [np.arange(100)])
    assert weights.tolist() == [0.0, 1.0]


def test_out_of_fold_predictions_reproduce_the_cross_validated_score() -> None:
    data = Dataset.from_arrays(*load_breast_cancer(return_X_y=True))
    tool = get_tool("logistic")
    config = tool.default_config("classification")
    metric = get_metric("roc_auc")
    folds = kfold_indices(data, 3, seed=0)
    predictions = out_of_fold(tool, data, config, folds, 0, metric)
    assert predictions.shape == (data.n_rows, 2)
    score = fold_score(predictions, np.asarray(data.y), metric, [v for _, v in folds])
    assert score == pytest.approx(tool.evaluate(data, config, seed=0, metric=metric, n_folds=3))


def test_a_blend_predicts_the_weighted_mean_of_its_members() -> None:
    data = Dataset.from_arrays(*load_breast_cancer(return_X_y=True))
    tools = (get_tool("logistic"), get_tool("knn"))
    models = [t.fit(data, t.default_config("classification"), 0) for t in tools]
    fitted = Blend(tools=tools, weights=(0.25, 0.75))
    expected = 0.25 * tools[0].predict(models[0], data) + 0.75 * tools[1].predict(models[1], data)
    np.testing.assert_allclose(fitted.predict(models, data), expected)


def test_selection_needs_candidates_and_cross_fitting_needs_two_folds() -> None:
    with pytest.raises(ToolError, match="at least one candidate"):
        greedy_selection([], np.zeros(3), get_metric("rmse"), [np.arange(3)])
    with pytest.raises(ToolError, match="two folds"):
        cross_fitted_score([np.zeros(3)], np.zeros(3), get_metric("rmse"), [np.arange(3)])
