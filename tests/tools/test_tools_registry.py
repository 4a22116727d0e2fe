"""Finding built-in tools and registering user tools."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from assistant.errors import ToolError
from assistant.space import FloatParam, SearchSpace
from assistant.tools import FunctionTool, Tool, get_tool, list_tools, register_tool, unregister_tool
from tests.tools.tools_testkit import CENTROID_SPACE, ScriptedTool, iris, nearest_centroid

BUILTINS = {
    "random_forest",
    "hist_gradient_boosting",
    "svm",
    "logistic",
    "linear",
    "knn",
    "mlp",
    "torch_mlp",
    "torch_cnn",
    "lightgbm",
    "xgboost",
    "catboost",
}


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        unregister_tool(name)


def test_builtins_are_listed_and_filtered_by_task() -> None:
    assert {t.name for t in list_tools()} >= BUILTINS
    classification = {t.name for t in list_tools("classification")}
    regression = {t.name for t in list_tools("regression")}
    assert {"logistic", "torch_cnn"} <= classification - regression
    assert "linear" in regression - classification
    assert {"random_forest", "svm", "knn", "mlp", "torch_mlp"} <= classification & regression


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("gbm", "hist_gradient_boosting"),
        ("gradient_boosting", "hist_gradient_boosting"),
        ("Gradient-Boosting", "hist_gradient_boosting"),
        ("ridge", "linear"),
        ("logistic_regression", "logistic"),
        ("cnn", "torch_cnn"),
        ("Random Forest", "random_forest"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    assert get_tool(alias).name == name


def test_unknown_tool_lists_known_names() -> None:
    with pytest.raises(ToolError, match=r"unknown tool 'adaboost'; known tools: .*random_forest"):
        get_tool("adaboost")


def test_register_plain_function(cleanup: list[str]) -> None:
    tool = register_tool(
        nearest_centroid,
        "centroid",
        space=CENTROID_SPACE,
        tasks=("classification",),
        description="Nearest shrunken centroid.",
        default_config={"shrink": 1.0},
    )
    cleanup.append("centroid")
    assert isinstance(tool, FunctionTool) and get_tool("centroid") is tool
    assert tool.supports("classification") and not tool.supports("regression")
    assert tool.default_config("classification") == {"shrink": 1.0}
    reports: list[tuple[int, float]] = []
    score = tool.evaluate(iris(), {"shrink": 1.0}, 0, lambda s, v: reports.append((s, v)))
    assert score > 0.85 and [step for step, _ in reports] == [0, 1, 2, 3]  # 5 folds


def test_register_module_attribute_paths(cleanup: list[str]) -> None:
    function_tool = register_tool(
        "tests.tools.tools_testkit:nearest_centroid", space=CENTROID_SPACE
    )
    cleanup.append("nearest_centroid")
    assert function_tool.name == "nearest_centroid"
    assert function_tool.default_config("classification") == {"shrink": 0.5}
    instance = register_tool("tests.tools.tools_testkit:SCRIPTED", "scripted_instance")
    cleanup.append("scripted_instance")
    assert isinstance(instance, ScriptedTool) and instance.steps == 3
    from_class = register_tool("tests.tools.tools_testkit:ScriptedTool")
    cleanup.append("scripted")
    assert isinstance(from_class, ScriptedTool)
    # A path also works directly, without registering.
    assert get_tool("tests.tools.tools_testkit:SCRIPTED") is instance


def test_register_errors(cleanup: list[str]) -> None:
    with pytest.raises(ToolError, match="needs its search space"):
        register_tool(nearest_centroid)
    with pytest.raises(ToolError, match="already registered"):
        register_tool(ScriptedTool(), "svm")
    with pytest.raises(ToolError, match="cannot load tool"):
        register_tool("tests.tools.tools_testkit:missing")
    with pytest.raises(ToolError, match=r"expected 'package.module:attribute'"):
        get_tool("no_module:")
    with pytest.raises(ToolError, match="not a Tool"):
        get_tool("tests.tools.tools_testkit:nearest_centroid")
    with pytest.raises(ToolError, match="not a point of the space"):
        register_tool(nearest_centroid, space=CENTROID_SPACE, default_config={"shrink": 2.0})
    replaced = register_tool(ScriptedTool(), "knn_copy")
    cleanup.append("knn_copy")
    assert register_tool(ScriptedTool(steps=1), "knn_copy", replace=True) is not replaced


def test_function_returning_a_non_number_fails_clearly() -> None:
    def bad(X_train, y_train, X_valid, y_valid, config, seed):
        return "oops"

    tool = FunctionTool(bad, SearchSpace.of(FloatParam(name="a", low=0, high=1)))
    with pytest.raises(ToolError, match=r"returned str .*expected a number"):
        tool.evaluate(iris(), {"a": 0.5}, 0, n_folds=3)


def test_custom_tool_subclass_needs_the_abstract_methods() -> None:
    with pytest.raises(TypeError):
        Tool()  # type: ignore[abstract]
    assert np.isfinite(ScriptedTool().evaluate(iris(), {"mode": "ok", "quality": 0.3}, 0))
