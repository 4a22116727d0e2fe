"""Wrap a plain training function as a tool, so users add models without subclassing.

The function has the signature ``fn(X_train, y_train, X_valid, y_valid, config, seed) ->
score`` and computes its own score; the tool cross-validates it over the folds and reports
the running mean after each fold. For classification, ``y`` holds class codes ``0..k-1``.

Example:
    >>> import numpy as np
    >>> from assistant.space import FloatParam, SearchSpace
    >>> from assistant.tools import Dataset
    >>> def shrunk_mean(X_train, y_train, X_valid, y_valid, config, seed):
    ...     guess = config["shrink"] * y_train.mean()
    ...     return float(np.sqrt(np.mean((y_valid - guess) ** 2)))
    >>> tool = FunctionTool(shrunk_mean, SearchSpace.of(FloatParam(name="shrink", low=0, high=1)),
    ...                     tasks=("regression",))
    >>> data = Dataset.from_arrays(np.zeros((20, 1)), np.linspace(0, 1, 20), task="regression")
    >>> tool.evaluate(data, {"shrink": 1.0}, seed=0, n_folds=4) < 0.4
    True
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from assistant.errors import ToolError
from assistant.space import SearchSpace

from .base import SplitResult, Tool
from .data import TASKS, Dataset, Task
from .metrics import Metric

TrainFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any], int], float]


class FunctionTool(Tool):
    """A tool made of a user function and a search space.

    ``default_config`` defaults to the centre of the space (the unit-cube midpoint). The
    function and everything it refers to must be picklable (defined at module level) for
    process isolation. A function tool ignores the runner's metric: its return value is
    the score, and the study's direction must match it.
    """

    def __init__(
        self,
        fn: TrainFn,
        space: SearchSpace,
        *,
        name: str | None = None,
        tasks: Iterable[Task] = TASKS,
        family: str | None = None,
        description: str = "",
        default_config: Mapping[str, Any] | None = None,
    ) -> None:
        if not callable(fn):
            raise ToolError(f"expected a callable training function, got {type(fn).__name__}")
        self.fn = fn
        self.space = space
        self.name = name or str(getattr(fn, "__name__", "function"))
        self.tasks = frozenset(tasks)
        unknown = self.tasks - set(TASKS)
        if unknown or not self.tasks:
            raise ToolError(f"tasks must be a non-empty subset of {list(TASKS)}, got {unknown}")
        self.family = family or self.name
        self.description = description or (fn.__doc__ or "").strip()
        if default_config is not None and not space.contains(default_config):
            raise ToolError(f"default_config {dict(default_config)} is not a point of the space")
        self._default = dict(default_config) if default_config is not None else None

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return self.space

    def default_config(self, task: Task) -> dict[str, Any]:
        self._check_task(task)
        if self._default is not None:
            return dict(self._default)
        return self.space.from_unit([0.5] * len(self.space))

    def score_split(
        self,
        train: Dataset,
        valid: Dataset,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric,
    ) -> SplitResult:
        score = self.fn(
            np.asarray(train.X),
            np.asarray(train.y),
            np.asarray(valid.X),
            np.asarray(valid.y),
            dict(config),
            seed,
        )
        if isinstance(score, bool) or not isinstance(score, numbers.Real):
            raise ToolError(
                f"training function {self.name!r} returned {type(score).__name__} "
                f"({score!r:.80}), expected a number"
            )
        return SplitResult(score=float(score))
