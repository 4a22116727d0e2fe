"""The trial runner: inline and process isolation, pruning, failures, timeouts, parallelism."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import optuna
import pytest

from assistant.errors import ToolError
from assistant.space import FloatParam, SearchSpace
from assistant.tools import Dataset, FunctionTool, TrialRunner
from tests.tools.tools_testkit import BrokenWarmUpTool, ScriptedTool, breast_cancer, iris

optuna.logging.set_verbosity(optuna.logging.WARNING)

OK = {"mode": "ok", "quality": 0.8}


def _pruning_study() -> optuna.Study:
    """A study whose first two trials were good, so a bad one is pruned at step 1."""
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    for quality in (0.9, 0.85, 0.1):
        study.enqueue_trial({"mode": "ok", "quality": quality})
    return study


# -- inline ----------------------------------------------------------------------------------
def test_inline_complete_outcome() -> None:
    with TrialRunner(ScriptedTool(steps=4), iris(), isolation="inline") as runner:
        outcome = runner.run(OK, seed=3)
    assert outcome.status == "complete" and outcome.ok
    assert outcome.value == 0.8
    assert outcome.intermediate_values == [(0, 0.8), (1, 0.8), (2, 0.8), (3, 0.8)]
    assert outcome.config == OK and outcome.seed == 3 and outcome.device == "cpu"
    assert outcome.duration_s >= 0


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("raise", "ValueError: boom from the scripted tool"),
        ("nan", "not finite (nan)"),
        ("string", "evaluate returned str"),
        ("oom", "CUDA out of memory"),
    ],
)
def test_inline_failures_are_recorded(mode: str, reason: str) -> None:
    with TrialRunner(ScriptedTool(), iris(), isolation="inline") as runner:
        failed = runner.run({"mode": mode, "quality": 0.5})
        after = runner.run(OK)
    assert failed.status == "failed" and reason in (failed.error or "")
    assert after.status == "complete"


def test_inline_exception_keeps_a_traceback_tail() -> None:
    with TrialRunner(ScriptedTool(), iris(), isolation="inline") as runner:
        outcome = runner.run({"mode": "raise", "quality": 0.5})
    assert outcome.traceback is not None and "ValueError: boom" in outcome.traceback
    assert "tools_testkit.py" in outcome.traceback


def test_inline_pruning_stops_the_trial() -> None:
    study = _pruning_study()
    with TrialRunner(ScriptedTool(steps=10), iris(), isolation="inline") as runner:
        study.optimize(runner.as_objective(), n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 2 + [optuna.trial.TrialState.PRUNED]
    assert len(study.trials[0].intermediate_values) == 10
    assert len(study.trials[2].intermediate_values) < 10


def test_inline_timeout_is_checked_at_reports() -> None:
    tool = ScriptedTool(steps=20, delay_s=0.05)
    with TrialRunner(tool, iris(), isolation="inline", timeout_s=0.2) as runner:
        outcome = runner.run(OK)
    assert outcome.status == "timeout" and "timeout" in (outcome.error or "")
    assert 0 < len(outcome.intermediate_values) < 20


def test_objective_marks_failures_failed_with_their_reason() -> None:
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"mode": "raise", "quality": 0.5})
    study.enqueue_trial({"mode": "ok", "quality": 0.7})
    with TrialRunner(ScriptedTool(steps=2), iris(), isolation="inline") as runner:
        study.optimize(runner.as_objective(), n_trials=2)
    failed, complete = study.trials
    assert failed.state == optuna.trial.TrialState.FAIL
    assert failed.user_attrs["failure_reason"].startswith("failed: ValueError: boom")
    assert "traceback" in failed.user_attrs
    assert complete.state == optuna.trial.TrialState.COMPLETE and complete.value == 0.7
    assert complete.user_attrs["status"] == "complete"


def test_objective_suggests_from_the_tool_space() -> None:
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    with TrialRunner("logistic", breast_cancer(), "roc_auc", n_folds=3, isolation="inline") as r:
        study.optimize(r.as_objective(), n_trials=3)
    assert set(study.best_params) == {"C", "l1_ratio", "class_weight"}
    assert study.best_value > 0.95


def test_runner_validates_its_arguments() -> None:
    with pytest.raises(ToolError, match="does not support regression"):
        TrialRunner("logistic", Dataset.from_arrays(np.ones((4, 1)), [0.1, 0.2, 0.3, 0.45]))
    with pytest.raises(ToolError, match="isolation"):
        TrialRunner("knn", iris(), isolation="thread")  # type: ignore[arg-type]
    with pytest.raises(ToolError, match="timeout_s"):
        TrialRunner("knn", iris(), timeout_s=0)
    with pytest.raises(ToolError, match="unknown metric"):
        TrialRunner("knn", iris(), "precision")
    runner = TrialRunner("knn", iris(), isolation="inline")
    runner.close()
    with pytest.raises(ToolError, match="closed"):
        runner.run({"n_neighbors": 5, "weights": "uniform", "p": 2})


# -- processes ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def process_runner() -> Iterator[TrialRunner]:
    runner = TrialRunner(ScriptedTool(steps=10), iris(), isolation="process", timeout_s=3.0)
    runner.start()
    yield runner
    runner.close()


@pytest.mark.integration
def test_worker_reads_the_dataset_memory_mapped_from_files(
    process_runner: TrialRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = process_runner.run({"mode": "probe", "quality": 0.0})
    assert outcome.status == "complete" and outcome.value == 1.0
    data_dir = process_runner.data_dir
    assert data_dir is not None
    assert {"X.npy", "y.npy", "meta.json"} <= set(os.listdir(data_dir))
    # Later trials, even on a replacement worker, never write or pickle the data again.
    saves: list[str] = []
    monkeypatch.setattr(Dataset, "save", lambda self, d: saves.append(str(d)))
    assert process_runner.run({"mode": "crash", "quality": 0.0}).status == "failed"
    assert process_runner.run({"mode": "probe", "quality": 0.0}).value == 1.0
    assert saves == []


@pytest.mark.integration
def test_crashing_worker_fails_cleanly_and_is_replaced(process_runner: TrialRunner) -> None:
    crashed = process_runner.run({"mode": "crash", "quality": 0.0})
    assert crashed.status == "failed"
    assert crashed.error == "the worker process exited with code 3"
    assert process_runner.run(OK).status == "complete"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("raise", "ValueError: boom from the scripted tool"),
        ("nan", "the metric is not finite (nan)"),
        ("string", "evaluate returned str ('not a number'), expected a number"),
        ("oom", "CUDA out of memory: RuntimeError"),
    ],
)
def test_worker_failures_are_recorded(process_runner: TrialRunner, mode: str, reason: str) -> None:
    failed = process_runner.run({"mode": mode, "quality": 0.0})
    assert failed.status == "failed"
    assert reason in (failed.error or "")
    assert process_runner.run(OK).status == "complete"


@pytest.mark.integration
def test_timeout_kills_the_worker(process_runner: TrialRunner) -> None:
    started = time.monotonic()
    outcome = process_runner.run({"mode": "sleep", "quality": 0.0})
    assert outcome.status == "timeout"
    assert "3 s timeout" in (outcome.error or "")
    assert 2.9 < outcome.duration_s < 6 and time.monotonic() - started < 10
    assert process_runner.run(OK).status == "complete"


@pytest.mark.integration
def test_pruning_stops_the_worker_early(process_runner: TrialRunner) -> None:
    study = _pruning_study()
    study.optimize(process_runner.as_objective(), n_trials=3)
    good, _, bad = study.trials
    assert good.state == optuna.trial.TrialState.COMPLETE
    assert len(good.intermediate_values) == 10
    assert bad.state == optuna.trial.TrialState.PRUNED
    assert 0 < len(bad.intermediate_values) < 10
    # The worker stopped at the pruned step and serves the next trial.
    outcome = process_runner.run(OK)
    assert outcome.status == "complete" and len(outcome.intermediate_values) == 10


@pytest.mark.integration
def test_two_trials_run_in_parallel() -> None:
    tool = ScriptedTool(steps=5, delay_s=0.3)
    with TrialRunner(tool, iris(), isolation="process", max_workers=2, devices=[]) as runner:
        runner.start()
        runner.start()  # already running: returns at once
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            configs = [{"mode": "ok", "quality": q} for q in (0.2, 0.4)]
            outcomes = list(pool.map(runner.run, configs))
        elapsed = time.monotonic() - started
    assert [o.status for o in outcomes] == ["complete", "complete"]
    assert [o.value for o in outcomes] == [0.2, 0.4]
    # Each trial sleeps 1.5 s; one after the other would take 3 s.
    assert elapsed < 2.7


@pytest.mark.integration
def test_closures_run_in_workers() -> None:
    offset = 0.25

    def shifted(X_train, y_train, X_valid, y_valid, config, seed) -> float:
        return config["a"] + offset

    tool = FunctionTool(shifted, SearchSpace.of(FloatParam(name="a", low=0.0, high=1.0)))
    with TrialRunner(tool, iris(), isolation="process", n_folds=3) as runner:
        outcome = runner.run({"a": 0.5})
    assert outcome.status == "complete" and outcome.value == 0.75
    assert [step for step, _ in outcome.intermediate_values] == [0, 1]  # the 3rd is the value


@pytest.mark.integration
def test_torch_tool_in_a_worker_reports_each_epoch_but_the_last() -> None:
    pytest.importorskip("torch")
    data = breast_cancer()
    with TrialRunner("torch_mlp", data, "roc_auc", isolation="process") as runner:
        config = {**runner.tool.default_config("classification"), "epochs": 3}
        outcome = runner.run(config, seed=1)
    assert outcome.status == "complete", outcome.error
    assert [step for step, _ in outcome.intermediate_values] == [0, 1]
    assert outcome.device == "cpu" and outcome.value is not None and outcome.value > 0.9


@pytest.mark.integration
def test_close_stops_workers_and_removes_the_data() -> None:
    runner = TrialRunner(ScriptedTool(steps=1), iris(), isolation="process")
    assert runner.run(OK).status == "complete"
    data_dir = runner.data_dir
    assert data_dir is not None and os.path.isdir(data_dir)
    workers = [s.worker for s in runner._resources.slots if s.worker is not None]
    assert len(workers) == 1
    pid = workers[0].process.pid
    assert pid is not None
    runner.close()
    assert not os.path.exists(data_dir)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_launch_starts_the_workers_before_any_trial() -> None:
    """Runners launched together start their workers side by side; each one's first trial
    then waits only for what is left of its worker's start."""
    runners = [TrialRunner(ScriptedTool(steps=1), iris(), isolation="process") for _ in range(2)]
    try:
        for runner in runners:
            runner.launch()
        workers = [s.worker for r in runners for s in r._resources.slots]
        assert all(w is not None and w.alive for w in workers)
        for runner in runners:
            assert runner.run(OK).status == "complete"
        # the launched workers served the trials: none was replaced
        assert [s.worker for r in runners for s in r._resources.slots] == workers
    finally:
        for runner in runners:
            runner.close()


@pytest.mark.integration
def test_a_script_that_never_closes_its_runner_still_exits() -> None:
    code = (
        "from sklearn.datasets import load_iris\n"
        "from assistant.tools import Dataset, TrialRunner\n"
        "if __name__ == '__main__':\n"
        "    data = Dataset.from_arrays(*load_iris(return_X_y=True))\n"
        "    runner = TrialRunner('knn', data, n_folds=3)\n"
        "    print(runner.run(runner.tool.default_config('classification')).status)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "complete"


@pytest.mark.integration
def test_a_worker_that_cannot_start_fails_the_trial_with_the_reason() -> None:
    with TrialRunner(BrokenWarmUpTool(), iris(), isolation="process") as runner:
        outcome = runner.run(OK)
        assert outcome.status == "failed"
        assert outcome.error == (
            "the worker failed to start: ImportError: no module named 'imaginary_accelerator'"
        )
        with pytest.raises(ToolError, match="failed to start"):
            runner.start()
