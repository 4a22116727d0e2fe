"""The guard around the embedded server: no orphan when the parent dies by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.llm.embedded import _GUARD

CHILD = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"


def wait_for_pid(path: Path, timeout_s: float = 20.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError("the guarded command did not start")


def gone(pid: int, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_the_command_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, {str(_GUARD)!r}, str(os.getpid()),\n"
        f"                  sys.executable, '-c', {CHILD!r}, {str(pid_file)!r}])\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        child = wait_for_pid(pid_file)
        parent.kill()  # no exit handlers run
        parent.wait()
        assert gone(child), "the guarded command outlived its parent"
    finally:
        parent.kill()


def test_sigterm_reaches_the_command_and_its_code_comes_back(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    guard = subprocess.Popen(
        [sys.executable, str(_GUARD), str(os.getpid()), sys.executable, "-c", CHILD, str(pid_file)]
    )
    child = wait_for_pid(pid_file)
    guard.send_signal(signal.SIGTERM)
    assert guard.wait(timeout=15) == 128 + signal.SIGTERM
    assert gone(child)
