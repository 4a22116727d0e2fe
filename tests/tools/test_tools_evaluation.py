"""Held-out final evaluation with a bootstrap confidence interval."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import ToolError
from assistant.tools import FunctionTool, get_tool, holdout_evaluate, split_holdout
from assistant.tools.evaluation import FINAL_SEED
from tests.tools.tools_testkit import CENTROID_SPACE, breast_cancer, diabetes, nearest_centroid


def test_split_holdout_is_stratified_disjoint_and_seeded() -> None:
    data = breast_cancer()
    train, test = split_holdout(data, test_size=0.2, seed=1)
    assert train.n_rows + test.n_rows == data.n_rows
    assert test.n_rows == pytest.approx(0.2 * data.n_rows, abs=1)
    assert abs(train.y.mean() - test.y.mean()) < 0.02
    train_rows = {tuple(r) for r in train.X}
    assert not any(tuple(r) in train_rows for r in test.X)
    again, _ = split_holdout(data, test_size=0.2, seed=1)
    np.testing.assert_array_equal(again.X, train.X)


def test_holdout_classification_score_lies_in_its_interval() -> None:
    train, test = split_holdout(breast_cancer(), test_size=0.25, seed=0)
    tool = get_tool("logistic")
    result = holdout_evaluate(
        tool, train, test, tool.default_config("classification"), "roc_auc", n_bootstrap=300
    )
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low <= result.score <= result.ci_high
    assert result.ci_high - result.ci_low < 0.1
    assert result.score > 0.95 and result.direction == "maximize"
    assert result.n_test == test.n_rows and result.n_train == train.n_rows
    assert result.seed == FINAL_SEED
    assert result.model is not None and hasattr(result.model, "predict_proba")
    dumped = result.model_dump(mode="json")
    assert "model" not in dumped and dumped["metric"] == "roc_auc"


def test_holdout_regression_and_seed() -> None:
    train, test = split_holdout(diabetes(), seed=0)
    tool = get_tool("hist_gradient_boosting")
    config = tool.default_config("regression")
    result = holdout_evaluate(tool, train, test, config, seed=99, n_bootstrap=200)
    assert result.metric == "rmse" and result.direction == "minimize"
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low <= result.score <= result.ci_high
    assert result.seed == 99
    again = holdout_evaluate(tool, train, test, config, seed=99, n_bootstrap=200)
    assert again.model_dump() == result.model_dump()


@pytest.mark.usefixtures("torch_one_thread")
def test_holdout_of_a_torch_tool() -> None:
    train, test = split_holdout(breast_cancer(), seed=0)
    tool = get_tool("torch_mlp")
    config = {**tool.default_config("classification"), "epochs": 5}
    result = holdout_evaluate(tool, train, test, config, "accuracy", n_bootstrap=200)
    assert result.ci_low is not None and result.ci_high is not None
    assert result.score > 0.85 and result.ci_low <= result.score <= result.ci_high


def test_holdout_of_a_function_tool_has_no_interval() -> None:
    train, test = split_holdout(breast_cancer(), seed=0)
    tool = FunctionTool(nearest_centroid, CENTROID_SPACE)
    result = holdout_evaluate(tool, train, test, {"shrink": 1.0})
    assert result.ci_low is None and result.ci_high is None
    assert 0.8 < result.score <= 1.0


def test_mismatched_tasks_are_refused() -> None:
    with pytest.raises(ToolError, match="train is classification but test is regression"):
        holdout_evaluate(get_tool("knn"), breast_cancer(), diabetes(), {})
