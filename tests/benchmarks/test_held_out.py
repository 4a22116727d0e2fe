"""The held-out task set: its kinds of task, hidden names, noisy objective and summary key."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import benchmarks.quality.__main__ as cli
from assistant.space import CategoricalParam
from benchmarks.quality import held_out, reference
from benchmarks.quality.methods import RunResult
from benchmarks.quality.report import merged_summary, write_all
from benchmarks.quality.run import PROFILES, customized, run_benchmark
from benchmarks.quality.suite import FULL_TASKS, get_task

from .conftest import assert_offline_f_star

TASKS = held_out.HELD_OUT_TASKS


def _prompt_text(task: Any) -> str:
    return json.dumps(task.context().model_dump()).lower()


def _names_in(text: str, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if re.search(rf"\b{re.escape(n.lower())}\b", text)]


def test_the_set_has_eight_tasks_apart_from_the_development_suite() -> None:
    assert len(TASKS) >= 8
    assert not set(TASKS) & set(FULL_TASKS)
    datasets = {held_out.get_held_out_task(n).data.name for n in TASKS}
    development = {get_task(n).data.name for n in FULL_TASKS}
    assert not datasets & development


def test_no_held_out_table_is_one_the_flaml_comparison_uses() -> None:
    from benchmarks.automl_vs_flaml import TABLES

    sources = " ".join(held_out.DATA_SOURCES.values()).lower()
    assert set(held_out.DATA_SOURCES) == {held_out.get_held_out_task(n).data.name for n in TASKS}
    assert _names_in(sources, tuple(TABLES)) == []


def test_the_set_has_the_required_kinds_of_space() -> None:
    tasks = [held_out.get_held_out_task(n) for n in TASKS]
    assert sum(8 <= len(t.space) <= 12 for t in tasks) >= 2
    categorical = [
        t for t in tasks if sum(isinstance(p, CategoricalParam) for p in t.space) > len(t.space) / 2
    ]
    assert categorical
    assert any(isinstance(t, held_out.NoisyTask) for t in tasks)
    for name, conditions in held_out.CONDITIONS.items():
        space = held_out.get_held_out_task(name).space
        for param, (parent, values) in conditions.items():
            assert param in space and parent in space
            assert set(values) < set(space[parent].choices)  # type: ignore[union-attr]


def test_an_inactive_parameter_of_a_conditional_space_changes_nothing() -> None:
    task = held_out.get_held_out_task("svc-travel")
    rbf = dict(task.default_config, kernel="rbf")
    poly = dict(task.default_config, kernel="poly", C=10.0, gamma=0.5, coef0=1.0)
    assert task.objective(dict(rbf, degree=2)) == task.objective(dict(rbf, degree=5))
    assert task.objective(dict(poly, degree=2)) != task.objective(dict(poly, degree=5))


@pytest.mark.parametrize("name", TASKS)
def test_every_default_configuration_is_valid_and_scores(name: str) -> None:
    task = held_out.get_held_out_task(name)
    assert task.space.validate_config(task.default_config).ok
    value = task.objective(task.default_config)
    assert math.isfinite(value)
    if task.direction == "maximize":
        assert 0.0 < value <= 1.0


@pytest.mark.parametrize("name", TASKS)
def test_no_prompt_names_its_dataset(name: str) -> None:
    task = held_out.get_held_out_task(name)
    text = _prompt_text(task)
    assert task.hidden_names
    assert _names_in(text, task.hidden_names) == []
    assert task.alias.lower() in text


def test_the_name_check_catches_a_named_dataset() -> None:
    # the development suite names its data in the prompt; the same check must see that
    assert _names_in(_prompt_text(get_task("svm-breast")), ("breast",)) == ["breast"]


def test_a_noisy_task_differs_between_evaluations_and_its_table_is_noise_free() -> None:
    task = held_out.get_held_out_task("kr-schools")
    assert isinstance(task, held_out.NoisyTask)
    config = task.default_config
    draws = [task.objective(config) for _ in range(4)]
    assert len(set(draws)) == 4
    expected = task.expected(config)
    repeats = [task.cv_score(config, s) for s in range(held_out.NOISE_REPEATS)]
    assert expected == pytest.approx(float(np.mean(repeats)))
    assert held_out.reference_task(task).objective(config) == expected
    deterministic = held_out.get_held_out_task("dt-economy")
    assert held_out.reference_task(deterministic) is deterministic


def test_a_noisy_run_is_judged_on_noise_free_values() -> None:
    task = held_out.get_held_out_task("kr-schools")
    configs = [
        dict(task.default_config, kernel="rbf", alpha=a, gamma=0.01) for a in (1e-3, 0.1, 5.0)
    ]
    run = RunResult(
        task=task.name,
        method="random",
        seed=0,
        values=[0.0, None, 0.0],  # what the optimizer saw; the middle trial failed
        params=configs,
        best_value=0.0,
        best_config=configs[0],
        test_score=None,
        wall_s=0.0,
        sampling_s=[],
    )
    judged = held_out.judged(task, run)
    truth = [task.expected(configs[0]), None, task.expected(configs[2])]
    assert judged.values == truth
    assert judged.best_value == min(v for v in truth if v is not None)
    assert judged.test_score is not None
    plain = held_out.get_held_out_task("dt-economy")
    assert held_out.judged(plain, run) is run


def test_held_out_regret_is_the_mean_at_each_checkpoint_of_runs_that_reached_it() -> None:
    curves = {
        "a": {"t/0": [1.0] * 24 + [0.5] * 76, "t/1": [0.3] * 100},
        "b": {"t/0": [0.2] * 100, "t/1": [0.4] * 30},  # one run stopped early
    }
    regret = held_out.held_out_regret(curves)
    assert regret["a"] == {"25": pytest.approx(0.4), "100": pytest.approx(0.4)}
    assert regret["b"] == {"25": pytest.approx(0.3), "100": None}


def test_the_cli_runs_the_held_out_profile(cli_calls: dict[str, Any]) -> None:
    assert cli.main(["--profile", "held_out", "--methods", "random", "--no-cost"]) == 0
    profile = cli_calls["profile"]
    assert profile.tasks == TASKS and profile.trials == 100
    assert profile.reference_dir == held_out.HELD_OUT_REFERENCE_DIR


def test_every_held_out_task_has_a_committed_reference_table() -> None:
    manifest = json.loads((held_out.HELD_OUT_REFERENCE_DIR / "manifest.json").read_text())
    for name in TASKS:
        table = reference.load(name, held_out.HELD_OUT_REFERENCE_DIR)
        assert table is not None, name
        assert manifest[name]["n"] == len(table.values)
        assert_offline_f_star(table, name)


@pytest.mark.integration
def test_a_tiny_held_out_run_adds_held_out_regret_to_the_summary(tmp_path: Path) -> None:
    tasks = ("kr-schools", "dt-economy")
    profile = customized(PROFILES["held_out"], tasks=tasks, seeds=(0,), trials=25)
    results = run_benchmark(profile, ["random", "tpe"], measure_cost=False)
    regret = results["summary"]["held_out_regret"]
    for method in ("random", "tpe"):
        curves = results["curves"][method]
        assert regret[method]["25"] == pytest.approx(np.mean([c[24] for c in curves.values()]))
        assert regret[method]["100"] is None  # runs of 25 trials never reach 100
    noisy = next(r for r in results["runs"] if r["task"] == "kr-schools")
    task = held_out.get_held_out_task("kr-schools")
    assert noisy["values"][0] == task.expected(noisy["params"][0])

    previous = {"regret": {"tpe": {"25": 0.5}}, "targets": {"x": 1}}
    (tmp_path / "summary.json").write_text(json.dumps(previous))
    write_all(results, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == {**previous, "held_out_regret": regret}
    assert "Held-out set" in (tmp_path / "quality_held_out.md").read_text()


def test_a_development_run_keeps_the_last_held_out_figures(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    held = {"tpe": {"25": 0.2, "100": 0.1}}
    path.write_text(json.dumps({"regret": {"tpe": {"25": 0.9}}, "held_out_regret": held}))
    results = {"profile": "full", "summary": {"regret": {"tpe": {"25": 0.4}}}}
    assert merged_summary(results, path) == {
        "regret": {"tpe": {"25": 0.4}},
        "held_out_regret": held,
    }
    path.unlink()
    assert merged_summary(results, path) == results["summary"]
