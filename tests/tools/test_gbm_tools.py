"""The gradient-boosting tools (LightGBM, XGBoost, CatBoost) on small data, on the CPU.

Every test of a library skips when that library is not installed, except the tests of the
missing-library error, which make it unimportable themselves. Round counts stay small.
"""

from __future__ import annotations

import doctest
import importlib
import math
import re
import subprocess
import sys

import numpy as np
import optuna
import pandas as pd
import pytest

from assistant.errors import ToolError
from assistant.tools import Dataset, TrialRunner, gbm_tools, get_tool, list_tools
from assistant.tools.gbm_tools import GBM_TOOLS, INSTALL_HINT, BoostedModel
from tests.tools.tools_testkit import breast_cancer, diabetes, iris

NAMES = [cls.name for cls in GBM_TOOLS]
CASES = [(name, task) for name in NAMES for task in ("classification", "regression")]
# A small cap on boosting rounds, so that a trial takes a fraction of a second.
FEW_ROUNDS = 30


def _tool(name: str):
    pytest.importorskip(get_tool(name).module)
    return get_tool(name)


def _data(task: str) -> Dataset:
    if task == "regression":
        return diabetes()
    # Every second row: CatBoost's default 1000 rounds of Newton steps stay near a second.
    return breast_cancer().subset(np.arange(0, breast_cancer().n_rows, 2))


def _colour_frame() -> pd.DataFrame:
    """A label that is one category of a string column, the middle one of its codes
    (blue 0, green 1, red 2): one split on the codes as numbers cannot isolate it."""
    rng = np.random.default_rng(0)
    n = 300
    colour = rng.choice(["blue", "green", "red"], size=n).astype(object)
    size = rng.normal(size=n)
    label = colour == "green"
    colour[::23] = None
    size[::17] = np.nan
    return pd.DataFrame({"colour": colour, "size": size, "label": label})


@pytest.mark.parametrize(("name", "task"), CASES)
def test_default_config_is_a_point_of_the_space(name: str, task: str) -> None:
    tool = get_tool(name)  # no library needed for the space and the defaults
    assert tool.tasks == {"classification", "regression"}
    assert tool.search_space(task).contains(tool.default_config(task))
    assert tool.family and len(tool.description) > 80


def test_defaults_are_the_libraries_own() -> None:
    lightgbm = get_tool("lightgbm").default_config("classification")
    assert lightgbm["learning_rate"] == 0.1 and lightgbm["n_estimators"] == 100
    assert lightgbm["num_leaves"] == 31 and lightgbm["min_child_samples"] == 20
    assert lightgbm["subsample"] == 1.0 and lightgbm["reg_lambda"] == 1e-8
    xgboost = get_tool("xgboost").default_config("regression")
    assert xgboost["learning_rate"] == 0.3 and xgboost["max_depth"] == 6
    assert xgboost["reg_lambda"] == 1.0 and xgboost["n_estimators"] == 100
    catboost = get_tool("catboost").default_config("classification")
    assert catboost == {
        "learning_rate": 0.03,
        "n_estimators": 1000,
        "depth": 6,
        "l2_leaf_reg": 3.0,
        "random_strength": 1.0,
    }


@pytest.mark.parametrize(("name", "task"), CASES)
def test_default_trial_scores_sensibly_and_reports_each_fold_but_the_last(
    name: str, task: str
) -> None:
    tool = _tool(name)
    reports: list[tuple[int, float]] = []
    score = tool.evaluate(
        _data(task),
        tool.default_config(task),
        seed=0,
        report=lambda step, value: reports.append((step, value)),
        metric="accuracy" if task == "classification" else "r2",
        n_folds=3,
    )
    assert score > (0.9 if task == "classification" else 0.2)
    assert [step for step, _ in reports] == [0, 1]  # the third fold's mean is the result
    assert all(math.isfinite(value) for _, value in reports)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_tuned_trials_from_the_space_run(name: str, task: str) -> None:
    tool = _tool(name)
    space = tool.search_space(task)
    rng = np.random.default_rng(7)
    data = _data(task)
    for _ in range(2):
        config = space.from_unit(rng.random(len(space)).tolist())
        config["n_estimators"] = min(config["n_estimators"], FEW_ROUNDS)
        assert space.contains(config)
        assert math.isfinite(tool.evaluate(data, config, seed=1, n_folds=3))


@pytest.mark.parametrize("name", NAMES)
def test_multiclass_probabilities_and_the_same_seed_gives_the_same_score(name: str) -> None:
    tool = _tool(name)
    config = {**tool.default_config("classification"), "n_estimators": FEW_ROUNDS}
    first = tool.evaluate(iris(), config, seed=3, metric="log_loss", n_folds=3)
    assert 0.0 < first < 0.6
    assert tool.evaluate(iris(), config, seed=3, metric="log_loss", n_folds=3) == first


@pytest.mark.parametrize("name", NAMES)
def test_predictions_have_a_column_per_class_also_for_classes_missing_in_training(
    name: str,
) -> None:
    tool = _tool(name)
    data = iris()
    two_classes = data.subset(np.flatnonzero(data.y < 2))
    config = {**tool.default_config("classification"), "n_estimators": FEW_ROUNDS}
    model = tool.fit(two_classes, config, seed=0)
    proba = tool.predict(model, data)
    assert isinstance(model, BoostedModel) and model.device == "cpu"
    assert proba.shape == (data.n_rows, 3)
    assert np.allclose(proba.sum(axis=1), 1.0) and proba[:, 2].max() < 0.05


@pytest.mark.parametrize("name", NAMES)
def test_early_stopping_keeps_the_best_round(name: str) -> None:
    tool = _tool(name)
    config = {**tool.default_config("classification"), "n_estimators": 1000, "learning_rate": 0.5}
    model = tool.fit(_data("classification"), config, seed=0)
    assert 1 <= model.n_rounds < 1000


@pytest.mark.parametrize("name", NAMES)
def test_a_pruned_trial_stops_at_the_report(name: str) -> None:
    tool = _tool(name)
    config = {**tool.default_config("classification"), "n_estimators": FEW_ROUNDS}
    reports: list[int] = []

    def prune(step: int, value: float) -> None:
        reports.append(step)
        raise optuna.TrialPruned(f"pruned at step {step}")

    with pytest.raises(optuna.TrialPruned):
        tool.evaluate(_data("classification"), config, 0, prune, n_folds=3)
    assert reports == [0]
    # Through the runner and a study whose pruner stops every trial at its first report.
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(2.0))
    with TrialRunner(tool, _data("classification"), n_folds=3, isolation="inline") as runner:
        outcome = runner.run(config, seed=0, trial=study.ask())
    assert outcome.status == "pruned" and [s for s, _ in outcome.intermediate_values] == [0]


@pytest.mark.parametrize("name", NAMES)
def test_a_string_column_is_split_on_natively(name: str) -> None:
    tool = _tool(name)
    data = Dataset.from_frame(_colour_frame(), "label")
    assert data.categorical is not None and data.categorical.tolist() == [True, False]
    as_numbers = Dataset(X=data.X, y=data.y, task=data.task, classes=data.classes)
    # One depth-1 tree: only a categorical split separates the middle code.
    stump = {
        "lightgbm": {"num_leaves": 2, "max_depth": 2, "min_child_samples": 5},
        "xgboost": {"max_depth": 1},
        "catboost": {"depth": 1},
    }[name]
    config = {
        **tool.default_config("classification"),
        "n_estimators": 1,
        "learning_rate": 1.0,
        **stump,
    }
    assert tool.evaluate(data, config, 0, n_folds=3) > 0.95
    assert tool.evaluate(as_numbers, config, 0, n_folds=3) < 0.8
    assert tool.fit(data, config, 0).categorical == (0,)


@pytest.mark.parametrize("name", NAMES)
def test_the_runner_thread_cap_reaches_the_library(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _tool(name)
    config = {**tool.default_config("regression"), "n_estimators": 5}
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # what a worker with threads_per_worker=2 has
    booster = tool.fit(diabetes(), config, 0).booster
    if name == "lightgbm":
        threads = booster.params["num_threads"]
    elif name == "xgboost":
        threads = _xgboost_nthread(booster)
    else:
        threads = booster.get_params()["thread_count"]
    assert threads == 2
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert gbm_tools._thread_count() == 1


def _xgboost_nthread(booster) -> int:
    import json

    return int(json.loads(booster.save_config())["learner"]["generic_param"]["nthread"])


def test_a_gpu_is_used_only_when_the_build_can(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gbm_tools, "_gpu_visible", lambda: False)
    assert gbm_tools._xgboost_device() == "cpu"
    assert gbm_tools._catboost_device() == "cpu"
    assert gbm_tools._lightgbm_device() == "cpu"
    monkeypatch.setattr(gbm_tools, "_gpu_visible", lambda: True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.setattr(gbm_tools, "_xgboost_has_cuda", lambda: True)
    monkeypatch.setattr(gbm_tools, "_catboost_gpu_count", lambda: 1)
    monkeypatch.setattr(gbm_tools, "_lightgbm_gpu_works", lambda: False)
    assert gbm_tools._xgboost_device() == "cuda:3"
    assert gbm_tools._catboost_device() == "cuda:3"
    assert gbm_tools._lightgbm_device() == "cpu"
    monkeypatch.setattr(gbm_tools, "_xgboost_has_cuda", lambda: False)  # xgboost-cpu
    assert gbm_tools._xgboost_device() == "cpu"


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_library_names_the_install_command(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = get_tool(name)
    monkeypatch.setitem(sys.modules, tool.module, None)  # import now fails
    hint = re.escape(INSTALL_HINT)
    assert not tool.available()
    assert name in [t.name for t in list_tools()]  # still listed...
    assert name not in [t.name for t in list_tools("classification")]  # ...not offered
    assert tool.search_space("regression").contains(tool.default_config("regression"))
    config = tool.default_config("classification")
    with pytest.raises(ToolError, match=rf"needs the {tool.distribution} library.*{hint}"):
        tool.evaluate(breast_cancer(), config, seed=0)
    with pytest.raises(ToolError, match=hint):
        tool.supports("classification")
    with pytest.raises(ToolError, match=hint):
        tool.warm_up()
    with pytest.raises(ToolError, match=hint):  # a session stops at its start
        TrialRunner(name, breast_cancer(), isolation="inline")


def test_importing_and_listing_tools_imports_no_boosting_library() -> None:
    code = (
        "import sys\n"
        "from assistant.tools import list_tools\n"
        "names = [t.name for t in list_tools('classification')]\n"
        "loaded = {'lightgbm', 'xgboost', 'catboost'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_names_and_aliases() -> None:
    assert get_tool("lgbm").name == "lightgbm"
    assert get_tool("XGB").name == "xgboost"
    assert get_tool("gbm").name == "hist_gradient_boosting"  # unchanged


@pytest.mark.integration
def test_a_trial_in_a_worker_process() -> None:
    # CatBoost: the one with its own thread pool and a training loop outside Python.
    tool = _tool("catboost")
    config = {**tool.default_config("classification"), "n_estimators": FEW_ROUNDS}
    with TrialRunner(tool, _data("classification"), n_folds=3, devices=[]) as runner:
        outcome = runner.run(config, seed=0)
    assert outcome.status == "complete", outcome.error
    assert outcome.value is not None and outcome.value > 0.9
    assert outcome.device == "cpu"


def test_docstring_example() -> None:
    pytest.importorskip("lightgbm")
    result = doctest.testmod(importlib.import_module("assistant.tools.gbm_tools"))
    assert result.failed == 0 and result.attempted > 0
