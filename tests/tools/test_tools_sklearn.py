"""Every scikit-learn tool on small data, for each task it supports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assistant.errors import ToolError
from assistant.tools import Dataset, get_metric, get_tool
from assistant.tools.sklearn_tools import SKLEARN_TOOLS
from tests.tools.tools_testkit import breast_cancer, diabetes, iris

CASES = [
    (cls.name, task)
    for cls in SKLEARN_TOOLS
    for task in ("classification", "regression")
    if task in cls.tasks
]


def _data(task: str) -> Dataset:
    return breast_cancer() if task == "classification" else diabetes()


@pytest.mark.parametrize(("name", "task"), CASES)
def test_default_config_is_a_point_of_the_space(name: str, task: str) -> None:
    tool = get_tool(name)
    assert tool.supports(task)
    space = tool.search_space(task)
    assert space.contains(tool.default_config(task))
    assert tool.family and len(tool.description) > 80


@pytest.mark.parametrize(("name", "task"), CASES)
def test_default_config_scores_sensibly_and_reports_each_fold_but_the_last(
    name: str, task: str
) -> None:
    tool = get_tool(name)
    reports: list[tuple[int, float]] = []
    metric = "accuracy" if task == "classification" else "r2"
    score = tool.evaluate(
        _data(task),
        tool.default_config(task),
        seed=0,
        report=lambda step, value: reports.append((step, value)),
        metric=metric,
        n_folds=3,
    )
    assert math.isfinite(score)
    assert score > (0.9 if task == "classification" else 0.3)
    assert [step for step, _ in reports] == [0, 1]  # the third fold's mean is the result
    assert all(math.isfinite(value) for _, value in reports)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_random_points_of_the_space_run(name: str, task: str) -> None:
    tool = get_tool(name)
    space = tool.search_space(task)
    rng = np.random.default_rng(7)
    data = _data(task).subset(np.arange(0, _data(task).n_rows, 3))
    for _ in range(2):
        config = space.from_unit(rng.random(len(space)).tolist())
        assert math.isfinite(tool.evaluate(data, config, seed=1, n_folds=3))


@pytest.mark.parametrize("name", [c.name for c in SKLEARN_TOOLS if "classification" in c.tasks])
@pytest.mark.parametrize("metric", ["roc_auc", "log_loss", "f1"])
def test_multiclass_probability_metrics(name: str, metric: str) -> None:
    tool = get_tool(name)
    score = tool.evaluate(iris(), tool.default_config("classification"), 0, metric=metric)
    if get_metric(metric).direction == "maximize":
        assert score > 0.8
    else:
        assert 0.0 < score < 0.6


def test_same_seed_same_score() -> None:
    tool = get_tool("random_forest")
    config = tool.default_config("classification")
    first = tool.evaluate(breast_cancer(), config, seed=4, n_folds=3)
    assert tool.evaluate(breast_cancer(), config, seed=4, n_folds=3) == first


def test_categorical_and_missing_columns() -> None:
    rng = np.random.default_rng(0)
    n = 300
    colour = rng.choice(["red", "green", "blue"], size=n)
    size = rng.normal(size=n)
    label = (colour == "red") ^ (size > 0.5)
    size[::17] = np.nan
    frame = pd.DataFrame({"colour": colour, "size": size, "label": label})
    data = Dataset.from_frame(frame, "label")
    for name in ("hist_gradient_boosting", "random_forest", "logistic", "svm", "knn"):
        tool = get_tool(name)
        assert tool.evaluate(data, tool.default_config("classification"), 0, n_folds=3) > 0.6


def test_unsupported_task_is_refused() -> None:
    with pytest.raises(ToolError, match="does not support regression"):
        get_tool("logistic").search_space("regression")
    with pytest.raises(ToolError, match="does not support classification"):
        get_tool("linear").evaluate(breast_cancer(), {"alpha": 1.0}, seed=0)


def test_library_defaults_outside_the_space_are_snapped() -> None:
    forest = get_tool("random_forest").default_config("classification")
    assert forest["max_depth"] == 64 and forest["max_features"] == "sqrt"
    assert get_tool("random_forest").default_config("regression")["max_features"] == 1.0
    boosting = get_tool("gbm").default_config("regression")
    assert boosting["l2_regularization"] == 1e-8 and boosting["learning_rate"] == 0.1


def test_fit_and_predict_give_aligned_probabilities() -> None:
    tool = get_tool("svm")
    data = iris()
    # Train on two classes only: predictions still have one column per class.
    two_classes = data.subset(np.flatnonzero(data.y < 2))
    model = tool.fit(two_classes, tool.default_config("classification"), seed=0)
    proba = tool.predict(model, data)
    assert proba.shape == (data.n_rows, 3)
    assert np.allclose(proba[:, 2], 0.0)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_a_missing_category_is_a_level_of_its_own() -> None:
    """When missingness carries the signal, one-hot coding keeps it: rows whose category
    is missing are predicted apart from rows of the most frequent level."""
    rng = np.random.default_rng(1)
    n = 400
    kind = rng.choice(["a", "a", "b", "c"], size=n).astype(object)
    missing = rng.random(n) < 0.25
    kind[missing] = None
    target = np.where(missing, 5.0, 0.0) + rng.normal(scale=0.1, size=n)
    data = Dataset.from_frame(pd.DataFrame({"kind": kind, "target": target}), "target")
    tool = get_tool("linear")
    model = tool.fit(data, tool.default_config("regression"), seed=0)
    predicted = tool.predict(model, data)
    assert predicted[missing].mean() > 4.5
    assert predicted[~missing].mean() < 0.5
