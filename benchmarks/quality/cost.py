"""Engine overhead against TPE at fixed history sizes, and pipelining against LLM latency.

Overhead: a study is filled with ``h`` finished trials (reference configurations and their
scores), then a few more trials are asked and told; the time of ``study.ask()`` is the
sampler's time. ``LLAMBOSampler(mode="off", pipeline=False)`` measures the engine alone (no
LLM latency, no background thread) next to TPE in the same process.

Pipelining: a scripted LLM answers every call after a fixed delay, and the objective sleeps
``T`` seconds. ``L`` is the LLM latency of one planning step (its proposal call and its
surrogate calls, each delayed ``L / calls_per_step``). With the next step prepared while
the current trial runs, the wall time of ``N`` trials should approach ``N × max(L, T)``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import optuna
from optuna.trial import create_trial

from assistant.engine import EngineOptions
from assistant.llm import LLMConfig, make_client
from assistant.sampler import LLAMBOSampler
from assistant.space import FloatParam, SearchSpace
from assistant.testing import Reply, ScriptedLLMServer, fill_schema, requested_schema
from benchmarks.quality.methods import suggest
from benchmarks.quality.reference import Reference
from benchmarks.quality.suite import Task


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
