"""The scripted oracle and adversary behave as labelled, through the engine's own prompts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from assistant.engine import Observation
from assistant.engine.advisor import LLMAdvisor
from assistant.llm import LLMConfig, make_client
from assistant.testing import ScriptedLLMServer
from benchmarks.quality import reference
from benchmarks.quality.scripted_llms import ReferenceResponder, parse_candidates
from benchmarks.quality.suite import Task, get_task

TASK = "dt-diabetes"  # minimized: lower is better


@pytest.fixture(scope="module")
def task() -> Task:
    return get_task(TASK)


@pytest.fixture(scope="module")
def table(task: Task, reference_dir: Path) -> reference.Reference:
    return reference.load(TASK) or reference.ensure(task, 300, reference_dir)


def _advisor(task: Task, responder: ReferenceResponder, server: ScriptedLLMServer) -> LLMAdvisor:
    client = make_client(LLMConfig(base_url=server.base_url, model="scripted", max_retries=0))
    return LLMAdvisor(client, task.space, task.context())


def _percentile_rank(table: reference.Reference, value: float) -> float:
    """Share of the reference table that ``value`` beats (1 = better than everything)."""
    values = np.asarray(table.values)
    return float(np.mean(values > value))  # minimization


@pytest.mark.integration
@pytest.mark.parametrize("role", ["oracle", "adversarial"])
def test_proposals_come_from_the_labelled_end_of_the_table(
    task: Task, table: reference.Reference, role: str
) -> None:
    responder = ReferenceResponder(task, table, role, seed=0)  # type: ignore[arg-type]
    with ScriptedLLMServer(responder) as server:
        proposal = _advisor(task, responder, server).warmstart(6, np.random.default_rng(0))
    assert len(proposal.configs) == 6 and not proposal.rejected
    ranks = [_percentile_rank(table, task.objective(c)) for c in proposal.configs]
    if role == "oracle":
        assert np.mean(ranks) >= 0.85, ranks
    else:
        assert np.mean(ranks) <= 0.35, ranks


@pytest.mark.integration
@pytest.mark.parametrize("role", ["oracle", "adversarial"])
def test_predictions_correlate_with_truth_as_labelled(
    task: Task, table: reference.Reference, role: str
) -> None:
    rng = np.random.default_rng(1)
    picks = rng.choice(len(table.values), size=30, replace=False)
    history = [
        Observation(
            number=i, config=table.configs[j], score=table.values[j], utility=-table.values[j]
        )
        for i, j in enumerate(picks[:10])
    ]
    candidates = [table.configs[j] for j in picks[10:]]
    truth = [table.values[j] for j in picks[10:]]
    responder = ReferenceResponder(task, table, role, seed=0)  # type: ignore[arg-type]
    with ScriptedLLMServer(responder) as server:
        mean, _ = _advisor(task, responder, server).score(
            history, candidates, np.random.default_rng(2), n_samples=1
        )
    predicted = -mean  # the advisor returns utilities (minimization: −score)
    rho = spearmanr(predicted, truth).statistic
    if role == "oracle":
        assert rho > 0.6, rho
    else:
        assert rho < -0.6, rho


def test_parse_candidates_reads_the_prompt_format(task: Task) -> None:
    config = dict(task.default_config)
    prompt = f"Predict...\n- c1: {task.space.format_config(config)}\n- c2: max_depth=3"
    parsed = parse_candidates(prompt)
    assert task.space.validate_config(parsed["c1"]).config == config
    assert parsed["c2"] == {"max_depth": 3}
