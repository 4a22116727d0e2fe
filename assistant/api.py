"""``assistant.tune()``: one call from data to a tuned, honestly evaluated model.

Example:
    >>> import assistant, tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> storage = f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'tune.db')}"
    >>> result = assistant.tune((X, y), model="knn", n_trials=4, llm="off", storage=storage,
    ...                         n_folds=3, verbose=False, isolation="inline")
    >>> sorted(result.best_config) == sorted(result.study.best_params)
    True
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import optuna
from optuna.trial import TrialState

from assistant.cash import config_of, family_of
from assistant.create import optuna_quiet
from assistant.errors import AssistantError
from assistant.llm_health import LLMHealthSummary
from assistant.records import EnsembleEvaluation, LLMBudget, LLMBudgetStatus
from assistant.session import FinalEvaluation, Isolation, TuningSession
from assistant.store import Store

if TYPE_CHECKING:
    from assistant.deploy import DeployedModel

logger = logging.getLogger(__name__)

_NOT_ANSWERING = ("degraded", "unavailable")


class TuningResult:
    """What :func:`tune` returns: the best configuration, its cross-validated score, its
    held-out score with a 95% interval, the refitted model, the study and the session."""

    def __init__(
        self,
        session: TuningSession,
        final: FinalEvaluation | None,
        model: Any,
        llm_health: LLMHealthSummary | None = None,
        llm_budget: LLMBudgetStatus | None = None,
    ) -> None:
        self.session = session
        self.llm_health = llm_health
        """What the LLM contributed, and whether it really answered (see ``headline()``)."""
        self.llm_budget = llm_budget
        """The LLM budget against what was spent (``None`` without one; see ``headline()``)."""
        self.session_id = session.id
        self.study: optuna.Study = session.study
        self.final = final
        self.best_model = model
        """The refitted model of the best configuration, or the members' models (a tuple)
        when an ensemble was kept; :meth:`predict` handles both."""
        self.ensemble: EnsembleEvaluation | None = final.ensemble if final else None
        """The ensemble built after tuning, kept or not, with its cross-fitted and held-out
        scores beside the best single configuration's (``None``: none was built)."""
        complete = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        best = self.study.best_trial if complete else None  # none: the session was stopped
        self.family: str | None = family_of(best) if best else None
        """``model="auto"``: the family that won the race (``None`` for one family)."""
        self.best_config: dict[str, Any] = config_of(best) if best else {}
        self.cv_score: float = (
            float(best.value) if best is not None and best.value is not None else float("nan")
        )
        self.metric = session.spec.metric
        self._deployed: DeployedModel | None = None

    @property
    def test_score(self) -> float | None:
        """The held-out score of :attr:`best_model`: the kept ensemble's, else the refitted
        best configuration's (``final.test_score``)."""
        if self.ensemble is not None and self.ensemble.kept:
            return self.ensemble.test_score
        return self.final.test_score if self.final else None

    @property
    def test_interval(self) -> tuple[float | None, float | None]:
        """The bootstrap 95% interval of :attr:`test_score`."""
        if self.ensemble is not None and self.ensemble.kept:
            return self.ensemble.ci_low, self.ensemble.ci_high
        return (self.final.ci_low, self.final.ci_high) if self.final else (None, None)

    @property
    def deployed_model(self) -> DeployedModel:
        """The refitted best model (the ensemble, when one was kept) with the coding of the
        training columns, ready for raw rows (see :mod:`assistant.deploy`)."""
        if self._deployed is None:
            from assistant.deploy import deployed_from
            from assistant.tools import get_tool

            blend = self.session.best_blend
            if blend is not None and self.ensemble is not None and self.ensemble.kept:
                members = [m.model_dump(mode="json") for m in self.ensemble.members]
                self._deployed = deployed_from(
                    self.session, self.best_model, blend, {"ensemble": members}
                )
            elif self.family is not None:
                tool = get_tool(self.family)
                self._deployed = deployed_from(
                    self.session, self.best_model, tool, self.best_config
                )
            else:
                self._deployed = deployed_from(self.session, self.best_model)
        return self._deployed

    def predict(self, data: Any) -> np.ndarray:
        """Predict for a raw DataFrame with the training columns (in any order).

        Returns the original class labels for classification, values for regression. The
        target column, if present, is ignored; a missing column raises
        :class:`AssistantError`; a categorical value not seen in training is treated as
        missing, with a warning naming the column and the values.
        """
        return self.deployed_model.predict(data)

    def predict_proba(self, data: Any) -> np.ndarray:
        """Class probabilities for a raw DataFrame (columns in the order of the labels)."""
        return self.deployed_model.predict_proba(data)

    def save(self, path: str | Path) -> Path:
        """Write the deployable model to one file; :func:`assistant.load_model` reads it."""
        return self.deployed_model.save(path)

    def finalize(self) -> TuningResult:
        """The result with a model: a session stopped before its final refit gets the refit
        a finished one does (the best trial so far refitted and scored on the held-out rows,
        and the ensemble when the session builds one), recorded; a result that has its model
        is returned as it is. :class:`AssistantError` when no trial finished."""
        if self.best_model is not None:
            return self
        complete = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not complete:
            raise AssistantError(
                f"session {self.session_id} finished no trial: there is nothing to refit; "
                "resume it to run its trials"
            )
        final = self.session.evaluate_best(self.study)
        stored = self.session.result().model_copy(update={"final": final})
        self.session.store.update_session(self.session_id, result=stored.model_dump(mode="json"))
        return TuningResult(
            self.session, final, self.session.best_model, self.llm_health, self.llm_budget
        )

    def report(self, path: str | Path | None = None) -> Path:
        """Write the session's self-contained HTML report and return its path."""
        from assistant.report import write_report

        target = Path(path) if path else Path(f"automl-report-{self.session_id}.html")
        return write_report(self.session.store, self.session_id, target)

    def __repr__(self) -> str:
        test = f", test={self.test_score:.4g}" if self.test_score is not None else ""
        family = f", family={self.family!r}" if self.family else ""
        if self.ensemble is not None and self.ensemble.kept:
            family += f", ensemble of {len(self.ensemble.members)}"
        return (
            f"TuningResult({self.metric}: cv={self.cv_score:.4g}{test}{family}, "
            f"best={self.best_config}, session={self.session_id!r})"
        )


def tune(
    data: Any,
    target: str | None = None,
    *,
    model: str | Callable[..., float] = "auto",
    metric: str | None = None,
    n_trials: int = 20,
    timeout: float | None = None,
    n_jobs: int = 1,
    llm: Any = None,
    storage: str | Store | None = None,
    session_name: str | None = None,
    notes: str = "",
    seed: int = 0,
    n_folds: int = 5,
    search_space: Any = None,
    verbose: bool = True,
    isolation: Isolation = "process",
    llm_budget: LLMBudget | dict[str, Any] | str | None = None,
    families: list[str] | None = None,
    ensemble: bool | None = None,
) -> TuningResult:
    """Tune a model on ``data`` and evaluate the best configuration on held-out rows.

    Args:
        data: a pandas DataFrame (with ``target`` naming the label column), a tuple
            ``(X, y)`` of arrays, or the path of a CSV or Parquet file (with ``target``).
        target: the label column, for DataFrames and files.
        model: a tool name (``"random_forest"``, ``"hist_gradient_boosting"``, ``"svm"``…),
            ``"auto"`` to race several families (successive halving: the budget moves to
            the families that are winning; ``result.family`` is the winner), or a function
            ``fn(X_train, y_train, X_valid, y_valid, config, seed) -> score`` (then pass
            ``search_space``).
        metric: e.g. ``"roc_auc"``, ``"accuracy"``, ``"rmse"``; the task's default if None.
        n_trials: how many trials to run.
        timeout: stop starting new trials after this many seconds.
        n_jobs: trials run in parallel.
        llm: a mode name, ``"full"`` (the LLM proposes and scores candidates), ``"warmstart"``
            (it only proposes the first trials) or ``"off"`` (statistical search only), or an
            ``LLMConfig`` (full mode with that LLM); ``None`` is ``"full"`` with the
            configured default LLM, the embedded local model when nothing is configured.
        storage: database URL or :class:`~assistant.store.Store` (default: the local file).
        session_name, notes: a name for the session, and text the LLM reads.
        seed: seeds the split, the folds and the search.
        n_folds: cross-validation folds on the training split.
        search_space: a :class:`~assistant.space.SearchSpace` for a function ``model``.
        verbose: show progress (a bar in a terminal, a live widget in a notebook).
        isolation: ``"process"`` runs each trial in a worker process; ``"inline"`` in this one.
        llm_budget: the most the session's LLM calls may cost: an
            :class:`~assistant.records.LLMBudget`, a dict of its fields, or
            ``"tokens:20000,seconds:60,usd:0.5"`` (dollars need prices: known for a few
            hosted models, ``price_in:P,price_out:P`` per million tokens otherwise). Once
            it is spent the search goes on statistically; ``result.llm_budget`` says what
            was spent.
        families: with ``model="auto"``, the tools to race (default: a few sensible ones
            for the task, the LLM's pick first).
        ensemble: after tuning, blend the best trials by greedy ensemble selection over
            out-of-fold predictions, and keep the blend as ``best_model`` only when its
            cross-fitted score beats the best single configuration (``result.ensemble``
            says what was built and why). ``None``: on for ``model="auto"``, off otherwise.
    """
    from assistant.llm.config import LLMConfig

    store = storage if isinstance(storage, Store) else Store(storage)
    dataset = as_dataset(data, target)
    tool = _tool_name(model, search_space)
    mode: Literal["off", "warmstart", "full"] = "full"
    llm_config = None
    if isinstance(llm, str):
        if llm not in ("off", "warmstart", "full"):
            raise AssistantError(
                f"llm={llm!r}: expected an LLMConfig, 'off', 'warmstart' or 'full'"
            )
        mode = llm  # type: ignore[assignment]
    elif isinstance(llm, LLMConfig):
        llm_config = llm
    elif llm is not None:
        raise AssistantError(f"llm must be an LLMConfig or a mode name, got {type(llm).__name__}")
    session = TuningSession.create(
        dataset,
        tool=tool,
        store=store,
        metric=metric,
        n_trials=n_trials,
        n_folds=n_folds,
        seed=seed,
        mode=mode,
        llm=llm_config,
        name=session_name,
        notes=notes,
        isolation=isolation,
        llm_budget=llm_budget,
        families=families,
        ensemble=ensemble,
    )
    callbacks, cleanup = _progress(session, verbose)
    try:
        with optuna_quiet():  # our progress view replaces Optuna's per-trial log lines
            session.run(n_jobs=n_jobs, callbacks=callbacks, timeout=timeout)
    finally:
        cleanup()
    result = session.result()
    if verbose and result.llm_health is not None and result.llm_health.state in _NOT_ANSWERING:
        print(result.llm_health.headline(), file=sys.stderr)
    if verbose and result.llm_budget is not None and result.llm_budget.spent_out:
        print(result.llm_budget.headline(), file=sys.stderr)
    return TuningResult(
        session, result.final, session.best_model, result.llm_health, result.llm_budget
    )


def as_dataset(data: Any, target: str | None) -> Any:
    """Turn a DataFrame, ``(X, y)`` arrays or a file path into a tools ``Dataset``."""
    from assistant.tabular import read_table
    from assistant.tools import Dataset

    if isinstance(data, Dataset):
        return data
    if isinstance(data, str | Path):
        return Dataset.from_frame(read_table(data), _need_target(target), name=Path(data).name)
    if isinstance(data, tuple) and len(data) == 2:
        X, y = data
        names = [str(c) for c in X.columns] if hasattr(X, "columns") else None
        return Dataset.from_arrays(np.asarray(X), np.asarray(y), feature_names=names, name="arrays")
    if hasattr(data, "columns"):
        return Dataset.from_frame(data, _need_target(target), name="DataFrame")
    raise AssistantError(
        f"cannot tune on {type(data).__name__}: pass a DataFrame, (X, y) arrays or a file path"
    )


def _need_target(target: str | None) -> str:
    if not target:
        raise AssistantError("target= is required for DataFrames and files (the label column)")
    return target


def _tool_name(model: str | Callable[..., float], search_space: Any) -> str:
    if isinstance(model, str):
        return model
    if callable(model):
        from assistant.space import SearchSpace
        from assistant.tools import register_tool

        if not isinstance(search_space, SearchSpace):
            raise AssistantError(
                "a function model needs search_space=SearchSpace(...), got "
                f"{type(search_space).__name__}"
            )
        name = f"user_{getattr(model, '__name__', 'function')}"
        register_tool(model, name, space=search_space, replace=True)
        return name
    raise AssistantError(f"model must be a tool name or a function, got {type(model).__name__}")


def _progress(session: TuningSession, verbose: bool) -> tuple[list[Any], Callable[[], object]]:
    if not verbose:
        return [], lambda: None
    if _in_notebook():
        from IPython.display import display

        from assistant.widget import SessionWidget

        widget = SessionWidget(session)
        display(widget.widget)
        return [widget.callback], lambda: widget.refresh()
    from assistant.progress import TerminalProgress

    bar = TerminalProgress(session.spec.n_trials, llm_state=lambda: session.llm_state).__enter__()
    return [bar.callback], lambda: bar.__exit__(None, None, None)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
