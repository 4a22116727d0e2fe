"""f* stays frozen unless asked: a run that beats it is reported, not written back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import benchmarks.quality.__main__ as cli
from benchmarks.quality import reference
from benchmarks.quality.run import run_benchmark
from benchmarks.quality.suite import Task

from .conftest import SMALL_TASK, tiny_profile


@pytest.mark.parametrize(
    ("argv", "update"),
    [([], False), (["--freeze-reference"], False), (["--update-reference"], True)],
)
def test_cli_freezes_f_star_by_default(
    cli_calls: dict[str, Any], argv: list[str], update: bool
) -> None:
    assert cli.main(["--methods", "random", "--no-cost", *argv]) == 0
    assert cli_calls["update_reference"] is update


def test_cli_refuses_to_freeze_and_update_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--freeze-reference", "--update-reference"])
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.integration
def test_a_run_that_beats_f_star_leaves_the_table_alone_unless_updating(
    small_task: Task, small_reference: reference.Reference, tmp_path: Path
) -> None:
    # A table whose f* is its worst score: any better random configuration beats it.
    low = reference.Reference(**{**small_reference.__dict__})
    low.f_star = min(low.values) if small_task.direction == "maximize" else max(low.values)
    low.f_ref = low.f_star - 0.2 if small_task.direction == "maximize" else low.f_star + 0.2
    reference.save(low, tmp_path)
    saved = reference.path_for(SMALL_TASK, tmp_path).read_text()
    profile = tiny_profile()

    def run(update: bool, reference_size: int = 60) -> dict[str, Any]:
        return run_benchmark(
            replace(profile, reference_size=reference_size),
            ["random"],
            reference_dir=tmp_path,
            update_reference=update,
            measure_cost=False,
        )

    frozen = run(update=False, reference_size=100)  # a larger table is not rebuilt either
    assert reference.path_for(SMALL_TASK, tmp_path).read_text() == saved
    assert frozen["f_star_frozen"] is True and frozen["summary"]["f_star_frozen"] is True
    assert frozen["f_star"][SMALL_TASK] == low.f_star
    assert frozen["beats_reference"] == [SMALL_TASK]
    assert frozen["regret"]["random"]["5"] == 0.0
    assert frozen["unclipped_regret"]["random"]["5"] < 0.0
    assert frozen["summary"]["seeds"] == [0]

    updated = run(update=True)
    raised = reference.load(SMALL_TASK, tmp_path)
    assert raised is not None and raised.f_star == updated["f_star"][SMALL_TASK] != low.f_star
    assert updated["f_star_frozen"] is False and updated["beats_reference"] == []
