"""Reliability tests share the benchmark's scenarios (``benchmarks/reliability.py``) at a
small scale; optuna's per-trial INFO lines are silenced while they run."""

from __future__ import annotations

from collections.abc import Iterator

import optuna
import pytest


@pytest.fixture(autouse=True, scope="package")
def _quiet_optuna() -> Iterator[None]:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(verbosity)
