"""Engine components with an in-process scripted LLM: warm start, target conditioning,
blending by track record, fallback, bounded prompts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assistant.context import ProblemContext
from assistant.engine import EngineOptions, Observation, Planner
from assistant.engine.advisor import LLMAdvisor
from assistant.engine.candidates import config_key
from assistant.engine.history import select_examples
from assistant.engine.trust import llm_weight, proposal_record
from assistant.errors import LLMTimeoutError
from assistant.llm.base import Message
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from tests.engine.scripted_client import ScriptedClient, first_choices

SPACE = SearchSpace.of(
    FloatParam(name="lr", low=1e-4, high=1.0, log=True),
    IntParam(name="depth", low=1, high=10),
    CategoricalParam(name="kind", choices=("a", "b", "c")),
)
CONTEXT = ProblemContext(task="binary classification", model="toy", metric="roc_auc")


def objective(config: dict[str, Any]) -> float:
    return (
        -((np.log10(config["lr"]) + 2) ** 2)
        - 0.1 * (config["depth"] - 6) ** 2
        + (0.3 if config["kind"] == "b" else 0.0)
    )


def history_of(
    configs: list[dict[str, Any]], preds: list[float] | None = None
) -> list[Observation]:
    out = []
    for i, c in enumerate(configs):
        value = objective(c)
        out.append(
            Observation(
                number=i,
                config=c,
                score=value,
                utility=value,
                llm_pred=None if preds is None else preds[i],
                stat_pred=value + 0.3,
            )
        )
    return out


def random_configs(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [SPACE.from_unit(rng.random(3)) for _ in range(n)]


def answer_with(config_for: Any) -> Any:
    def answer(purpose: str, messages: list[Message], schema: dict[str, Any] | None) -> Any:
        assert schema is not None
        if purpose in ("warmstart", "propose"):
            out: dict[str, Any] = {"rationale": f"{purpose} rationale"}
            for key, spec in schema["properties"].items():
                if key.startswith("config_"):
                    out[key] = config_for(spec)
            return out
        return {key: 0.5 for key in schema["properties"]}

    return answer


def planner(client: ScriptedClient | None, mode: str = "full", **opts: Any) -> Planner:
    options = EngineOptions(mode=mode, **opts)
    advisor = LLMAdvisor(client, SPACE, CONTEXT) if client is not None else None
    return Planner(
        SPACE,
        CONTEXT,
        advisor,
        options,
        default_config={"lr": 0.1, "depth": 3, "kind": "a"},
        seed=0,
    )


def design_then(p: Planner, seed: int = 0) -> tuple[list[Observation], list[Any]]:
    """The statistical design's trials (scored by the toy objective), then the next step."""
    design = p.plan([], [], np.random.default_rng(seed))
    history = history_of([s.config for s in design])
    return history, p.plan(history, [], np.random.default_rng(seed + 1))


def test_the_statistical_design_comes_first_then_the_warm_start() -> None:
    client = ScriptedClient(answer_with(distinct_choices()))
    p = planner(client)
    design = p.plan([], [], np.random.default_rng(0))
    assert [s.source for s in design] == ["default"] + ["quasi_random"] * 4
    assert client.calls == [], "the design never waits for the LLM"
    history, warm = design_then(p)
    assert [s.source for s in warm] == ["warmstart", "warmstart"]
    assert all(s.initial and s.rationale == "warmstart rationale" for s in warm)
    assert [c["purpose"] for c in client.calls] == ["warmstart"]
    asked = [k for k in client.calls[0]["schema"]["properties"] if k.startswith("config_")]
    assert len(asked) == 2, "half the design after the defaults, rounded up"
    seen = {config_key(SPACE, o.config) for o in history}
    assert all(config_key(SPACE, s.config) not in seen for s in warm)
    after = p.plan(
        history_of([*[o.config for o in history], *[s.config for s in warm]]),
        [],
        np.random.default_rng(2),
    )
    assert "warmstart" not in [c["purpose"] for c in client.calls[1:]], "once per session"
    assert after[0].source in ("statistical", "llm")


def _with_warm_start(utilities: list[float | None]) -> list[Observation]:
    """Five design trials scored 1..5, then warm-start trials with these utilities."""
    design = [
        Observation(number=i, config={}, score=float(i + 1), utility=float(i + 1)) for i in range(5)
    ]
    warm = [
        Observation(
            number=5 + i, config={}, score=u, utility=u, failed=u is None, source="warmstart"
        )
        for i, u in enumerate(utilities)
    ]
    return design + warm


def test_the_warm_start_goes_on_only_while_its_points_beat_the_best() -> None:
    p = planner(ScriptedClient(answer_with(distinct_choices())))
    assert p.warmstart_stops(_with_warm_start([]), queued=1) is None, "none finished yet"
    assert p.warmstart_stops(_with_warm_start([6.0]), queued=1) is None, "a new best"
    assert p.warmstart_stops(_with_warm_start([6.0, 7.0]), queued=1) is None
    assert p.warmstart_stops(_with_warm_start([6.0]), queued=0) is None, "nothing left"
    worse = p.warmstart_stops(_with_warm_start([4.0]), queued=2)
    assert worse == (
        "The LLM's warm-start point (trial 5) did not improve on the best trial before it, "
        "so its 2 other point(s) went back to the model's steps."
    )
    tie = p.warmstart_stops(_with_warm_start([6.0, 6.0]), queued=1)
    assert tie is not None and "(trial 6) did not improve" in tie
    failed = p.warmstart_stops(_with_warm_start([None]), queued=1)
    assert failed is not None and "(trial 5) failed" in failed
    client = ScriptedClient(answer_with(distinct_choices()))
    always = planner(client, llm_warmstart_followup="always")
    assert always.warmstart_stops(_with_warm_start([4.0]), queued=2) is None
    assert EngineOptions.recorded({}).llm_warmstart_followup == "always", "old sessions replay"


def test_the_design_is_the_same_with_the_llm_or_without() -> None:
    with_llm = planner(ScriptedClient(answer_with(distinct_choices())))
    without = planner(None, mode="off")
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        ours = [s.config for s in with_llm.plan([], [], rng, llm_rng=np.random.default_rng(9))]
        theirs = [s.config for s in without.plan([], [], np.random.default_rng(seed))]
        assert ours == theirs


def test_the_warm_start_share_sets_its_size() -> None:
    client = ScriptedClient(answer_with(distinct_choices()))
    _, warm = design_then(planner(client, llm_initial_share=1.0))
    assert [s.source for s in warm] == ["warmstart"] * 4
    client = ScriptedClient(answer_with(distinct_choices()))
    _, step = design_then(planner(client, llm_initial_share=0.0))
    assert "warmstart" not in [c["purpose"] for c in client.calls]
    assert step[0].source in ("statistical", "llm") and not step[0].initial


def test_repeated_warm_start_points_run_once() -> None:
    client = ScriptedClient(answer_with(first_choices))  # both proposals identical
    _, warm = design_then(planner(client))
    assert [s.source for s in warm] == ["warmstart"]


def test_a_warm_start_that_only_repeats_tried_points_gives_way_and_says_so() -> None:
    client = ScriptedClient(answer_with(first_choices))  # both of its points the same
    p = planner(client, mode="warmstart")
    history, warm = design_then(p)
    assert [s.source for s in warm] == ["warmstart"]
    # A fresh planner (the warm start is asked once a session) whose design holds that point.
    tried = history_of([*[o.config for o in history[:-1]], warm[0].config])
    fresh = planner(ScriptedClient(answer_with(first_choices)), mode="warmstart")
    step = fresh.plan(tried, [], np.random.default_rng(3))
    assert step[0].source == "statistical"
    assert step[0].fallback == (
        "the LLM's warm start offered 2 repeated point(s): the model's step ran instead"
    )


def test_an_invalid_warm_start_gives_way_to_the_model_and_says_so() -> None:
    client = ScriptedClient(answer_with(lambda spec: {"lr": 569, "depth": 3, "kind": "zzz"}))
    _, step = design_then(planner(client, mode="warmstart"))
    assert step[0].source == "statistical" and step[0].stat_pred is not None
    assert "2 invalid" in (step[0].fallback or "") and client.calls


def test_a_failed_warm_start_gives_way_to_the_model_and_says_so() -> None:
    client = ScriptedClient(lambda *a: LLMTimeoutError("too slow"))
    _, step = design_then(planner(client, mode="warmstart"))
    assert step[0].source == "statistical"
    assert "LLMTimeoutError" in (step[0].fallback or "")


def test_within_the_design_defaults_come_first_then_llm_then_distinct_fills() -> None:
    client = ScriptedClient(answer_with(first_choices))  # every proposal identical
    plan = planner(client, llm_warmstart_at="design").plan([], [], np.random.default_rng(0))
    assert [s.source for s in plan][:2] == ["default", "warmstart"]
    assert all(s.initial for s in plan) and len(plan) == 5
    keys = {config_key(SPACE, s.config) for s in plan}
    assert len(keys) == 5, "duplicates must be replaced"
    assert all(SPACE.contains(s.config) for s in plan)
    assert plan[1].rationale == "warmstart rationale"
    assert "repeated warm-start proposal(s) replaced" in (plan[2].fallback or "")
    assert client.calls[0]["purpose"] == "warmstart"


def distinct_choices() -> Any:
    """A config_for that picks the n-th value of every enum on its n-th call."""
    calls = iter(range(1000))

    def config_for(spec: dict[str, Any]) -> dict[str, Any]:
        n = next(calls)
        return {k: v["enum"][n % len(v["enum"])] for k, v in spec["properties"].items()}

    return config_for


def test_within_the_design_the_llm_fills_at_most_its_share() -> None:
    client = ScriptedClient(answer_with(distinct_choices()))
    sources = [
        s.source
        for s in planner(client, llm_warmstart_at="design").plan([], [], np.random.default_rng(0))
    ]
    assert sources == ["default", "warmstart", "warmstart", "quasi_random", "quasi_random"]
    asked = [k for k in client.calls[0]["schema"]["properties"] if k.startswith("config_")]
    assert len(asked) == 2
    client = ScriptedClient(answer_with(distinct_choices()))
    plan = planner(client, llm_warmstart_at="design", llm_initial_share=1.0).plan(
        [], [], np.random.default_rng(0)
    )
    assert [s.source for s in plan] == ["default"] + ["warmstart"] * 4
    client = ScriptedClient(answer_with(distinct_choices()))
    plan = planner(client, llm_warmstart_at="design", llm_initial_share=0.0).plan(
        [], [], np.random.default_rng(0)
    )
    assert "warmstart" not in {s.source for s in plan} and client.calls == []


def test_warm_start_schema_quantizes_numbers_for_weak_models() -> None:
    client = ScriptedClient(answer_with(first_choices))
    planner(client, llm_warmstart_at="design").plan([], [], np.random.default_rng(0))
    config_schema = client.calls[0]["schema"]["properties"]["config_1"]["properties"]
    assert config_schema["lr"]["enum"][0] == 1e-4 and config_schema["lr"]["enum"][-1] == 1.0
    assert config_schema["kind"]["enum"] == ["a", "b", "c"]


def test_within_the_design_invalid_warm_start_points_are_replaced_and_reported() -> None:
    client = ScriptedClient(answer_with(lambda spec: {"lr": 569, "depth": 3, "kind": "zzz"}))
    plan = planner(client, llm_warmstart_at="design").plan([], [], np.random.default_rng(0))
    assert [s.source for s in plan] == ["default"] + ["quasi_random"] * 4
    assert all(SPACE.contains(s.config) for s in plan)
    assert "invalid" in (plan[1].fallback or "")
    assert plan[1].rejected == [] and client.calls  # the LLM was asked


def test_within_the_design_a_failed_warm_start_falls_back_and_says_so() -> None:
    client = ScriptedClient(lambda *a: LLMTimeoutError("too slow"))
    plan = planner(client, llm_warmstart_at="design").plan([], [], np.random.default_rng(0))
    assert len(plan) == 5 and "LLMTimeoutError" in (plan[1].fallback or "")


def test_off_mode_never_calls_the_llm() -> None:
    client = ScriptedClient(answer_with(first_choices))
    p = planner(client, mode="off")
    hist = history_of(random_configs(8))
    p.plan([], [], np.random.default_rng(0))
    step = p.plan(hist, [], np.random.default_rng(0))
    assert client.calls == []
    assert step[0].source == "statistical" and step[0].stat_pred is not None


def test_target_conditioning_is_in_the_prompt() -> None:
    client = ScriptedClient(answer_with(lambda spec: {"lr": 0.01, "depth": 6, "kind": "b"}))
    hist = history_of(random_configs(8))
    best = max(o.score for o in hist)
    step = planner(client).plan(hist, [], np.random.default_rng(0))
    propose = next(c for c in client.calls if c["purpose"] == "propose")
    prompt = propose["messages"][1].content
    assert step[0].target is not None and step[0].target > best
    assert f"reach a roc_auc of {step[0].target:.4g}" in prompt
    assert "Best so far" in prompt


def test_llm_proposal_wins_when_good_and_explains_itself() -> None:
    optimum = {"lr": 0.01, "depth": 6, "kind": "b"}
    client = ScriptedClient(answer_with(lambda spec: optimum))
    hist = history_of(random_configs(8))
    # the surrogate answer (0.5 everywhere) is not informative; the GP still ranks
    step = planner(client).plan(hist, [], np.random.default_rng(0))
    sources = {s.source for s in step}
    assert "llm" in sources
    llm_s = next(s for s in step if s.source == "llm")
    assert llm_s.config == optimum and llm_s.rationale == "propose rationale"
    assert llm_s.llm_pred == pytest.approx(0.5) and llm_s.stat_pred is not None


def test_fallback_when_llm_returns_garbage_mid_search() -> None:
    client = ScriptedClient(lambda *a: LLMTimeoutError("stalled"))
    hist = history_of(random_configs(8))
    step = planner(client).plan(hist, [], np.random.default_rng(0))
    assert step[0].source == "statistical"
    assert "LLMTimeoutError" in (step[0].fallback or "")


def test_trust_drops_to_zero_for_a_misleading_llm_and_grows_for_a_good_one() -> None:
    configs = random_configs(12)
    truth = [objective(c) for c in configs]
    inverted = history_of(configs, preds=[-t for t in truth])
    accurate = history_of(configs, preds=[t + 0.01 for t in truth])
    assert llm_weight(inverted).weight == 0.0
    good = llm_weight(accurate)
    assert good.weight > 0.25 and good.llm_rank_corr == pytest.approx(1.0)
    assert llm_weight(history_of(configs[:2], preds=truth[:2])).weight == 0.25  # prior


def with_sources(history: list[Observation], sources: list[str]) -> list[Observation]:
    return [o.model_copy(update={"source": s}) for o, s in zip(history, sources, strict=True)]


def test_proposals_that_score_below_the_statistical_ones_remove_the_llm_weight() -> None:
    configs = sorted(random_configs(8), key=objective)  # worst first
    truth = [objective(c) for c in configs]
    history = history_of(configs, preds=truth)  # its predictions would look perfect
    llm_worst = with_sources(
        history, ["warmstart"] * 2 + ["quasi_random"] * 2 + ["llm"] * 2 + ["statistical"] * 2
    )
    report = llm_weight(llm_worst)
    assert report.proposal_record is not None and report.proposal_record < 0
    assert report.weight == 0.0
    llm_best = with_sources(
        history, ["quasi_random"] * 2 + ["warmstart"] * 2 + ["statistical"] * 2 + ["llm"] * 2
    )
    report = llm_weight(llm_best)
    assert report.proposal_record is not None and report.proposal_record > 0
    assert report.weight > 0.25
    # One LLM trial against one statistical one is not yet evidence.
    early = with_sources(history[:4], ["default", "warmstart", "quasi_random", "default"])
    assert proposal_record(early) is None


def test_prompt_stays_bounded_at_1000_trials() -> None:
    client = ScriptedClient(answer_with(lambda spec: {"lr": 0.01, "depth": 6, "kind": "b"}))
    hist = history_of(random_configs(1000, seed=3))
    planner(client).plan(hist, [], np.random.default_rng(0))
    for call in client.calls:
        text = " ".join(m.content for m in call["messages"])
        assert len(text) < 6000, "prompt must stay a few thousand tokens"
        assert "16 of 1000 shown" in text


def test_examples_include_the_best_and_are_shuffled() -> None:
    hist = history_of(random_configs(100))
    best = max(hist, key=lambda o: o.utility)
    a = select_examples(SPACE, hist, 16, np.random.default_rng(1))
    b = select_examples(SPACE, hist, 16, np.random.default_rng(2))
    assert best in a and len(a) == 16
    assert {o.number for o in a} == {o.number for o in b}
    assert [o.number for o in a] != [o.number for o in b]


def test_pending_configs_are_not_suggested_again() -> None:
    p = planner(None, mode="off")
    hist = history_of(random_configs(8))
    first = p.plan(hist, [], np.random.default_rng(0))[0]
    second = p.plan(hist, [first.config], np.random.default_rng(0))[0]
    assert config_key(SPACE, first.config) != config_key(SPACE, second.config)


def test_gp_hyperparameters_are_reestimated_as_the_data_grows_by_five_percent() -> None:
    p = planner(None, mode="off")
    configs = random_configs(44, seed=5)
    p.plan(history_of(configs[:40]), [], np.random.default_rng(0))
    fitted = p._kernel
    assert fitted is not None and p._kernel_basis == 40
    p.plan(history_of(configs[:41]), [], np.random.default_rng(0))
    assert p._kernel is fitted, "one more point: the kernel is reused as it is"
    p.plan(history_of(configs[:42]), [], np.random.default_rng(0))
    assert p._kernel is not fitted and p._kernel_basis == 42
