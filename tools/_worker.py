"""The loop a trial worker process runs (started with the multiprocessing "spawn" context).

The worker opens the dataset memory-mapped from the runner's directory once, unpickles the
tool and metric once, then serves trials over its pipe until told to stop or until the
runner goes away. Messages are tuples:

- runner -> worker: ``("run", config, seed, interactive)``, ``("stop",)``, and after each
  report of an interactive trial a bool: whether to prune;
- worker -> runner: ``("ready",)`` or ``("startup_error", message, traceback)`` once, then
  ``("report", step, value)`` during a trial and ``("result", ExecResult)`` at its end.
"""

from __future__ import annotations

import os
import pickle
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
