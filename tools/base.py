"""The tool contract: a model family with a search space, defaults and an evaluation.

A :class:`Tool` is what the tuner trains. It describes itself to the LLM (``family``,
``description``), offers a default :class:`~assistant.space.SearchSpace` per task and the
library's own default configuration as a point of that space, and scores a configuration
by cross-validation. While it evaluates it calls ``report(step, value)`` with intermediate
scores after every step but the last (the last value is the result: a trial that has done
all its work is not pruned); ``report`` raises :class:`optuna.TrialPruned` when the trial
should stop, and the tool lets that exception propagate.

Subclasses implement :meth:`Tool.search_space`, :meth:`Tool.default_config` and either
:meth:`Tool.fit` plus :meth:`Tool.predict` (the default :meth:`Tool.evaluate` then runs
k-fold cross-validation and reports after each fold) or their own :meth:`Tool.evaluate`
with the same signature (the runner passes ``metric`` and ``n_folds`` as keywords).

Example:
    >>> from assistant.tools import Dataset, get_tool
    >>> from sklearn.datasets import load_iris
    >>> tool = get_tool("knn")
    >>> data = Dataset.from_arrays(*load_iris(return_X_y=True))
    >>> config = tool.default_config("classification")
    >>> round(tool.evaluate(data, config, seed=0, n_folds=3), 2) > 0.9
    True
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.errors import ToolError
from assistant.space import SearchSpace

from .data import TASKS, Dataset, Task, kfold_indices
from .metrics import Metric, resolve_metric

logger = logging.getLogger(__name__)

ReportFn = Callable[[int, float], None]


@dataclass(frozen=True)
class SplitResult:
    """One fit on a training split scored on a validation split.

    ``predictions`` (probabilities or values for the validation rows) and ``model`` are
    ``None`` for tools that only return a score.
    """

    score: float
    predictions: np.ndarray | None = None
    model: Any = None


class Tool(ABC):
    """A trainable model family. Subclasses set the class attributes and fill in the
    abstract methods; instances must be picklable to run in worker processes."""

    name: str = ""
    family: str = ""
    description: str = ""
    tasks: frozenset[str] = frozenset(TASKS)

    def supports(self, task: Task) -> bool:
        """Whether the tool can be tuned for ``task``."""
        return task in self.tasks

    @abstractmethod
    def search_space(self, task: Task) -> SearchSpace:
        """The default search space for ``task``."""

    @abstractmethod
    def default_config(self, task: Task) -> dict[str, Any]:
        """The library's default hyperparameters as a valid point of :meth:`search_space`."""

    def warm_up(self) -> None:
        """Import heavy dependencies once, before the first trial (called by each worker
        before it reports ready, so the import does not count against a trial's timeout)."""
        return None

    def fit(
        self, data: Dataset, config: Mapping[str, Any], seed: int, *, metric: Metric | None = None
    ) -> Any:
        """Train on all of ``data`` and return the fitted model.

        ``metric`` is what the model will be scored on (a tool may calibrate for it).
        """
        raise ToolError(f"tool {self.name!r} cannot refit a model; it only returns scores")

    def predict(self, model: Any, data: Dataset) -> np.ndarray:
        """Class probabilities (rows x classes) or predicted values for ``data``'s rows."""
        raise ToolError(f"tool {self.name!r} cannot predict; it only returns scores")

    def score_split(
        self,
        train: Dataset,
        valid: Dataset,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric,
    ) -> SplitResult:
        """Fit on ``train`` and score ``metric`` on ``valid``."""
        model = self.fit(train, config, seed, metric=metric)
        predictions = self.predict(model, valid)
        return SplitResult(score=metric(valid.y, predictions), predictions=predictions, model=model)

    def evaluate(
        self,
        data: Dataset,
        config: Mapping[str, Any],
        seed: int,
        report: ReportFn | None = None,
        *,
        metric: str | Metric | None = None,
        n_folds: int = 5,
    ) -> float:
        """Mean ``metric`` over seeded k-fold cross-validation of ``data``.

        After each fold but the last, ``report(fold, running_mean)`` is called; it may
        raise :class:`optuna.TrialPruned`, which ends the evaluation.
        """
        self._check_task(data.task)
        resolved = resolve_metric(metric, data.task)
        scores: list[float] = []
        folds = list(kfold_indices(data, n_folds, seed))
        for fold, (train_rows, valid_rows) in enumerate(folds):
            result = self.score_split(
                data.subset(train_rows), data.subset(valid_rows), config, seed, resolved
            )
            scores.append(result.score)
            logger.debug("%s fold %d: %s=%.6g", self.name, fold, resolved.name, result.score)
            if report is not None and fold < len(folds) - 1:
                report(fold, float(np.mean(scores)))
        return float(np.mean(scores))

    def _check_task(self, task: Task) -> None:
        if not self.supports(task):
            raise ToolError(
                f"tool {self.name!r} does not support {task}; it supports "
                f"{', '.join(sorted(self.tasks))}"
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def snap_config(space: SearchSpace, config: Mapping[str, Any]) -> dict[str, Any]:
    """Snap a configuration into ``space`` (clip to bounds, round to the grid).

    Used for library defaults that lie outside a space, e.g. ``max_depth=None`` becomes the
    space's deepest value.

    >>> from assistant.space import IntParam
    >>> snap_config(SearchSpace.of(IntParam(name="depth", low=2, high=64)), {"depth": 1000})
    {'depth': 64}
    """
    report = space.validate_config(config)
    if report.config is None:
        problems = "; ".join(f"{i.param}: {i.message}" for i in report.issues)
        raise ToolError(f"default configuration does not fit the search space: {problems}")
    return report.config
