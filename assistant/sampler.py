"""LLAMBOSampler: the engine as an Optuna sampler.

A thin adapter: it turns the study's trials into :class:`~assistant.engine.Observation`
objects, asks the :class:`~assistant.engine.Planner` for suggestions, hands them out one per
trial (distinct across parallel workers), prepares the next step in a background thread while
the current trial trains, and stores each suggestion's explanation on its trial.

Example:
    >>> import optuna
    >>> from assistant import LLAMBOSampler
    >>> sampler = LLAMBOSampler(mode="off", seed=0)
    >>> study = optuna.create_study(sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=8)
    >>> len(study.trials)
    8
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, TPESampler
from optuna.search_space import IntersectionSearchSpace
from optuna.trial import FrozenTrial, TrialState

from assistant.context import ProblemContext
from assistant.engine.advisor import LLMAdvisor
from assistant.engine.candidates import config_key
from assistant.engine.history import Observation
from assistant.engine.planner import EngineOptions, Mode, Planner, Suggestion
from assistant.space import SearchSpace
from assistant.trial_history import SUGGESTION_ATTR, Key, TrialHistory

if TYPE_CHECKING:
    from optuna.study import Study

    from assistant.llm.base import LLMClient
    from assistant.llm.config import LLMConfig

logger = logging.getLogger(__name__)

MULTI_OBJECTIVE_ATTR = "llambo_multi_objective"
"""The study user attribute that says a multi-objective study was sampled without the LLM."""

SuggestionCallback = Callable[[FrozenTrial, Suggestion], "Suggestion | None"]


class LLAMBOSampler(BaseSampler):
    """LLM-assisted Bayesian optimization, usable anywhere Optuna takes a sampler.

    Args:
        llm: an :class:`~assistant.llm.base.LLMClient`, an ``LLMConfig``, or ``None`` for
            the configured default (the embedded local model when nothing is configured).
            Ignored with ``mode="off"``.
        context: the problem as the LLM reads it (task, model, metric, dataset, notes).
            Without one, a generic description is used.
        search_space: the joint space, when known up front (needed for an LLM warm start
            before the first trial). Otherwise the intersection of finished trials' spaces
            is used, as Optuna's multivariate samplers do.
        default_config: the model family's library defaults, tried first.
        seed: makes the sequence of suggestions reproducible (with a replayed LLM).
        mode: ``"full"`` (warm start, proposals and surrogate), ``"warmstart"`` (LLM only
            for the initial design) or ``"off"`` (statistical only).
        options: further engine knobs (:class:`~assistant.engine.EngineOptions`).
        pipeline: prepare the next suggestion in a background thread while a trial runs.
        on_suggestion: called with each trial and its suggestion before the trial runs; it
            may return a replacement suggestion (review mode: a person edited it).
        budget: the study's planned number of trials, when known: the step after trial
            number ``budget - 1`` is not prepared in the background, since no trial would
            use it (it would cost LLM calls and delay :meth:`close`).
        llm_ready: for replay: given a trial number, whether that trial took the step that
            was being planned in the background (its suggestion's recorded ``llm_ready``).
            Without it, ``options.llm_wait`` decides: ``"always"`` waits for that step (the
            suggestions then depend on the seed alone), ``"never"`` runs a statistical
            suggestion when the step is not ready, so a slow LLM never holds up a trial;
            the step then serves a later trial.

    Parameters outside the joint space (conditional or dynamic ones) are sampled
    independently by TPE. Multi-objective studies are sampled entirely by Optuna's
    ``TPESampler`` (which handles several objectives); the LLM is not consulted for them.
    That is not silent: unless ``mode="off"``, the sampler warns once (a ``UserWarning``)
    and records the same sentence in the study's user attribute ``"llambo_multi_objective"``
    (:data:`MULTI_OBJECTIVE_ATTR`).

    Numeric parameters reach the LLM as a closed grid of ``options.value_grid`` values, or
    as free numbers within their bounds (snapped and clipped into the space afterwards) when
    ``llm`` is an ``LLMConfig`` that gets continuous values
    (:meth:`~assistant.llm.LLMConfig.effective_continuous_values`: every endpoint but the
    embedded model, unless ``continuous_values`` says otherwise).
    """

    def __init__(
        self,
        llm: LLMClient | LLMConfig | None = None,
        context: ProblemContext | None = None,
        *,
        search_space: SearchSpace | Mapping[str, BaseDistribution] | None = None,
        default_config: Mapping[str, Any] | None = None,
        seed: int | None = None,
        mode: Mode = "full",
        options: EngineOptions | None = None,
        pipeline: bool = True,
        on_suggestion: SuggestionCallback | None = None,
        budget: int | None = None,
        llm_ready: Callable[[int], bool] | None = None,
    ) -> None:
        self.options = (options or EngineOptions()).model_copy(update={"mode": mode})
        self.context = context
        self.space = (
            search_space
            if isinstance(search_space, SearchSpace) or search_space is None
            else SearchSpace.from_optuna(search_space)
        )
        self.default_config = dict(default_config) if default_config else None
        self.seed = seed
        self.pipeline = pipeline
        self.on_suggestion = on_suggestion
        self.budget = budget
        self.llm_ready = llm_ready
        self._llm_spec = llm
        self._init_runtime()

    # -- runtime state (not pickled) -----------------------------------------------------
    def _init_runtime(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        # The LLM calls' own stream (EngineOptions.llm_rng), independent of the first.
        self._llm_rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(1)[0])
        self._lock = threading.RLock()
        self._client: LLMClient | None = None
        self._queue: list[Suggestion] = []
        self._queue_basis = -1
        self._pending: dict[int, dict[str, Any]] = {}
        self._future: Future[tuple[list[Suggestion], int]] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._intersection = IntersectionSearchSpace(include_pruned=True)
        self._independent = TPESampler(seed=self.seed)
        self._planners: dict[tuple[Any, ...], Planner] = {}
        self._histories: dict[tuple[Any, ...], TrialHistory] = {}
        self.background_error: Exception | None = None
        self._multi_objective_noted = False
        self._skipped = 0  # trials that did not wait for the step in the background

    def __getstate__(self) -> dict[str, Any]:
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k
            in (
                "options",
                "context",
                "space",
                "default_config",
                "seed",
                "pipeline",
                "on_suggestion",
                "budget",
                "llm_ready",
                "_llm_spec",
            )
        }
        try:
            import pickle

            pickle.dumps(state["_llm_spec"])
        except Exception:  # a live client (sockets, threads) cannot travel; its config can
            logger.warning(
                "LLAMBOSampler: the LLM client is not picklable; a copy uses the default"
            )
            state["_llm_spec"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    # -- Optuna's sampler interface --------------------------------------------------------
    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()
            self._llm_rng = np.random.default_rng()
        self._independent.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if study._is_multi_objective():
            self._note_multi_objective(study)
            return {}
        if self.space is not None:
            return self.space.to_optuna()
        space = self._intersection.calculate(study)
        return {n: d for n, d in space.items() if not d.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or study._is_multi_objective():
            return {}
        space = SearchSpace.from_optuna(search_space)
        with self._lock:
            suggestion = self._next_suggestion(study, trial, space)
            self._pending[trial.number] = suggestion.config
        if self.on_suggestion is not None:
            # A reviewer may replace the suggestion (a person edited it).
            replaced = self.on_suggestion(trial, suggestion)
            if replaced is not None:
                suggestion = replaced
                with self._lock:
                    self._pending[trial.number] = suggestion.config
        payload = suggestion.model_dump(mode="json")
        study._storage.set_trial_user_attr(trial._trial_id, SUGGESTION_ATTR, payload)
        return dict(suggestion.config)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        with self._lock:
            self._pending.pop(trial.number, None)
        self._independent.after_trial(study, trial, state, values)

    def close(self) -> None:
        """Wait for a suggestion being prepared in the background, then release the thread.

        A study's last trial leaves one prepared step behind; waiting for it keeps the
        record of LLM calls complete (and replayable) before the caller reads it.
        """
        with self._lock:
            future, self._future = self._future, None
            if future is not None:
                try:
                    self._queue, self._queue_basis = future.result()
                except Exception as exc:  # nobody will ask for this step any more
                    logger.warning("background planning failed: %s", exc)
                    self.background_error = exc
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    def _note_multi_objective(self, study: Study) -> None:
        """Say once, and record on the study, that the LLM is not consulted here."""
        if self.options.mode == "off" or self._multi_objective_noted:
            return
        self._multi_objective_noted = True
        note = (
            f"LLAMBOSampler: a study with {len(study.directions)} objectives is sampled by "
            f"Optuna's {type(self._independent).__name__} alone; the LLM (mode="
            f"{self.options.mode!r}) is not consulted for multi-objective studies"
        )
        warnings.warn(note, UserWarning, stacklevel=2)
        study.set_user_attr(MULTI_OBJECTIVE_ATTR, note)

    # -- the queue of suggestions --------------------------------------------------------
    def _next_suggestion(self, study: Study, trial: FrozenTrial, space: SearchSpace) -> Suggestion:
        key = _space_key(space)  # serializes every parameter: once per ask
        history, taken = self._trial_history(key, space).read(study, exclude=trial.number)
        finished = len(history)
        pending = self._pending_configs(study, space, trial.number)
        taken |= {config_key(space, c) for c in pending}
        planner = self._planner(key, space)

        waited: bool | None = None
        if self._future is not None:
            if not self._background_ready(trial.number, self._future):
                return self._without_waiting(planner, history, pending, taken, trial.number)
            queue, basis = self._future.result()
            self._future = None
            self._queue, self._queue_basis = queue, basis
            waited = True
        # A step that trials did not wait for stays usable for as many more trials.
        staleness = (1 if self.pipeline else 0) + self._skipped
        fresh = [s for s in self._queue if config_key(space, s.config) not in taken]
        set_aside = planner.warmstart_stops(history, sum(s.source == "warmstart" for s in fresh))
        if set_aside is not None:
            fresh = [s for s in fresh if s.source != "warmstart"]
        usable = fresh and (
            all(s.initial for s in fresh) or finished - self._queue_basis <= staleness
        )
        if not usable:
            # Where the warm start's points were set aside, no step with the LLM is ready:
            # this trial takes the statistical step, and the LLM's step is planned for the
            # next one while it runs (so no trial waits for it, and each step that calls the
            # LLM keeps a number of finished trials of its own).
            fresh = planner.plan(
                history,
                pending,
                self._rng,
                seen=taken,
                llm_rng=self._llm_rng,
                statistical_only=set_aside is not None,
            )
            self._queue_basis = finished
        if set_aside is not None:
            fresh[0] = fresh[0].model_copy(
                update={"rationale": f"{set_aside} {fresh[0].rationale}".strip()}
            )
        self._skipped = 0
        if waited:
            fresh[0] = fresh[0].model_copy(update={"llm_ready": True})
        suggestion, self._queue = fresh[0], fresh[1:]
        last = self.budget is not None and trial.number + 1 >= self.budget
        # The warm start is one call a session and only worth its trials if they run: the
        # trial after the design waits for it (planned then, not in the background).
        warmstart_next = planner.warmstart_due(len(history) + len(pending) + 1)
        if (
            self.pipeline
            and not last
            and not warmstart_next
            and not any(s.initial for s in self._queue)
        ):
            snapshot_pending = [*pending, suggestion.config]
            snapshot_taken = taken | {config_key(space, suggestion.config)}
            self._future = self._pool().submit(
                self._plan_in_background,
                planner,
                history,
                snapshot_pending,
                snapshot_taken,
                finished,
            )
        return suggestion

    def _background_ready(self, number: int, future: Future[Any]) -> bool:
        """Whether trial ``number`` takes the step planned in the background: at once when
        it is ready; when it is not, only if the options say to wait (``llm_wait``). A
        replay follows the recorded decision (``llm_ready``), whatever the timing now."""
        if self.llm_ready is not None:
            return self.llm_ready(number)
        return self.options.llm_wait == "always" or future.done()

    def _without_waiting(
        self,
        planner: Planner,
        history: list[Observation],
        pending: list[dict[str, Any]],
        taken: set[Key],
        number: int,
    ) -> Suggestion:
        """A statistical suggestion for a trial that does not wait for the LLM's step (that
        step, still running, serves the next trial if it is still relevant then)."""
        rng = np.random.default_rng([self.seed or 0, number])
        fresh = planner.plan(history, pending, rng, seen=taken, statistical_only=True)
        self._skipped += 1
        note = (
            "the LLM's step was still running: a statistical suggestion ran instead of "
            "waiting (its answer serves a later trial)"
        )
        return fresh[0].model_copy(update={"llm_ready": False, "fallback": note})

    def _plan_in_background(
        self,
        planner: Planner,
        history: list[Observation],
        pending: list[dict[str, Any]],
        taken: set[Key],
        basis: int,
    ) -> tuple[list[Suggestion], int]:
        plan = planner.plan(history, pending, self._rng, seen=taken, llm_rng=self._llm_rng)
        return plan, basis

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llambo-plan")
        return self._executor

    def _trial_history(self, key: tuple[str, ...], space: SearchSpace) -> TrialHistory:
        history = self._histories.get(key)
        if history is None:
            history = self._histories[key] = TrialHistory(space)
        return history

    def _planner(self, key: tuple[str, ...], space: SearchSpace) -> Planner:
        planner = self._planners.get(key)
        if planner is None:
            context = self.context or ProblemContext(
                task="optimize a black-box objective", model="unknown", metric="objective"
            )
            advisor = None
            if self.options.mode != "off":
                advisor = LLMAdvisor(
                    self._llm_client(),
                    space,
                    context,
                    value_grid=self._value_grid(),
                    max_examples=self.options.max_examples,
                    temperature=self.options.temperature,
                )
            default = None
            if self.default_config is not None:
                report = space.validate_config(self.default_config)
                default = None if report.severe else report.config
            planner = Planner(
                space, context, advisor, self.options, default_config=default, seed=self.seed or 0
            )
            self._planners[key] = planner
        return planner

    def _value_grid(self) -> int | None:
        """``options.value_grid``, or ``None`` (free numbers) when the LLM is given as a
        config (or is the configured default) whose endpoint gets continuous values. A
        client passed in as it is keeps ``options.value_grid``: a session decides for its
        own clients from its recorded settings."""
        from assistant.llm.base import LLMClient as ClientProtocol
        from assistant.llm.config import resolve_llm_config

        spec = self._llm_spec
        if isinstance(spec, ClientProtocol):
            return self.options.value_grid
        config = spec if spec is not None else resolve_llm_config()
        return None if config.effective_continuous_values() else self.options.value_grid

    def _llm_client(self) -> LLMClient:
        if self._client is None:
            from assistant.llm.base import LLMClient as ClientProtocol

            spec = self._llm_spec
            if isinstance(spec, ClientProtocol):
                self._client = spec
            else:
                from assistant.llm import make_client

                self._client = make_client(spec)
        return self._client

    def _pending_configs(
        self, study: Study, space: SearchSpace, exclude: int
    ) -> list[dict[str, Any]]:
        configs = [c for n, c in self._pending.items() if n != exclude]
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if (
                t.number != exclude
                and t.number not in self._pending
                and all(n in t.params for n in space.names)
            ):
                configs.append({n: t.params[n] for n in space.names})
        return configs


def _space_key(space: SearchSpace) -> tuple[str, ...]:
    return tuple(p.model_dump_json() for p in space)
