"""LLAMBOSampler inside Optuna: the generic sampler behaviours, plus our own guarantees
(explanations on trials, distinct candidates in parallel, pickling, determinism)."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pytest
from optuna.testing.pytest_samplers import (
    BasicSamplerTestCase,
    MultiObjectiveSamplerTestCase,
    RelativeSamplerTestCase,
)
from optuna.trial import TrialState

from assistant.engine import EngineOptions
from assistant.sampler import MULTI_OBJECTIVE_ATTR, SUGGESTION_ATTR, LLAMBOSampler
from assistant.space import FloatParam, IntParam, SearchSpace
from tests.engine.scripted_client import ScriptedClient

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _answer(purpose: str, _messages: Any, schema: dict[str, Any] | None) -> dict[str, Any]:
    assert schema is not None
    props = schema["properties"]
    if purpose == "surrogate":
        return {k: 0.1 * i for i, k in enumerate(props)}
    out: dict[str, Any] = {"rationale": "scripted"}
    for i, (key, spec) in enumerate(props.items()):
        if key.startswith("config_"):
            out[key] = {
                name: sub["enum"][(i * 3 + j) % len(sub["enum"])]
                for j, (name, sub) in enumerate(spec["properties"].items())
            }
    return out


class TestOffMode(BasicSamplerTestCase, RelativeSamplerTestCase, MultiObjectiveSamplerTestCase):
    @pytest.fixture
    def sampler(self) -> Callable[[], optuna.samplers.BaseSampler]:
        return lambda: LLAMBOSampler(mode="off", seed=1)


class TestFullModeWithScriptedLLM(BasicSamplerTestCase, RelativeSamplerTestCase):
    @pytest.fixture
    def sampler(self) -> Callable[[], optuna.samplers.BaseSampler]:
        return lambda: LLAMBOSampler(ScriptedClient(_answer), mode="full", seed=1)


SPACE = SearchSpace.of(
    FloatParam(name="x", low=-5, high=5), IntParam(name="n", low=1, high=64, log=True)
)


def objective(trial: optuna.Trial) -> float:
    return (trial.suggest_float("x", -5, 5) - 1) ** 2 + abs(
        np.log2(trial.suggest_int("n", 1, 64, log=True)) - 3
    )


def test_every_trial_carries_its_explanation() -> None:
    client = ScriptedClient(_answer)
    seen = []
    sampler = LLAMBOSampler(
        client,
        search_space=SPACE,
        seed=0,
        on_suggestion=lambda t, s: seen.append((t.number, s.source)),
        options=EngineOptions(llm_warmstart_followup="always"),
    )
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=10)
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    assert [a["source"] for a in attrs[:8]] == ["quasi_random"] * 5 + ["warmstart"] * 3
    assert {a["source"] for a in attrs[8:]} <= {"llm", "statistical"}
    for a in attrs[8:]:
        assert a["stat_pred"] is not None and a["acquisition"] is not None
        assert a["rationale"]
    assert [n for n, _ in seen] == list(range(10))
    assert {c["purpose"] for c in client.calls} == {"warmstart", "propose", "surrogate"}


def _warm_start_of(*points: tuple[float, int]) -> Callable[..., dict[str, Any]]:
    """A scripted LLM whose warm start proposes ``points`` (x, n) and otherwise answers
    as ``_answer`` does."""

    def answer(purpose: str, messages: Any, schema: dict[str, Any] | None) -> dict[str, Any]:
        if purpose != "warmstart":
            return _answer(purpose, messages, schema)
        return {
            "rationale": "scripted",
            **{f"config_{i + 1}": {"x": x, "n": n} for i, (x, n) in enumerate(points)},
        }

    return answer


def _sources_and_rationales(answer: Callable[..., Any], **options: Any) -> list[tuple[str, str]]:
    sampler = LLAMBOSampler(
        ScriptedClient(answer), search_space=SPACE, seed=0, options=EngineOptions(**options)
    )
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=9)
    sampler.close()
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    return [(a["source"], a["rationale"]) for a in attrs]


def test_a_warm_start_that_does_not_beat_the_design_gives_its_trials_back() -> None:
    # x = -5, n = 1 scores 39, far below the design; the warm start has three points (half
    # the five-point design, rounded up), so two go back to the model.
    trials = _sources_and_rationales(_warm_start_of((-5, 1), (-4, 1), (5, 64)))
    assert [s for s, _ in trials[:6]] == ["quasi_random"] * 5 + ["warmstart"]
    source, rationale = trials[6]
    assert source in ("statistical", "llm")
    assert rationale.startswith(
        "The LLM's warm-start point (trial 5) did not improve on the best trial before it, "
        "so its 2 other point(s) went back to the model's steps."
    )
    assert "warmstart" not in [s for s, _ in trials[7:]]
    every = _sources_and_rationales(
        _warm_start_of((-5, 1), (-4, 1), (5, 64)), llm_warmstart_followup="always"
    )
    assert [s for s, _ in every[5:8]] == ["warmstart"] * 3


def test_a_warm_start_goes_on_while_it_finds_new_bests() -> None:
    # (1, 8) is the optimum (0); (2, 8) scores 1, no better than the best, so the third
    # point goes back.
    trials = _sources_and_rationales(_warm_start_of((1, 8), (2, 8), (3, 8)))
    assert [s for s, _ in trials[5:7]] == ["warmstart", "warmstart"]
    assert trials[7][0] != "warmstart"
    assert trials[7][1].startswith("The LLM's warm-start point (trial 6) did not improve")


def test_with_one_seed_the_llm_changes_nothing_before_its_first_answer_runs() -> None:
    # The LLM's calls draw from a stream of their own: the design, and every step the LLM
    # leaves alone, are the statistical path's, so runs with and without it pair closely.
    def first_trials(mode: str) -> list[dict[str, Any]]:
        sampler = LLAMBOSampler(ScriptedClient(_answer), search_space=SPACE, seed=7, mode=mode)
        study = optuna.create_study(sampler=sampler)
        study.optimize(objective, n_trials=6)
        sampler.close()
        return [t.params for t in study.trials]

    off, full = first_trials("off"), first_trials("full")
    assert full[:5] == off[:5]
    assert full[5] != off[5], "the sixth trial is the warm start's"


def test_distinct_candidates_with_two_workers() -> None:
    sampler = LLAMBOSampler(ScriptedClient(_answer), search_space=SPACE, seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=16, n_jobs=2)
    configs = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(configs)) == len(configs) == 16


@pytest.mark.parametrize("pipeline", [True, False])
def test_same_seed_same_sequence(pipeline: bool) -> None:
    def run() -> list[dict[str, Any]]:
        sampler = LLAMBOSampler(
            ScriptedClient(_answer), search_space=SPACE, seed=7, pipeline=pipeline
        )
        study = optuna.create_study(sampler=sampler)
        study.optimize(objective, n_trials=9)
        return [t.params for t in study.trials]

    assert run() == run()


def test_failed_and_pruned_trials_in_history() -> None:
    sampler = LLAMBOSampler(mode="off", search_space=SPACE, seed=0)
    study = optuna.create_study(sampler=sampler)

    def flaky(trial: optuna.Trial) -> float:
        value = objective(trial)
        if trial.number % 3 == 1:
            raise optuna.TrialPruned()
        if trial.number % 3 == 2:
            return float("nan")
        return value

    study.optimize(flaky, n_trials=12, catch=())
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}
    assert len({tuple(sorted(t.params.items())) for t in study.trials}) == 12


def test_enqueued_trials_are_respected() -> None:
    study = optuna.create_study(sampler=LLAMBOSampler(mode="off", search_space=SPACE, seed=0))
    study.enqueue_trial({"x": 4.5, "n": 2})
    study.optimize(objective, n_trials=3)
    assert study.trials[0].params == {"x": 4.5, "n": 2}


def test_conditional_parameters_fall_back_to_independent_sampling() -> None:
    study = optuna.create_study(sampler=LLAMBOSampler(mode="off", seed=0))

    def conditional(trial: optuna.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            return trial.suggest_float("a", 0, 1)
        return trial.suggest_int("b", 0, 10) / 10

    study.optimize(conditional, n_trials=15)
    assert len(study.trials) == 15
    assert {t.params["kind"] for t in study.trials} == {"a", "b"}


def _two_objectives(trial: optuna.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0, 1)
    return x, 1 - x**2


def test_multi_objective_uses_the_statistical_path_and_says_so_once() -> None:
    client = ScriptedClient(_answer)
    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=LLAMBOSampler(client, seed=0)
    )
    with pytest.warns(UserWarning, match="sampled by Optuna's TPESampler alone") as caught:
        study.optimize(_two_objectives, n_trials=8)
        study.optimize(_two_objectives, n_trials=2)
    assert len([w for w in caught if "LLAMBOSampler" in str(w.message)]) == 1
    note = study.user_attrs[MULTI_OBJECTIVE_ATTR]
    assert "2 objectives" in note and "mode='full'" in note
    assert len(study.trials) == 10 and all(t.state == TrialState.COMPLETE for t in study.trials)
    assert len(study.best_trials) >= 1
    assert client.calls == []


def test_multi_objective_without_the_llm_is_not_worth_a_warning() -> None:
    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=LLAMBOSampler(mode="off", seed=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.optimize(_two_objectives, n_trials=4)
    assert MULTI_OBJECTIVE_ATTR not in study.user_attrs


def test_study_with_sampler_pickles() -> None:
    sampler = LLAMBOSampler(ScriptedClient(_answer), search_space=SPACE, seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=6)
    clone = pickle.loads(pickle.dumps(study))
    assert isinstance(clone.sampler, LLAMBOSampler)
    assert clone.sampler.space == SPACE and clone.sampler.seed == 0
    clone.sampler.options = clone.sampler.options.model_copy(update={"mode": "off"})
    clone.optimize(objective, n_trials=2)
    assert len(clone.trials) == 8


def test_no_step_is_planned_past_the_budget() -> None:
    runs = {}
    for budget in (None, 8):
        client = ScriptedClient(_answer)
        sampler = LLAMBOSampler(
            client, search_space=SPACE, seed=0, mode="full", budget=budget,
            # a full step: a proposal and two surrogate samples, three calls
            options=EngineOptions(llm_schedule="every_step", n_surrogate_samples=2),
        )  # fmt: skip
        study = optuna.create_study(sampler=sampler)
        study.optimize(objective, n_trials=8)
        sampler.close()
        runs[budget] = ([c["purpose"] for c in client.calls], [t.params for t in study.trials])
    (with_budget, trials), (without, same_trials) = runs[8], runs[None]
    assert trials == same_trials
    # Without a budget, the step prepared after the last trial (a proposal and its
    # surrogate calls) is wasted; with one it is never asked for.
    assert len(without) - len(with_budget) == 3 and without[-3] == "propose"
    assert without[: len(with_budget)] == with_budget
