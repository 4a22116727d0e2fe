"""A small task with a small reference table, shared by the benchmark tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.quality import reference
from benchmarks.quality.suite import Task, get_task

SMALL_TASK = "knn-iris"


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reference")


@pytest.fixture(scope="session")
def small_task() -> Task:
    return get_task(SMALL_TASK)


@pytest.fixture(scope="session")
def small_reference(small_task: Task, reference_dir: Path) -> reference.Reference:
    return reference.ensure(small_task, 60, reference_dir)
