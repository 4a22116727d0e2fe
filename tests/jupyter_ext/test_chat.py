"""The kernel side of the sidebar: slash commands (no LLM) and the comm that carries them."""

from __future__ import annotations

import re
import sys
import time

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from assistant.chat import ChatController, parse_command
from assistant.chat.commands import parse_value


@pytest.fixture
def frame() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True).frame
    return data.sample(160, random_state=0).reset_index(drop=True)


def test_parse_command() -> None:
    assert parse_command("/tune df target=churn metric=roc_auc n_trials=30") == (
        "tune",
        ["df"],
        {"target": "churn", "metric": "roc_auc", "n_trials": "30"},
    )
    assert parse_command("/help") == ("help", [], {})


def test_tune_status_best_explain_replay(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame, "other": 3})
    assert chat.dataframes() == {"df": list(frame.columns)}
    started = chat.handle(
        "/tune df target=target model=knn n_trials=3 llm=off isolation=inline n_folds=2"
    )
    assert started.ok, started.text
    assert "deprecated" not in started.text
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


def test_a_chat_session_keeps_optunas_trial_lines_out_of_the_notebook(
    frame: pd.DataFrame,
) -> None:
    import logging

    import optuna

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("optuna").addHandler(handler)
    optuna.logging.set_verbosity(optuna.logging.INFO)  # as in a fresh kernel
    try:
        chat = ChatController({"df": frame})
        command = "/tune df target=target model=knn n_trials=2 llm=off isolation=inline"
        assert chat.handle(command).ok
        chat.wait(120)
    finally:
        logging.getLogger("optuna").removeHandler(handler)
    assert not [line for line in lines if "finished with value" in line]
    assert optuna.logging.get_verbosity() == optuna.logging.INFO  # given back as it was
    assert "finished, 2 of 2 trials" in chat.handle("how did it go?").text


def test_tune_says_what_it_left_out_of_the_data(frame: pd.DataFrame) -> None:
    messy = frame.astype({"target": "float64"})
    messy.loc[[2, 9], "target"] = float("nan")
    chat = ChatController({"df": messy})
    started = chat.handle("/tune df target=target model=knn n_trials=2 llm=off isolation=inline")
    assert started.ok, started.text
    assert "Data: 2 of 160 rows have no value in target column 'target'" in started.text
    chat.wait(120)


def _wait_for_trials(chat: ChatController, sid: str, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(chat.store.events(sid, kinds=["trial_finished"])) < count:
        assert time.monotonic() < deadline, "no trial finished in time"
        time.sleep(0.05)


def test_stop_and_resume(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame})
    first = chat.handle(
        "/tune df target=target model=knn n_trials=60 llm=off isolation=inline n_folds=2"
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
        ("/tune df target=target n_trials=0", "n_trials='0': expected at least 1"),
        ("/tune df target=target trials=0", "n_trials='0': expected at least 1"),
        ("/tune df target=target n_folds=x", "n_folds='x': expected a whole number"),
        ("/tune df target=target trials=3 n_trials=4", "give only n_trials="),
        ("/status", "no session yet"),
        ("/explain", "say which trial"),
        ("/frobnicate", "Unknown command /frobnicate"),
        ("/tune df target=target review=maybe", "review='maybe': expected on or off"),
        ("/tune df target=target review=on review_timeout=-1", "review_timeout='-1'"),
        ("/accept", "say which trial: /accept 3"),
        ("/accept x", "trial 'x': expected a trial number"),
        ("/accept 0", "no session yet"),
        ("/reject 0 k=3", "/reject takes no parameters (k); use /edit"),
        ("/edit 0", "say what to change: /edit N key=value"),
        ("what is the best model?", "There is no session yet"),
    ],
)
def test_errors_say_what_to_do(frame: pd.DataFrame, message: str, expected: str) -> None:
    reply = ChatController({"df": frame}).handle(message)
    assert not reply.ok
    assert expected in reply.text


def test_help_lists_every_command() -> None:
    text = ChatController({}).handle("/help").text
    commands = ("/tune", "/status", "/best", "/stop", "/resume", "/explain", "/replay")
    for command in (*commands, "/accept", "/reject", "/edit", "review=on"):
        assert command in text
    assert "n_trials=" in text and "n_folds=" in text
    assert not re.search(r"(?<!\w)(trials|folds)=", text)  # the old spellings are not advertised


def test_old_option_names_still_work_and_say_so(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame}, tune_defaults={"isolation": "inline", "folds": "3"})
    started = chat.handle("/tune df target=target model=knn trials=2 llm=off folds=2")
    assert started.ok, started.text
    assert started.text.startswith("Started session")
    assert started.text.endswith(
        " Note: trials= is deprecated and will be removed in 0.2.0; use n_trials=."
        " Note: folds= is deprecated and will be removed in 0.2.0; use n_folds=."
    )
    spec = chat.store.get_session(started.session_id).spec
    assert (spec["n_trials"], spec["n_folds"]) == (2, 2)  # the message beats the defaults
    chat.wait(120)
    assert "finished, 2 of 2 trials finished" in chat.handle("/status").text


def _wait_for(chat: ChatController, sid: str, kind: str, trial: int) -> None:
    deadline = time.monotonic() + 120
    while not any(e.trial_number == trial for e in chat.store.events(sid, kinds=[kind])):
        assert time.monotonic() < deadline, f"no {kind} for trial {trial} in time"
        time.sleep(0.05)


def test_review_mode_accept_edit_reject(frame: pd.DataFrame) -> None:
    from optuna.trial import TrialState

    from assistant.session import TuningSession

    chat = ChatController({"df": frame})
    started = chat.handle(
        "/tune df target=target model=knn n_trials=3 llm=off isolation=inline n_folds=2 review=on"
    )
    assert started.ok, started.text
    assert "Review mode" in started.text
    sid = started.session_id

    _wait_for(chat, sid, "suggestion", 0)
    (run,) = chat.store.events(sid, kinds=["session_started"])
    assert run.payload["review"] is True
    time.sleep(0.5)  # the session waits for a decision: trial 0 does not start
    assert not chat.store.events(sid, kinds=["trial_started"])
    assert chat.handle("/accept 1").text == f"Error: no suggestion for trial 1 of {sid} yet"
    accepted = chat.handle("/accept 0")
    assert accepted.ok, accepted.text
    assert accepted.text.startswith("Accepted trial 0")
    assert accepted.session_id == sid
    assert accepted.view is None  # the sidebar keeps following the same session
    assert "already decided" in chat.handle("/reject 0").text

    _wait_for(chat, sid, "suggestion", 1)
    edited = chat.handle(f"/edit 1 n_neighbors=7 session={sid}")
    assert edited.ok, edited.text
    assert "n_neighbors=7" in edited.text

    _wait_for(chat, sid, "suggestion", 2)
    rejected = chat.handle("/reject 2")
    assert rejected.ok, rejected.text
    chat.wait(120)
    assert not chat.running

    trials = TuningSession.open(sid, chat.store).study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert trials[1].params["n_neighbors"] == 7
    assert trials[2].user_attrs["failure_reason"] == "rejected by the user"
    actions = [e.payload for e in chat.store.events(sid, kinds=["user_action"])]
    assert actions == [
        {"action": "accept", "trial": 0, "config": None},
        {"action": "edit", "trial": 1, "config": {"n_neighbors": 7}},
        {"action": "reject", "trial": 2, "config": None},
    ]


def test_parse_value() -> None:
    assert parse_value("7") == 7
    assert parse_value("0.25") == 0.25
    assert parse_value("False") is False
    assert parse_value("none") is None
    assert parse_value("distance") == "distance"


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
