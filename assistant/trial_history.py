"""Reading a study's finished trials as engine observations, each converted only once.

A finished trial (complete, failed or pruned) never changes, so its observation and its
configuration key are cached by trial number; every later step only converts the trials
that finished since. This keeps the sampler's per-trial cost flat as a study grows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from assistant.engine.candidates import config_key
from assistant.engine.history import Observation
from assistant.space import SearchSpace

if TYPE_CHECKING:
    from optuna.study import Study

SUGGESTION_ATTR = "assistant_suggestion"
FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
Key = tuple[Any, ...]


class TrialHistory:
    """Observations of one study's finished trials within one search space."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._dists = space.to_optuna()
        # The study last read: its storage (held, so that another storage cannot take its
        # place at the same address) and its id within that storage.
        self._study: tuple[object, int] | None = None
        # trial number -> (observation, its key), or None for a trial outside the space
        self._seen: dict[int, tuple[Observation, Key] | None] = {}

    def read(self, study: Study, exclude: int) -> tuple[list[Observation], set[Key]]:
        """The observations (in trial order) and their configuration keys, leaving out
        trial ``exclude`` and trials whose parameters lie outside the space."""
        same = (
            self._study is not None
            and self._study[0] is study._storage
            and self._study[1] == study._study_id
        )
        if not same:  # another study: nothing cached applies
            self._study, self._seen = (study._storage, study._study_id), {}
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
        observations: list[Observation] = []
        keys: set[Key] = set()
        for trial in study.get_trials(deepcopy=False, states=FINISHED):
            if trial.number == exclude:
                continue
            if trial.number not in self._seen:
                self._seen[trial.number] = self._convert(trial, sign)
            entry = self._seen[trial.number]
            if entry is not None:
                observations.append(entry[0])
                keys.add(entry[1])
        return observations, keys

    def _convert(self, trial: FrozenTrial, sign: float) -> tuple[Observation, Key] | None:
        if not all(n in trial.params for n in self.space.names):
            return None
        config = {n: trial.params[n] for n in self.space.names}
        if not all(
            dist._contains(dist.to_internal_repr(config[n])) for n, dist in self._dists.items()
        ):
            return None  # a trial from a different (dynamic) range
        attrs = trial.user_attrs.get(SUGGESTION_ATTR) or {}
        score = observed_score(trial)
        observation = Observation(
            number=trial.number,
            config=config,
            score=score,
            utility=sign * score if score is not None else None,
            failed=score is None,
            llm_pred=_signed(sign, attrs.get("llm_pred")),
            stat_pred=_signed(sign, attrs.get("stat_pred")),
            source=attrs.get("source"),
            llm_asked=tuple(attrs.get("llm_asked") or ()),
            planned_at=attrs.get("planned_at"),
        )
        return observation, config_key(self.space, config)


def observed_score(trial: FrozenTrial) -> float | None:
    """A finished trial's score: its value, or for a pruned trial its last reported value
    (a fair, slightly pessimistic estimate); ``None`` for failures."""
    if trial.state == TrialState.COMPLETE and trial.value is not None:
        return float(trial.value)
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        last = trial.intermediate_values[max(trial.intermediate_values)]
        return float(last) if np.isfinite(last) else None
    return None


def _signed(sign: float, value: Any) -> float | None:
    return sign * float(value) if isinstance(value, int | float) else None
