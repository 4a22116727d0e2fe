"""Value-aware LLM calls (issue #19, item 1): each kind of call keeps a recorded estimate of
what it contributes; one that shows none after a few calls is made only on a sparse
schedule (and on a plateau), one that contributes is made at every step."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import optuna
import pytest

from assistant.context import ProblemContext
from assistant.engine import EngineOptions, Observation
from assistant.engine.value import proposal_value, schedule, surrogate_value
from assistant.llm.base import Message
from assistant.sampler import LLAMBOSampler
from assistant.space import FloatParam, SearchSpace
from assistant.trial_history import SUGGESTION_ATTR
from tests.engine.scripted_client import ScriptedClient

SPACE = SearchSpace.of(
    FloatParam(name="x", low=0.0, high=1.0), FloatParam(name="y", low=0.0, high=1.0)
)
CONTEXT = ProblemContext(task="t", model="m", metric="score")


def objective(config: dict[str, Any]) -> float:
    return -((config["x"] - 0.3) ** 2) - (config["y"] - 0.7) ** 2


def llm(surrogate: str) -> ScriptedClient:
    """Proposals of random points; a surrogate that knows the truth ("oracle") or not
    ("noise": random numbers)."""
    rng = np.random.default_rng(7)

    def answer(purpose: str, messages: list[Message], schema: dict[str, Any] | None) -> Any:
        assert schema is not None
        if purpose in ("warmstart", "propose"):
            out: dict[str, Any] = {"rationale": "r"}
            for key, spec in schema["properties"].items():
                if key.startswith("config_"):
                    out[key] = {
                        k: float(rng.choice(v["enum"])) for k, v in spec["properties"].items()
                    }
            return out
        listed = re.findall(r"^- (c\d+): x=([-\d.e]+), y=([-\d.e]+)$", messages[1].content, re.M)
        if surrogate == "oracle":
            return {k: objective({"x": float(x), "y": float(y)}) for k, x, y in listed}
        return {k: float(rng.normal()) for k, _x, _y in listed}

    return ScriptedClient(answer)


def run(client: ScriptedClient, n_trials: int = 30, **options: Any) -> optuna.Study:
    sampler = LLAMBOSampler(
        client, CONTEXT, search_space=SPACE, seed=0, options=EngineOptions(**options),
        pipeline=False,
    )  # fmt: skip
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(
        lambda t: objective({"x": t.suggest_float("x", 0, 1), "y": t.suggest_float("y", 0, 1)}),
        n_trials=n_trials,
    )
    return study


def calls(client: ScriptedClient, purpose: str) -> int:
    return sum(c["purpose"] == purpose for c in client.calls)


def test_a_useless_surrogate_costs_a_few_calls_not_one_per_step() -> None:
    client = llm("noise")
    study = run(client)
    model_steps = 30 - 5
    surrogate_calls = calls(client, "surrogate") // EngineOptions().n_surrogate_samples
    # burn-in (4) + one in ten of the remaining steps + a plateau call or two
    assert surrogate_calls <= 4 + model_steps // 8 + 2 < model_steps // 2
    skipped = [
        t.user_attrs[SUGGESTION_ATTR]["llm_schedule"]["surrogate"]
        for t in study.trials
        if "surrogate" in (t.user_attrs[SUGGESTION_ATTR].get("llm_schedule") or {})
    ]
    assert any(not d["call"] and d["reason"] == "no contribution shown" for d in skipped)
    last = skipped[-1]["value"]
    assert last is not None and last["low"] <= 0.0 <= last["high"]  # indistinguishable from 0


def test_a_surrogate_that_knows_the_truth_is_called_at_every_step() -> None:
    client = llm("oracle")
    study = run(client)
    decisions = [
        t.user_attrs[SUGGESTION_ATTR]["llm_schedule"]["surrogate"]
        for t in study.trials
        if t.user_attrs[SUGGESTION_ATTR].get("llm_schedule")
    ]
    assert all(d["call"] for d in decisions)
    assert decisions[-1]["reason"] == "it contributes"
    assert decisions[-1]["value"]["low"] > 0.5


def test_every_step_is_the_ablation_and_what_old_sessions_replay_with() -> None:
    client = llm("noise")
    study = run(client, n_trials=12, llm_schedule="every_step")
    samples = EngineOptions().n_surrogate_samples
    initial = ("default", "quasi_random", "warmstart")  # the design, then the warm start
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    # A warm start that did not beat the design hands its trials back; the first of them
    # takes the statistical step (no call) while the LLM's step is planned.
    set_aside = sum(a["rationale"].startswith("The LLM's warm-start point") for a in attrs)
    assert set_aside <= 1
    steps = sum(a["source"] not in initial for a in attrs) - set_aside
    assert steps >= 12 - 5 - 3, "the warm start runs at most half the design, rounded up"
    assert calls(client, "surrogate") == samples * steps and calls(client, "propose") == steps
    assert EngineOptions.recorded({"n_initial": 5}).llm_schedule == "every_step"
    assert EngineOptions.recorded(EngineOptions().model_dump()).llm_schedule == "value_aware"


def obs(number: int, utility: float, **fields: Any) -> Observation:
    return Observation(number=number, config={}, score=utility, utility=utility, **fields)


def test_proposal_value_compares_percentiles_within_the_model_phase() -> None:
    good = [obs(i, 10 + i, source="llm") for i in range(3)] + [
        obs(3 + i, i, source="statistical") for i in range(3)
    ]
    value = proposal_value(good)
    assert value is not None and value.estimate == pytest.approx(0.5) and value.low > 0
    assert proposal_value(good[:4]) is None  # one statistical trial: no comparison yet


def test_surrogate_value_has_a_fisher_interval() -> None:
    history = [obs(i, float(i), llm_pred=float(i) + 0.1 * (-1) ** i) for i in range(8)]
    value = surrogate_value(history)
    assert value is not None and value.estimate == pytest.approx(1.0, abs=1e-3)
    shuffled = [obs(i, float(i), llm_pred=float(p)) for i, p in enumerate([3, 0, 5, 1, 7, 2, 6, 4])]
    value = surrogate_value(shuffled)
    assert value is not None and value.low < 0 < value.high


def test_proposals_that_never_win_go_sparse_and_a_plateau_brings_one_call_back() -> None:
    # 5 steps asked for proposals; none of their candidates won a trial.
    history = [
        obs(i, float(i), source="statistical", llm_asked=("propose",), planned_at=i)
        for i in range(5)
    ]
    history += [obs(5, 5.0, source="statistical", planned_at=5)]
    assert schedule("propose", history[:4], burn_in=5).reason == "gathering evidence"
    decision = schedule("propose", history, burn_in=5)
    assert not decision.call
    assert decision.reason == "its proposals won fewer than 2 trials in 5 calls"
    # Five more trials without a new best: a plateau that began after the last call.
    flat = history + [obs(6 + i, 0.0, source="statistical", planned_at=6 + i) for i in range(5)]
    sparse = {"burn_in": 5, "explore_every": 100, "spacing": "fixed"}
    assert not schedule("propose", flat[:-1], **sparse).call  # not yet
    plateau = schedule("propose", flat, **sparse)
    assert plateau.call and "plateau" in plateau.reason
    after = [*flat, obs(11, 0.0, source="statistical", llm_asked=("propose",), planned_at=11)]
    assert not schedule("propose", after, **sparse).call  # once per plateau
    # Growing gaps: the same plateau waits for half the gap (50 steps) since the last call.
    assert not schedule("propose", flat, burn_in=5, explore_every=100).call
    assert schedule("propose", flat, burn_in=5, explore_every=14).call  # 7 >= 14 // 2


def _calls_over(steps: int, spacing: str) -> list[int]:
    """The steps at which a proposal kind that never wins a trial is called, on a search
    that improves now and then (new bests at a slowing rate, so plateaus keep coming)."""
    rng = np.random.default_rng(3)
    history: list[Observation] = []
    made: list[int] = []
    for step in range(steps):
        decision = schedule("propose", history, burn_in=2, spacing=spacing)  # type: ignore[arg-type]
        asked: tuple[str, ...] = ("propose",) if decision.call else ()
        if decision.call:
            made.append(step)
        utility = float(rng.random() ** (1 / (1 + step)))  # harder to beat as the run goes on
        history.append(obs(step, utility, source="statistical", llm_asked=asked, planned_at=step))
    return made


def test_growing_gaps_make_a_useless_kinds_calls_grow_slower_than_the_budget() -> None:
    fixed, growing = _calls_over(100, "fixed"), _calls_over(100, "growing")
    assert fixed[:6] == growing[:6]  # the same calls while the gap is explore_every
    assert len(growing) < len(fixed)
    gaps = np.diff(growing[2:])
    assert all(g >= 5 for g in gaps)  # a plateau call waits for half the gap (10 // 2)
    # A gap is at least a quarter of the steps before the call that opened it (a plateau
    # call's half of a gap of at least half those steps).
    assert all(b - a >= a // 4 for a, b in itertools.pairwise(growing))
    # Ten times the budget: not ten times the calls (the fixed gaps make 103 here).
    assert (
        len(_calls_over(1000, "growing")) < 2 * len(growing) < len(_calls_over(1000, "fixed")) / 5
    )
