"""Every CLI command with --json prints exactly one JSON object on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_breast_cancer

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, check: bool = True) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("cli")
    frame = load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)
    frame.to_csv(folder / "cancer.csv", index=False)
    storage = f"sqlite:///{folder / 'cli.db'}"
    out = cli(
        "tune",
        "--data",
        str(folder / "cancer.csv"),
        "--target",
        "target",
        "--model",
        "logistic",
        "--metric",
        "roc_auc",
        "--trials",
        "4",
        "--folds",
        "3",
        "--mode",
        "off",
        "--storage",
        storage,
        "--json",
    )
    return storage, out["session_id"]


@pytest.mark.integration
def test_tune_reports_the_result(tuned: tuple[str, str]) -> None:
    storage, session_id = tuned
    out = cli("show", session_id, "--storage", storage, "--json")
    assert out["status"] == "finished" and len(out["trials"]) == 4
    assert out["result"]["final"]["metric"] == "roc_auc"


@pytest.mark.integration
def test_sessions_lists_it(tuned: tuple[str, str]) -> None:
    storage, session_id = tuned
    out = cli("sessions", "--storage", storage, "--json")
    assert [s["id"] for s in out["sessions"]] == [session_id]


@pytest.mark.integration
def test_replay_variants(tuned: tuple[str, str]) -> None:
    storage, session_id = tuned
    fast = cli("replay", session_id, "--storage", storage, "--json")
    assert fast["reproduced"] is True and fast["n_replayed"] == 4
    steps = cli("replay", session_id, "--step", "--storage", storage, "--json")
    assert len(steps["timeline"]) >= 4 * 3
    again = cli("replay", session_id, "--reexecute", "--storage", storage, "--json")
    assert again["reproduced"] is True


@pytest.mark.integration
def test_report_writes_html(tuned: tuple[str, str], tmp_path: Path) -> None:
    storage, session_id = tuned
    out = cli(
        "report", session_id, "--html", str(tmp_path / "r.html"), "--storage", storage, "--json"
    )
    assert Path(out["report"]).read_text().lstrip().lower().startswith("<!doctype html")


@pytest.mark.integration
def test_stop_and_resume(tuned: tuple[str, str]) -> None:
    storage, session_id = tuned
    assert cli("stop", session_id, "--storage", storage, "--json")["stop_requested"]
    out = cli("resume", session_id, "--storage", storage, "--json")
    assert out["session_id"] == session_id


def test_tools_lists_the_builtin_tools(tmp_path: Path) -> None:
    out = cli("tools", "--json")
    names = {t["name"] for t in out["tools"]}
    assert {"random_forest", "hist_gradient_boosting", "svm", "knn", "torch_mlp"} <= names


def test_errors_are_json_too(tmp_path: Path) -> None:
    out = cli(
        "show",
        "no-such-session",
        "--storage",
        f"sqlite:///{tmp_path / 'x.db'}",
        "--json",
        check=False,
    )
    assert out["type"] == "SessionNotFoundError" and "no-such-session" in out["error"]


@pytest.mark.integration
def test_demo_runs_headless_without_the_llm(tmp_path: Path) -> None:
    out = cli(
        "demo",
        "--trials",
        "3",
        "--mode",
        "off",
        "--storage",
        f"sqlite:///{tmp_path / 'demo.db'}",
        "--json",
    )
    assert out["status"] == "finished" and out["final"]["test_score"] > 0.5
