"""What each kind of LLM call has contributed so far, and whether the next step makes it.

Two kinds of call recur at every model-based step: the **proposal** (candidates for a target
score) and the **surrogate** opinion (predicted scores for a shortlist). Each keeps a running
estimate of its contribution, with a 95% interval, computed from the trials alone, so a
restarted or replayed engine reaches the same numbers:

- proposals: the mean percentile of the trials the LLM proposed minus that of the trials
  the statistical engine picked in the same (model-based) phase;
- surrogate: the rank correlation between its predictions and the results, each prediction
  made before its trial ran.

A kind whose interval lies above zero is called at every step. One that has not shown a
contribution after a few calls (interval reaching zero, or proposals that never won a
trial) is called only on a sparse schedule — after a gap of ``explore_every`` steps, and once
more when the search reaches a plateau — so a useless LLM costs a few calls per session, not
two per step. With ``spacing="growing"`` (the default since the held-out runs of issue #19
showed 45–49 calls in 100 trials) the gap grows with the session, to half the steps taken
before the last call, and a plateau call needs half that gap: the calls a useless LLM costs
grow with the logarithm of the budget, not in proportion to it. ``"fixed"`` is the schedule
sessions recorded before it replay with. The warm start is made once per session and is not
scheduled.

Example:
    >>> from assistant.engine.history import Observation
    >>> history = [
    ...     Observation(number=i, config={}, score=s, utility=s, llm_pred=p)
    ...     for i, (s, p) in enumerate([(1, 1.1), (2, 1.9), (3, 3.2), (4, 3.9), (5, 5.1)])
    ... ]
    >>> round(surrogate_value(history).estimate, 2)
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.stats import rankdata, spearmanr

from assistant.engine.history import Observation, completed
from assistant.records import CallDecision, CallKind, CallValue

_Z = 1.96
# A percentile's variance when only one trial is known on a side (that of a uniform).
_UNIFORM_VAR = 1.0 / 12.0


def proposal_value(history: Sequence[Observation]) -> CallValue | None:
    """The LLM's proposals against the statistical picks of the model-based phase."""
    done = completed(history)
    if len(done) < 4:
        return None
    percentile = rankdata([o.utility for o in done]) / len(done)
    mine = [p for o, p in zip(done, percentile, strict=True) if o.source == "llm"]
    theirs = [p for o, p in zip(done, percentile, strict=True) if o.source == "statistical"]
    if len(mine) < 2 or len(theirs) < 2:
        return None
    estimate = float(np.mean(mine) - np.mean(theirs))
    se = math.sqrt(_variance(mine) / len(mine) + _variance(theirs) / len(theirs))
    return CallValue(
        estimate=estimate, low=estimate - _Z * se, high=estimate + _Z * se, n=len(mine)
    )


def surrogate_value(history: Sequence[Observation]) -> CallValue | None:
    """The rank correlation of the LLM's predictions with the results (Fisher interval)."""
    pairs = [o for o in completed(history) if o.llm_pred is not None]
    n = len(pairs)
    if n < 4:
        return None
    predicted = np.array([o.llm_pred for o in pairs], dtype=float)
    actual = np.array([o.utility for o in pairs], dtype=float)
    if np.ptp(predicted) == 0 or np.ptp(actual) == 0:
        return CallValue(estimate=0.0, low=-1.0, high=1.0, n=n)  # a constant says nothing
    rho = float(np.clip(spearmanr(predicted, actual).statistic, -0.999999, 0.999999))
    half = _Z / math.sqrt(n - 3)
    z = math.atanh(rho)
    return CallValue(estimate=rho, low=math.tanh(z - half), high=math.tanh(z + half), n=n)


def schedule(
    kind: CallKind,
    history: Sequence[Observation],
    *,
    burn_in: int = 4,
    explore_every: int = 10,
    plateau: int = 5,
    spacing: Literal["fixed", "growing"] = "growing",
) -> CallDecision:
    """Whether this model-based step makes a call of ``kind``, and why.

    Args:
        kind: ``"propose"`` or ``"surrogate"``.
        history: the finished trials, whose suggestions say which calls their step made.
        burn_in: calls made before the estimate decides (every step calls until then).
        explore_every: the sparse schedule: one step in this many calls.
        plateau: finished trials without a new best that count as a plateau.
        spacing: ``"fixed"``: a call every ``explore_every`` steps and at each plateau;
            ``"growing"``: the gap is at least ``explore_every`` and half the steps before
            the last call, and a plateau call waits for half the gap.
    """
    value = proposal_value(history) if kind == "propose" else surrogate_value(history)
    asked = [o for o in history if kind in o.llm_asked]
    steps = sorted({o.planned_at for o in asked if o.planned_at is not None})
    calls = len(steps)
    if value is not None and value.low > 0.0:
        return CallDecision(call=True, reason="it contributes", value=value, calls=calls)
    if calls < burn_in:
        return CallDecision(call=True, reason="gathering evidence", value=value, calls=calls)
    last = steps[-1] if steps else -1
    since = len(history) - last
    if spacing == "fixed":
        gap, plateau_gap = explore_every, 0
        explored = f"explored every {explore_every} steps"
    else:
        gap = max(explore_every, math.ceil(last / 2))
        plateau_gap = gap // 2
        explored = f"explored {gap} steps after its last call"
    if since >= gap:
        reason = f"no contribution shown; {explored}"
        return CallDecision(call=True, reason=reason, value=value, calls=calls)
    start = _plateau_start(history, plateau)
    if start is not None and last < start and since >= plateau_gap:
        reason = "no contribution shown; the search reached a plateau"
        return CallDecision(call=True, reason=reason, value=value, calls=calls)
    if value is None and kind == "propose":
        why = f"its proposals won fewer than 2 trials in {calls} calls"
    else:
        why = "no contribution shown"
    return CallDecision(call=False, reason=why, value=value, calls=calls)


def _plateau_start(history: Sequence[Observation], length: int) -> int | None:
    """The finished-trial count at which the current plateau began: ``length`` finished
    trials after the best one without improving on it (``None`` when not on a plateau)."""
    best_at, best = None, -math.inf
    for position, observation in enumerate(history):
        if (
            observation.utility is not None
            and not observation.failed
            and observation.utility > best
        ):
            best_at, best = position, observation.utility
    if best_at is None or len(history) - 1 - best_at < length:
        return None
    return best_at + length


def _variance(values: Sequence[float]) -> float:
    return float(np.var(values, ddof=1)) if len(values) > 1 else _UNIFORM_VAR
