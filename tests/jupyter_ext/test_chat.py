"""The kernel side of the sidebar: slash commands (no LLM) and the comm that carries them."""

from __future__ import annotations

import sys
import time

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from assistant.chat import ChatController, parse_command


@pytest.fixture
def frame() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True).frame
    return data.sample(160, random_state=0).reset_index(drop=True)


def test_parse_command() -> None:
    assert parse_command("/tune df target=churn metric=roc_auc trials=30") == (
        "tune",
        ["df"],
        {"target": "churn", "metric": "roc_auc", "trials": "30"},
    )
    assert parse_command("/help") == ("help", [], {})


def test_tune_status_best_explain_replay(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame, "other": 3})
    assert chat.dataframes() == {"df": list(frame.columns)}
    started = chat.handle(
        "/tune df target=target model=knn trials=3 llm=off isolation=inline folds=2"
    )
    assert started.ok, started.text
    assert started.view == "live"
    assert started.session_id is not None
    assert started.storage == chat.store.url
    chat.wait(120)
    status = chat.handle("/status")
    assert "finished, 3 of 3 trials finished, 3 complete" in status.text
    best = chat.handle("/best")
    assert best.text.startswith("Best so far: trial")
    assert best.code is not None
    assert "best_config = {" in best.code
    explained = chat.handle("/explain 0")
    assert explained.text.startswith("Trial 0 was suggested by default")
    replayed = chat.handle(f"/replay {started.session_id}")
    assert replayed.ok, replayed.text
    assert replayed.view == "replay"
    assert "reproduced" in replayed.text


def _wait_for_trials(chat: ChatController, sid: str, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(chat.store.events(sid, kinds=["trial_finished"])) < count:
        assert time.monotonic() < deadline, "no trial finished in time"
        time.sleep(0.05)


def test_stop_and_resume(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame})
    first = chat.handle(
        "/tune df target=target model=knn trials=60 llm=off isolation=inline folds=2"
    )
    sid = first.session_id
    _wait_for_trials(chat, sid, 1)
    assert chat.handle("/stop").ok
    chat.wait(120)
    assert ": stopped," in chat.handle("/status").text
    done = len(chat.store.events(sid, kinds=["trial_finished"]))
    resumed = chat.handle(f"/resume {sid}")
    assert resumed.ok, resumed.text
    assert resumed.view == "live"
    _wait_for_trials(chat, sid, done + 1)
    chat.handle("/stop")
    chat.wait(120)
    assert ": stopped," in chat.handle("/status").text
    assert len(chat.store.events(sid, kinds=["session_started"])) == 2


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("/tune nope target=y", "no variable 'nope' in the kernel (DataFrames: df)"),
        ("/tune df", "target= is required"),
        ("/tune df target=target llm=maybe", "llm='maybe'"),
        ("/tune df target=target colour=red", "unknown option(s) colour"),
        ("/tune df target=target trials=0", "trials='0': expected at least 1"),
        ("/status", "no session yet"),
        ("/explain", "say which trial"),
        ("/frobnicate", "Unknown command /frobnicate"),
        ("what is the best model?", "Natural-language chat needs an LLM"),
    ],
)
def test_errors_say_what_to_do(frame: pd.DataFrame, message: str, expected: str) -> None:
    reply = ChatController({"df": frame}).handle(message)
    assert not reply.ok
    assert expected in reply.text


def test_help_lists_every_command() -> None:
    text = ChatController({}).handle("/help").text
    for command in ("/tune", "/status", "/best", "/stop", "/resume", "/explain", "/replay"):
        assert command in text


def test_import_assistant_imports_no_jupyter() -> None:
    import subprocess

    code = (
        "import sys, assistant, assistant.chat; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jupyter_server', 'jupyterlab', 'ipykernel', 'comm', 'IPython')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class _FakeComm:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.handler = None

    def on_msg(self, handler) -> None:
        self.handler = handler

    def send(self, data: dict) -> None:
        self.sent.append(data)


class _FakeManager:
    def __init__(self) -> None:
        self.targets: dict = {}

    def register_target(self, name, callback) -> None:
        self.targets[name] = callback


def test_comm_target_answers_messages(monkeypatch, frame: pd.DataFrame) -> None:
    comm_module = pytest.importorskip("comm")
    from assistant.chat import comm as chat_comm

    manager = _FakeManager()
    monkeypatch.setattr(comm_module, "get_comm_manager", lambda: manager)
    chat_comm.register({"df": frame})
    comm = _FakeComm()
    manager.targets[chat_comm.TARGET](comm, {"content": {"data": {"storageUrl": ""}}})
    assert comm.sent[0]["ready"] is True
    assert "df" in comm.sent[0]["dataframes"]
    comm.handler({"content": {"data": {"id": 7, "text": "/help"}}})
    assert comm.sent[1]["id"] == 7
    assert comm.sent[1]["reply"]["text"].startswith("Commands")
