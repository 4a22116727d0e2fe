"""Replaying a recorded session: with no LLM call and no training, or by retraining.

*Fast replay* feeds the engine the recorded LLM answers (a
:class:`~assistant.llm.replay.ReplayClient`) and the recorded trial results, and checks that
it makes the same decisions: the same configuration for every trial, in order. Anything
that changed (the engine's code, a prompt template, an edited record) shows up as the first
divergence. *Re-execution* retrains every recorded configuration and compares the scores.

Example:
    >>> from assistant.replay import replay_session  # doctest: +SKIP
    >>> replay_session(store, session_id).reproduced  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState
from pydantic import BaseModel, Field

from assistant import events
from assistant.cash import FAMILY_ATTR, FamilyRace, config_of, family_of, judged_counts
from assistant.engine.families import family_space
from assistant.errors import AssistantError, ReplayDivergenceError, ReplayExhaustedError
from assistant.llm.replay import ReplayClient
from assistant.sampler import SUGGESTION_ATTR
from assistant.session import TuningSession
from assistant.store import Store
from assistant.tools.runner import suggest_config

logger = logging.getLogger(__name__)


class Divergence(BaseModel):
    """The first place a replay differed from the record."""

    trial_number: int | None = None
    what: str
    recorded: Any = None
    replayed: Any = None


class ReplayReport(BaseModel):
    """The outcome of a fast replay."""

    session_id: str
    n_trials: int
    n_replayed: int
    llm_calls_recorded: int
    llm_calls_served: int
    reproduced: bool
    divergence: Divergence | None = None


class ReexecutionReport(BaseModel):
    """The outcome of retraining a session's recorded configurations."""

    session_id: str
    tolerance: float
    compared: int
    max_abs_diff: float
    reproduced: bool
    rows: list[dict[str, Any]] = Field(default_factory=list)


class _Diverged(AssistantError):
    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence
        super().__init__(divergence.what)


_REPLAY_ERRORS = (_Diverged, ReplayDivergenceError, ReplayExhaustedError)


def _divergence_of(exc: Exception) -> Divergence:
    """The divergence one of :data:`_REPLAY_ERRORS` stands for."""
    if isinstance(exc, _Diverged):
        return exc.divergence
    if isinstance(exc, ReplayDivergenceError):
        return Divergence(
            what=f"LLM call #{exc.index}: {exc.field}",
            recorded=exc.recorded,
            replayed=exc.requested,
        )
    return Divergence(what=f"more LLM calls than recorded: {exc}")


def replay_session(store: Store, session_id: str) -> ReplayReport:
    """Rebuild a session from the store with zero LLM calls and zero training, and check
    that the engine, fed the recorded answers, suggests the recorded configurations."""
    session = TuningSession.open(session_id, store)
    recorded = [
        t for t in session.study.get_trials(deepcopy=False) if t.state != TrialState.RUNNING
    ]
    if session.spec.families:
        return _replay_race(session, recorded)
    from assistant.tools import get_tool

    tool = get_tool(session.spec.tool)
    space = tool.search_space(session.spec.task)
    client = ReplayClient(store, session_id)
    divergence = _replay_tool_choice(session, client)
    engine_client = client if session.spec.mode != "off" else None
    on_suggestion = _recorded_review(store, session_id, space)
    runs = _owner_runs(store, session_id, len(recorded))
    ready = _recorded_readiness(recorded)
    sampler = session.build_sampler(
        engine_client, on_suggestion=on_suggestion, budget=runs[0][1], llm_ready=ready
    )
    study = optuna.create_study(direction=session.spec.direction, sampler=sampler)
    by_number = {t.number: t for t in recorded}

    def objective(trial: optuna.Trial) -> float:
        original = by_number[trial.number]
        _suggest_as_recorded(trial, space, original)
        return _replay_outcome(trial, original)

    try:
        # The engine restarted wherever the session was resumed: do the same, with the
        # same trial budget, so state kept between steps (the pipelined suggestion, the
        # GP's warm start) and the LLM calls made match the record.
        bounds = [start for start, _ in runs[1:]] + [len(recorded)]
        budgets = [budget for _, budget in runs[1:]] + [None]
        start = 0
        for end, next_budget in zip(bounds, budgets, strict=True):
            if divergence is not None or end <= start:
                continue
            study.optimize(objective, n_trials=end - start, catch=(_RecordedFailure,))
            sampler.close()
            start = end
            sampler = session.build_sampler(
                engine_client, on_suggestion=on_suggestion, budget=next_budget, llm_ready=ready
            )
            study.sampler = sampler
    except _REPLAY_ERRORS as exc:
        divergence = _divergence_of(exc)
    finally:
        sampler.close()
    return _report(session, study, recorded, client, divergence, sampler.background_error)


def _report(
    session: TuningSession,
    study: optuna.Study,
    recorded: list[FrozenTrial],
    client: ReplayClient,
    divergence: Divergence | None,
    late: BaseException | None,
) -> ReplayReport:
    """The replay's report: the first divergence, else a suggestion that differs, else
    recorded LLM calls never asked for."""
    by_number = {t.number: t for t in recorded}
    if divergence is None and isinstance(late, ReplayDivergenceError | ReplayExhaustedError):
        divergence = Divergence(what=f"after the last trial: {late}")
    if divergence is None:
        for trial in study.trials:
            original = by_number[trial.number]
            mine = trial.user_attrs.get(SUGGESTION_ATTR)
            theirs = original.user_attrs.get(SUGGESTION_ATTR)
            if isinstance(mine, dict) and isinstance(theirs, dict):
                # A session recorded before a field existed has no value to compare it with.
                mine = {k: v for k, v in mine.items() if k in theirs}
            if mine != theirs:
                divergence = Divergence(
                    trial_number=trial.number, what="suggestion", recorded=theirs, replayed=mine
                )
                break
    if divergence is None and client.remaining:
        divergence = Divergence(what=f"{client.remaining} recorded LLM call(s) never asked for")
    return ReplayReport(
        session_id=session.id,
        n_trials=len(recorded),
        n_replayed=len(study.trials),
        llm_calls_recorded=len(session.store.llm_calls(session.id)),
        llm_calls_served=client.calls_served,
        reproduced=divergence is None,
        divergence=divergence,
    )


def _replay_race(session: TuningSession, recorded: list[FrozenTrial]) -> ReplayReport:
    """Replay a ``model="auto"`` session: the families considered, then the race walked
    again over the recorded outcomes, each family's sampler asked for the recorded
    configurations, and each rung's decision checked against the recorded one."""
    from assistant.tools import get_tool

    store, spec = session.store, session.spec
    client = ReplayClient(store, session.id)
    divergence = _replay_tool_choice(session, client)
    engine_client = client if spec.mode != "off" else None
    by_number = {t.number: t for t in recorded}
    study = optuna.create_study(direction=spec.direction)
    late: list[BaseException | None] = [None]
    target = _owner_runs(store, session.id, len(recorded))[-1][1] or spec.n_trials

    def run_family(family: str, n: int, rung: int, _seconds: float | None) -> None:
        # as many as the run ran: a family racing against a clock may have run fewer than n
        n = _run_length(recorded, len(study.trials), family, n)
        space = family_space(get_tool(family).search_space(spec.task), family)
        budget = len(study.trials) + n
        sampler = session.build_sampler(
            engine_client, budget=budget, family=family, rung=rung,
            llm_ready=_recorded_readiness(recorded),
            on_suggestion=_recorded_review(store, session.id, space),
        )  # fmt: skip
        study.sampler = sampler
        try:
            if n > 0:
                study.optimize(
                    lambda t: _replay_trial(t, by_number, space, family),
                    n_trials=n,
                    catch=(_RecordedFailure,),
                )
        finally:
            sampler.close()
            late[0] = sampler.background_error

    replayed: list[Any] = []
    decisions = store.events(session.id, kinds=_DECISION_KINDS)
    timed_out = any(_ended_by_time(e) for e in decisions)

    def exhausted() -> bool:  # a session that ended early recorded fewer trials than target
        return len(recorded) < target and len(study.trials) >= len(recorded)

    race = FamilyRace(
        spec,
        target,
        lambda: study,
        run_family,
        replayed.append,
        # the replay ends where the run did: by a person's stop, or by the time limit
        stopped=lambda: exhausted() and not timed_out,
        llm_pick=_recorded_llm_pick(store, session.id),
        time_left=lambda: 0.0 if timed_out and exhausted() else None,
        judged=judged_counts(decisions),
    )
    if divergence is None:
        try:
            race.run()
        except _REPLAY_ERRORS as exc:
            divergence = _divergence_of(exc)
    if divergence is None:
        divergence = _decisions_differ(store, session.id, replayed)
    return _report(session, study, recorded, client, divergence, late[0])


def _ended_by_time(event: Any) -> bool:
    payload = events.payload_of(event)
    return isinstance(payload, events.FamilyChosen) and payload.timed_out


def _run_length(recorded: list[FrozenTrial], start: int, family: str, most: int) -> int:
    """How many recorded trials from number ``start`` on are ``family``'s (at most ``most``):
    the trials a family ran in one go. A trial of another family there ends the run; the
    first trial always counts, so a divergent family is still found and reported."""
    n = 0
    for trial in recorded[start : start + most]:
        if n and family_of(trial) != family:
            break
        n += 1
    return n


def _replay_trial(
    trial: optuna.Trial, by_number: dict[int, FrozenTrial], space: Any, family: str
) -> float:
    original = by_number.get(trial.number)
    if original is None or family_of(original) != family:
        raise _Diverged(
            Divergence(
                trial_number=trial.number,
                what="family",
                recorded=family_of(original) if original is not None else None,
                replayed=family,
            )
        )
    trial.set_user_attr(FAMILY_ATTR, family)
    _suggest_as_recorded(trial, space, original)
    if "failure_reason" in original.user_attrs:  # the race's reasons read it
        trial.set_user_attr("failure_reason", original.user_attrs["failure_reason"])
    return _replay_outcome(trial, original)


_DECISION_KINDS = [events.RUNG_FINISHED, events.FAMILY_CHOSEN]


def _decisions_differ(store: Store, session_id: str, replayed: list[Any]) -> Divergence | None:
    """The first rung or winner the replayed race decided otherwise than the record."""
    theirs = [
        events.payload_of(e).model_dump(mode="json")
        for e in store.events(session_id, kinds=_DECISION_KINDS)
    ]
    mine = [d.model_dump(mode="json") for d in replayed]
    for index in range(max(len(theirs), len(mine))):
        a = theirs[index] if index < len(theirs) else None
        b = mine[index] if index < len(mine) else None
        if a != b:
            return Divergence(what="race decision", recorded=a, replayed=b)
    return None


def _recorded_llm_pick(store: Store, session_id: str) -> str | None:
    for event in store.events(session_id, kinds=[events.FAMILIES_CONSIDERED]):
        considered = events.payload_of(event)
        if isinstance(considered, events.FamiliesConsidered):
            return considered.llm_pick
    return None


def reexecute_session(
    store: Store, session_id: str, *, tolerance: float = 1e-6, max_trials: int | None = None
) -> ReexecutionReport:
    """Retrain each recorded complete trial's configuration with the session's data, folds
    and seed, and its tool (in a ``model="auto"`` session, the trial's family's), and
    compare the scores with the recorded ones."""
    from assistant.tools.runner import TrialRunner

    session = TuningSession.open(session_id, store)
    train, _test = session.load_data()
    trials = session.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        runners: dict[str, TrialRunner] = {}
        for trial in trials[:max_trials]:
            tool = family_of(trial) or session.spec.tool
            if tool not in runners:
                runners[tool] = stack.enter_context(
                    TrialRunner(
                        tool,
                        train,
                        session.spec.metric,
                        n_folds=session.spec.n_folds,
                        isolation="inline",
                    )
                )
            outcome = runners[tool].run(config_of(trial), seed=session.spec.seed)
            value = outcome.value if outcome.ok else None
            diff = (
                abs(value - trial.value)
                if value is not None and trial.value is not None
                else float("inf")
            )
            rows.append(
                {
                    "trial": trial.number,
                    "recorded": trial.value,
                    "rerun": value,
                    "abs_diff": diff,
                    "status": outcome.status,
                }
            )
    worst = float(max((r["abs_diff"] for r in rows), default=0.0))
    return ReexecutionReport(
        session_id=session_id,
        tolerance=tolerance,
        compared=len(rows),
        max_abs_diff=worst,
        reproduced=worst <= tolerance,
        rows=rows,
    )


class _RecordedFailure(AssistantError):
    """A trial that failed in the recording fails again in the replay."""


def _recorded_review(store: Store, session_id: str, space: Any) -> Any:
    """In review mode a person's recorded decisions shaped the trials: apply them again."""
    from assistant.review import SuggestionReview, apply_review

    started = store.events(session_id, kinds=[events.SESSION_STARTED])
    if not any(getattr(events.payload_of(e), "review", False) for e in started):
        return None
    decisions = SuggestionReview(store, session_id, timeout_s=0)
    rejected: set[int] = set()

    def on_suggestion(trial: FrozenTrial, suggestion: Any) -> Any:
        decision = decisions(trial.number, suggestion.model_dump(mode="json"))
        return apply_review(decision, suggestion, space, rejected)

    return on_suggestion


def _owner_runs(store: Store, session_id: str, n_trials: int) -> list[tuple[int, int | None]]:
    """The runs of the session's owner as (finished trials when it started, its target),
    in order; the first starts at 0. Records older than the target field give ``None``."""
    targets: dict[int, int | None] = {0: None}
    for event in store.events(session_id, kinds=[events.SESSION_STARTED]):
        started = events.payload_of(event)
        assert isinstance(started, events.SessionStarted)
        if not started.worker and started.finished < n_trials:
            targets[started.finished] = started.target
    return sorted(targets.items())


def _replay_outcome(trial: optuna.Trial, original: FrozenTrial) -> float:
    for step, value in sorted(original.intermediate_values.items()):
        trial.report(value, step)
    if original.state == TrialState.PRUNED:
        raise optuna.TrialPruned()
    if original.state == TrialState.FAIL or original.value is None:
        raise _RecordedFailure(original.user_attrs.get("failure_reason", "failed"))
    return float(original.value)


def _replay_tool_choice(session: TuningSession, client: ReplayClient) -> Divergence | None:
    """With ``model="auto"`` the LLM was asked for a family first: check that choice too
    (the families raced, or the one family tuned)."""
    calls = session.store.llm_calls(session.id)
    if not calls or calls[0].purpose != "choose_tool":
        return None
    from assistant.create import choose_families

    recorded = _recorded_choice(session)
    requested = getattr(recorded, "requested", None)
    train, _test = session.load_data()
    spec = session.spec
    try:
        _choice, candidates, _skipped = choose_families(
            client, train, spec.metric, spec.direction, session.context.notes, requested
        )
    except ReplayDivergenceError as exc:
        return Divergence(
            what=f"LLM call #{exc.index}: {exc.field}",
            recorded=exc.recorded,
            replayed=exc.requested,
        )
    names = [c.family for c in candidates]
    if spec.families:
        mine = names[: len(spec.families)]
        if mine != spec.families:
            return Divergence(what="model families", recorded=spec.families, replayed=mine)
    elif not names or names[0] != spec.tool:
        return Divergence(
            what="model family", recorded=spec.tool, replayed=names[0] if names else None
        )
    return None


def _recorded_choice(session: TuningSession) -> Any:
    kinds = [events.TOOL_CHOSEN, events.FAMILIES_CONSIDERED]
    for event in session.store.events(session.id, kinds=kinds):
        return events.payload_of(event)
    return None


def _suggest_as_recorded(trial: optuna.Trial, space: Any, original: FrozenTrial) -> None:
    """Ask the sampler for ``trial``'s configuration; a different one than recorded is the
    replay's divergence."""
    params = suggest_config(trial, space)
    if params != original.params:
        raise _Diverged(
            Divergence(
                trial_number=trial.number,
                what="configuration",
                recorded=original.params,
                replayed=params,
            )
        )


def _recorded_readiness(recorded: list[FrozenTrial]) -> Callable[[int], bool]:
    """Whether each recorded trial took the step being planned in the background (it did
    unless its suggestion says ``llm_ready: false``): the replay makes the same choice
    whatever its own timing."""
    skipped = {
        t.number
        for t in recorded
        if (t.user_attrs.get(SUGGESTION_ATTR) or {}).get("llm_ready") is False
    }
    return lambda number: number not in skipped
