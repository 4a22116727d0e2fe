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
    >>> def run_family(family, n, rung):
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
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from assistant import events
from assistant.engine.families import FamilyScore, rung_quota, strip_config, survivors
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


class FamilyRace:
    """Successive halving over ``spec.families`` within ``target`` trials.

    ``run_family(family, n, rung)`` runs ``n`` more trials of ``family`` in the study that
    ``study()`` returns; ``decide(payload)`` receives each decision (a ``RungFinished`` per
    rung, a ``FamilyChosen`` at the end); ``stopped()`` ends the race early (a person's
    stop), with no winner declared. ``llm_pick`` (the family the LLM put first) is named
    in the winner's reason.
    """

    def __init__(
        self,
        spec: SessionSpec,
        target: int,
        study: Callable[[], optuna.Study],
        run_family: Callable[[str, int, int], None],
        decide: Callable[[Decision], None],
        stopped: Callable[[], bool] = lambda: False,
        llm_pick: str | None = None,
    ) -> None:
        self.spec = spec
        self.target = target
        self.study = study
        self.run_family = run_family
        self.decide = decide
        self.stopped = stopped
        self.llm_pick = llm_pick

    def run(self) -> None:
        """Run the rungs to the end of the budget, then declare the winner."""
        alive = list(self.spec.families or [])
        planned: dict[str, int] = dict.fromkeys(alive, 0)
        spent, rung = 0, 0
        while alive and spent < self.target:
            quota = rung_quota(len(alive), self.target - spent)
            for family in alive:
                n = min(quota, self.target - spent)
                planned[family] += n
                spent += n
                todo = planned[family] - len(self._trials(family))
                if todo > 0:
                    self.run_family(family, todo, rung)
                if self.stopped():
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

    def _declare(self) -> None:
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
        self.decide(
            events.FamilyChosen(
                family=family,
                best_score=float(best.value),  # type: ignore[arg-type]
                best_trial=best.number,
                reason=reason,
            )
        )
