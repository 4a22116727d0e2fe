"""Cost as users feel it (issue #20, item 6): time to regret 0.1, a scripted LLM's latency,
and the engine overhead over whole interleaved runs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import optuna
import pytest

from assistant.llm import LLMConfig, Message, make_client
from assistant.testing import ScriptedLLMServer, delayed
from benchmarks.quality import cost
from benchmarks.quality.methods import RunResult, run_one
from benchmarks.quality.reference import Reference
from benchmarks.quality.report import merged_summary, write_all
from benchmarks.quality.run import Profile, aggregate, real_run_tasks, run_benchmark, summarize
from benchmarks.quality.suite import Task

from .conftest import SMALL_TASK, tiny_profile


def _run(method: str, seed: int, values: list[float], trial_s: list[float]) -> RunResult:
    return RunResult(
        task="toy",
        method=method,
        seed=seed,
        values=list(values),
        params=[{} for _ in values],
        best_value=max(values),
        best_config={},
        test_score=0.0,
        wall_s=sum(trial_s),
        sampling_s=[0.0 for _ in values],
        trial_s=trial_s,
    )


def _summary(runs: list[RunResult]) -> tuple[dict[str, Any], dict[str, Any]]:
    # f* = 1 and f_ref = 0.5 (maximized): regret is (1 - best) / 0.5.
    ref = Reference("toy", "maximize", [], [], 1.0, "table", 0.5)
    methods = sorted({r.method for r in runs})
    profile = Profile(name="toy", tasks=("toy",), seeds=(0, 1), trials=4)
    tasks = {"toy": SimpleNamespace(direction="maximize")}
    results = aggregate(profile, methods, runs, {"toy": ref}, tasks)
    results.update(
        machine={},
        date="",
        profile="toy",
        elapsed_s=0.0,
        settings={"seeds": [0, 1], "scripted_latency_s": 1.0},
        overhead={},
        pipelining={},
    )
    return results, summarize(results)


def test_felt_time_sums_the_trial_times_up_to_the_first_trial_at_regret_0_1() -> None:
    # regrets 1.0, 0.4, 0.08, 0.02: the third trial is the first at or below 0.1.
    fast = [_run("oracle_full", s, [0.5, 0.8, 0.96, 0.99], [1.0, 2.0, 4.0, 8.0]) for s in (0, 1)]
    fast[1].trial_s = [1.0, 1.0, 1.0, 1.0]  # 3 s for seed 1, 7 s for seed 0
    results, summary = _summary(fast)
    felt = results["time_to_regret_0_1"]["oracle_full"]
    assert felt["per_run"] == {"toy/0": 7.0, "toy/1": 3.0}
    assert felt["reached"] == felt["runs"] == 2
    assert summary["time_to_regret_0_1_s"] == {"oracle_full": 5.0}
    assert summary["scripted_latency_s"] == 1.0


def test_a_method_that_never_reaches_0_1_or_only_in_half_its_runs_is_null() -> None:
    never = [_run("noise_full", s, [0.5, 0.6, 0.7, 0.8], [1.0] * 4) for s in (0, 1)]
    half = [
        _run("random", 0, [0.5, 0.99, 0.99, 0.99], [1.0] * 4),
        _run("random", 1, [0.5, 0.6, 0.7, 0.8], [1.0] * 4),
    ]
    results, summary = _summary(never + half)
    assert summary["time_to_regret_0_1_s"] == {"noise_full": None, "random": None}
    assert results["time_to_regret_0_1"]["random"]["reached"] == 1
    assert results["time_to_regret_0_1"]["random"]["per_run"] == {"toy/0": 2.0, "toy/1": None}
    # With three runs, two that get there give a median.
    assert cost.median_time([2.0, None, 5.0]) == 5.0
    assert cost.median_time([]) is None


def test_a_run_with_late_scripted_llms_gives_their_time_to_regret_at_that_latency(
    tmp_path: Path,
) -> None:
    runs = [_run("oracle_full", s, [0.5, 0.8, 0.96, 0.99], [1.0, 2.0, 4.0, 8.0]) for s in (0, 1)]
    runs += [_run("ours_off", s, [0.5, 0.96, 0.96, 0.96], [1.0] * 4) for s in (0, 1)]
    results, summary = _summary(runs)  # settings: scripted LLMs answered after 1 s
    assert summary[cost.LATENCY_KEY] == {"latency_s": 1.0, "median_s": {"oracle_full": 7.0}}
    # Into summary.json it adds that key alone: the development figures already there stay.
    previous = {"regret": {"tpe": {"25": 0.5}}, "held_out_regret": {"tpe": {"100": 0.1}}}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(previous))
    results["summary"] = summary
    merged = merged_summary(results, path)
    assert merged == {**previous, cost.LATENCY_KEY: summary[cost.LATENCY_KEY]}
    path.write_text(json.dumps(merged))
    # A run whose scripted LLMs answered at once writes its own summary and keeps that key.
    results["settings"]["scripted_latency_s"] = 0.0
    results["summary"] = summarize(results)
    assert cost.LATENCY_KEY not in results["summary"]
    path.write_text(json.dumps(merged_summary(results, path)))
    merged = json.loads(path.read_text())
    assert merged[cost.LATENCY_KEY] == summary[cost.LATENCY_KEY]
    assert merged["held_out_regret"] == previous["held_out_regret"]
    assert merged["time_to_regret_0_1_s"] == {"oracle_full": 7.0, "ours_off": 2.0}


def test_time_to_regret_refuses_trial_times_that_do_not_match_the_trials() -> None:
    with pytest.raises(ValueError, match="trial times"):
        cost.time_to_regret([0.5, 0.05], [1.0])


def test_a_run_records_each_trials_felt_time(small_task: Task) -> None:
    run = run_one(small_task, "random", 0, 3)
    assert len(run.trial_s) == len(run.sampling_s) == len(run.values) == 3
    for felt, waited in zip(run.trial_s, run.sampling_s, strict=True):
        assert felt > waited  # the training seconds are added to the sampler's time


def test_a_cached_configuration_costs_the_seconds_it_first_took(small_task: Task) -> None:
    config = small_task.space.from_unit([0.31] * len(small_task.space))
    value, seconds = small_task.evaluate(config)
    assert seconds > 0.0
    assert small_task.evaluate(config) == (value, seconds)
    other = small_task.space.from_unit([0.77] * len(small_task.space))
    small_task.objective(other)  # computed outside evaluate: its seconds are kept too
    recorded = small_task._train_s[small_task.config_key(other)]
    assert small_task.evaluate(other)[1] == recorded


@pytest.mark.parametrize("answer", [{"x": 1}, '{"x": 1}'])
def test_the_scripted_latency_delays_each_answer(answer: Any) -> None:
    with ScriptedLLMServer(delayed(lambda _body: answer, 0.25), model="slow") as server:
        client = make_client(
            LLMConfig(base_url=server.base_url, model="slow", timeout_s=30, max_retries=0)
        )
        start = time.perf_counter()
        response = client.complete([Message(role="user", content="hi")])
        waited = time.perf_counter() - start
    assert response.text == '{"x": 1}'
    assert waited >= 0.2


def test_no_latency_leaves_the_responder_as_it_is() -> None:
    def responder(body: dict[str, Any]) -> str:
        return "ok"

    assert delayed(responder, 0.0) is responder


class _Logged(optuna.samplers.RandomSampler):
    """A random sampler that logs which method asked and told, in order."""

    def __init__(self, name: str, log: list[tuple[str, str, int]]) -> None:
        super().__init__(seed=0)
        self.name, self.log = name, log

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.log.append(("ask", self.name, trial.number))

    def after_trial(self, study: optuna.Study, trial: Any, state: Any, values: Any) -> None:
        self.log.append(("tell", self.name, trial.number))


def test_the_real_run_overhead_interleaves_the_methods(
    small_task: Task, small_reference: Reference
) -> None:
    log: list[tuple[str, str, int]] = []
    result = cost.overhead_real_run(
        [(small_task, small_reference)],
        4,
        sampler_for=lambda method, task, seed: _Logged(method, log),
    )
    asks = [(name, n) for kind, name, n in log if kind == "ask"]
    assert asks == [
        ("tpe", 0),
        ("ours_off", 0),
        ("ours_off", 1),
        ("tpe", 1),
        ("tpe", 2),
        ("ours_off", 2),
        ("ours_off", 3),
        ("tpe", 3),
    ]
    # each trial is told before the other method asks
    assert [kind for kind, _, _ in log] == ["ask", "tell"] * 8
    assert [(name, n) for kind, name, n in log if kind == "tell"] == asks
    assert result["n_trials"] == 4 and result["tasks"] == [small_task.name]
    assert set(result["per_task"][small_task.name]) == {"tpe_s", "ours_off_s"}


@pytest.mark.integration
def test_the_real_run_overhead_times_tpe_and_ours(
    small_task: Task, small_reference: Reference
) -> None:
    result = cost.overhead_real_run([(small_task, small_reference)], 8)
    assert result["tpe_s"] > 0 and result["ours_off_s"] > 0
    assert result["ratio"] == pytest.approx(result["ours_off_s"] / result["tpe_s"])


def test_the_real_run_takes_one_task_per_family_first() -> None:
    names = ("rf-wine", "rf-diabetes", "svm-breast", "dt-digits")
    assert real_run_tasks(names, 3) == ["rf-wine", "svm-breast", "dt-digits"]
    assert real_run_tasks(("rf-wine", "rf-diabetes"), 2) == ["rf-wine", "rf-diabetes"]
    assert real_run_tasks(names, 1) == ["rf-wine"]


@pytest.mark.integration
def test_a_tiny_profile_reports_the_felt_cost(reference_dir: Path, tmp_path: Path) -> None:
    profile = tiny_profile(
        overhead_sizes=(),
        pipeline_latency_s=0.01,
        pipeline_trial_s=0.01,
        pipeline_trials=2,
        real_run_trials=6,
        scripted_latency_s=0.05,
    )
    results = run_benchmark(profile, ["random", "oracle_full"], reference_dir=reference_dir)
    paths = write_all(results, tmp_path)
    summary = json.loads(Path(paths["summary"]).read_text())
    assert set(summary["time_to_regret_0_1_s"]) == {"random", "oracle_full"}
    assert summary["scripted_latency_s"] == results["settings"]["scripted_latency_s"] == 0.05
    # No summary.json before: this run writes its own, the late scripted LLMs' key included.
    assert summary[cost.LATENCY_KEY]["latency_s"] == 0.05
    assert set(summary[cost.LATENCY_KEY]["median_s"]) == {"oracle_full"}
    assert {r["method"]: r["scripted_latency_s"] for r in results["runs"]} == {
        "random": 0.0,
        "oracle_full": 0.05,
    }
    real = summary["overhead_real_run"]
    assert real["n_trials"] == 6 and real["tasks"] == [SMALL_TASK]
    assert real["ratio"] == pytest.approx(real["ours_off_s"] / real["tpe_s"])
    markdown = Path(paths["md"]).read_text()
    assert "Wall-clock time to regret ≤ 0.1" in markdown
    assert "Engine overhead over whole runs (6 trials" in markdown
