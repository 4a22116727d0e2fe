"""Metric registry: values, directions, tasks and errors."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import ToolError
from assistant.tools import default_metric, get_metric, list_metrics, resolve_metric

BINARY_Y = np.array([0, 0, 1, 1])
BINARY_P = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
MULTI_Y = np.array([0, 1, 2, 2])
MULTI_P = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.5, 0.1, 0.4]])


@pytest.mark.parametrize(
    ("name", "direction", "task"),
    [
        ("accuracy", "maximize", "classification"),
        ("balanced_accuracy", "maximize", "classification"),
        ("roc_auc", "maximize", "classification"),
        ("log_loss", "minimize", "classification"),
        ("f1", "maximize", "classification"),
        ("rmse", "minimize", "regression"),
        ("mae", "minimize", "regression"),
        ("r2", "maximize", "regression"),
    ],
)
def test_directions_and_tasks(name: str, direction: str, task: str) -> None:
    metric = get_metric(name)
    assert metric.direction == direction
    assert metric.applies_to(task)
    assert metric in list_metrics(task)


def test_binary_classification_values() -> None:
    assert get_metric("accuracy")(BINARY_Y, BINARY_P) == 0.75
    assert get_metric("roc_auc")(BINARY_Y, BINARY_P) == 1.0
    assert get_metric("f1")(BINARY_Y, BINARY_P) == pytest.approx(0.8)
    expected = -np.mean(np.log([0.9, 0.4, 0.7, 0.8]))
    assert get_metric("log_loss")(BINARY_Y, BINARY_P) == pytest.approx(expected)


def test_multiclass_values() -> None:
    assert get_metric("accuracy")(MULTI_Y, MULTI_P) == 0.75
    assert get_metric("balanced_accuracy")(MULTI_Y, MULTI_P) == pytest.approx((1 + 1 + 0.5) / 3)
    assert 0.5 < get_metric("roc_auc")(MULTI_Y, MULTI_P) <= 1.0
    assert 0.0 < get_metric("f1")(MULTI_Y, MULTI_P) < 1.0


def test_regression_values() -> None:
    y, pred = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    assert get_metric("rmse")(y, pred) == pytest.approx(np.sqrt(4 / 3))
    assert get_metric("mae")(y, pred) == pytest.approx(2 / 3)
    assert get_metric("r2")(y, pred) == pytest.approx(1 - 4 / 2)


def test_is_better_follows_direction() -> None:
    assert get_metric("accuracy").is_better(0.9, 0.8)
    assert get_metric("rmse").is_better(1.0, 2.0)


def test_unknown_metric_lists_the_known_names() -> None:
    with pytest.raises(ToolError, match=r"unknown metric 'auprc'.*accuracy.*rmse"):
        get_metric("auprc")


def test_metric_for_the_wrong_task_is_rejected() -> None:
    with pytest.raises(ToolError, match="does not apply to regression"):
        get_metric("roc_auc", "regression")
    with pytest.raises(ToolError, match="does not apply"):
        resolve_metric(get_metric("rmse"), "classification")


def test_defaults_per_task() -> None:
    assert default_metric("classification").name == "accuracy"
    assert default_metric("regression").name == "rmse"
    assert resolve_metric(None, "regression").name == "rmse"
    assert resolve_metric("ROC_AUC", "classification").name == "roc_auc"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_metrics_agree_with_scikit_learn(seed: int) -> None:
    """ROC AUC (rank form, ties included), RMSE and MAE give scikit-learn's values."""
    from sklearn import metrics as skm

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=200)
    score = np.round(rng.random(200), 1)  # many ties
    proba = np.column_stack([1 - score, score])
    assert get_metric("roc_auc")(y, proba) == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    target, pred = rng.normal(size=200), rng.normal(size=200)
    assert get_metric("rmse")(target, pred) == pytest.approx(
        skm.root_mean_squared_error(target, pred), abs=1e-12
    )
    assert get_metric("mae")(target, pred) == pytest.approx(
        skm.mean_absolute_error(target, pred), abs=1e-12
    )


def test_roc_auc_of_one_class_is_an_error_as_in_scikit_learn() -> None:
    with pytest.raises(ValueError, match="Only one class"):
        get_metric("roc_auc")(np.ones(5, dtype=int), np.full((5, 2), 0.5))
