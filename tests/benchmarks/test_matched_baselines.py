"""Matched baselines (issue #20, item 2): every model-based baseline starts with as many
start-up trials as our initial design has points, the ``*_default`` variants try the library
defaults first as ours does, the AutoSampler rule picks TPE or GP from the space, and SMAC3
runs through its ask/tell interface."""

from __future__ import annotations

import optuna
import pytest

from assistant.engine.planner import EngineOptions
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from benchmarks.quality.methods import (
    DEFAULTS_FIRST,
    METHODS,
    MODEL_BASED,
    STARTUP_TRIALS,
    auto_rule,
    make_sampler,
    missing_dependency,
    run_one,
)
from benchmarks.quality.run import OPTUNA_MODEL_BASED
from benchmarks.quality.suite import Task, get_task

# knn-iris (conftest's small task) has a categorical parameter; svm-iris has none.
NUMERIC_TASK = "svm-iris"
N_TRIALS = STARTUP_TRIALS + 2  # two model-based steps after the start-up
OPTUNA_METHODS = [m for m in MODEL_BASED if not m.startswith("smac")]


def _runnable(method: str) -> str:
    reason = missing_dependency(method)
    if reason is not None:
        pytest.skip(reason)
    return method


@pytest.fixture(scope="module")
def numeric_task() -> Task:
    return get_task(NUMERIC_TASK)


def test_the_start_up_size_is_our_initial_design_for_every_model_based_baseline(
    small_task: Task, numeric_task: Task
) -> None:
    assert EngineOptions().n_initial == STARTUP_TRIALS
    for task in (small_task, numeric_task):
        for method in OPTUNA_METHODS:
            if missing_dependency(method) is not None:
                continue
            sampler = make_sampler(method, task, 0)
            # Optuna counts an enqueued default among the start-up trials.
            assert sampler._n_startup_trials == STARTUP_TRIALS, (task.name, method)  # type: ignore[attr-defined]


def test_every_model_based_baseline_is_a_method_and_in_the_tests_against_ours() -> None:
    assert set(MODEL_BASED) <= set(METHODS)
    assert set(DEFAULTS_FIRST) <= set(MODEL_BASED)
    for method in ("gp_default", "cmaes_default", "auto_rule", "auto_rule_default", "smac"):
        assert method in OPTUNA_MODEL_BASED, method
    assert "random" not in OPTUNA_MODEL_BASED


def test_the_auto_rule_takes_tpe_with_a_categorical_and_gp_without(
    small_task: Task, numeric_task: Task
) -> None:
    mixed = SearchSpace.of(
        FloatParam(name="lr", low=1e-4, high=1.0, log=True),
        CategoricalParam(name="loss", choices=("hinge", "log_loss")),
    )
    numeric = SearchSpace.of(
        FloatParam(name="lr", low=1e-4, high=1.0, log=True), IntParam(name="depth", low=1, high=8)
    )
    assert auto_rule(mixed) == "tpe"
    assert auto_rule(numeric) == "gp"
    assert isinstance(make_sampler("auto_rule", small_task, 0), optuna.samplers.TPESampler)
    _runnable("auto_rule")
    for method in ("auto_rule", "auto_rule_default"):
        assert isinstance(make_sampler(method, numeric_task, 0), optuna.samplers.GPSampler)


@pytest.mark.parametrize("method", ["cmaes_default", "auto_rule", "auto_rule_default"])
def test_new_optuna_baselines_run_and_defaults_come_first(small_task: Task, method: str) -> None:
    run = run_one(small_task, _runnable(method), 0, N_TRIALS)
    assert len(run.values) == N_TRIALS and all(v is not None for v in run.values)
    first_is_default = run.params[0] == small_task.default_config
    assert first_is_default == (method in DEFAULTS_FIRST)
    assert run.test_score is not None


def test_gp_default_runs_on_a_numeric_space_and_tries_the_defaults_first(
    numeric_task: Task,
) -> None:
    run = run_one(numeric_task, _runnable("gp_default"), 0, N_TRIALS)
    assert len(run.values) == N_TRIALS and all(v is not None for v in run.values)
    assert run.params[0] == numeric_task.default_config
    plain = run_one(numeric_task, "auto_rule", 0, STARTUP_TRIALS)
    assert plain.params[0] != numeric_task.default_config


@pytest.mark.integration
@pytest.mark.parametrize("method", ["smac", "smac_default"])
def test_smac_runs_its_initial_design_then_its_model(small_task: Task, method: str) -> None:
    _runnable(method)
    from benchmarks.quality.smac_sampler import SmacSampler

    sampler = make_sampler(method, small_task, 0)
    assert isinstance(sampler, SmacSampler)
    defaults = method in DEFAULTS_FIRST
    assert sampler.n_initial + defaults == STARTUP_TRIALS
    sampler.close()

    run = run_one(small_task, method, 0, N_TRIALS)
    assert len(run.values) == N_TRIALS and all(v is not None for v in run.values)
    assert (run.params[0] == small_task.default_config) == defaults
    space = small_task.space.to_optuna()
    for params in run.params:
        assert set(params) == set(space)
        for name, value in params.items():
            assert space[name]._contains(space[name].to_internal_repr(value)), (name, value)


def test_smac_is_asked_for_its_initial_design_first_and_told_the_enqueued_default() -> None:
    _runnable("smac")
    from benchmarks.quality.smac_sampler import SmacSampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace.of(
        FloatParam(name="x", low=-1.0, high=1.0),
        IntParam(name="n", low=1, high=9, step=2),
        CategoricalParam(name="flag", choices=(True, False, None)),
    )
    sampler = SmacSampler(space, "maximize", seed=0, n_initial=3)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    default = {"x": 0.5, "n": 3, "flag": None}
    study.enqueue_trial(default)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        n = trial.suggest_int("n", 1, 9, step=2)
        flag = trial.suggest_categorical("flag", (True, False, None))
        if trial.number == 2:
            raise ValueError("a failed trial is told to SMAC as crashed")
        return -((x - 0.3) ** 2) - n / 10 + (flag is False)

    study.optimize(objective, n_trials=7, catch=(ValueError,))
    sampler.close()
    trials = study.trials
    assert trials[0].params == default
    assert 0 not in sampler.origins  # told, never asked
    origins = [sampler.origins[t.number] for t in trials[1:]]
    assert all(o.lower().startswith("initial design") for o in origins[:3]), origins
    assert not any(o.lower().startswith("initial design") for o in origins[3:]), origins
    assert all(t.params["n"] % 2 == 1 for t in trials)  # snapped back to the step grid
    assert {type(t.params["flag"]) for t in trials} <= {bool, type(None)}
    assert not sampler._output.exists()
    # SMAC learned from every trial, the enqueued and the failed one included
    assert len(sampler._smac.runhistory) == len(trials)
