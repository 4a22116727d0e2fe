"""Offline f*: each task's best score from a large search by several optimizers.

``python -m benchmarks.quality.optimum [--held-out] [--tasks a,b] [--budget 5000]``

A task's f* is the anchor every regret is measured against, so it must not depend on which
benchmark methods ran. It is built here, once and offline, from at least ``budget`` distinct
configurations: the task's committed random table, then multivariate TPE and CMA-ES (each
seeded, half of the remainder each), or the exhaustive grid where the space is that small.
The table's ``f_star`` becomes the best of that search alone (a better value a benchmark run
once found is not kept: it would tie the anchor to the methods), and how it was made goes
into the table as ``f_star_search``. The table's configurations and values, which the
scripted LLMs read, are left as they are.

Run it on one core per process; tasks are independent, so two processes given different
``--tasks`` use two cores.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution, IntDistribution

from benchmarks.quality import held_out, reference
from benchmarks.quality.methods import suggest
from benchmarks.quality.suite import Task, get_task

logger = logging.getLogger("benchmarks.quality.optimum")

DEFAULT_BUDGET = 5000
SEARCH_SEED = reference.REFERENCE_SEED + 1
# The full profile's development tasks (those with a committed table).
DEVELOPMENT_TASKS = tuple(
    sorted(p.stem for p in reference.REFERENCE_DIR.glob("*.json") if p.stem != "manifest")
)


def grid(task: Task) -> list[dict[str, Any]] | None:
    """Every configuration of an all-discrete space, or ``None`` (a float parameter)."""
    axes: list[list[Any]] = []
    for dist in task.space.to_optuna().values():
        if isinstance(dist, CategoricalDistribution):
            axes.append(list(dist.choices))
        elif isinstance(dist, IntDistribution) and not dist.log:
            axes.append(list(range(dist.low, dist.high + 1, dist.step)))
        else:
            return None
    return [dict(zip(task.space.names, combo, strict=True)) for combo in itertools.product(*axes)]


def _search(
    task: Task,
    sampler: optuna.samplers.BaseSampler,
    n_trials: int,
    seen: set[tuple[Any, ...]],
    *,
    stop_at: int | None = None,
) -> dict[str, Any]:
    """``n_trials`` trials of ``sampler`` on the task's objective (fewer if ``seen`` reaches
    ``stop_at`` configurations first): their best, and how many configurations were new
    (added to ``seen``)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=task.direction, sampler=sampler)
    before = len(seen)
    started = time.process_time()

    def objective(trial: optuna.Trial) -> float:
        config = suggest(trial, task)
        seen.add(task.config_key(config))
        try:
            return task.objective(config)
        except ValueError:  # an invalid configuration: a failed trial, not a crash
            return math.nan

    def enough(study: optuna.Study, _: optuna.trial.FrozenTrial) -> None:
        if stop_at is not None and len(seen) >= stop_at:
            study.stop()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=n_trials, catch=(ValueError,), callbacks=[enough])
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = study.best_trial if done else None
    return {
        "trials": len(study.trials),
        "new_configurations": len(seen) - before,
        "best": None if best is None or best.value is None else float(best.value),
        "best_config": None if best is None else best.params,
        "cpu_s": round(time.process_time() - started, 1),
    }


def search(task: Task, table: reference.Reference, budget: int) -> dict[str, Any]:
    """The offline search of ``task`` (see the module's docstring), as recorded."""
    pick = max if task.direction == "maximize" else min
    seen = {task.config_key(c) for c in table.configs}
    best_at = int(table.order()[0])
    parts: dict[str, dict[str, Any]] = {
        "random (the committed table)": {
            "trials": len(table.values),
            "new_configurations": len(seen),
            "best": float(table.values[best_at]),
            "best_config": table.configs[best_at],
            "cpu_s": None,
        }
    }
    everything = grid(task)
    if everything is not None and len(everything) <= budget:
        started = time.process_time()
        values = [task.objective(c) for c in everything]
        best = pick(range(len(values)), key=values.__getitem__)
        seen.update(task.config_key(c) for c in everything)
        parts["exhaustive grid"] = {
            "trials": len(everything),
            "new_configurations": len(everything),
            "best": float(values[best]),
            "best_config": everything[best],
            "cpu_s": round(time.process_time() - started, 1),
        }
    else:
        rest = max(0, budget - len(seen))
        # Each sampler its own seed: their random start-up trials must not coincide.
        samplers: Sequence[tuple[str, Callable[[], optuna.samplers.BaseSampler]]] = (
            (
                "TPE (multivariate)",
                lambda: optuna.samplers.TPESampler(seed=SEARCH_SEED, multivariate=True),
            ),
            (
                "CMA-ES",
                lambda: optuna.samplers.CmaEsSampler(
                    seed=SEARCH_SEED + 1, warn_independent_sampling=False
                ),
            ),
        )
        for i, (name, make) in enumerate(samplers):
            share = (
                math.ceil(rest / len(samplers))
                if i == 0
                else rest - math.ceil(rest / len(samplers))
            )
            logger.info("%s: %s, %d trials", task.name, name, share)
            parts[name] = _search(task, make(), share, seen)
        # Repeats (TPE and CMA-ES revisit integer values) do not count: top up with random
        # configurations until the search has seen ``budget`` distinct ones.
        top_up = budget - len(seen)
        if top_up > 0:
            parts["random (top-up to the budget)"] = _search(
                task,
                optuna.samplers.RandomSampler(seed=SEARCH_SEED + 2),
                10 * top_up,
                seen,
                stop_at=budget,
            )
    found = [(p["best"], name) for name, p in parts.items() if p["best"] is not None]
    f_star, by = pick(found, key=lambda pair: pair[0])
    return {
        "f_star": f_star,
        "found_by": by,
        "distinct_configurations": len(seen),
        "budget": budget,
        "seeds": {"TPE": SEARCH_SEED, "CMA-ES": SEARCH_SEED + 1, "random top-up": SEARCH_SEED + 2},
        "parts": parts,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def freeze(
    task_name: str, budget: int, *, held: bool = False, directory: Path | None = None
) -> reference.Reference:
    """Search ``task_name`` and write its f* (and how it was made) into its table (in
    ``directory``, by default the committed tables of its set)."""
    if directory is None:
        directory = held_out.HELD_OUT_REFERENCE_DIR if held else reference.REFERENCE_DIR
    task = (
        held_out.reference_task(held_out.get_held_out_task(task_name))
        if held
        else get_task(task_name)
    )
    table = reference.load(task_name, directory)
    if table is None:
        raise SystemExit(f"{task_name}: no committed table in {directory}; build it first")
    record = search(task, table, budget)
    table.f_star = record["f_star"]
    table.f_star_source = (
        f"offline search of {record['distinct_configurations']} distinct configurations "
        f"({', '.join(record['parts'])}; {record['date']}), best found by {record['found_by']}"
    )
    table.f_star_search = record
    reference.save(table, directory)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality.optimum", description=__doc__
    )
    parser.add_argument("--held-out", action="store_true", help="the held-out set's tasks")
    parser.add_argument("--tasks", default=None, help="comma-separated (default: all of the set)")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    names = (
        tuple(x.strip() for x in args.tasks.split(",") if x.strip())
        if args.tasks
        else held_out.HELD_OUT_TASKS
        if args.held_out
        else DEVELOPMENT_TASKS
    )
    for name in names:
        table = freeze(name, args.budget, held=args.held_out)
        logger.info("%s: f* %.6g (%s)", name, table.f_star, table.f_star_source)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
