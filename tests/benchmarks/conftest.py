"""A small task with a small reference table, shared by the benchmark tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import benchmarks.quality.__main__ as cli
from benchmarks.quality import reference
from benchmarks.quality.run import Profile
from benchmarks.quality.suite import Task, get_task

SMALL_TASK = "knn-iris"


def tiny_profile(**changes: Any) -> Profile:
    """A profile of 6 trials on the small task with its 60-configuration table; ``changes``
    set the seeds and the cost measurements a test needs."""
    fields: dict[str, Any] = dict(
        name="tiny", tasks=(SMALL_TASK,), seeds=(0,), trials=6, reference_size=60
    )
    return Profile(**{**fields, **changes})


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reference")


@pytest.fixture(scope="session")
def small_task() -> Task:
    return get_task(SMALL_TASK)


@pytest.fixture(scope="session")
def small_reference(small_task: Task, reference_dir: Path) -> reference.Reference:
    return reference.ensure(small_task, 60, reference_dir)


@pytest.fixture
def cli_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The benchmark's command line with nothing run or written: what ``run_benchmark``
    was given (``profile`` and its keyword arguments) lands in the returned dict."""
    seen: dict[str, Any] = {}

    def fake_run(profile: Any, *_args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs, profile=profile)
        return {"summary": {"targets": {}}}

    monkeypatch.setattr(cli, "run_benchmark", fake_run)
    monkeypatch.setattr(cli, "write_all", lambda *_args: {})
    return seen


def assert_offline_f_star(table: reference.Reference | None, name: str) -> None:
    """``table``'s f* is its offline search's (benchmarks.quality.optimum): at least 5,000
    distinct configurations or the exhaustive grid, and never below the table's own best."""
    assert table is not None and table.f_star_search is not None, name
    search = table.f_star_search
    assert table.f_star == search["f_star"], name
    best = (max if table.direction == "maximize" else min)(table.values)
    assert not reference.beats(table, best), name
    assert search["distinct_configurations"] >= 5000 or "exhaustive grid" in search["parts"]
