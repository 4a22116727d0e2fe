"""Observations and the choice of which ones a prompt shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.space import SearchSpace


class Observation(BaseModel):
    """One finished trial as the engine sees it.

    ``score`` is the objective in the study's own direction; ``utility`` is the same number
    oriented so that larger is better (the engine maximizes utility). A failed trial has no
    score and ``failed=True``. ``llm_pred`` / ``stat_pred`` are the utilities the surrogates
    predicted for it when it was suggested (its track record). ``source`` says who proposed
    it (``"warmstart"``, ``"llm"``, ``"statistical"``, ``"quasi_random"``, ``"default"``,
    ``"user"``), when known. ``llm_asked`` are the kinds of LLM call its step made and
    ``planned_at`` the number of finished trials when that step was planned (one step may
    serve several trials), so the engine can count its calls from the trials alone.
    """

    model_config = ConfigDict(frozen=True)

    number: int
    config: dict[str, Any]
    score: float | None
    utility: float | None
    failed: bool = False
    llm_pred: float | None = None
    stat_pred: float | None = None
    source: str | None = None
    llm_asked: tuple[str, ...] = ()
    planned_at: int | None = None


def completed(history: Sequence[Observation]) -> list[Observation]:
    """The observations that have a score."""
    return [o for o in history if o.utility is not None and not o.failed]


def select_examples(
    space: SearchSpace,
    history: Sequence[Observation],
    limit: int,
    rng: np.random.Generator,
) -> list[Observation]:
    """Pick at most ``limit`` observations for a prompt: the best, the most recent and a
    few spread-out ones, returned in shuffled order (LLAMBO shuffles few-shot examples)."""
    done = completed(history)
    if len(done) <= limit:
        chosen = list(done)
    else:
        n_best = max(1, limit // 2)
        n_recent = max(1, limit // 4)
        by_utility = sorted(done, key=lambda o: o.utility or 0.0, reverse=True)
        chosen = by_utility[:n_best]
        for obs in sorted(done, key=lambda o: o.number, reverse=True):
            if len(chosen) >= n_best + n_recent:
                break
            if obs not in chosen:
                chosen.append(obs)
        # Farthest-point additions keep the shown examples spread over the space.
        matrix = np.array([space.to_unit(o.config) for o in done])
        index = {o.number: i for i, o in enumerate(done)}
        chosen_rows = [index[o.number] for o in chosen]
        min_dist = np.min(
            np.linalg.norm(matrix[:, None, :] - matrix[None, chosen_rows, :], axis=2), axis=1
        )
        min_dist[chosen_rows] = -1.0
        while len(chosen) < limit:
            row = int(np.argmax(min_dist))
            if min_dist[row] < 0:
                break
            chosen.append(done[row])
            min_dist = np.minimum(min_dist, np.linalg.norm(matrix - matrix[row], axis=1))
            min_dist[[index[o.number] for o in chosen]] = -1.0
    order = rng.permutation(len(chosen))
    return [chosen[i] for i in order]
