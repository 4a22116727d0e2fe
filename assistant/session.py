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

import threading
from collections.abc import Callable, Iterable
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from assistant import events
from assistant.cash import config_of, family_of
from assistant.create import DATA_DIR_ENV, create_session, default_data_dir
from assistant.ensemble import build_ensemble
from assistant.llm_health import summarize_llm_health
from assistant.records import (
    FinalEvaluation,
    Isolation,
    LLMBudgetStatus,
    SessionResult,
    SessionSpec,
)
from assistant.run import Run, build_sampler
from assistant.sampler import SUGGESTION_ATTR, LLAMBOSampler
from assistant.store import EventRecord, Store

__all__ = [
    "DATA_DIR_ENV",
    "FinalEvaluation",
    "Isolation",
    "SessionResult",
    "SessionSpec",
    "TuningSession",
    "default_data_dir",
    "suggestion_of",
]


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
        self.stop_flag = threading.Event()
        """Set by :meth:`stop` (or a recorded stop): the run ends after its trials in flight."""
        self.best_model: Any = None
        """The refitted best model (a tuple of the members' models when an ensemble won)."""
        self.best_blend: Any = None
        """The kept ensemble (:class:`~assistant.tools.ensemble.Blend`), if any."""
        self.llm_config: Any = None
        """The LLM settings given at creation, key included (the store has the public part)."""
        self._run: Run | None = None

    create = staticmethod(create_session)
    """Create a session: see :func:`assistant.create.create_session`."""

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
    def context(self) -> Any:
        from assistant.context import ProblemContext

        return ProblemContext.model_validate(self.spec.context)

    @property
    def llm_state(self) -> str:
        """The LLM's health in the current (or last) run: ``ok``, ``degraded``,
        ``unavailable`` or ``off``."""
        if self._run is not None:
            return self._run.llm_state
        return "off" if self.spec.mode == "off" else "ok"

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
        events.emit(self.store, self.id, events.UserAction(action="stop"))
        self.stop_flag.set()

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
        self._run = Run(
            self,
            n_trials,
            n_jobs=n_jobs,
            llm_client=llm_client,
            callbacks=callbacks,
            worker=worker,
            timeout=timeout,
            review=review,
            review_timeout_s=review_timeout_s,
        )
        return self._run.execute()

    def build_sampler(
        self,
        client: Any,
        on_suggestion: Any = None,
        worker_id: str | None = None,
        budget: int | None = None,
        family: str | None = None,
        rung: int = 0,
        llm_ready: Any = None,
    ) -> LLAMBOSampler:
        """The session's sampler (see :func:`assistant.run.build_sampler`)."""
        return build_sampler(
            self.spec, self.context, client, on_suggestion, worker_id, budget, family, rung,
            llm_ready,
        )  # fmt: skip

    def evaluate_best(
        self, study: optuna.Study | None = None, *, ensemble_seconds: float | None = None
    ) -> FinalEvaluation:
        """Refit the best configuration (of the winning family, in a ``model="auto"``
        session) on the training split and score it once on the held-out split (seeded
        apart from tuning), recording the result; with ``spec.ensemble``, also build the
        ensemble of the best trials (see :mod:`assistant.ensemble`), which becomes
        :attr:`best_model` when it is kept. ``ensemble_seconds`` (what is left of the
        run's time limit) bounds the ensemble: only the candidates whose trials took that
        long in all, and none when that is not two."""
        from assistant.tools import get_tool
        from assistant.tools.evaluation import holdout_evaluate

        study = study or self.study
        best = study.best_trial
        family, config = family_of(best), config_of(best)
        train, test = self.load_data()
        tool = get_tool(family or self.spec.tool)
        test_seed = self.spec.seed + 1_000_003
        holdout = holdout_evaluate(tool, train, test, config, self.spec.metric, seed=test_seed)
        self.best_model = holdout.model
        ensemble = None
        if self.spec.ensemble:
            built = build_ensemble(
                study.trials, self.spec, train, test, test_seed, seconds=ensemble_seconds
            )
            ensemble = built.evaluation
            if built.blend is not None:
                self.best_model, self.best_blend = built.models, built.blend
        final = FinalEvaluation(
            config=config,
            family=family,
            metric=self.spec.metric,
            cv_score=float(best.value),  # type: ignore[arg-type]  # the best trial has a value
            test_score=holdout.score,
            ci_low=holdout.ci_low,
            ci_high=holdout.ci_high,
            n_test=holdout.n_test,
            test_seed=test_seed,
            ensemble=ensemble,
        )
        events.emit(self.store, self.id, events.FinalEvaluated.model_validate(final.model_dump()))
        return final

    def result(self) -> SessionResult:
        """The session's current result, from the store."""
        record = self.store.get_session(self.id)
        if record.result:
            return SessionResult.model_validate(record.result)
        return self.summarize(self.study, record.status)

    def summarize(self, study: optuna.Study, status: str) -> SessionResult:
        """The session's result as ``study`` and the store tell it now."""
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        best = study.best_trial if complete else None
        return SessionResult(
            session_id=self.id,
            status=status,
            n_complete=len(complete),
            n_failed=len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))),
            n_pruned=len(study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))),
            best_config=config_of(best) if best else None,
            best_cv_score=float(best.value) if best and best.value is not None else None,
            best_family=family_of(best) if best else None,
            n_llm_calls=len(self.store.llm_calls(self.id)),
            n_fallbacks=len(self.store.events(self.id, kinds=[events.FALLBACK])),
            llm_health=summarize_llm_health(self.store, self.id, self.spec.mode),
            llm_budget=self.budget_status(),
        )

    def budget_status(self) -> LLMBudgetStatus | None:
        """The session's LLM budget against what its recorded calls spent (``None``
        without a budget)."""
        from assistant.llm.budget import requests_per_call, session_prices, spend_of

        budget = self.spec.llm_budget
        if budget is None:
            return None
        spent = spend_of(
            self.store.llm_calls(self.id),
            budget,
            session_prices(budget, self.spec.llm),
            requests_per_call(self.spec.llm),
        )
        status = LLMBudgetStatus(budget=budget, spent=spent)
        for event in self.store.events(self.id, kinds=[events.LLM_BUDGET_SPENT]):
            payload = events.payload_of(event)
            assert isinstance(payload, events.LLMBudgetSpent)
            return status.model_copy(
                update={
                    "spent_out": True,
                    "reason": payload.reason,
                    "since_trial": event.trial_number,
                }
            )
        return status


def suggestion_of(trial: FrozenTrial) -> dict[str, Any] | None:
    """The engine's explanation stored on a trial, if any."""
    return trial.user_attrs.get(SUGGESTION_ATTR)
