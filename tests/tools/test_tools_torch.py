"""The PyTorch tools on CPU with a few epochs."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from assistant.errors import ToolError
from assistant.tools import Dataset, get_tool
from tests.tools.tools_testkit import breast_cancer, diabetes, digits

pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _reports(tool_name: str, data: Dataset, epochs: int, **kwargs) -> tuple[float, list]:
    tool = get_tool(tool_name)
    config = {**tool.default_config(data.task), "epochs": epochs}
    reports: list[tuple[int, float]] = []
    score = tool.evaluate(data, config, 0, lambda s, v: reports.append((s, v)), **kwargs)
    return score, reports


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, assistant.tools; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("name", "task"), [("torch_mlp", "classification"),
                                            ("torch_mlp", "regression"),
                                            ("torch_cnn", "classification")])  # fmt: skip
def test_default_configs_are_points_of_the_space(name: str, task: str) -> None:
    tool = get_tool(name)
    assert tool.search_space(task).contains(tool.default_config(task))


def test_torch_mlp_classification_reports_every_epoch_but_the_last() -> None:
    score, reports = _reports("torch_mlp", breast_cancer(), 4, metric="roc_auc")
    assert [step for step, _ in reports] == [0, 1, 2]  # the last epoch's score is the result
    assert score > 0.95


def test_torch_mlp_regression() -> None:
    score, reports = _reports("torch_mlp", diabetes(), 10, metric="r2")
    assert len(reports) == 9 and math.isfinite(score) and score > 0.2


def test_torch_mlp_is_deterministic_on_cpu() -> None:
    first, _ = _reports("torch_mlp", breast_cancer(), 3, metric="log_loss")
    again, _ = _reports("torch_mlp", breast_cancer(), 3, metric="log_loss")
    assert first == again


@pytest.mark.integration
def test_torch_cnn_on_digits_reports_every_epoch_but_the_last() -> None:
    data = digits().subset(np.arange(0, digits().n_rows, 2))
    score, reports = _reports("torch_cnn", data, 3)
    assert [step for step, _ in reports] == [0, 1]
    assert score > 0.6


def test_torch_cnn_reads_square_features_as_an_image() -> None:
    data = digits()
    flat = Dataset.from_arrays(data.X[:200], data.y[:200])
    tool = get_tool("torch_cnn")
    model = tool.fit(flat, {**tool.default_config("classification"), "epochs": 1}, seed=0)
    proba = tool.predict(model, flat)
    assert proba.shape == (200, 10) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_torch_cnn_refuses_non_image_data() -> None:
    tool = get_tool("torch_cnn")
    with pytest.raises(ToolError, match="cannot read 30 features as an image"):
        tool.evaluate(breast_cancer(), {**tool.default_config("classification"), "epochs": 1}, 0)
    assert not tool.supports("regression")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_stops_training_with_an_error() -> None:
    tool = get_tool("torch_mlp")
    data = diabetes()
    y = data.y.copy()
    y[5] = np.inf  # the constructor keeps it (from_arrays would leave the row out)
    broken = Dataset(X=data.X, y=y, task="regression")
    config = {**tool.default_config("regression"), "epochs": 2}
    with pytest.raises(ToolError, match="diverged: weights not finite after epoch 0"):
        tool.evaluate(broken, config, 0)
