"""The harness really runs each optimizer: same seed, different trial sequences."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.quality.methods import missing_dependency, run_one
from benchmarks.quality.reference import Reference
from benchmarks.quality.suite import Task

# Optuna's model-based samplers start with STARTUP_TRIALS (5) random trials, as many as
# our initial design; 11 trials reach several of each one's own model-based steps.
N_TRIALS = 11
METHODS = (
    "random",
    "tpe",
    "tpe_default",
    "cmaes",
    "gp",
    "ours_off",
    "oracle_full",
    "adversarial_full",
    "noise_full",
    "rho_0.9_full",
    "misleader_full",
)


@pytest.mark.integration
def test_each_method_runs_its_own_optimizer(small_task: Task, small_reference: Reference) -> None:
    methods = [m for m in METHODS if missing_dependency(m) is None]
    runs = {m: run_one(small_task, m, 0, N_TRIALS, reference=small_reference) for m in methods}
    for m, run in runs.items():
        assert len(run.values) == N_TRIALS, m
        assert all(v is not None for v in run.values), m
        assert run.test_score is not None, m
    sequences = {m: [tuple(sorted(p.items())) for p in r.params] for m, r in runs.items()}
    for a, b in itertools.combinations(methods, 2):
        assert sequences[a] != sequences[b], f"{a} and {b} tried the same configurations"
    default = tuple(sorted(small_task.default_config.items()))
    for m in ("tpe_default", "ours_off", "oracle_full"):
        assert sequences[m][0] == default, m
    assert runs["ours_off"].llm_calls == []
    for m in ("oracle_full", "adversarial_full", "noise_full", "rho_0.9_full", "misleader_full"):
        assert runs[m].llm_calls, f"{m} never called its scripted LLM"
        assert "warmstart" in runs[m].sources, m
    # a seed change changes the sequence
    other = run_one(small_task, "random", 1, N_TRIALS)
    assert [tuple(sorted(p.items())) for p in other.params] != sequences["random"]
