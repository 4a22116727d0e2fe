"""A trial worker process: ``python -m assistant.tools._worker FD``.

:class:`~assistant.tools.runner.TrialRunner` starts each worker as a plain subprocess of the
same interpreter, never through multiprocessing's "spawn", which re-imports the parent's
``__main__``: that made a script without an ``if __name__ == "__main__":`` guard start its
own tuning again in every worker, and a script read from standard input (``python - <
train.py``) could not start workers at all. This module imports nothing of the parent's
script, so the entry point does not matter (a script, ``python -c``, stdin, a notebook, a
thread, another framework's worker process).

``FD`` is the worker's end of a socket pair, wrapped as a multiprocessing ``Connection``.
The first message is ``("init", data_dir, payload, n_folds, device, threads, sys_path)``:
the parent's ``sys.path`` entries the worker lacks are appended, so a module importable
beside the user's script is importable here too. ``payload`` is the cloudpickled
``(tool, metric)``; functions defined in the user's script travel by value inside it.

Then the worker opens the dataset memory-mapped once, unpickles the tool and metric once,
and serves trials until told to stop or until the runner goes away. Messages are tuples:

- runner -> worker: ``("run", config, seed, interactive)``, ``("stop",)``, and after each
  report of an interactive trial a bool: whether to prune;
- worker -> runner: ``("ready",)`` or ``("startup_error", message, traceback)`` once, then
  ``("report", step, value)`` during a trial and ``("result", ExecResult)`` at its end.
"""

from __future__ import annotations

import os
import pickle
import sys
from multiprocessing.connection import Connection

import optuna
from threadpoolctl import threadpool_limits

from ._execute import execute, failure_message, traceback_tail
from .data import Dataset


def worker_main(
    conn: Connection, data_dir: str, payload: bytes, n_folds: int, device: str | None, threads: int
) -> None:
    """Serve trials on ``conn`` until ``("stop",)`` or until the runner closes the pipe."""
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    # Libraries loaded later (torch) read these; threadpoolctl limits those already loaded.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    try:
        threadpool_limits(threads)
        data = Dataset.load(data_dir, mmap=True)
        tool, metric = pickle.loads(payload)
        tool.warm_up()
    except Exception as exc:
        conn.send(("startup_error", failure_message(exc), traceback_tail(exc)))
        return
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the runner went away
            return
        if message[0] == "stop":
            return
        _, config, seed, interactive = message

        def report(step: int, value: float, interactive: bool = interactive) -> None:
            conn.send(("report", step, value))
            if interactive and conn.recv():
                raise optuna.TrialPruned(f"pruned at step {step}")

        conn.send(("result", execute(tool, data, metric, n_folds, config, seed, report)))


def main(argv: list[str]) -> int:
    """Read the init message from the inherited descriptor ``argv[0]``, then serve."""
    conn = Connection(int(argv[0]))
    try:
        message = conn.recv()
    except EOFError:  # the runner went away before sending anything
        return 0
    _, data_dir, payload, n_folds, device, threads, parent_path = message
    sys.path.extend(p for p in parent_path if p not in sys.path)
    worker_main(conn, data_dir, payload, n_folds, device, threads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
