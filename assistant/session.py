"""Tuning sessions: a problem, a tool, an Optuna study and the store, driven to the end.

A :class:`TuningSession` is what every face drives. It creates the study in the store,
keeps a copy of the data beside it (so a session can be resumed, replayed or joined from
another process with nothing but its id), asks the :class:`~assistant.LLAMBOSampler` for
configurations, runs trials through the tool runner, writes every step as an event, and
finally scores the best configuration once on a held-out split.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from assistant.session import TuningSession
    >>> from assistant.store import Store
    >>> from assistant.tools import Dataset
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> store = Store(f"sqlite:///{os.path.join(folder, 'demo.db')}")
    >>> data = Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")
    >>> session = TuningSession.create(data, tool="knn", store=store, n_trials=4,
    ...                                mode="off", isolation="inline", n_folds=3)
    >>> result = session.run()
    >>> result.n_complete
    4
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import optuna
from optuna.trial import FrozenTrial, TrialState
from pydantic import BaseModel, ConfigDict, Field

from assistant import events
from assistant.context import ProblemContext
from assistant.engine.planner import EngineOptions, Mode, Suggestion
from assistant.errors import AssistantError, LLMError, ToolError, TrialsFailedError
from assistant.llm.health import CircuitBreaker, HealthChange
from assistant.llm_health import LLMHealthSummary, summarize_llm_health
from assistant.sampler import SUGGESTION_ATTR, LLAMBOSampler
from assistant.space import SearchSpace
from assistant.store import EventRecord, Store

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "ASSISTANT_DATA_DIR"
Isolation = Literal["process", "inline"]


class SessionSpec(BaseModel):
    """Everything needed to run or resume a session, as stored (no secrets, no data)."""

    model_config = ConfigDict(frozen=True)

    tool: str
    task: Literal["classification", "regression"]
    metric: str
    direction: Literal["minimize", "maximize"]
    n_trials: int = Field(ge=1)
    n_folds: int = Field(5, ge=2)
    seed: int = 0
    test_size: float = Field(0.2, gt=0.0, lt=1.0)
    mode: Mode = "full"
    options: dict[str, Any] = Field(default_factory=dict)
    llm: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    data_dir: str
    isolation: Isolation = "process"
    trial_timeout_s: float | None = None


class FinalEvaluation(BaseModel):
    """The best configuration refitted on the whole training split and scored once on the
    held-out split, with a bootstrap 95% interval."""

    config: dict[str, Any]
    metric: str
    cv_score: float
    test_score: float
    ci_low: float | None
    ci_high: float | None
    n_test: int
    test_seed: int


class SessionResult(BaseModel):
    """What a finished (or stopped) run produced."""

    session_id: str
    status: str
    n_complete: int
    n_failed: int
    n_pruned: int
    best_config: dict[str, Any] | None = None
    best_cv_score: float | None = None
    final: FinalEvaluation | None = None
    n_llm_calls: int = 0
    n_fallbacks: int = 0
    llm_health: LLMHealthSummary | None = None
    error: str | None = None


def default_data_dir(store: Store) -> Path:
    """Where sessions keep their data: ``$ASSISTANT_DATA_DIR``, else beside a SQLite file,
    else under the user's data folder."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    if store.url.startswith("sqlite:///") and ":memory:" not in store.url:
        db = Path(store.url.removeprefix("sqlite:///"))
        return db.parent / f"{db.stem}-data"
    return Path.home() / ".local" / "share" / "automl-assistant" / "data"


class TuningSession:
    """One tuning session in the store. Create it with :meth:`create`, reopen it with
    :meth:`open`; :meth:`run` starts or resumes it."""

    def __init__(self, store: Store, session_id: str) -> None:
        self.store = store
        self.id = session_id
        record = store.get_session(session_id)
        self.name = record.name
        self.study_name = record.study_name
        self.spec = SessionSpec.model_validate(record.spec)
        self._stop = threading.Event()
        self._last_action_id = 0
        self.best_model: Any = None
        self._llm_config: Any = None  # the LLM settings given to create(), key included
        self._review: Any = None  # review mode's decision reader, set per run
        self._review_space: SearchSpace | None = None
        self._rejected: set[int] = set()
        self._next_trial = 0  # the trial the engine is planning for: health events name it
        self.llm_state = "off" if self.spec.mode == "off" else "ok"
        """The LLM's health during a run: ``ok``, ``degraded``, ``unavailable`` or ``off``."""

    # -- creation ------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        data: Any,
        *,
        tool: str,
        store: Store | None = None,
        metric: str | None = None,
        n_trials: int = 20,
        n_folds: int = 5,
        seed: int = 0,
        test_size: float = 0.2,
        mode: Mode = "full",
        options: EngineOptions | None = None,
        llm: Any = None,
        name: str | None = None,
        notes: str = "",
        isolation: Isolation = "process",
        trial_timeout_s: float | None = None,
        data_dir: str | Path | None = None,
    ) -> TuningSession:
        """Create a session (and its study) for ``data`` (a :class:`~assistant.tools.Dataset`)
        and ``tool`` (a registered tool name). ``llm`` is an ``LLMConfig`` or ``None`` for the
        configured default; only its public settings are stored."""
        from assistant.llm.config import LLMConfig, resolve_llm_config
        from assistant.store import new_session_id
        from assistant.tools import get_tool, resolve_metric
        from assistant.tools.evaluation import split_holdout

        store = store or Store()
        resolved = resolve_metric(metric, data.task)
        llm_config = llm if isinstance(llm, LLMConfig) else resolve_llm_config()
        if llm_config.api_key_value():
            store.add_secret(llm_config.api_key_value())
        train, _test = split_holdout(data, test_size=test_size, seed=seed)
        info = train.info()
        session_id = new_session_id()
        store.create_session(
            name=name or f"{tool} on {data.name}",
            study_name=f"assistant-{session_id}",
            spec={},
            session_id=session_id,
        )
        if tool == "auto":
            client = None
            if mode != "off":
                from assistant.llm import RecordingClient, make_client

                client = RecordingClient(make_client(llm_config), store, session_id)
            tool, rationale, reason = pick_tool(
                client, train, resolved.name, resolved.direction, notes
            )
            store.append_event(
                session_id,
                events.TOOL_CHOSEN,
                {"tool": tool, "rationale": rationale, "fallback": reason},
            )
        tool_obj = get_tool(tool)
        if not tool_obj.supports(data.task):
            store.update_session(session_id, status="failed")
            raise ToolError(f"tool {tool!r} does not support {data.task}")
        context = ProblemContext(
            task=f"{info.target_kind} {data.task} on {data.name}",
            model=tool_obj.family,
            metric=resolved.name,
            direction=resolved.direction,
            dataset=info,
            notes=notes,
        )
        folder = Path(data_dir) if data_dir else default_data_dir(store) / session_id
        data.save(folder)
        spec = SessionSpec(
            tool=tool if ":" in tool else tool_obj.name,  # a module path loads anywhere
            task=data.task,
            metric=resolved.name,
            direction=resolved.direction,
            n_trials=n_trials,
            n_folds=n_folds,
            seed=seed,
            test_size=test_size,
            mode=mode,
            options=(options or EngineOptions()).model_dump(mode="json"),
            llm=llm_config.to_public_dict(),
            context=context.model_dump(mode="json"),
            data_dir=str(folder.resolve()),
            isolation=isolation,
            trial_timeout_s=trial_timeout_s,
        )
        with _optuna_quiet():  # its "A new study created" line is our business, not the user's
            optuna.create_study(
                study_name=f"assistant-{session_id}",
                storage=store.optuna_storage,
                direction=resolved.direction,
            )
        store.update_session(session_id, spec=spec.model_dump(mode="json"))
        store.append_event(
            session_id, events.SESSION_CREATED, {"spec": spec.model_dump(mode="json")}
        )
        session = cls(store, session_id)
        session._llm_config = llm_config  # with its key: only the public part was stored
        return session

    @classmethod
    def open(cls, session_id: str, store: Store | None = None) -> TuningSession:
        """Reopen a session from the store by id."""
        return cls(store or Store(), session_id)

    # -- reading -------------------------------------------------------------------------
    @property
    def study(self) -> optuna.Study:
        """The session's Optuna study (loaded from the store)."""
        return optuna.load_study(
            study_name=self.study_name,
            storage=self.store.optuna_storage,
            # Folds are steps: never judge a trial on its first fold alone.
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
        )

    @property
    def context(self) -> ProblemContext:
        return ProblemContext.model_validate(self.spec.context)

    def events(self, after_id: int = 0) -> list[EventRecord]:
        """The session's events after ``after_id``."""
        return self.store.events(self.id, after_id=after_id)

    def load_data(self) -> tuple[Any, Any]:
        """The (train, test) datasets of this session, from its saved copy."""
        from assistant.tools import Dataset
        from assistant.tools.evaluation import split_holdout

        data = Dataset.load(self.spec.data_dir)
        return split_holdout(data, test_size=self.spec.test_size, seed=self.spec.seed)

    # -- control ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask a running session to stop after the trials in flight (from any process)."""
        self.store.append_event(self.id, events.USER_ACTION, {"action": "stop"})
        self._stop.set()

    def _stop_requested(self) -> bool:
        if self._stop.is_set():
            return True
        for event in self.store.events(
            self.id, after_id=self._last_action_id, kinds=[events.USER_ACTION]
        ):
            self._last_action_id = event.id
            if event.payload.get("action") == "stop":
                self._stop.set()
        return self._stop.is_set()

    # -- running ---------------------------------------------------------------------------
    def run(
        self,
        n_trials: int | None = None,
        *,
        n_jobs: int = 1,
        llm_client: Any = None,
        callbacks: Iterable[Callable[[optuna.Study, FrozenTrial], None]] = (),
        worker: bool = False,
        timeout: float | None = None,
        review: bool = False,
        review_timeout_s: float | None = None,
    ) -> SessionResult:
        """Run (or resume) until the session has ``n_trials`` finished trials (the spec's
        number by default), the user stops it, or it fails; then score the best
        configuration on the held-out split.

        ``worker=True`` joins a session that another process owns (possibly on another
        machine, through a shared database): it runs trials until the session's target is
        reached and leaves the session's status and final evaluation to the owner.
        ``llm_client`` replaces the configured LLM (for example a replay client); calls
        are recorded either way unless it is a replay client. With ``review=True`` each
        suggestion waits for a person's decision (a ``user_action`` event written by any
        face: accept, edit or reject) before its trial runs; after ``review_timeout_s``
        without one, it runs as suggested.
        """
        from assistant.tools import get_tool
        from assistant.tools.runner import TrialRunner, suggest_config

        target = n_trials or self.spec.n_trials
        worker_id = f"{socket.gethostname()}:{os.getpid()}"
        study = self.study
        if not worker:
            self._abandon_orphans(study)
        finished = _count(study, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        remaining = max(0, target - finished)
        self._stop.clear()
        self._last_action_id = self._latest_event_id()
        self._rejected = set()
        self._review = None
        if review:
            from assistant.chat.review import SuggestionReview

            self._review = SuggestionReview(
                self.store,
                self.id,
                timeout_s=review_timeout_s,
                cancel=self._stop,
                after_id=self._last_action_id,
            )
        if not worker:
            self.store.update_session(self.id, status="running")
        self.store.append_event(
            self.id,
            events.SESSION_STARTED,
            {
                "resumed": finished > 0,
                "finished": finished,
                "remaining": remaining,
                "n_jobs": n_jobs,
                "worker": worker,
                "worker_id": worker_id,
                "review": review,
                "target": target,
            },
        )
        tool = get_tool(self.spec.tool)
        train, _test = self.load_data()
        space = tool.search_space(self.spec.task)
        self._review_space = space
        client = self._llm(llm_client) if self.spec.mode != "off" else None
        self._next_trial = len(study.get_trials(deepcopy=False))
        unwatch = self._watch_health(client)
        sampler = self.build_sampler(
            client,
            on_suggestion=self._on_suggestion,
            worker_id=worker_id if worker else None,
            budget=target,
        )
        study.sampler = sampler
        try:
            with TrialRunner(
                tool,
                train,
                self.spec.metric,
                n_folds=self.spec.n_folds,
                timeout_s=self.spec.trial_timeout_s,
                isolation=self.spec.isolation,
                max_workers=n_jobs,
            ) as runner:

                def objective(trial: optuna.Trial) -> float:
                    config = suggest_config(trial, space)
                    if trial.number in self._rejected:
                        trial.set_user_attr("failure_reason", "rejected by the user")
                        self.store.append_event(
                            self.id,
                            events.TRIAL_FINISHED,
                            {
                                "status": "rejected",
                                "config": config,
                                "error": "rejected by the user",
                            },
                            trial_number=trial.number,
                        )
                        raise _TrialFailed("rejected by the user")
                    self.store.append_event(
                        self.id,
                        events.TRIAL_STARTED,
                        {"config": config, "worker_id": worker_id},
                        trial_number=trial.number,
                    )
                    outcome = runner.run(config, seed=self.spec.seed, trial=trial)
                    payload = outcome.model_dump(mode="json")
                    self.store.append_event(
                        self.id, events.TRIAL_FINISHED, payload, trial_number=trial.number
                    )
                    if outcome.status == "pruned":
                        raise optuna.TrialPruned(
                            f"pruned at step {len(outcome.intermediate_values)}"
                        )
                    if outcome.status != "complete" or outcome.value is None:
                        trial.set_user_attr("failure_reason", outcome.error or outcome.status)
                        raise _TrialFailed(outcome.error or outcome.status)
                    return float(outcome.value)

                def stop_check(st: optuna.Study, _t: FrozenTrial) -> None:
                    # Other workers (processes or machines) count too: stop once the
                    # session's trials, finished or in flight, reach its target.
                    done = _count(st, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
                    running = _count(st, TrialState.RUNNING) - 1
                    if self._stop_requested() or done + max(running, 0) >= target:
                        st.stop()

                if remaining > 0:
                    study.optimize(
                        objective,
                        n_trials=remaining,
                        timeout=timeout,
                        n_jobs=n_jobs,
                        catch=(_TrialFailed,),
                        callbacks=[stop_check, *callbacks],
                    )
        except BaseException as exc:
            sampler.close()
            unwatch()
            if not worker:
                self.store.update_session(self.id, status="failed")
            self.store.append_event(self.id, events.SESSION_FAILED, {"error": repr(exc)[:2000]})
            raise
        sampler.close()
        unwatch()
        stopped = self._stop.is_set()
        result = self._result(study, "stopped" if stopped else "finished")
        if worker:
            return result
        if result.n_complete == 0 and not stopped:
            raise self._failed_without_results(study, result, timeout)
        if result.best_config is not None and not stopped:
            result = result.model_copy(update={"final": self.evaluate_best(study)})
        self.store.update_session(
            self.id, status=result.status, result=result.model_dump(mode="json")
        )
        self.store.append_event(
            self.id,
            events.SESSION_STOPPED if stopped else events.SESSION_FINISHED,
            result.model_dump(mode="json"),
        )
        return result

    def build_sampler(
        self,
        client: Any,
        on_suggestion: Callable[[FrozenTrial, Suggestion], None] | None = None,
        worker_id: str | None = None,
        budget: int | None = None,
    ) -> LLAMBOSampler:
        """The session's sampler: its tool's space and defaults, its seed, mode and options,
        talking to ``client`` (a recording, replay or plain LLM client, or ``None``).

        A joining worker (``worker_id``) gets its own seed and leaves the library defaults
        to the session's owner, so workers starting together do not suggest the same
        configurations. ``budget`` is the run's target number of trials (see
        :class:`LLAMBOSampler`).
        """
        from assistant.tools import get_tool

        tool = get_tool(self.spec.tool)
        seed = self.spec.seed
        if worker_id is not None:
            seed = int.from_bytes(hashlib.sha256(f"{seed}:{worker_id}".encode()).digest()[:4])
        return LLAMBOSampler(
            client,
            self.context,
            search_space=tool.search_space(self.spec.task),
            default_config=None if worker_id else tool.default_config(self.spec.task),
            seed=seed,
            mode=self.spec.mode,
            options=EngineOptions.model_validate(self.spec.options),
            on_suggestion=on_suggestion,
            budget=budget,
        )

    def evaluate_best(self, study: optuna.Study | None = None) -> FinalEvaluation:
        """Refit the best configuration on the training split and score it once on the
        held-out split (seeded apart from tuning), recording the result."""
        from assistant.tools import get_tool
        from assistant.tools.evaluation import holdout_evaluate

        study = study or self.study
        best = study.best_trial
        train, test = self.load_data()
        tool = get_tool(self.spec.tool)
        test_seed = self.spec.seed + 1_000_003
        holdout = holdout_evaluate(
            tool, train, test, dict(best.params), self.spec.metric, seed=test_seed
        )
        self.best_model = holdout.model
        final = FinalEvaluation(
            config=dict(best.params),
            metric=self.spec.metric,
            cv_score=float(best.value),
            test_score=holdout.score,
            ci_low=holdout.ci_low,
            ci_high=holdout.ci_high,
            n_test=holdout.n_test,
            test_seed=test_seed,
        )
        self.store.append_event(self.id, events.FINAL_EVALUATION, final.model_dump(mode="json"))
        return final

    def result(self) -> SessionResult:
        """The session's current result, from the store."""
        record = self.store.get_session(self.id)
        if record.result:
            return SessionResult.model_validate(record.result)
        return self._result(self.study, record.status)

    # -- internals ---------------------------------------------------------------------------
    def _llm(self, client: Any) -> Any:
        from assistant.llm import RecordingClient, make_client
        from assistant.llm.config import LLMConfig, resolve_llm_config
        from assistant.llm.replay import ReplayClient

        if isinstance(client, ReplayClient):
            return client
        if client is None:
            # Resume and workers get exactly the recorded settings (the key from the
            # environment); the process that created the session has them, key included.
            config = self._llm_config or (
                LLMConfig.from_public_dict(self.spec.llm) if self.spec.llm else resolve_llm_config()
            )
            try:
                client = make_client(config)
            except LLMError as exc:  # the session goes on statistically, and says so
                from assistant.llm.health import UnavailableClient

                logger.warning("the LLM could not be set up: %s", exc)
                client = UnavailableClient(f"{type(exc).__name__}: {exc}", config.model or "")
        return RecordingClient(client, self.store, self.id)

    def _watch_health(self, client: Any) -> Callable[[], None]:
        """Record the LLM's health changes as events while the run lasts; the unsubscriber."""
        health = getattr(client, "health", None)
        if not isinstance(health, CircuitBreaker):
            self.llm_state = "off" if client is None else "ok"
            return lambda: None

        def record(change: HealthChange) -> None:
            self.llm_state = change.state
            self.store.append_event(
                self.id,
                events.HEALTH_EVENT[change.state],
                change.model_dump(mode="json"),
                trial_number=self._next_trial,
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
        self._next_trial = max(self._next_trial, trial.number + 1)
        payload = suggestion.model_dump(mode="json")
        self.store.append_event(self.id, events.SUGGESTION, payload, trial_number=trial.number)
        if suggestion.fallback:
            self.store.append_event(
                self.id,
                events.FALLBACK,
                {"reason": suggestion.fallback, "source": suggestion.source},
                trial_number=trial.number,
            )
        if self._review is None:
            return None
        decision = self._review(trial.number, payload)
        assert self._review_space is not None
        return apply_review(decision, suggestion, self._review_space, self._rejected)

    def _failed_without_results(
        self, study: optuna.Study, result: SessionResult, timeout: float | None
    ) -> TrialsFailedError:
        """Record the session as failed because no trial completed, and say why."""
        reasons: list[str] = []
        for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
            reason = str(trial.user_attrs.get("failure_reason") or "no reason recorded")
            if reason not in reasons:
                reasons.append(reason)
        finished = result.n_failed + result.n_pruned
        if finished == 0:
            message = "no trial finished"
            if timeout is not None:
                message += f" within the timeout of {timeout:g} s"
        elif result.n_failed == finished:
            message = f"all {result.n_failed} trials failed"
        else:
            message = f"no trial completed ({result.n_failed} failed, {result.n_pruned} pruned)"
        if reasons:
            shown = "; ".join(f"({i}) {r[:300]}" for i, r in enumerate(reasons[:3], 1))
            message += f"; first distinct reasons: {shown}"
        message += f". Session {self.id} is recorded as failed"
        failed = result.model_copy(update={"status": "failed", "error": message})
        self.store.update_session(self.id, status="failed", result=failed.model_dump(mode="json"))
        self.store.append_event(self.id, events.SESSION_FAILED, {"error": message})
        return TrialsFailedError(
            message, session_id=self.id, n_failed=result.n_failed, reasons=reasons[:3]
        )

    def _abandon_orphans(self, study: optuna.Study) -> None:
        """Mark failed the trials whose process died, so they are never counted twice.

        A trial started on this machine by a process that no longer exists is an orphan at
        once; any other running trial is an orphan when its heartbeat has been silent for
        the store's grace period (its machine may be gone). Trials of live workers stay.
        """
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not running:
            return
        owners = {
            e.trial_number: str(e.payload.get("worker_id", ""))
            for e in self.store.events(self.id, kinds=[events.TRIAL_STARTED])
        }
        for trial in running:
            if _process_gone(owners.get(trial.number, "")):
                try:
                    study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
                except optuna.exceptions.UpdateFinishedTrialError:
                    continue
                self._record_abandoned(trial, "its process stopped")
        still = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
            if trial.number in still:
                self._record_abandoned(trial, "no heartbeat for the grace period")

    def _record_abandoned(self, trial: FrozenTrial, reason: str) -> None:
        self.store.append_event(
            self.id,
            events.TRIAL_ABANDONED,
            {"params": trial.params, "reason": reason},
            trial_number=trial.number,
        )

    def _latest_event_id(self) -> int:
        existing = self.store.events(self.id, kinds=[events.USER_ACTION])
        return existing[-1].id if existing else 0

    def _result(self, study: optuna.Study, status: str) -> SessionResult:
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        best = study.best_trial if complete else None
        return SessionResult(
            session_id=self.id,
            status=status,
            n_complete=len(complete),
            n_failed=_count(study, TrialState.FAIL),
            n_pruned=_count(study, TrialState.PRUNED),
            best_config=dict(best.params) if best else None,
            best_cv_score=float(best.value) if best and best.value is not None else None,
            n_llm_calls=len(self.store.llm_calls(self.id)),
            n_fallbacks=len(self.store.events(self.id, kinds=[events.FALLBACK])),
            llm_health=summarize_llm_health(self.store, self.id, self.spec.mode),
        )


@contextlib.contextmanager
def _optuna_quiet() -> Iterator[None]:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(verbosity, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


class _TrialFailed(AssistantError):
    """A trial failed cleanly (its reason is on the trial); the session goes on."""


def _count(study: optuna.Study, *states: TrialState) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def suggestion_of(trial: FrozenTrial) -> dict[str, Any] | None:
    """The engine's explanation stored on a trial, if any."""
    return trial.user_attrs.get(SUGGESTION_ATTR)


def pick_tool(
    client: Any, train: Any, metric: str, direction: str, notes: str
) -> tuple[str, str, str | None]:
    """The LLM's choice of model family for ``model="auto"``: (tool, rationale, fallback).

    The LLM chooses among the registered tools for the task (a closed list, so its answer
    is always valid); without a client, or when the call fails, a strong general default
    is used and ``fallback`` says why.
    """
    from assistant.errors import LLMError
    from assistant.llm.base import Message
    from assistant.prompting import render
    from assistant.tools import list_tools

    default = "torch_cnn" if train.image_shape is not None else "hist_gradient_boosting"
    candidates = list_tools(train.task)
    names = [t.name for t in candidates]
    if client is None or not names:
        return default, "a strong default for this kind of data", None
    info = train.info()
    prompt = render(
        "choose_tool.j2",
        task=f"{info.target_kind} {train.task} on {train.name}",
        metric=metric,
        direction=direction,
        dataset=info,
        notes=notes,
        tools=candidates,
    )
    schema = {
        "type": "object",
        "properties": {"tool": {"enum": names}, "rationale": {"type": "string", "maxLength": 240}},
        "required": ["tool", "rationale"],
        "additionalProperties": False,
    }
    messages = [
        Message(role="system", content=render("system.j2")),
        Message(role="user", content=prompt),
    ]
    try:
        answer = client.complete(
            messages, schema, temperature=0.0, max_tokens=120, purpose="choose_tool"
        ).parsed
    except LLMError as exc:
        return default, "a strong default for this kind of data", f"{type(exc).__name__}: {exc}"
    if not answer or answer.get("tool") not in names:
        return default, "a strong default for this kind of data", "the LLM chose no known tool"
    return str(answer["tool"]), str(answer.get("rationale", ""))[:240], None


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


def apply_review(
    decision: Any, suggestion: Suggestion, space: SearchSpace, rejected: set[int]
) -> Suggestion | None:
    """Carry out a person's decision on a suggestion: ``None`` to run it as suggested, a
    replacement for an edit. A rejected (or stopped) trial is added to ``rejected`` and fails
    without running; so does an edit that does not fit the space."""
    if decision.action in ("reject", "stop"):
        rejected.add(decision.trial)
        return None
    if decision.action != "edit":
        return None
    report = space.validate_config(decision.config)
    if report.config is None or report.severe:
        logger.warning(
            "trial %d: the edited configuration is invalid: %s",
            decision.trial,
            [i.message for i in report.issues],
        )
        rejected.add(decision.trial)
        return None
    return suggestion.model_copy(
        update={
            "config": report.config,
            "source": "user",
            "rationale": "edited by the user",
            "predicted": None,
            "llm_pred": None,
            "llm_std": None,
            "stat_pred": None,
            "stat_std": None,
            "acquisition": None,
        }
    )
