"""The offline f*: a large search by several optimizers, written into the table once."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.quality import optimum, reference
from benchmarks.quality.suite import get_task

from .conftest import assert_offline_f_star


def test_every_development_table_has_an_offline_f_star() -> None:
    for name in optimum.DEVELOPMENT_TASKS:
        assert_offline_f_star(reference.load(name), name)
    assert len(optimum.DEVELOPMENT_TASKS) == 14


def test_an_all_discrete_space_has_a_grid_and_a_float_space_has_none() -> None:
    knn = optimum.grid(get_task("knn-iris"))
    assert knn is not None and len(knn) == 25 * 4 * 2
    assert len({tuple(sorted(c.items())) for c in knn}) == len(knn)
    assert optimum.grid(get_task("linear-iris")) is None


@pytest.mark.integration
def test_f_star_is_the_best_of_the_table_and_two_optimizers(tmp_path: Path) -> None:
    task = get_task("linear-iris")
    table = reference.build(task, 20)
    reference.save(table, tmp_path)
    before = (list(table.configs), list(table.values))

    frozen = optimum.freeze(task.name, 60, directory=tmp_path)

    record = frozen.f_star_search
    assert record is not None and record["distinct_configurations"] >= 60
    parts = record["parts"]
    assert list(parts)[:3] == ["random (the committed table)", "TPE (multivariate)", "CMA-ES"]
    assert parts["TPE (multivariate)"]["trials"] == parts["CMA-ES"]["trials"] == 20
    assert frozen.f_star == max(p["best"] for p in parts.values() if p["best"] is not None)
    assert frozen.f_star >= max(table.values)
    assert "offline search of" in frozen.f_star_source
    # the table the scripted LLMs read is untouched, and the record survives a reload
    again = reference.load(task.name, tmp_path)
    assert again is not None and (again.configs, again.values) == before
    assert again.f_star == frozen.f_star and again.f_star_search == record
    # growing the random table later keeps the offline f* unless the table beats it
    grown = reference.ensure(task, 30, tmp_path)
    assert len(grown.values) == 30 and grown.values[:20] == table.values
    assert not reference.beats(frozen, max(grown.values)), "60 searched beat 30 random"
    assert grown.f_star == frozen.f_star and grown.f_star_search == record


@pytest.mark.integration
def test_a_small_discrete_space_is_searched_exhaustively(tmp_path: Path) -> None:
    task = get_task("knn-iris")
    reference.save(reference.build(task, 10), tmp_path)
    frozen = optimum.freeze(task.name, 5000, directory=tmp_path)
    record = frozen.f_star_search
    assert record is not None and "exhaustive grid" in record["parts"]
    grid_values = [task.objective(c) for c in optimum.grid(task) or []]
    assert frozen.f_star == max(grid_values)
    assert record["distinct_configurations"] == 200
