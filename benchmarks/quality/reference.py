"""Reference tables: a large random search per task, committed so regret is comparable.

A table holds ``n`` uniformly random configurations (in the unit cube of the task's space,
seeded) and their CV scores. From it come ``f_ref`` (the median score of a random
configuration, i.e. the median first-trial value of random search) and ``f_star`` (the best
score ever observed for the task: the table's best, or a better score recorded with where it
came from). A benchmark run leaves ``f_star`` frozen unless asked to update the tables
offline, so that a run's regret does not depend on the run itself. The scripted oracle and
adversarial LLMs read the table too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.quality.suite import Task

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
REFERENCE_SEED = 12345


@dataclass
class Reference:
    """A task's reference random search and its frozen regret anchors."""

    task: str
    direction: str
    configs: list[dict[str, Any]]
    values: list[float]
    f_star: float
    f_star_source: str
    f_ref: float
    # How f* was made, when an offline search made it (benchmarks.quality.optimum).
    f_star_search: dict[str, Any] | None = None

    def unit(self, task: Task) -> np.ndarray:
        """The configurations in the task's unit cube, one row each."""
        return np.array([task.space.to_unit(c) for c in self.configs])

    def order(self) -> np.ndarray:
        """Indices of the configurations from best to worst."""
        values = np.asarray(self.values)
        return np.argsort(-values if self.direction == "maximize" else values, kind="stable")

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "direction": self.direction,
            "n": len(self.values),
            "seed": REFERENCE_SEED,
            "f_star": self.f_star,
            "f_star_source": self.f_star_source,
            "f_ref": self.f_ref,
            "f_ref_definition": "median CV score of a uniformly random configuration",
            **({"f_star_search": self.f_star_search} if self.f_star_search else {}),
            "configs": self.configs,
            "values": self.values,
        }


def path_for(task_name: str, directory: Path | None = None) -> Path:
    return (directory or REFERENCE_DIR) / f"{task_name}.json"


def build(task: Task, n: int, progress: Callable[[int, int], None] | None = None) -> Reference:
    """Evaluate ``n`` seeded random configurations of ``task``."""
    rng = np.random.default_rng(REFERENCE_SEED)
    configs, values = [], []
    for i in range(n):
        config = task.space.from_unit(rng.random(len(task.space)))
        configs.append(config)
        values.append(task.objective(config))
        if progress is not None and (i + 1) % 100 == 0:
            progress(i + 1, n)
    best = int(np.argmax(values) if task.direction == "maximize" else np.argmin(values))
    return Reference(
        task=task.name,
        direction=task.direction,
        configs=configs,
        values=values,
        f_star=float(values[best]),
        f_star_source=f"reference random search, configuration {best}",
        f_ref=float(np.median(values)),
    )


def load(task_name: str, directory: Path | None = None) -> Reference | None:
    path = path_for(task_name, directory)
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    return Reference(
        task=raw["task"],
        direction=raw["direction"],
        configs=raw["configs"],
        values=[float(v) for v in raw["values"]],
        f_star=float(raw["f_star"]),
        f_star_source=raw["f_star_source"],
        f_ref=float(raw["f_ref"]),
        f_star_search=raw.get("f_star_search"),
    )


def save(reference: Reference, directory: Path | None = None) -> Path:
    path = path_for(reference.task, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reference.to_json(), separators=(",", ":")) + "\n")
    return path


def ensure(
    task: Task,
    n: int,
    directory: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    grow: bool = True,
) -> Reference:
    """The committed table of ``task``, built (and saved) first if missing or smaller than
    ``n``. With ``grow=False`` a smaller table is used as it is: rebuilding it would move
    its ``f_star`` and ``f_ref``, which a frozen benchmark run must not do."""
    reference = load(task.name, directory)
    if reference is None or (grow and len(reference.values) < n):
        grown = build(task, n, progress)
        if reference is not None and reference.f_star_search and not beats(reference, grown.f_star):
            # The offline search's f* (benchmarks.quality.optimum) stays, with its record.
            grown.f_star = reference.f_star
            grown.f_star_source = reference.f_star_source
            grown.f_star_search = reference.f_star_search
        reference = grown
        save(reference, directory)
    return reference


def beats(reference: Reference, value: float) -> bool:
    """Whether ``value`` is strictly better than the table's ``f_star``."""
    if reference.direction == "maximize":
        return value > reference.f_star
    return value < reference.f_star


def raise_f_star(reference: Reference, value: float, source: str) -> bool:
    """Record ``value`` as the new best ever observed if it beats ``f_star``."""
    better = beats(reference, value)
    if better:
        reference.f_star = float(value)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        reference.f_star_source = f"{source} ({stamp})"
    return better
