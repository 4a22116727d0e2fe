"""Every CLI command with --json prints exactly one JSON object on stdout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from sklearn.datasets import load_breast_cancer

from assistant import cli as cli_module
from assistant.session import SessionResult

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
        "--n-trials",
        "4",
        "--n-folds",
        "3",
        "--llm",
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
def test_show_says_what_data_was_tuned_on(tuned: tuple[str, str], capsys) -> None:
    storage, session_id = tuned
    assert cli_module.main(["show", session_id, "--storage", storage]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "  data: 160 tuning rows x 30 features, target 'target'"
    recorded = {"n_rows": 318, "n_features": 12, "target": "churn", "rows_without_target": 2}
    headline = cli_module._dataset_headline({"dataset": recorded})
    assert headline.endswith("target 'churn' (2 row(s) without a target left out)")


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
        "--n-trials",
        "3",
        "--llm",
        "off",
        "--storage",
        f"sqlite:///{tmp_path / 'demo.db'}",
        "--json",
    )
    assert out["status"] == "finished" and out["final"]["test_score"] > 0.5


class _FakeSession:
    """Stands in for a TuningSession: records how the CLI created and ran it."""

    created: ClassVar[dict[str, Any]] = {}
    ran: ClassVar[dict[str, Any]] = {}

    def __init__(self, **spec: Any) -> None:
        self.id = "fake-session"
        self.spec = SimpleNamespace(n_trials=spec["n_trials"], metric="roc_auc", llm={})
        self.llm_state = "ok"

    @classmethod
    def create(cls, data: Any, **kwargs: Any) -> _FakeSession:
        cls.created = kwargs
        return cls(**kwargs)

    def run(self, **kwargs: Any) -> SessionResult:
        type(self).ran = kwargs
        return SessionResult(
            session_id=self.id, status="finished", n_complete=0, n_failed=0, n_pruned=0
        )


@pytest.fixture
def fake_session(monkeypatch: pytest.MonkeyPatch) -> type[_FakeSession]:
    monkeypatch.setattr("assistant.session.TuningSession", _FakeSession)
    _FakeSession.created, _FakeSession.ran = {}, {}
    return _FakeSession


@pytest.fixture
def csv(tmp_path: Path) -> str:
    frame = load_breast_cancer(as_frame=True).frame.head(40)
    frame.to_csv(tmp_path / "cancer.csv", index=False)
    return str(tmp_path / "cancer.csv")


def _tune_args(csv: str, tmp_path: Path, *extra: str) -> list[str]:
    storage = f"sqlite:///{tmp_path / 'fake.db'}"
    return ["tune", "--data", csv, "--target", "target", "--storage", storage, "--json", *extra]


def test_tune_defaults_to_auto_like_tune(fake_session, csv: str, tmp_path: Path, capsys) -> None:
    import inspect

    import assistant

    assert cli_module.main(_tune_args(csv, tmp_path)) == 0
    assert fake_session.created["tool"] == "auto"
    assert inspect.signature(assistant.tune).parameters["model"].default == "auto"
    assert fake_session.created["n_trials"] == 20 and fake_session.created["n_folds"] == 5
    assert fake_session.created["mode"] == "full" and fake_session.ran["timeout"] is None
    assert "deprecated" not in capsys.readouterr().err


def test_data_warnings_are_cli_lines(fake_session, tmp_path: Path, capsys) -> None:
    frame = load_breast_cancer(as_frame=True).frame.head(40).astype({"target": "object"})
    frame.loc[3, "target"] = None
    frame.to_csv(tmp_path / "unlabelled.csv", index=False)
    assert cli_module.main(_tune_args(str(tmp_path / "unlabelled.csv"), tmp_path)) == 0
    err = capsys.readouterr().err
    assert "automl-assistant: warning: 1 of 40 rows have no value in target column" in err
    assert "UserWarning" not in err and "Dataset.from_frame(" not in err  # no source lines


def test_tune_passes_every_knob(fake_session, csv: str, tmp_path: Path) -> None:
    args = _tune_args(
        csv, tmp_path, "--model", "knn", "--n-trials", "7", "--n-folds", "2", "--llm",
        "warmstart", "--timeout", "1.5", "--seed", "3", "--n-jobs", "2",
    )  # fmt: skip
    assert cli_module.main(args) == 0
    created, ran = fake_session.created, fake_session.ran
    assert (created["tool"], created["n_trials"], created["n_folds"]) == ("knn", 7, 2)
    assert (created["mode"], created["seed"]) == ("warmstart", 3)
    assert (ran["timeout"], ran["n_jobs"]) == (1.5, 2)


def test_demo_keeps_its_model_and_takes_a_timeout(fake_session, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'fake.db'}"
    assert cli_module.main(["demo", "--storage", storage, "--json", "--timeout", "30"]) == 0
    assert fake_session.created["tool"] == "random_forest"
    assert fake_session.ran["timeout"] == 30.0


@pytest.mark.parametrize(
    ("old", "new", "knob", "value"),
    [
        (["--trials", "7"], "--n-trials", "n_trials", 7),
        (["--folds", "2"], "--n-folds", "n_folds", 2),
        (["--mode", "off"], "--llm", "mode", "off"),
    ],
)
def test_old_tune_flags_still_work_and_warn(
    fake_session, csv: str, tmp_path: Path, capsys, old: list[str], new: str, knob: str, value: Any
) -> None:
    assert cli_module.main(_tune_args(csv, tmp_path, *old)) == 0
    assert fake_session.created[knob] == value
    captured = capsys.readouterr()
    assert f"warning: {old[0]} is deprecated and will be removed in 0.2.0; use {new}" in (
        captured.err
    )
    assert json.loads(captured.out)["session_id"] == "fake-session"  # stdout stays one object


def test_old_demo_flags_still_work_and_warn(fake_session, tmp_path: Path, capsys) -> None:
    storage = f"sqlite:///{tmp_path / 'fake.db'}"
    argv = ["demo", "--storage", storage, "--json", "--tool", "knn", "--trials", "3", "--mode",
            "off"]  # fmt: skip
    assert cli_module.main(argv) == 0
    created = fake_session.created
    assert (created["tool"], created["n_trials"], created["mode"]) == ("knn", 3, "off")
    err = capsys.readouterr().err
    for old, new in (("--tool", "--model"), ("--trials", "--n-trials"), ("--mode", "--llm")):
        assert f"{old} is deprecated and will be removed in 0.2.0; use {new}" in err


def test_help_shows_only_the_new_flags(capsys) -> None:
    for command in ("tune", "demo"):
        with pytest.raises(SystemExit):
            cli_module.main([command, "--help"])
        text = capsys.readouterr().out
        assert "--n-trials" in text and "--llm" in text and "--timeout" in text
        assert "--model" in text
        for old in ("--trials", "--folds", "--mode", "--tool"):
            assert not re.search(rf"{old}\b", text), old
    with pytest.raises(SystemExit):
        cli_module.main(["demo", "--help"])
    assert "random_forest" in capsys.readouterr().out
