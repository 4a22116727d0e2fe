"""One run of a session: from start (or resume) to finished, stopped or failed.

A :class:`Run` owns everything that lives only while trials run: the sampler and its LLM
client, the review hook, the trials a person rejected, the trial the engine is planning for
(the LLM's health events name it), and the objective Optuna calls. ``TuningSession.run``
creates one per call, so no state of an earlier run leaks into the next.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from assistant import events
from assistant.cash import FAMILY_ATTR, FamilyRace, judged_counts
from assistant.engine.families import family_config, family_space, strip_config
from assistant.engine.planner import EngineOptions
from assistant.ensemble import DURATION_ATTR
from assistant.errors import AssistantError, LLMError, TrialsFailedError
from assistant.llm.health import CircuitBreaker
from assistant.records import HealthChange, LLMSpend, SessionResult, SessionSpec, Suggestion
from assistant.review import SuggestionReview, apply_review
from assistant.sampler import LLAMBOSampler

if TYPE_CHECKING:
    from assistant.context import ProblemContext
    from assistant.session import TuningSession
    from assistant.tools import TrialRunner

logger = logging.getLogger(__name__)

Callback = Callable[[optuna.Study, FrozenTrial], None]


def build_sampler(
    spec: SessionSpec,
    context: ProblemContext,
    client: Any,
    on_suggestion: Callable[[FrozenTrial, Suggestion], Suggestion | None] | None = None,
    worker_id: str | None = None,
    budget: int | None = None,
    family: str | None = None,
    rung: int = 0,
    llm_ready: Callable[[int], bool] | None = None,
) -> LLAMBOSampler:
    """The sampler of a session with ``spec``: its tool's space and defaults, its seed, mode
    and options, talking to ``client`` (a recording, replay or plain LLM client, or
    ``None``). Runs and replay both build theirs here. In a ``model="auto"`` session,
    ``family`` is the family racing in ``rung``: its space namespaced (``family__name``),
    its own seed, and the context naming it.

    A joining worker (``worker_id``) gets its own seed and leaves the library defaults to
    the session's owner, so workers starting together do not suggest the same
    configurations. ``budget`` is the run's target number of trials. A session with an
    ``llm_budget`` gets ``client`` within it (see :func:`within_budget`). Replay passes
    ``llm_ready``, the recorded decisions of trials that did not wait for the LLM.
    """
    from assistant.tools import get_tool

    if client is not None and spec.llm_budget is not None:
        client = within_budget(spec, client)

    tool = get_tool(family or spec.tool)
    seed = spec.seed
    if worker_id is not None:
        seed = int.from_bytes(hashlib.sha256(f"{seed}:{worker_id}".encode()).digest()[:4])
    space, default = tool.search_space(spec.task), tool.default_config(spec.task)
    if family is not None:
        seed = int.from_bytes(hashlib.sha256(f"{seed}:{family}:{rung}".encode()).digest()[:4])
        space, default = family_space(space, family), family_config(default, family)
        context = context.model_copy(update={"model": tool.family})
    return LLAMBOSampler(
        client,
        context,
        search_space=space,
        default_config=None if worker_id else default,
        seed=seed,
        mode=spec.mode,
        options=EngineOptions.recorded(spec.options),
        on_suggestion=on_suggestion,
        budget=budget,
        llm_ready=llm_ready,
    )


def within_budget(
    spec: SessionSpec,
    client: Any,
    store: Any = None,
    session_id: str | None = None,
    on_spent: Callable[[str, LLMSpend], None] | None = None,
) -> Any:
    """``client`` kept within the session's ``llm_budget`` (``client`` itself without one,
    or when it already is). What the session spent before counts: the calls recorded in
    ``store`` for ``session_id``, or, for a replay client, the recorded calls it has served
    so far, so a replay refuses the same calls as the run it replays."""
    from assistant.llm.budget import BudgetedClient, budgeted_client
    from assistant.llm.replay import ReplayClient

    if spec.llm_budget is None or isinstance(client, BudgetedClient):
        return client
    if isinstance(client, ReplayClient):
        records = client.store.llm_calls(client.session_id)[: client.calls_served]
    else:
        records = store.llm_calls(session_id) if store is not None else []
    return budgeted_client(client, spec.llm_budget, spec.llm, records, on_spent)


def llm_client_for(session: TuningSession, client: Any = None) -> Any:
    """The recording client a run of ``session`` talks to: ``client`` if given (a replay
    client is used as it is), else one made from the session's LLM settings. An LLM that
    cannot be set up leaves the run statistical, and says so (an unavailable client)."""
    from assistant.llm import RecordingClient, make_client
    from assistant.llm.config import LLMConfig, resolve_llm_config
    from assistant.llm.replay import ReplayClient

    if isinstance(client, ReplayClient):
        return client
    if client is None:
        # Resume and workers get exactly the recorded settings (the key from the
        # environment); the process that created the session has them, key included.
        spec = session.spec
        config = session.llm_config or (
            LLMConfig.from_public_dict(spec.llm) if spec.llm else resolve_llm_config()
        )
        try:
            client = make_client(config)
        except LLMError as exc:  # the session goes on statistically, and says so
            from assistant.llm.health import UnavailableClient

            logger.warning("the LLM could not be set up: %s", exc)
            client = UnavailableClient(f"{type(exc).__name__}: {exc}", config.model or "")
    return RecordingClient(client, session.store, session.id)


class _TrialFailed(AssistantError):
    """A trial failed cleanly (its reason is on the trial); the session goes on."""


class Run:
    """One call of ``TuningSession.run``; :meth:`execute` does it. The arguments are
    those of :meth:`~assistant.session.TuningSession.run`."""

    def __init__(
        self,
        session: TuningSession,
        n_trials: int | None = None,
        *,
        n_jobs: int = 1,
        llm_client: Any = None,
        callbacks: Iterable[Callback] = (),
        worker: bool = False,
        timeout: float | None = None,
        review: bool = False,
        review_timeout_s: float | None = None,
    ) -> None:
        self.session = session
        self.spec = session.spec
        self.target = n_trials or self.spec.n_trials
        self.n_jobs = n_jobs
        self.llm_client = llm_client
        self.callbacks = list(callbacks)
        self.worker = worker
        self.timeout = timeout
        self.review = review
        self.review_timeout_s = review_timeout_s
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.llm_state = "off" if self.spec.mode == "off" else "ok"
        """The LLM's health during the run: ``ok``, ``degraded``, ``unavailable``, ``off``
        or ``budget spent`` (the session's ``llm_budget`` refused a call)."""
        self.next_trial = 0  # the trial the engine is planning for: health events name it
        self.rejected: set[int] = set()
        self._last_action_id = 0
        self._reviewer: SuggestionReview | None = None
        self._space: Any = None
        self._family: str | None = None  # the family racing now (model="auto")

    # -- the run ---------------------------------------------------------------------------
    def execute(self) -> SessionResult:
        """Run trials until the target, a stop or a failure; then finish the session."""
        session, store = self.session, self.session.store
        study = session.study
        if self.worker and self.spec.families:
            raise AssistantError(
                'a model="auto" session races its families in one process: run it (or '
                "resume it) as its owner, without worker=True"
            )
        remaining = self._begin(study)
        train, _test = session.load_data()
        client = llm_client_for(session, self.llm_client) if self.spec.mode != "off" else None
        if client is not None:
            client = within_budget(self.spec, client, store, session.id, self._budget_spent)
        self.next_trial = len(study.get_trials(deepcopy=False))
        # One deadline for the whole run (a model="auto" race optimizes once per rung); with
        # an ensemble to build, the search leaves it a share of the time.
        now = time.monotonic()
        self._end = None if self.timeout is None else now + self.timeout
        search_share = 1.0 - ENSEMBLE_SHARE if self.spec.ensemble else 1.0
        self._deadline = None if self.timeout is None else now + self.timeout * search_share
        unwatch = self._watch_health(client)
        try:
            if self.spec.families:
                self._race(study, client, train)
            else:
                self._optimize(study, client, train, remaining)
        except BaseException as exc:
            unwatch()
            if not self.worker:
                store.update_session(session.id, status="failed")
            events.emit(store, session.id, events.SessionFailed(error=repr(exc)[:2000]))
            raise
        unwatch()
        return self._finish(study)

    def _optimize(
        self,
        study: optuna.Study,
        client: Any,
        train: Any,
        n: int,
        family: str | None = None,
        rung: int = 0,
        seconds: float | None = None,
        runner: Any = None,
    ) -> None:
        """Run ``n`` trials of the session's tool (or of ``family``, racing in ``rung``, for
        at least one trial and then until ``seconds`` have passed), through ``runner``
        (default: a runner of its own)."""
        from assistant.tools import get_tool

        tool = get_tool(family or self.spec.tool)
        self._family = family
        space = tool.search_space(self.spec.task)
        self._space = family_space(space, family) if family else space
        budget = self.target if family is None else len(study.get_trials(deepcopy=False)) + n
        sampler = build_sampler(
            self.spec,
            self.session.context,
            client,
            on_suggestion=self._on_suggestion,
            worker_id=self.worker_id if self.worker else None,
            budget=budget,
            family=family,
            rung=rung,
        )
        study.sampler = sampler
        try:
            with contextlib.ExitStack() as stack:
                if runner is None:
                    runner = stack.enter_context(self._runner(tool, train))
                left = self._time_left()
                if n > 0 and left != 0.0:
                    study.optimize(
                        lambda trial: self._objective(runner, trial),
                        n_trials=n,
                        timeout=left,
                        n_jobs=self.n_jobs,
                        catch=(_TrialFailed,),
                        # The user's callbacks first: a stop one of them asks for is then
                        # seen by the session's check after the same trial.
                        callbacks=[*self.callbacks, self._stop_check, _stop_after(seconds)],
                    )
        finally:
            sampler.close()

    def _runner(self, tool: Any, train: Any) -> Any:
        from assistant.tools.runner import TrialRunner

        return TrialRunner(
            tool,
            train,
            self.spec.metric,
            n_folds=self.spec.n_folds,
            timeout_s=self.spec.trial_timeout_s,
            isolation=self.spec.isolation,
            max_workers=self.n_jobs,
        )

    def _race(self, study: optuna.Study, client: Any, train: Any) -> None:
        """``model="auto"``: successive halving over the session's families. The first rung
        prunes nothing, so each family is judged on whole trials, not against the others'
        folds; later rungs use the session's pruner."""
        store, sid = self.session.store, self.session.id
        pruner = study.pruner
        decisions = store.events(sid, kinds=_DECISIONS)
        recorded = {(e.kind, e.payload.get("rung", e.payload.get("best_trial"))) for e in decisions}

        # One runner a family for the whole race, their workers launched side by side now:
        # a worker's start (an interpreter and its imports, seconds) is paid once a family,
        # not once a rung, and not while the clock of a family's share runs.
        from assistant.tools import get_tool

        runners = {f: self._runner(get_tool(f), train) for f in self.spec.families or []}
        for runner in runners.values():
            runner.launch()

        def run_family(family: str, n: int, rung: int, seconds: float | None) -> None:
            study.pruner = optuna.pruners.NopPruner() if rung == 0 else pruner
            self._optimize(study, client, train, n, family, rung, seconds, runners[family])

        def decide(decision: events.RungFinished | events.FamilyChosen) -> None:
            kind = (
                events.RUNG_FINISHED
                if isinstance(decision, events.RungFinished)
                else events.FAMILY_CHOSEN
            )
            key = (kind, getattr(decision, "rung", getattr(decision, "best_trial", None)))
            if key not in recorded:  # a resumed race does not record a decision twice
                events.emit(store, sid, decision)

        race = FamilyRace(
            self.spec,
            self.target,
            lambda: study,
            run_family,
            decide,
            stopped=self._stop_requested,
            llm_pick=_llm_pick(store, sid),
            time_left=self._time_left,
            judged=judged_counts(decisions),
        )
        try:
            race.run()
        finally:
            for runner in runners.values():
                runner.close()
        study.pruner = pruner

    def _begin(self, study: optuna.Study) -> int:
        """Record the start (after marking dead processes' trials); the trials still to run."""
        session = self.session
        if not self.worker:
            abandon_orphans(session, study)
        finished = _count(study, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        remaining = max(0, self.target - finished)
        session.stop_flag.clear()
        self._last_action_id = _latest_action_id(session)
        if self.review:
            self._reviewer = SuggestionReview(
                session.store,
                session.id,
                timeout_s=self.review_timeout_s,
                cancel=session.stop_flag,
                after_id=self._last_action_id,
            )
        if not self.worker:
            session.store.update_session(session.id, status="running")
        started = events.SessionStarted(
            resumed=finished > 0,
            finished=finished,
            remaining=remaining,
            n_jobs=self.n_jobs,
            worker=self.worker,
            worker_id=self.worker_id,
            review=self.review,
            target=self.target,
            llm_model=self._llm_model(),
        )
        events.emit(session.store, session.id, started)
        return remaining

    def _llm_model(self) -> str | None:
        """Which LLM this run asks, in words (before any client starts)."""
        from assistant.llm.config import LLMConfig

        if self.spec.mode == "off":
            return None
        if self.llm_client is not None:
            return str(getattr(self.llm_client, "model_name", "") or type(self.llm_client).__name__)
        config = self.session.llm_config or LLMConfig.from_public_dict(self.spec.llm or {})
        if config.embedded or (config.base_url is None and config.model is None):
            return "embedded (llama.cpp)"
        return config.model or f"the first model at {config.base_url}"

    def _objective(self, runner: TrialRunner, trial: optuna.Trial) -> float:
        from assistant.tools.runner import suggest_config

        store, sid = self.session.store, self.session.id
        config = suggest_config(trial, self._space)
        family = self._family
        if family is not None:
            trial.set_user_attr(FAMILY_ATTR, family)
        if trial.number in self.rejected:
            trial.set_user_attr("failure_reason", "rejected by the user")
            rejected = events.TrialFinished(
                status="rejected", config=config, error="rejected by the user"
            )
            events.emit(store, sid, rejected, trial_number=trial.number)
            raise _TrialFailed("rejected by the user")
        started = events.TrialStarted(config=config, worker_id=self.worker_id, family=family)
        events.emit(store, sid, started, trial_number=trial.number)
        own = strip_config(config, family) if family is not None else config
        outcome = runner.run(own, seed=self.spec.seed, trial=trial)
        # Its training time alone (not the wait for a worker): what refitting it costs.
        trial.set_user_attr(DURATION_ATTR, outcome.duration_s)
        finished = events.TrialFinished.model_validate({**outcome.model_dump(), "config": config})
        events.emit(store, sid, finished, trial_number=trial.number)
        if outcome.status == "pruned":
            raise optuna.TrialPruned(f"pruned at step {len(outcome.intermediate_values)}")
        if outcome.status != "complete" or outcome.value is None:
            trial.set_user_attr("failure_reason", outcome.error or outcome.status)
            raise _TrialFailed(outcome.error or outcome.status)
        return float(outcome.value)

    def _stop_check(self, study: optuna.Study, _trial: FrozenTrial) -> None:
        # Other workers (processes or machines) count too: stop once the session's trials,
        # finished or in flight, reach its target.
        done = _count(study, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        running = _count(study, TrialState.RUNNING) - 1
        if self._stop_requested() or done + max(running, 0) >= self.target:
            study.stop()

    def _time_left(self) -> float | None:
        """Seconds left before the run's ``timeout`` (``None`` without one)."""
        deadline = getattr(self, "_deadline", None)
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    def _stop_requested(self) -> bool:
        session = self.session
        if session.stop_flag.is_set():
            return True
        for event in session.store.events(
            session.id, after_id=self._last_action_id, kinds=[events.USER_ACTION]
        ):
            self._last_action_id = event.id
            action = events.payload_of(event)
            if isinstance(action, events.UserAction) and action.action == "stop":
                session.stop_flag.set()
        return session.stop_flag.is_set()

    def _finish(self, study: optuna.Study) -> SessionResult:
        session = self.session
        stopped = session.stop_flag.is_set()
        result = session.summarize(study, "stopped" if stopped else "finished")
        if self.worker:
            return result
        if result.n_complete == 0 and not stopped:
            raise self._failed_without_results(study, result)
        if result.best_config is not None and not stopped:
            end = getattr(self, "_end", None)
            seconds = None if end is None else max(0.0, end - time.monotonic())
            final = session.evaluate_best(study, ensemble_seconds=seconds)
            result = result.model_copy(update={"final": final})
        session.store.update_session(
            session.id, status=result.status, result=result.model_dump(mode="json")
        )
        events.emit(
            session.store,
            session.id,
            events.SessionEnded.model_validate(result.model_dump()),
            kind=events.SESSION_STOPPED if stopped else events.SESSION_FINISHED,
        )
        return result

    # -- the engine's hooks ----------------------------------------------------------------
    def _budget_spent(self, reason: str, spent: LLMSpend) -> None:
        """The LLM budget refused its first call: record it; the engine falls back."""
        budget = self.spec.llm_budget
        assert budget is not None
        self.llm_state = "budget spent"
        spent_event = events.LLMBudgetSpent(reason=reason, budget=budget, spent=spent)
        events.emit(self.session.store, self.session.id, spent_event, trial_number=self.next_trial)

    def _watch_health(self, client: Any) -> Callable[[], None]:
        """Record the LLM's health changes as events while the run lasts; the unsubscriber."""
        health = getattr(client, "health", None)
        if not isinstance(health, CircuitBreaker):
            self.llm_state = "off" if client is None else "ok"
            return lambda: None
        store, sid = self.session.store, self.session.id

        def record(change: HealthChange) -> None:
            self.llm_state = change.state
            events.emit(
                store,
                sid,
                events.LLMHealthChanged.model_validate(change.model_dump()),
                kind=events.HEALTH_EVENT[change.state],
                trial_number=self.next_trial,
            )

        self.llm_state = health.state
        if health.state != "ok":  # it failed before this run could listen
            record(
                HealthChange(
                    state=health.state,
                    previous="ok",
                    reason=health.reason,
                    permanent=health.state == "unavailable" and health.admits_never,
                )
            )
        return health.subscribe(record)

    def _on_suggestion(self, trial: FrozenTrial, suggestion: Suggestion) -> Suggestion | None:
        store, sid = self.session.store, self.session.id
        self.next_trial = max(self.next_trial, trial.number + 1)
        made = events.SuggestionMade.model_validate(suggestion.model_dump())
        events.emit(store, sid, made, trial_number=trial.number)
        if suggestion.fallback:
            fallback = events.Fallback(reason=suggestion.fallback, source=suggestion.source)
            events.emit(store, sid, fallback, trial_number=trial.number)
        if self._reviewer is None:
            return None
        decision = self._reviewer(trial.number, made.model_dump(mode="json"))
        return apply_review(decision, suggestion, self._space, self.rejected)

    def _failed_without_results(
        self, study: optuna.Study, result: SessionResult
    ) -> TrialsFailedError:
        """Record the session as failed because no trial completed, and say why."""
        session = self.session
        reasons: list[str] = []
        for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
            reason = str(trial.user_attrs.get("failure_reason") or "no reason recorded")
            if reason not in reasons:
                reasons.append(reason)
        message = _no_result_message(result, self.timeout)
        if reasons:
            shown = "; ".join(f"({i}) {r[:300]}" for i, r in enumerate(reasons[:3], 1))
            message += f"; first distinct reasons: {shown}"
        message += f". Session {session.id} is recorded as failed"
        failed = result.model_copy(update={"status": "failed", "error": message})
        session.store.update_session(
            session.id, status="failed", result=failed.model_dump(mode="json")
        )
        events.emit(session.store, session.id, events.SessionFailed(error=message))
        return TrialsFailedError(
            message, session_id=session.id, n_failed=result.n_failed, reasons=reasons[:3]
        )


_DECISIONS = [events.RUNG_FINISHED, events.FAMILY_CHOSEN]

ENSEMBLE_SHARE = 0.2
"""The share of a session's ``timeout`` that the search leaves to the ensemble (when the
session builds one): its out-of-fold fits cost about one trial per candidate."""


def _llm_pick(store: Any, session_id: str) -> str | None:
    """The family the LLM put first in a ``model="auto"`` session, if it did."""
    for event in store.events(session_id, kinds=[events.FAMILIES_CONSIDERED]):
        considered = events.payload_of(event)
        if isinstance(considered, events.FamiliesConsidered):
            return considered.llm_pick
    return None


def _no_result_message(result: SessionResult, timeout: float | None) -> str:
    finished = result.n_failed + result.n_pruned
    if finished == 0:
        message = "no trial finished"
        if timeout is not None:
            message += f" within the timeout of {timeout:g} s"
        return message
    if result.n_failed == finished:
        return f"all {result.n_failed} trials failed"
    return f"no trial completed ({result.n_failed} failed, {result.n_pruned} pruned)"


def abandon_orphans(session: TuningSession, study: optuna.Study) -> None:
    """Mark failed the trials whose process died, so they are never counted twice.

    A trial started on this machine by a process that no longer exists is an orphan at
    once; any other running trial is an orphan when its heartbeat has been silent for the
    store's grace period (its machine may be gone). Trials of live workers stay.
    """
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if not running:
        return
    owners: dict[int | None, str] = {}
    for event in session.store.events(session.id, kinds=[events.TRIAL_STARTED]):
        started = events.payload_of(event)
        assert isinstance(started, events.TrialStarted)
        owners[event.trial_number] = started.worker_id or ""
    for trial in running:
        if _process_gone(owners.get(trial.number, "")):
            try:
                study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except optuna.exceptions.UpdateFinishedTrialError:
                continue
            _record_abandoned(session, trial, "its process stopped")
    still = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        if trial.number in still:
            _record_abandoned(session, trial, "no heartbeat for the grace period")


def _record_abandoned(session: TuningSession, trial: FrozenTrial, reason: str) -> None:
    abandoned = events.TrialAbandoned(params=dict(trial.params), reason=reason)
    events.emit(session.store, session.id, abandoned, trial_number=trial.number)


def _latest_action_id(session: TuningSession) -> int:
    existing = session.store.events(session.id, kinds=[events.USER_ACTION])
    return existing[-1].id if existing else 0


def _stop_after(seconds: float | None) -> Callable[[optuna.Study, FrozenTrial], None]:
    """An Optuna callback that stops the study after the trial that passes ``seconds`` (a
    racing family's share of its rung): the trial in flight finishes, so a family always
    runs at least one."""
    started = time.monotonic()

    def check(study: optuna.Study, _trial: FrozenTrial) -> None:
        if seconds is not None and time.monotonic() - started >= seconds:
            study.stop()

    return check


def _count(study: optuna.Study, *states: TrialState) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def _process_gone(worker_id: str) -> bool:
    """True when ``worker_id`` ("host:pid") names a process of this machine that has ended."""
    host, _, pid = worker_id.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
