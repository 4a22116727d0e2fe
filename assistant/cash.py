"""The race across model families of a ``model="auto"`` session (CASH by successive
halving): which family runs how many trials, rung by rung, as the recorded scores decide.

:class:`FamilyRace` walks the schedule of :mod:`assistant.engine.families` over a study
whose trials carry their family (the ``family`` user attribute). It is deterministic given
the study's trials, so the same walk serves a run, a resume (the trials already there are
not run again; the decisions already recorded are not recorded twice) and replay (which
checks that the replayed decisions are the recorded ones).

Example:
    >>> import optuna
    >>> from assistant.records import SessionSpec
    >>> spec = SessionSpec(tool="auto", task="regression", metric="rmse",
    ...                    direction="minimize", n_trials=8, data_dir="/d",
    ...                    families=["a", "b"])
    >>> study = optuna.create_study(direction="minimize")
    >>> def run_family(family, n, rung, seconds):
    ...     for _ in range(n):
    ...         trial = study.ask()
    ...         trial.set_user_attr(FAMILY_ATTR, family)
    ...         study.tell(trial, 1.0 if family == "a" else 2.0)
    >>> decisions = []
    >>> FamilyRace(spec, 8, lambda: study, run_family, decisions.append).run()
    >>> [type(d).__name__ for d in decisions], decisions[-1].family
    (['RungFinished', 'FamilyChosen'], 'a')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from assistant import events
from assistant.engine.families import (
    FamilyScore,
    rung_quota,
    rung_seconds,
    strip_config,
    survivors,
)
from assistant.records import SessionSpec

FAMILY_ATTR = "family"
"""The user attribute that names a trial's family in a ``model="auto"`` study."""

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

Decision = events.RungFinished | events.FamilyChosen


def family_of(trial: FrozenTrial) -> str | None:
    """The family of a trial of a ``model="auto"`` study (``None`` in other studies)."""
    value = trial.user_attrs.get(FAMILY_ATTR)
    return str(value) if value is not None else None


def config_of(trial: FrozenTrial) -> dict[str, Any]:
    """A trial's configuration as its family's tool takes it (the names without their
    ``family__`` prefix in a ``model="auto"`` study)."""
    family = family_of(trial)
    return strip_config(trial.params, family) if family else dict(trial.params)


def judged_counts(decisions: Sequence[Any]) -> dict[int, dict[str, int]]:
    """Rung → family → trials it was judged on, from a session's recorded decision events
    (``RungFinished`` and ``FamilyChosen``, as the store returns them)."""
    judged: dict[int, dict[str, int]] = {}
    for event in decisions:
        payload = events.payload_of(event)
        if isinstance(payload, events.RungFinished):
            judged[payload.rung] = {score.family: score.n_trials for score in payload.scores}
    return judged


class FamilyRace:
    """Successive halving over ``spec.families`` within ``target`` trials.

    ``run_family(family, n, rung, seconds)`` runs up to ``n`` more trials of ``family`` in
    the study that ``study()`` returns, and stops after the trial that passes ``seconds``
    (``None``: no clock); ``decide(payload)`` receives each decision (a ``RungFinished`` per
    rung, a ``FamilyChosen`` at the end); ``stopped()`` ends the race early (a person's
    stop), with no winner declared; the end of ``time_left()`` ends it with one.
    ``llm_pick`` (the family the LLM put first) is named in the winner's reason.

    Against a clock (``time_left()`` gives the session's seconds left), a rung gets an equal
    share of the time left and each of its families an equal share of the rung's, the
    slack passing on; so a slow family cannot spend the first rung alone, and every family
    runs at least one trial (its library defaults) before the race judges it. A family
    judged on fewer trials than its quota is judged on those it ran. ``judged`` (rung →
    family → trials, from the decisions already recorded) lets a resumed race and a replay
    walk the rungs on the counts the run judged.
    """

    def __init__(
        self,
        spec: SessionSpec,
        target: int,
        study: Callable[[], optuna.Study],
        run_family: Callable[[str, int, int, float | None], None],
        decide: Callable[[Decision], None],
        stopped: Callable[[], bool] = lambda: False,
        llm_pick: str | None = None,
        time_left: Callable[[], float | None] = lambda: None,
        judged: Mapping[int, Mapping[str, int]] | None = None,
    ) -> None:
        self.spec = spec
        self.target = target
        self.study = study
        self.run_family = run_family
        self.decide = decide
        self.stopped = stopped
        self.llm_pick = llm_pick
        self.time_left = time_left
        self.judged = judged or {}

    def run(self) -> None:
        """Run the rungs to the end of the budget, then declare the winner."""
        alive = list(self.spec.families or [])
        planned: dict[str, int] = dict.fromkeys(alive, 0)
        spent, rung = 0, 0
        while alive and spent < self.target:
            quota = rung_quota(len(alive), self.target - spent)
            clock = self._rung_clock(len(alive))
            judged = self.judged.get(rung, {})
            for index, family in enumerate(alive):
                n = min(quota, self.target - spent)
                planned[family] = judged.get(family, planned[family] + n)
                todo = planned[family] - len(self._trials(family))
                if todo > 0:
                    self.run_family(family, todo, rung, clock(len(alive) - index))
                    # Cut short by its share of the time: the trials it did not run are
                    # not spent, and later rungs may use them.
                    planned[family] = min(planned[family], len(self._trials(family)))
                spent = sum(planned.values())
                if self.stopped():
                    return
                if self.time_left() == 0.0:  # the time limit ends the race: the best wins
                    self._declare(timed_out_in=rung)
                    return
            if len(alive) == 1:
                break
            scores = [self._score(family, planned[family]) for family in alive]
            kept, dropped = survivors(scores, self.spec.direction, math.ceil(len(alive) / 2))
            self.decide(
                events.RungFinished(
                    rung=rung, quota=quota, scores=scores, survivors=kept, dropped=dropped
                )
            )
            alive, rung = kept, rung + 1
        self._declare()

    def _rung_clock(self, n_families: int) -> Callable[[int], float | None]:
        """The seconds the next family of a rung may take, given the families still to run
        in it (``None`` without a clock)."""
        left = self.time_left()
        if left is None:
            return lambda _families_to_go: None
        end = time.monotonic() + rung_seconds(n_families, left)
        return lambda families_to_go: max(0.0, end - time.monotonic()) / families_to_go

    def _trials(self, family: str, upto: int | None = None) -> list[FrozenTrial]:
        """The family's finished trials in order (its first ``upto``)."""
        trials = [
            t
            for t in self.study().get_trials(deepcopy=False, states=_FINISHED)
            if family_of(t) == family
        ]
        trials.sort(key=lambda t: t.number)
        return trials[:upto] if upto is not None else trials

    def _score(self, family: str, upto: int) -> FamilyScore:
        trials = self._trials(family, upto)
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
        sign = 1.0 if self.spec.direction == "maximize" else -1.0
        best = max(complete, key=lambda t: sign * float(t.value), default=None)  # type: ignore[arg-type]
        failed = [t for t in trials if t.state == TrialState.FAIL]
        error = next((str(t.user_attrs.get("failure_reason") or "") for t in failed), None)
        return FamilyScore(
            family=family,
            n_trials=len(trials),
            n_complete=len(complete),
            n_failed=len(failed),
            n_pruned=sum(t.state == TrialState.PRUNED for t in trials),
            best_score=float(best.value) if best is not None else None,  # type: ignore[arg-type]
            best_trial=best.number if best is not None else None,
            error=(error or None) if not complete else None,
        )

    def _declare(self, timed_out_in: int | None = None) -> None:
        study = self.study()
        if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            return
        best = study.best_trial
        family = family_of(best) or ""
        reason = f"the best cross-validated {self.spec.metric} over all families"
        if self.llm_pick and self.llm_pick != family:
            reason += f"; the LLM's pick ({self.llm_pick}) scored lower: the scores decide"
        elif self.llm_pick:
            reason += "; the LLM's pick, confirmed by the scores"
        if timed_out_in is not None:
            reason += f"; the time limit ended the race in rung {timed_out_in + 1}"
        self.decide(
            events.FamilyChosen(
                family=family,
                best_score=float(best.value),  # type: ignore[arg-type]
                best_trial=best.number,
                reason=reason,
                timed_out=timed_out_in is not None,
            )
        )
