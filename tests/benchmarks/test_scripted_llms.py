"""The scripted LLMs behave as labelled: the oracle and the adversary through the engine's own
prompts, the graded ones at their ρ, and the misleader from the 60th–85th percentile."""

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
from benchmarks.quality.scripted_llms import (
    GradedResponder,
    MisleaderResponder,
    ReferenceResponder,
    parse_candidates,
    responder_for,
)
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


@pytest.mark.parametrize("rho", [0.0, 0.6, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_graded_predictions_correlate_with_truth_at_about_rho(
    task: Task, table: reference.Reference, rho: float, seed: int
) -> None:
    responder = GradedResponder(task, table, rho, seed=seed)
    predicted = [responder.predict(c) for c in table.configs]
    measured = spearmanr(predicted, table.values).statistic
    assert abs(measured - rho) <= 0.15, measured


def test_rho_zero_predictions_span_the_real_score_range(
    task: Task, table: reference.Reference
) -> None:
    responder = responder_for("noise", task, table, seed=3)
    assert isinstance(responder, GradedResponder) and responder.rho == 0.0
    values = np.asarray(table.values)
    predicted = np.array([responder.predict(c) for c in table.configs])
    assert values.min() <= predicted.min() <= np.quantile(values, 0.02)
    assert np.quantile(values, 0.98) <= predicted.max() <= values.max()
    assert predicted.std() == pytest.approx(values.std(), rel=0.2)
    assert abs(spearmanr(predicted, values).statistic) < 0.15


@pytest.mark.parametrize(("rho", "low", "high"), [(0.0, 0.3, 0.7), (0.9, 0.8, 1.0)])
def test_graded_proposals_follow_the_noisy_rank(
    task: Task, table: reference.Reference, rho: float, low: float, high: float
) -> None:
    responder = GradedResponder(task, table, rho, seed=0)
    ranks = [_percentile_rank(table, table.values[i]) for i in responder.pool()]
    assert low <= np.mean(ranks) <= high, np.mean(ranks)


def test_misleader_pool_is_the_60th_to_85th_percentile(
    task: Task, table: reference.Reference
) -> None:
    responder = MisleaderResponder(task, table, seed=0)
    ranks = np.array([_percentile_rank(table, table.values[i]) for i in responder.pool()])
    assert ranks.min() >= 0.55 and ranks.max() <= 0.86, (ranks.min(), ranks.max())
    # confident: its favourites are predicted better than 95% of the table
    favourite = table.configs[responder.pool()[0]]
    assert _percentile_rank(table, responder.predict(favourite)) >= 0.95
    # and the truly best configuration looks mediocre to it
    best = table.configs[int(table.order()[0])]
    assert _percentile_rank(table, responder.predict(best)) <= 0.65


@pytest.mark.integration
def test_misleader_proposes_from_the_60th_to_85th_percentile(
    task: Task, table: reference.Reference
) -> None:
    responder = MisleaderResponder(task, table, seed=0)
    with ScriptedLLMServer(responder) as server:
        proposal = _advisor(task, responder, server).warmstart(6, np.random.default_rng(0))
    assert len(proposal.configs) == 6 and not proposal.rejected
    ranks = [_percentile_rank(table, task.objective(c)) for c in proposal.configs]
    # snapped to the schema's grids, so a little spread around the band
    assert 0.5 <= np.mean(ranks) <= 0.9, ranks


@pytest.mark.integration
def test_graded_predictions_reach_the_engine(task: Task, table: reference.Reference) -> None:
    rng = np.random.default_rng(1)
    picks = rng.choice(len(table.values), size=50, replace=False)
    history = [
        Observation(
            number=i, config=table.configs[j], score=table.values[j], utility=-table.values[j]
        )
        for i, j in enumerate(picks[:10])
    ]
    candidates = [table.configs[j] for j in picks[10:]]
    truth = [table.values[j] for j in picks[10:]]
    responder = GradedResponder(task, table, 0.9, seed=0)
    with ScriptedLLMServer(responder) as server:
        mean, _ = _advisor(task, responder, server).score(
            history, candidates, np.random.default_rng(2), n_samples=1
        )
    assert spearmanr(-mean, truth).statistic > 0.6
    assert responder.predictions >= len(candidates)
