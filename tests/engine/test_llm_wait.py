"""LLM work never blocks a trial the statistical step could start (issue #19, item 1): with
``llm_wait="never"`` a trial whose LLM step is still running takes a statistical suggestion
and says so; the decision is recorded on the trial, and a replay that follows the recorded
decisions suggests the same configurations whatever its own timing."""

from __future__ import annotations

import time
from typing import Any

import optuna

from assistant.engine import EngineOptions
from assistant.sampler import LLAMBOSampler
from assistant.trial_history import SUGGESTION_ATTR
from tests.engine.test_value import CONTEXT, SPACE, llm, objective


class Slow:
    """The scripted LLM, taking ``delay_s`` per call."""

    def __init__(self, delay_s: float) -> None:
        self.inner = llm("oracle")
        self.delay_s = delay_s

    @property
    def model_name(self) -> str:
        return "slow"

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self.inner.calls

    def complete(self, messages: Any, schema: Any = None, **params: Any) -> Any:
        time.sleep(self.delay_s)
        return self.inner.complete(messages, schema, **params)


def tune(client: Any, n_trials: int, **sampler: Any) -> optuna.Study:
    study = optuna.create_study(
        direction="maximize",
        sampler=LLAMBOSampler(
            client, CONTEXT, search_space=SPACE, seed=0,
            options=EngineOptions(llm_wait="never", llm_schedule="every_step"), **sampler,
        ),
    )  # fmt: skip

    def fast(trial: optuna.Trial) -> float:
        config = {"x": trial.suggest_float("x", 0, 1), "y": trial.suggest_float("y", 0, 1)}
        time.sleep(0.05)  # a trial a third as long as an LLM step
        return objective(config)

    study.optimize(fast, n_trials=n_trials)
    study.sampler.close()  # type: ignore[attr-defined]
    return study


def test_a_slow_llm_does_not_hold_up_fast_trials_and_replays_from_the_record() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.monotonic()
    study = tune(Slow(0.05), 20)
    elapsed = time.monotonic() - started
    suggestions = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    ready = {t.number: s["llm_ready"] for t, s in zip(study.trials, suggestions, strict=True)}
    skipped = [s for s in suggestions if s["llm_ready"] is False]
    taken = [s for s in suggestions if s["llm_ready"] is True]
    assert skipped and taken  # some trials did not wait; the LLM's steps still served others
    assert all(s["source"] == "statistical" and "still running" in s["fallback"] for s in skipped)
    # Waiting for every step would take 20 x 0.05 s of trials + 15 steps x 3 calls x 0.05 s.
    assert elapsed < 1.0 + 15 * 3 * 0.05, elapsed

    replay = tune(llm("oracle"), 20, llm_ready=lambda n: bool(ready[n]))
    assert [t.params for t in replay.trials] == [t.params for t in study.trials]
    replayed = [t.user_attrs[SUGGESTION_ATTR]["llm_ready"] for t in replay.trials]
    assert replayed == [s["llm_ready"] for s in suggestions]


def test_always_waits_and_is_the_libraries_default() -> None:
    assert EngineOptions().llm_wait == "always"
    study = optuna.create_study(
        direction="maximize",
        sampler=LLAMBOSampler(Slow(0.05), CONTEXT, search_space=SPACE, seed=0),
    )
    study.optimize(
        lambda t: objective({"x": t.suggest_float("x", 0, 1), "y": t.suggest_float("y", 0, 1)}),
        n_trials=10,
    )
    assert all(t.user_attrs[SUGGESTION_ATTR]["llm_ready"] is not False for t in study.trials)
