"""The optimizers compared, and one run of one optimizer on one task with one seed.

Baselines, all started like ours: every model-based one samples :data:`STARTUP_TRIALS`
trials before its model takes over, the size of our engine's initial design
(``EngineOptions().n_initial``, the library defaults plus quasi-random points), so the early
checkpoints compare models rather than ours against random search.

- ``random``; Optuna's ``tpe`` (multivariate, Optuna 5's default for one objective, pinned
  here), ``gp`` (``GPSampler``, its defaults apart from the start-up) and ``cmaes``;
- ``auto_rule``: the choice OptunaHub's AutoSampler makes for one objective within its first
  250 trials, TPE when the space has a categorical parameter and GP otherwise (implemented
  here from the task's space; its runs are those of ``tpe`` or ``gp`` on that task);
- ``smac``: SMAC3's hyperparameter-optimization facade (random forest, Sobol initial design)
  through its ask/tell interface, when the optional ``smac`` package is installed;
- the same initial design as ours: ``tpe_default``, ``gp_default``, ``cmaes_default``,
  ``auto_rule_default`` and ``smac_default`` try the library defaults first (then one start-up
  trial fewer of their own, so the start-up size stays the same).

Ours: ``ours_off``, ``ours_warmstart`` and ``ours_full`` with a real LLM (the embedded model
unless another endpoint is given). Scripted LLMs on 127.0.0.1, labelled as such:
``oracle_full``, ``adversarial_full``, ``noise_full`` (ρ = 0), ``rho_0.3_full``,
``rho_0.6_full``, ``rho_0.9_full`` (LLMs of graded quality) and ``misleader_full``; each is
``ours_full`` with that scripted LLM.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from assistant.engine.planner import EngineOptions
from assistant.errors import LLMError
from assistant.llm import LLMConfig, LLMResponse, Message, make_client
from assistant.llm.base import LLMClient
from assistant.sampler import SUGGESTION_ATTR, LLAMBOSampler
from assistant.space import SearchSpace
from assistant.testing import ScriptedLLMServer, delayed
from benchmarks.quality.reference import Reference
from benchmarks.quality.scripted_llms import responder_for
from benchmarks.quality.smac_sampler import SmacSampler
from benchmarks.quality.suite import Task

logger = logging.getLogger(__name__)

STARTUP_TRIALS = EngineOptions().n_initial
"""Trials every model-based baseline samples before its model takes over: the size of our
engine's initial design."""
DEFAULTS_FIRST = (
    "tpe_default",
    "gp_default",
    "cmaes_default",
    "auto_rule_default",
    "smac_default",
)
"""Baselines that try the task's library defaults first, as ours does."""
MODEL_BASED = (
    "tpe",
    "tpe_default",
    "cmaes",
    "cmaes_default",
    "gp",
    "gp_default",
    "auto_rule",
    "auto_rule_default",
    "smac",
    "smac_default",
)
"""The model-based baselines (ours is tested against each)."""
BASELINES = ("random", *MODEL_BASED)
OURS = ("ours_off", "ours_warmstart", "ours_full")
RHO_METHODS = {
    "0": "noise_full",
    "0.3": "rho_0.3_full",
    "0.6": "rho_0.6_full",
    "0.9": "rho_0.9_full",
}
"""The scripted LLM of each graded quality ρ (the noise LLM is the ρ = 0 one)."""
SCRIPTED = ("oracle_full", "adversarial_full", *RHO_METHODS.values(), "misleader_full")
METHODS = BASELINES + OURS + SCRIPTED
REAL_LLM = ("ours_warmstart", "ours_full")
"""Methods that talk to the real (embedded or given) LLM."""


@dataclass
class LLMCall:
    purpose: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    ok: bool


class CostRecorder:
    """An :class:`LLMClient` that passes calls through and keeps their tokens and latency."""

    def __init__(self, inner: LLMClient) -> None:
        self.inner = inner
        self.calls: list[LLMCall] = []
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        purpose = str(params.get("purpose", ""))
        start = time.perf_counter()
        try:
            response = self.inner.complete(messages, schema, **params)
        except LLMError:
            with self._lock:
                self.calls.append(LLMCall(purpose, 0, 0, time.perf_counter() - start, False))
            raise
        latency = response.latency_s or (time.perf_counter() - start)
        with self._lock:
            self.calls.append(
                LLMCall(
                    purpose,
                    response.usage.prompt_tokens,
                    response.usage.completion_tokens,
                    latency,
                    True,
                )
            )
        return response


@dataclass
class RunResult:
    """One optimizer's run on one task with one seed.

    ``sampling_s`` is each trial's sampler foreground time (a bare LLAMBOSampler waits for
    its LLM there). ``trial_s`` is what the trial costs a user: that time plus the seconds
    its configuration's cross-validation took when first computed (the task's cache would
    otherwise make a configuration another method tried first look free).
    ``scripted_latency_s`` is the delay every scripted LLM answer had (0 for the others).
    ``engine`` is the engine's settings for our methods (:func:`engine_settings`); ``llm``
    the real LLM's label for the methods that call one (how it was served: the embedded
    server's threads, a fresh server for each run), so a resumed profile does not mix runs
    timed on differently served models.
    """

    task: str
    method: str
    seed: int
    values: list[float | None]
    params: list[dict[str, Any]]
    best_value: float | None
    best_config: dict[str, Any] | None
    test_score: float | None
    wall_s: float
    sampling_s: list[float]
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)
    fallbacks: int = 0
    trial_s: list[float] = field(default_factory=list)
    scripted_latency_s: float = 0.0
    engine: dict[str, Any] | None = None
    llm: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_REQUIREMENTS = {
    "cmaes": ("cmaes", "pip install cmaes"),
    "gp": ("torch", "pip install torch"),
    "auto_rule": ("torch", "pip install torch"),  # GP on spaces without a categorical
    "smac": ("smac", "pip install smac"),
}


def missing_dependency(method: str) -> str | None:
    """Why ``method`` cannot run here (a package it needs is missing), or ``None``."""
    import importlib.util

    module, hint = _REQUIREMENTS.get(method.removesuffix("_default"), (None, ""))
    if module is not None and importlib.util.find_spec(module) is None:
        return f"{method} needs the {module!r} package ({hint})"
    return None


def suggest(trial: optuna.Trial, task: Task) -> dict[str, Any]:
    """Ask ``trial`` for every parameter of the task's space."""
    config: dict[str, Any] = {}
    for name, dist in task.space.to_optuna().items():
        if isinstance(dist, CategoricalDistribution):
            config[name] = trial.suggest_categorical(name, dist.choices)
        elif isinstance(dist, IntDistribution):
            config[name] = trial.suggest_int(
                name, dist.low, dist.high, step=dist.step, log=dist.log
            )
        elif isinstance(dist, FloatDistribution):
            config[name] = trial.suggest_float(
                name, dist.low, dist.high, step=dist.step, log=dist.log
            )
        else:  # pragma: no cover - the suite only builds these three
            raise TypeError(f"unsupported distribution {dist!r}")
    return config


def auto_rule(space: SearchSpace) -> str:
    """The baseline OptunaHub's AutoSampler would use on ``space`` (one objective, under 250
    trials): ``"tpe"`` when a parameter is categorical, ``"gp"`` otherwise."""
    dists = space.to_optuna().values()
    return "tpe" if any(isinstance(d, CategoricalDistribution) for d in dists) else "gp"


def make_sampler(
    method: str, task: Task, seed: int, llm: LLMClient | None = None
) -> optuna.samplers.BaseSampler:
    """The sampler of ``method`` (``llm`` is needed by the LLM-driven ones)."""
    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    base = method.removesuffix("_default")
    if base == "auto_rule":
        base = auto_rule(task.space)
    if base == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=STARTUP_TRIALS, multivariate=True
        )
    if base in ("cmaes", "gp"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if base == "cmaes":
                return optuna.samplers.CmaEsSampler(
                    seed=seed, n_startup_trials=STARTUP_TRIALS, warn_independent_sampling=False
                )
            return optuna.samplers.GPSampler(seed=seed, n_startup_trials=STARTUP_TRIALS)
    if base == "smac":
        # Optuna's samplers count an enqueued trial among their start-up trials; SMAC's
        # initial design does not count a result it is told, so it is one smaller here.
        n_initial = STARTUP_TRIALS - (method in DEFAULTS_FIRST)
        return SmacSampler(task.space, task.direction, seed, n_initial)
    options = engine_options(method)
    if options is not None:
        if options.mode != "off" and llm is None:
            raise ValueError(f"{method} needs an LLM client")
        return LLAMBOSampler(
            llm=llm,
            context=task.context(),
            search_space=task.space,
            default_config=task.default_config,
            seed=seed,
            mode=options.mode,
            options=options,
        )
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def engine_options(method: str) -> EngineOptions | None:
    """The engine settings ``method`` runs with (``None`` for the other optimizers)."""
    if method not in OURS and method not in SCRIPTED:
        return None
    mode = "off" if method == "ours_off" else method.rsplit("_", 1)[1]
    return EngineOptions(mode=mode)


def engine_settings(method: str) -> dict[str, Any] | None:
    """What a run of ``method`` records of the engine's settings, so a resumed profile
    reuses only runs made with the settings of today (``None`` for other optimizers)."""
    options = engine_options(method)
    return None if options is None else options.model_dump(mode="json")


LLM_CANDIDATES = "n_llm_candidates"

# What shapes only the model-based steps' LLM calls, which the warm-start mode never makes.
STEP_CALL_OPTIONS = frozenset(
    {
        "llm_schedule",
        "llm_burn_in",
        "llm_propose_burn_in",
        "llm_explore_every",
        "llm_plateau",
        "llm_explore_spacing",
    }
)


def _inert(option: str, mode: str) -> bool:
    """Whether ``option`` cannot change a run of the engine in ``mode``: with the LLM off,
    any of the LLM's (``llm_*``, ``n_llm_candidates``); with the warm start only, those of
    the model-based steps' calls (:data:`STEP_CALL_OPTIONS`); in full mode, none."""
    if mode == "off":
        return option.startswith("llm_") or option == LLM_CANDIDATES
    return mode == "warmstart" and option in STEP_CALL_OPTIONS


def same_engine(recorded: Mapping[str, Any] | None, method: str) -> bool:
    """Whether a saved run of ``method`` made with ``recorded`` settings is a run of today's
    engine: the same settings, leaving out those that cannot change a run in its mode
    (:func:`_inert`), so a change of the LLM's options does not make ``ours_off`` run
    again, nor one of the step calls' options ``ours_warmstart``."""
    now = engine_settings(method)
    if recorded is None or now is None:
        return recorded == now
    mode = now.get("mode", "full")

    def effective(settings: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in settings.items() if not _inert(k, mode)}

    return effective(recorded) == effective(now)


ClientFactory = Callable[[], LLMClient]


def real_llm_clients(config: LLMConfig) -> tuple[ClientFactory, str]:
    """The client factory for the real-LLM methods' runs, and the LLM's label for reports.

    For the embedded model (no ``base_url`` given), every run after the first gets a fresh
    llama.cpp server. The server reuses the longest prompt prefix it has already evaluated, so
    a request that repeats the previous run's is answered faster and, evaluated in other
    pieces, may be sampled differently (ours_warmstart and ours_full open a task with the same
    warm-start request). A fresh server makes each run's answers and latency independent of
    the runs before it; within a run the reuse stays, as in a session. Another endpoint keeps
    one client.
    """
    from assistant.llm.embedded import embedded_server, stop_embedded_server

    client = make_client(config)
    fresh_server = config.embedded and not config.base_url
    if not fresh_server:
        return (lambda: client), client.model_name
    served = False

    def per_run() -> LLMClient:
        nonlocal client, served
        if served:
            stop_embedded_server()
            client = make_client(config)
        served = True
        return client

    threads = embedded_server().threads  # the running server's, as it was started
    plural = "s" if threads > 1 else ""
    return per_run, (
        f"{client.model_name} (embedded llama.cpp, {threads} thread{plural}, "
        "a fresh server for each run)"
    )


def run_one(
    task: Task,
    method: str,
    seed: int,
    n_trials: int,
    *,
    reference: Reference | None = None,
    real_llm: ClientFactory | None = None,
    scripted_timeout_s: float = 30.0,
    scripted_latency_s: float = 0.0,
) -> RunResult:
    """Run ``method`` on ``task`` for ``n_trials`` trials with ``seed``.

    ``scripted_latency_s`` delays every answer of a scripted LLM by that many seconds.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    recorder: CostRecorder | None = None
    with ExitStack() as stack:
        if method in REAL_LLM:
            if real_llm is None:
                raise ValueError(f"{method} needs a real LLM (real_llm factory)")
            recorder = CostRecorder(real_llm())
        elif method in SCRIPTED:
            if reference is None:
                raise ValueError(f"{method} needs the task's reference table")
            kind = method.removesuffix("_full")
            responder = delayed(responder_for(kind, task, reference, seed), scripted_latency_s)
            server = stack.enter_context(ScriptedLLMServer(responder, model=f"scripted-{kind}"))
            config = LLMConfig(
                base_url=server.base_url,
                model=f"scripted-{kind}",
                timeout_s=scripted_timeout_s,
                max_retries=0,
            )
            recorder = CostRecorder(make_client(config))
        sampler = make_sampler(method, task, seed, recorder)
        if isinstance(sampler, LLAMBOSampler | SmacSampler):
            stack.callback(sampler.close)
        study = optuna.create_study(direction=task.direction, sampler=sampler)
        if method in DEFAULTS_FIRST:
            study.enqueue_trial(task.default_config)
        sampling: list[float] = []
        felt: list[float] = []

        def objective(trial: optuna.Trial) -> float:
            # Optuna samples lazily, at the first suggest call: asking for the parameters is
            # the sampler's foreground time (what the trial waits for).
            start = time.perf_counter()
            config = suggest(trial, task)
            waited = time.perf_counter() - start
            sampling.append(waited)
            felt.append(waited)  # an invalid configuration fails here and costs no training
            value, train_s = task.evaluate(config)
            felt[-1] += train_s
            return value

        start = time.perf_counter()
        study.optimize(objective, n_trials=n_trials, catch=(ValueError,))
        wall = time.perf_counter() - start
    trials = study.get_trials(deepcopy=False)
    values = [t.value if t.state == TrialState.COMPLETE else None for t in trials]
    best_config = best_value = test = None
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    if completed:
        best = study.best_trial
        if best.value is None:
            raise RuntimeError(f"the best trial of {method} on {task.name} has no value")
        best_config, best_value = dict(best.params), float(best.value)
        test = task.test_score(best_config)
    sources: list[str | None] = []
    fallbacks = 0
    for t in trials:
        attrs = t.user_attrs.get(SUGGESTION_ATTR) or {}
        sources.append(attrs.get("source"))
        fallbacks += attrs.get("fallback") is not None
    return RunResult(
        task=task.name,
        method=method,
        seed=seed,
        values=values,
        params=[dict(t.params) for t in trials],
        best_value=best_value,
        best_config=best_config,
        test_score=test,
        wall_s=wall,
        sampling_s=sampling,
        llm_calls=[asdict(c) for c in recorder.calls] if recorder else [],
        sources=sources,
        fallbacks=fallbacks,
        trial_s=felt,
        scripted_latency_s=scripted_latency_s if method in SCRIPTED else 0.0,
        engine=engine_settings(method),
    )
