"""The race against a clock: each rung and each family of it gets a share of the time, so
a slow family cannot spend the first rung alone (no training here: trials are told)."""

from __future__ import annotations

import time

import optuna
import pytest

from assistant import events
from assistant.cash import FAMILY_ATTR, FamilyRace, judged_counts
from assistant.engine.families import rung_seconds
from assistant.records import SessionSpec

SECONDS_PER_TRIAL = {"slow": 0.25, "fast": 0.0, "middle": 0.02}
SCORE = {"slow": 1.0, "fast": 2.0, "middle": 3.0}


def spec(families: list[str]) -> SessionSpec:
    return SessionSpec(
        tool="auto",
        task="regression",
        metric="rmse",
        direction="minimize",
        n_trials=3000,
        data_dir="/nowhere",
        families=families,
    )


class Race:
    """A study, a fake family runner that spends each family's time per trial, and the
    decisions the race made."""

    def __init__(self) -> None:
        self.study = optuna.create_study(direction="minimize")
        self.decisions: list[events.RungFinished | events.FamilyChosen] = []
        self.calls: list[tuple[str, int, int, float | None]] = []

    def run_family(self, family: str, n: int, rung: int, seconds: float | None) -> None:
        self.calls.append((family, n, rung, seconds))
        started = time.monotonic()
        for _ in range(n):
            trial = self.study.ask()
            trial.set_user_attr(FAMILY_ATTR, family)
            time.sleep(SECONDS_PER_TRIAL[family])
            self.study.tell(trial, SCORE[family])
            if seconds is not None and time.monotonic() - started >= seconds:
                break

    def walk(self, families: list[str], timeout: float | None, **kwargs: object) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout

        def time_left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        FamilyRace(
            spec(families),
            3000,
            lambda: self.study,
            self.run_family,
            self.decisions.append,
            stopped=lambda: False,  # no person stops it; the clock ends it
            time_left=time_left,
            **kwargs,  # type: ignore[arg-type]
        ).run()


def test_rungs_share_the_time_left_equally() -> None:
    assert rung_seconds(4, 30.0) == pytest.approx(10.0)  # rungs of 4, 2 and 1 families
    assert rung_seconds(1, 30.0) == 30.0
    assert rung_seconds(3, -1.0) == 0.0


def test_a_slow_family_first_does_not_spend_the_first_rung_alone() -> None:
    race = Race()
    race.walk(["slow", "fast", "middle"], timeout=1.5)
    first = race.decisions[0]
    assert isinstance(first, events.RungFinished) and first.rung == 0
    counts = {score.family: score.n_trials for score in first.scores}
    assert set(counts) == {"slow", "fast", "middle"}
    assert all(n >= 1 for n in counts.values()), counts
    assert counts["slow"] < first.quota  # cut by its share of the time, not by its quota
    # each family's share is its rung's time left over the families still to run in it
    (slow_seconds,) = [s for family, _, rung, s in race.calls if (family, rung) == ("slow", 0)]
    assert slow_seconds is not None and 0.0 < slow_seconds <= 1.5 / 3 / 3 + 1e-6
    chosen = race.decisions[-1]  # the time limit ended the race, with a winner declared
    assert isinstance(chosen, events.FamilyChosen) and chosen.timed_out
    assert chosen.family == "slow"  # the lowest rmse, from its few trials
    assert "the time limit ended the race" in chosen.reason


def test_without_a_clock_the_quota_alone_sizes_the_rung() -> None:
    race = Race()
    SECONDS_PER_TRIAL["slow"] = 0.0
    try:
        race.walk(["slow", "fast"], timeout=None, judged=None)
    finally:
        SECONDS_PER_TRIAL["slow"] = 0.25
    first = race.decisions[0]
    assert isinstance(first, events.RungFinished)
    assert {score.n_trials for score in first.scores} == {first.quota}
    assert all(seconds is None for *_, seconds in race.calls)


def test_a_resumed_race_judges_a_rung_on_the_counts_recorded() -> None:
    """Resuming: the rung already decided is walked on the trials it was judged on, even
    when the family has run more since, so the resumed walk decides as the run did."""
    race = Race()
    race.walk(["slow", "fast", "middle"], timeout=1.5)
    recorded = [d for d in race.decisions if isinstance(d, events.RungFinished)]
    assert recorded
    judged = judged_counts([_Event(d) for d in recorded])
    assert judged[0] == {score.family: score.n_trials for score in recorded[0].scores}

    again = Race()
    again.study = race.study
    again.walk(["slow", "fast", "middle"], timeout=0.3, judged=judged)
    # the rungs decided are walked on their recorded counts: only the last one runs on
    assert {(family, rung) for family, _, rung, _ in again.calls} == {("slow", len(recorded))}
    rungs = [d.model_dump() for d in again.decisions if isinstance(d, events.RungFinished)]
    assert rungs == [d.model_dump() for d in recorded]


class _Event:
    """A stored event as ``judged_counts`` reads it."""

    def __init__(self, payload: events.RungFinished) -> None:
        self.kind = events.RUNG_FINISHED
        self.payload = payload.model_dump(mode="json")
