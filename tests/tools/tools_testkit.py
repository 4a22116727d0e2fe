"""Small tools and datasets for the tool tests.

Everything here is defined at module level so worker processes (started with "spawn") can
unpickle it: pytest puts the repository root on ``sys.path`` and spawned workers inherit it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris

from assistant.space import CategoricalParam, FloatParam, SearchSpace
from assistant.tools import Dataset, Metric, ReportFn, Tool


@cache
def breast_cancer() -> Dataset:
    X, y = load_breast_cancer(return_X_y=True)
    return Dataset.from_arrays(X, y, name="breast_cancer")


@cache
def iris() -> Dataset:
    X, y = load_iris(return_X_y=True)
    return Dataset.from_arrays(X, y, name="iris")


@cache
def diabetes() -> Dataset:
    X, y = load_diabetes(return_X_y=True)
    return Dataset.from_arrays(X, y, task="regression", name="diabetes")


@cache
def digits() -> Dataset:
    X, y = load_digits(return_X_y=True)
    return Dataset.from_arrays(X, y, image_shape=(1, 8, 8), name="digits")


class ScriptedTool(Tool):
    """A tool whose behaviour is chosen by ``config["mode"]``.

    ``ok``: reports ``steps`` values equal to ``quality`` (one per step, ``delay_s`` apart)
    and returns it; ``crash``: exits the process without a word; ``raise``: raises
    ValueError; ``nan``: returns NaN; ``string``: returns a string; ``sleep``: sleeps for a
    minute; ``probe``: returns 1.0 when the data arrived memory-mapped, else 0.0;
    ``oom``: raises an error that looks like a CUDA out-of-memory error.
    """

    name = "scripted"
    family = "scripted test tool"
    description = "Behaves as its configuration says; for runner tests."

    def __init__(self, steps: int = 10, delay_s: float = 0.0) -> None:
        self.steps = steps
        self.delay_s = delay_s

    def search_space(self, task: Any) -> SearchSpace:
        return SearchSpace.of(
            CategoricalParam(
                name="mode",
                choices=("ok", "crash", "raise", "nan", "string", "sleep", "probe", "oom"),
            ),
            FloatParam(name="quality", low=0.0, high=1.0),
        )

    def default_config(self, task: Any) -> dict[str, Any]:
        return {"mode": "ok", "quality": 0.5}

    def evaluate(
        self,
        data: Dataset,
        config: Mapping[str, Any],
        seed: int,
        report: ReportFn | None = None,
        *,
        metric: str | Metric | None = None,
        n_folds: int = 5,
    ) -> Any:
        mode = config["mode"]
        if mode == "crash":
            os._exit(3)
        if mode == "raise":
            raise ValueError("boom from the scripted tool")
        if mode == "oom":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if mode == "nan":
            return math.nan
        if mode == "string":
            return "not a number"
        if mode == "sleep":
            time.sleep(60)
        if mode == "probe":
            return 1.0 if isinstance(data.X, np.memmap) else 0.0
        for step in range(self.steps):
            if self.delay_s:
                time.sleep(self.delay_s)
            if report is not None:
                report(step, float(config["quality"]))
        return float(config["quality"])


def nearest_centroid(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    config: dict[str, Any],
    seed: int,
) -> float:
    """Accuracy of a shrunken nearest-centroid classifier (a plain training function)."""
    overall = X_train.mean(axis=0)
    centroids = np.stack(
        [
            overall + config["shrink"] * (X_train[y_train == c].mean(axis=0) - overall)
            for c in np.unique(y_train)
        ]
    )
    distances = ((X_valid[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    return float(np.mean(np.unique(y_train)[distances.argmin(axis=1)] == y_valid))


CENTROID_SPACE = SearchSpace.of(FloatParam(name="shrink", low=0.0, high=1.0))

# A tool instance reachable as "tools_testkit:SCRIPTED".
SCRIPTED = ScriptedTool(steps=3)


class BrokenWarmUpTool(ScriptedTool):
    """A tool whose workers cannot start (its heavy dependency is missing)."""

    def warm_up(self) -> None:
        raise ImportError("no module named 'imaginary_accelerator'")
