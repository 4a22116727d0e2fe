"""What the optimizers cost: engine overhead against TPE, pipelining against LLM latency, and
the wall-clock time a user waits to reach a good configuration.

Overhead at fixed history sizes: a study is filled with ``h`` finished trials (reference
configurations and their scores), then a few more trials are asked and told; the time of
``study.ask()`` is the sampler's time. ``LLAMBOSampler(mode="off", pipeline=False)``
measures the engine alone (no LLM latency, no background thread) next to TPE in the same
process.

Pipelining: a scripted LLM answers every call after a fixed delay, and the objective sleeps
``T`` seconds. ``L`` is the LLM latency of one planning step (its proposal call and its
surrogate calls, each delayed ``L / calls_per_step``). With the next step prepared while
the current trial runs, the wall time of ``N`` trials should approach ``N × max(L, T)``.

Overhead over a real run (:func:`overhead_real_run`): a whole study per task for TPE and for
ours, their trials interleaved in one process, with every ``ask``, ``suggest`` and ``tell``
timed, so the mean covers every history size and every refit of the engine's models (the
fixed-size figure above is a median at chosen sizes).

Time to regret 0.1 (:func:`time_to_regret`): the felt cost of a run, the sum of its trials'
``trial_s`` (sampler foreground time plus the configuration's training seconds) up to the
first trial whose regret is at most 0.1.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import optuna
from optuna.trial import create_trial

from assistant.engine import EngineOptions
from assistant.llm import LLMConfig, make_client
from assistant.sampler import LLAMBOSampler
from assistant.space import FloatParam, SearchSpace
from assistant.testing import Reply, ScriptedLLMServer, fill_schema, requested_schema
from benchmarks.quality.methods import make_sampler, suggest
from benchmarks.quality.reference import Reference
from benchmarks.quality.suite import Task

logger = logging.getLogger(__name__)

REGRET_GOAL = 0.1
"""The regret a user is taken to be content with: "time to regret 0.1"."""
LATENCY_KEY = "time_to_regret_0_1_s_scripted_latency"
"""The summary key of a run whose scripted LLMs answered late (``--scripted-latency-s``):
``{"latency_s": L, "median_s": {scripted method: time to regret 0.1}}``."""


def _filled_study(
    task: Task, reference: Reference, size: int, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    study = optuna.create_study(direction=task.direction, sampler=sampler)
    dists = task.space.to_optuna()
    trials = []
    for i in range(size):
        j = i % len(reference.configs)
        trials.append(
            create_trial(
                params=dict(reference.configs[j]), distributions=dists, value=reference.values[j]
            )
        )
    study.add_trials(trials)
    return study


def sampler_time(
    task: Task, reference: Reference, size: int, which: str, repeats: int, seed: int = 0
) -> float:
    """Median seconds ``study.ask()`` takes with ``size`` finished trials in the study."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if which == "tpe":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = LLAMBOSampler(
            context=task.context(), search_space=task.space, seed=seed, mode="off", pipeline=False
        )
    study = _filled_study(task, reference, size, sampler)
    dists = task.space.to_optuna()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - start)
        study.tell(trial, task.objective(suggest(trial, task)))
    return float(statistics.median(times))


def overhead(
    task: Task, reference: Reference, sizes: tuple[int, ...], repeats: int
) -> dict[str, dict[str, float]]:
    """Per history size: the engine's and TPE's median sampling time, and their ratio."""
    out: dict[str, dict[str, float]] = {}
    for size in sizes:
        tpe = sampler_time(task, reference, size, "tpe", repeats)
        ours = sampler_time(task, reference, size, "ours_off", repeats)
        out[str(size)] = {"ours_off_s": ours, "tpe_s": tpe, "ratio": ours / max(tpe, 1e-9)}
    return out


_PIPE_SPACE = SearchSpace.of(
    FloatParam(name="x", low=-5.0, high=5.0),
    FloatParam(name="y", low=1e-3, high=10.0, log=True),
)


def _delayed_responder(delay_s: float, seed: int = 0) -> Any:
    import random

    rng = random.Random(seed)

    def respond(body: dict[str, Any]) -> Reply:
        schema = requested_schema(body) or {"type": "object"}
        return Reply.json(fill_schema(schema, rng), delay_s=delay_s)

    return respond


def pipelining(
    step_latency_s: float, trial_s: float, n_trials: int, n_jobs: int, seed: int = 0
) -> dict[str, Any]:
    """Wall time of ``n_trials`` sleeping trials with a delayed scripted LLM (mode full)."""
    options = EngineOptions()
    calls_per_step = 1 + options.n_surrogate_samples
    per_call = step_latency_s / calls_per_step
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with ScriptedLLMServer(_delayed_responder(per_call, seed), model="scripted-delay") as server:
        client = make_client(
            LLMConfig(base_url=server.base_url, model="scripted-delay", timeout_s=30, max_retries=0)
        )
        sampler = LLAMBOSampler(
            llm=client, search_space=_PIPE_SPACE, seed=seed, mode="full", options=options
        )
        study = optuna.create_study(direction="minimize", sampler=sampler)

        def objective(trial: optuna.Trial) -> float:
            x = trial.suggest_float("x", -5.0, 5.0)
            y = trial.suggest_float("y", 1e-3, 10.0, log=True)
            time.sleep(trial_s)
            return (x - 1.0) ** 2 + float(np.log(y)) ** 2

        start = time.perf_counter()
        study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)
        wall = time.perf_counter() - start
        sampler.close()
        calls = server.request_count
    bound = n_trials * max(step_latency_s, trial_s)
    return {
        "n_trials": n_trials,
        "n_jobs": n_jobs,
        "step_latency_s": step_latency_s,
        "per_call_delay_s": per_call,
        "trial_s": trial_s,
        "wall_s": wall,
        "llm_calls": calls,
        "ratio_to_bound": wall / bound,
    }


def time_to_regret(
    curve: Sequence[float], trial_s: Sequence[float], goal: float = REGRET_GOAL
) -> float | None:
    """Seconds a user waits until the run's regret is at most ``goal``: the sum of
    ``trial_s`` up to and including the first trial that reaches it (``None`` if none does).

    ``trial_s`` is each trial's sampler foreground time plus its configuration's training
    seconds (:class:`~benchmarks.quality.methods.RunResult`). Trials run one after another
    here, so LLM work that a pipelined sampler would overlap with a user's training is
    credited only against the training this process really did (a configuration another
    method had already evaluated costs its recorded seconds but took none): for ours with
    an LLM the figure is an upper bound.

    >>> time_to_regret([0.5, 0.2, 0.05, 0.0], [1.0, 2.0, 3.0, 4.0])
    6.0
    >>> time_to_regret([0.5, 0.2], [1.0, 2.0]) is None
    True
    """
    if len(curve) != len(trial_s):
        raise ValueError(f"{len(curve)} regrets but {len(trial_s)} trial times")
    elapsed = 0.0
    for regret, seconds in zip(curve, trial_s, strict=True):
        elapsed += seconds
        if regret <= goal:
            return elapsed
    return None


def median_time(times: Sequence[float | None]) -> float | None:
    """The median over runs of :func:`time_to_regret`, a run that never reached the goal
    counted as infinitely slow; ``None`` when that median is infinite, i.e. when no more
    than half the runs reached it (or there are none).

    >>> median_time([3.0, None, 1.0])
    3.0
    >>> median_time([3.0, None]) is None
    True
    """
    if not times:
        return None
    median = float(np.median([np.inf if t is None else t for t in times]))
    return median if np.isfinite(median) else None


def _stand_in(task: Task, reference: Reference) -> Callable[[Mapping[str, Any]], float]:
    """A cheap objective for ``task``: the score of the reference configuration nearest to
    the one asked (in the unit cube), so samplers meet the task's real landscape in
    microseconds and the clock sees the samplers alone."""
    unit = reference.unit(task)
    values = np.asarray(reference.values, dtype=float)

    def objective(config: Mapping[str, Any]) -> float:
        point = np.asarray(task.space.to_unit(config))
        return float(values[int(np.argmin(((unit - point) ** 2).sum(axis=1)))])

    return objective


SamplerFactory = Callable[[str, Task, int], optuna.samplers.BaseSampler]
REAL_RUN_METHODS = ("tpe", "ours_off")


def _real_run_sampler(method: str, task: Task, seed: int) -> optuna.samplers.BaseSampler:
    """The benchmark's ``tpe``, or ours with ``mode="off"`` planning in the foreground (no
    background thread), so every refit of its models falls inside the timed calls."""
    if method == "ours_off":
        return LLAMBOSampler(
            context=task.context(),
            search_space=task.space,
            default_config=task.default_config,
            seed=seed,
            mode="off",
            pipeline=False,
        )
    return make_sampler(method, task, seed)


def overhead_real_run(
    tasks: Sequence[tuple[Task, Reference]],
    n_trials: int,
    seed: int = 0,
    *,
    sampler_for: SamplerFactory = _real_run_sampler,
) -> dict[str, Any]:
    """Mean sampler seconds per trial of TPE and of ours over whole ``n_trials`` studies.

    For each task, one study per method (:data:`REAL_RUN_METHODS`) advances one trial at a
    time in turn, the first to go alternating from round to round, so a change in the
    machine's load (another process, a thermal limit) falls on both alike. A trial's sampler
    time is its ``ask`` with the ``suggest_*`` calls and its ``tell``; the objective is
    :func:`_stand_in`, outside the clock. The means run over all trials of all tasks.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    times: dict[str, list[float]] = {m: [] for m in REAL_RUN_METHODS}
    per_task: dict[str, dict[str, float]] = {}
    for task, reference in tasks:
        objective = _stand_in(task, reference)
        studies = {}
        for method in REAL_RUN_METHODS:
            sampler = sampler_for(method, task, seed)
            studies[method] = optuna.create_study(direction=task.direction, sampler=sampler)
        mine: dict[str, list[float]] = {m: [] for m in REAL_RUN_METHODS}
        for i in range(n_trials):
            order = REAL_RUN_METHODS if i % 2 == 0 else REAL_RUN_METHODS[::-1]
            for method in order:
                mine[method].append(_timed_trial(studies[method], task, objective))
        for method, study in studies.items():
            close = getattr(study.sampler, "close", None)
            if callable(close):
                close()
            times[method].extend(mine[method])
        per_task[task.name] = {f"{m}_s": float(np.mean(mine[m])) for m in REAL_RUN_METHODS}
        logger.info("real-run overhead on %s: %s", task.name, per_task[task.name])
    tpe, ours = (float(np.mean(times[m])) for m in REAL_RUN_METHODS)
    return {
        "tasks": [task.name for task, _ in tasks],
        "n_trials": n_trials,
        "interleaving": "one trial of each method in turn; the first alternates per round",
        "tpe_s": tpe,
        "ours_off_s": ours,
        "ratio": ours / max(tpe, 1e-9),
        "per_task": per_task,
    }


def _timed_trial(
    study: optuna.Study, task: Task, objective: Callable[[Mapping[str, Any]], float]
) -> float:
    """One trial of ``study``: the seconds its sampler took (ask, suggestions, tell)."""
    start = time.perf_counter()
    trial = study.ask()
    config = suggest(trial, task)
    asked = time.perf_counter() - start
    value = objective(config)
    start = time.perf_counter()
    study.tell(trial, value)
    return asked + time.perf_counter() - start
