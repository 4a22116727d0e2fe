"""Run a command as long as the process that started this guard lives.

Usage: ``python _server_guard.py PARENT_PID COMMAND [ARG ...]``

The embedded LLM server is a child process; a parent killed by a signal (SIGTERM, SIGKILL,
the OOM killer) runs no exit handlers and would leave it running. This guard sits between
the two: it forwards SIGTERM and SIGINT to the command, and ends the command when its own
parent is gone. It is run as a plain script, so it imports nothing from the package.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

POLL_S = 0.5
GRACE_S = 5.0


def _end(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def main(argv: list[str]) -> int:
    parent, command = int(argv[0]), argv[1:]
    child = subprocess.Popen(command)

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while child.poll() is None:
        if os.getppid() != parent:  # reparented: whoever started us is gone
            _end(child)
            break
        time.sleep(POLL_S)
    return child.returncode if child.returncode >= 0 else 128 - child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
