"""Scenario 6, scaled down: 200 trials with two threads lose and duplicate nothing. The
2,000-trial run, with wall time and peak memory, is `python -m benchmarks.reliability`."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.reliability import LIGHT_ENGINE, load

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def test_200_trials_with_two_workers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    figures = load(tmp_path, 200, n_jobs=2, options=LIGHT_ENGINE)
    ledger = figures["ledger"]
    assert figures["completed_within_budget"]
    assert ledger["n_trials"] == 200 and ledger["numbers_contiguous"]
    assert ledger["running_left"] == 0 and set(ledger["states"]) <= {"COMPLETE", "PRUNED"}
    assert ledger["started_events"] == ledger["finished_events"] == 200
    assert ledger["duplicate_started"] == ledger["duplicate_finished"] == 0
    assert figures["distinct_configs"] == 200, "two workers ran the same configuration"
    assert figures["integrity_check_ok"]
