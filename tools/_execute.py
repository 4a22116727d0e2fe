"""Run one evaluation and turn whatever happens into a plain result.

Shared by the inline runner and the worker processes, so both give the same outcome for the
same event: a pruned trial, an exception, an out-of-memory error, a non-finite or
non-numeric score.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import optuna

from assistant.records import TrialStatus as Status

from .base import ReportFn, Tool
from .data import Dataset
from .metrics import Metric

logger = logging.getLogger(__name__)

_TRACEBACK_CHARS = 4000


class TrialTimeout(Exception):
    """Raised from ``report`` when an inline trial ran past its time budget."""


@dataclass
class ExecResult:
    """What one evaluation ended with (picklable, sent from workers to the runner)."""

    status: Status
    value: float | None = None
    error: str | None = None
    traceback: str | None = None
    device: str = "cpu"
    duration_s: float = 0.0
    intermediate_values: list[tuple[int, float]] = field(default_factory=list)


def execute(
    tool: Tool,
    data: Dataset,
    metric: Metric,
    n_folds: int,
    config: Mapping[str, Any],
    seed: int,
    report: ReportFn | None,
) -> ExecResult:
    """Evaluate ``config`` and classify the ending; never raises for a trial's own failure."""
    reported: list[tuple[int, float]] = []

    def record(step: int, value: float) -> None:
        reported.append((int(step), float(value)))
        if report is not None:
            report(int(step), float(value))

    start = time.perf_counter()
    try:
        raw = tool.evaluate(data, dict(config), seed, record, metric=metric, n_folds=n_folds)
    except optuna.TrialPruned:
        result = ExecResult(status="pruned", value=reported[-1][1] if reported else None)
    except TrialTimeout as exc:
        result = ExecResult(status="timeout", error=str(exc))
    except Exception as exc:
        result = _failure(exc)
    else:
        result = _check_value(raw)
    result.duration_s = time.perf_counter() - start
    result.intermediate_values = reported
    result.device = _device_used()
    return result


def failure_message(exc: BaseException) -> str:
    """``Type: message``, with out-of-memory errors named as such."""
    text = f"{type(exc).__name__}: {exc}"
    if _is_out_of_memory(exc):
        return f"CUDA out of memory: {text}"
    return text


def traceback_tail(exc: BaseException) -> str:
    """The last few thousand characters of the exception's formatted traceback."""
    text = "".join(traceback.format_exception(exc))
    return text[-_TRACEBACK_CHARS:]


def _failure(exc: Exception) -> ExecResult:
    if _is_out_of_memory(exc):
        _free_cuda_memory()
    logger.debug("trial failed", exc_info=exc)
    return ExecResult(status="failed", error=failure_message(exc), traceback=traceback_tail(exc))


def _check_value(raw: Any) -> ExecResult:
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real):
        return ExecResult(
            status="failed",
            error=f"evaluate returned {type(raw).__name__} ({raw!r:.80}), expected a number",
        )
    value = float(raw)
    if not math.isfinite(value):
        return ExecResult(status="failed", error=f"the metric is not finite ({value})")
    return ExecResult(status="complete", value=value)


def _is_out_of_memory(exc: BaseException) -> bool:
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _free_cuda_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def _device_used() -> str:
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_initialized():
        return "cpu"
    index = torch.cuda.current_device()
    visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    # Name the physical GPU, not its index among the visible ones.
    return f"cuda:{visible[index].strip()}" if index < len(visible) else f"cuda:{index}"
