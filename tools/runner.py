"""Run trials in isolated worker processes, with timeouts, pruning and failure capture.

A :class:`TrialRunner` evaluates configurations of one tool on one dataset. With
``isolation="process"`` (the default) each trial runs in a long-lived worker process (a
fresh interpreter running :mod:`assistant.tools._worker`): the dataset is written once to
``.npy`` files and memory-mapped by every worker, intermediate scores travel back over a
pipe so the parent can call ``trial.report`` / ``trial.should_prune`` on the Optuna trial
and tell the worker to stop, a trial past its wall-clock timeout has its worker killed, and
a worker that crashes is replaced for the next trial. Every ending becomes a
:class:`TrialOutcome`; the session goes on. ``isolation="inline"`` runs trials in the
calling thread with the same outcomes, except that a crash takes the process down and the
timeout is only checked when the tool reports.

Workers start lazily (a second or two each, for the interpreter and imports) and are then
reused; :meth:`TrialRunner.start` starts them all ahead of time and waits for them,
:meth:`TrialRunner.launch` starts them without waiting. Workers never re-import
the caller's main module, so a plain script needs no ``if __name__ == "__main__":`` guard,
and scripts on standard input, ``python -c``, notebooks and threads all work. A tool
defined in the caller's script travels to the workers by value (cloudpickle); it must not
need objects that cannot be pickled, which :class:`TrialRunner` checks when it is created.

Example:
    >>> import optuna
    >>> from sklearn.datasets import load_iris
    >>> from assistant.tools import Dataset, TrialRunner
    >>> data = Dataset.from_arrays(*load_iris(return_X_y=True))
    >>> with TrialRunner("knn", data, "accuracy", n_folds=3, isolation="inline") as runner:
    ...     study = optuna.create_study(direction="maximize")
    ...     study.optimize(runner.as_objective(), n_trials=3)
    >>> study.best_value > 0.9
    True
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.util
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any, Literal

import optuna

from assistant.errors import ToolError
from assistant.records import TrialOutcome, TrialStatus
from assistant.space import CategoricalParam, FloatParam, SearchSpace

from ._execute import ExecResult, TrialTimeout, execute
from .base import Tool
from .data import Dataset
from .metrics import Metric, resolve_metric
from .registry import get_tool

logger = logging.getLogger(__name__)

Isolation = Literal["process", "inline"]
_STOP_GRACE_S = 2.0
_WORKER_MODULE = "assistant.tools._worker"
_live_workers: weakref.WeakSet[_Worker] = weakref.WeakSet()


class TrialRunner:
    """Evaluate configurations of ``tool`` on ``dataset``, one trial per :meth:`run` call.

    ``tool`` is a :class:`Tool` or a registered name; ``metric`` a name, a
    :class:`~assistant.tools.metrics.Metric` or ``None`` for the task's default.
    ``timeout_s`` bounds one trial's wall-clock time. ``max_workers`` is how many trials may
    run at once (from threads, e.g. ``study.optimize(..., n_jobs=2)``); it defaults to one
    per GPU, or 1 without GPUs. ``devices`` lists the GPU ids handed out to workers, one per
    worker, through ``CUDA_VISIBLE_DEVICES``: ``None`` detects them, ``[]`` hides all GPUs.
    ``threads_per_worker`` caps the CPU threads (OpenMP, BLAS, PyTorch) of each worker: one
    by default, since trials run side by side (and beside an LLM server) and small models
    slow down badly when their threads compete for cores.
    Call :meth:`close` (or use the runner as a context manager) to stop the workers.
    """

    def __init__(
        self,
        tool: Tool | str,
        dataset: Dataset,
        metric: str | Metric | None = None,
        *,
        n_folds: int = 5,
        timeout_s: float | None = None,
        isolation: Isolation = "process",
        max_workers: int | None = None,
        devices: Sequence[int | str] | None = None,
        threads_per_worker: int = 1,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.tool = get_tool(tool) if isinstance(tool, str) else tool
        if not self.tool.supports(dataset.task):
            raise ToolError(f"tool {self.tool.name!r} does not support {dataset.task}")
        self.dataset = dataset
        self.metric = resolve_metric(metric, dataset.task)
        if n_folds < 2:
            raise ToolError(f"n_folds must be >= 2, got {n_folds}")
        if timeout_s is not None and not timeout_s > 0:
            raise ToolError(f"timeout_s must be > 0 or None, got {timeout_s}")
        if isolation not in ("process", "inline"):
            raise ToolError(f"isolation must be 'process' or 'inline', got {isolation!r}")
        if max_workers is not None and max_workers < 1:
            raise ToolError(f"max_workers must be >= 1, got {max_workers}")
        if threads_per_worker < 1:
            raise ToolError(f"threads_per_worker must be >= 1, got {threads_per_worker}")
        self.threads_per_worker = threads_per_worker
        self.n_folds = n_folds
        self.timeout_s = timeout_s
        self.isolation: Isolation = isolation
        self.startup_timeout_s = startup_timeout_s
        if devices is not None:
            self.devices = [str(d) for d in devices]
        else:
            self.devices = detect_gpus() if isolation == "process" else []
        self.max_workers = max_workers or max(1, len(self.devices))
        slot_devices: list[str | None]
        if self.devices:
            slot_devices = [self.devices[i % len(self.devices)] for i in range(self.max_workers)]
        else:
            # An explicit empty list hides the GPUs; otherwise workers inherit the environment.
            slot_devices = ["" if devices is not None else None] * self.max_workers
        self._resources = _Resources(slots=[_Slot(device=d) for d in slot_devices])
        self._free: queue.Queue[_Slot] = queue.Queue()
        for slot in self._resources.slots:
            self._free.put(slot)
        self._lock = threading.Lock()
        # Checked now, so a tool that cannot reach the workers fails at session start.
        self._payload = _serialize((self.tool, self.metric)) if isolation == "process" else None
        self._closed = False
        # A runner never closed still stops its workers and removes its data at exit.
        self._finalizer = multiprocessing.util.Finalize(
            self, self._resources.release, exitpriority=100
        )

    # -- public API ------------------------------------------------------------------------
    @property
    def data_dir(self) -> str | None:
        """The directory holding the dataset's ``.npy`` files (once a worker started)."""
        return self._resources.data_dir

    @property
    def search_space(self) -> SearchSpace:
        """The tool's default search space for the dataset's task."""
        return self.tool.search_space(self.dataset.task)

    def start(self) -> None:
        """Start every worker now rather than at the first trials (process isolation)."""
        if self.isolation != "process":
            return
        self._check_open()
        slots = [self._free.get() for _ in range(self.max_workers)]
        try:
            for slot in slots:  # launch them all first: they start up side by side
                if slot.worker is None or not slot.worker.alive:
                    slot.worker = self._spawn(slot.device)
            for slot in slots:
                error = self._ensure_ready(slot)
                if error is not None:
                    raise ToolError(f"a trial worker failed to start: {error}")
        finally:
            for slot in slots:
                self._free.put(slot)

    def launch(self) -> None:
        """Start every worker now without waiting for it (process isolation), before any
        trial runs: runners made ahead of their trials start their workers side by side,
        and a trial waits only for what is left of its worker's start."""
        if self.isolation != "process":
            return
        self._check_open()
        for slot in self._resources.slots:
            if slot.worker is None:
                slot.worker = self._spawn(slot.device)

    def run(
        self, config: Mapping[str, Any], seed: int = 0, trial: optuna.Trial | None = None
    ) -> TrialOutcome:
        """Evaluate ``config`` with ``seed``; report to and obey the pruner of ``trial``."""
        self._check_open()
        config = dict(config)
        if self.isolation == "inline":
            result = self._run_inline(config, seed, trial)
        else:
            result = self._run_in_worker(config, seed, trial)
        outcome = TrialOutcome(
            status=result.status,
            value=result.value,
            error=result.error,
            traceback=result.traceback,
            duration_s=result.duration_s,
            intermediate_values=result.intermediate_values,
            device=result.device,
            config=config,
            seed=seed,
        )
        number = f"trial {trial.number}" if trial is not None else "trial"
        if outcome.status in ("complete", "pruned"):
            logger.info(
                "%s %s: %s=%s in %.2fs", number, outcome.status, self.metric.name,
                outcome.value, outcome.duration_s,
            )  # fmt: skip
        else:
            logger.warning("%s %s: %s", number, outcome.status, outcome.error)
        return outcome

    def as_objective(self, seed: int = 0) -> Callable[[optuna.Trial], float]:
        """An Optuna objective: suggest from the tool's space, run, and map the outcome.

        Complete trials return their score; pruned ones raise :class:`optuna.TrialPruned`;
        failed and timed-out ones return NaN, which Optuna records as FAIL without stopping
        the study, with the reason in the trial's ``failure_reason`` user attribute. Every
        trial uses the same ``seed`` so all configurations see the same folds.
        """
        space = self.search_space

        def objective(trial: optuna.Trial) -> float:
            outcome = self.run(suggest_config(trial, space), seed, trial)
            trial.set_user_attr("status", outcome.status)
            trial.set_user_attr("duration_s", outcome.duration_s)
            if outcome.device is not None:
                trial.set_user_attr("device", outcome.device)
            if outcome.status == "complete":
                assert outcome.value is not None
                return outcome.value
            if outcome.status == "pruned":
                raise optuna.TrialPruned(f"pruned after {len(outcome.intermediate_values)} steps")
            trial.set_user_attr("failure_reason", f"{outcome.status}: {outcome.error}")
            if outcome.traceback:
                trial.set_user_attr("traceback", outcome.traceback)
            return float("nan")

        return objective

    def close(self) -> None:
        """Stop the workers and delete the dataset files. The runner cannot run afterwards."""
        self._closed = True
        self._finalizer()

    def __enter__(self) -> TrialRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- inline --------------------------------------------------------------------------
    def _run_inline(
        self, config: dict[str, Any], seed: int, trial: optuna.Trial | None
    ) -> ExecResult:
        deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s

        def report(step: int, value: float) -> None:
            if trial is not None and _report_to_trial(trial, step, value):
                raise optuna.TrialPruned(f"pruned at step {step}")
            if deadline is not None and time.monotonic() > deadline:
                raise TrialTimeout(f"ran past the {self.timeout_s:g} s timeout (at step {step})")

        return execute(self.tool, self.dataset, self.metric, self.n_folds, config, seed, report)

    # -- processes -------------------------------------------------------------------------
    def _run_in_worker(
        self, config: dict[str, Any], seed: int, trial: optuna.Trial | None
    ) -> ExecResult:
        slot = self._free.get()
        try:
            error = self._ensure_ready(slot)
            if error is not None:
                return ExecResult(status="failed", error=f"the worker failed to start: {error}")
            return self._drive(slot, config, seed, trial)
        finally:
            self._free.put(slot)

    def _ensure_ready(self, slot: _Slot) -> str | None:
        """Give ``slot`` a live, ready worker (replacing a dead one); return an error if not."""
        if slot.worker is not None and not slot.worker.alive:
            slot.worker.kill()
            slot.worker = None
        if slot.worker is None:
            slot.worker = self._spawn(slot.device)
        if slot.worker.ready:
            return None
        error = slot.worker.wait_ready(self.startup_timeout_s)
        if error is not None:
            slot.worker.kill()
            slot.worker = None
        return error

    def _drive(
        self, slot: _Slot, config: dict[str, Any], seed: int, trial: optuna.Trial | None
    ) -> ExecResult:
        worker = slot.worker
        assert worker is not None
        start = time.monotonic()
        deadline = None if self.timeout_s is None else start + self.timeout_s
        reported: list[tuple[int, float]] = []

        def ended(status: TrialStatus, error: str) -> ExecResult:
            worker.kill()
            slot.worker = None
            return ExecResult(
                status=status,
                error=error,
                duration_s=time.monotonic() - start,
                intermediate_values=reported,
            )

        try:
            worker.conn.send(("run", config, seed, trial is not None))
        except OSError:
            return ended("failed", worker.death_reason())
        try:
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return ended("timeout", f"ran past the {self.timeout_s:g} s timeout; killed")
                ready = wait([worker.conn, worker.sentinel], timeout=remaining)
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        return ended("failed", worker.death_reason())
                    if message[0] == "result":
                        result: ExecResult = message[1]
                        return result
                    _, step, value = message
                    reported.append((step, value))
                    if trial is not None:
                        worker.conn.send(_report_to_trial(trial, step, value))
                elif worker.sentinel in ready:
                    return ended("failed", worker.death_reason())
        except BaseException:
            # The worker may be waiting for a prune decision; it cannot serve another trial.
            if slot.worker is not None:
                slot.worker.kill()
                slot.worker = None
            raise

    def _spawn(self, device: str | None) -> _Worker:
        with self._lock:
            if self._resources.data_dir is None:
                data_dir = tempfile.mkdtemp(prefix="assistant-data-")
                self.dataset.save(data_dir)
                self._resources.data_dir = data_dir
            if self._payload is None:
                self._payload = _serialize((self.tool, self.metric))
        return _Worker.start(
            self._resources.data_dir, self._payload, self.n_folds, device, self.threads_per_worker
        )

    def _check_open(self) -> None:
        if self._closed:
            raise ToolError("this TrialRunner is closed")


def suggest_config(trial: optuna.Trial, space: SearchSpace) -> dict[str, Any]:
    """Ask ``trial`` for one value per parameter of ``space``."""
    config: dict[str, Any] = {}
    for param in space:
        if isinstance(param, CategoricalParam):
            config[param.name] = trial.suggest_categorical(param.name, list(param.choices))
        elif isinstance(param, FloatParam):
            config[param.name] = trial.suggest_float(
                param.name, param.low, param.high, log=param.log, step=param.step
            )
        else:
            config[param.name] = trial.suggest_int(
                param.name, param.low, param.high, log=param.log, step=param.step
            )
    return config


def detect_gpus() -> list[str]:
    """GPU ids visible to this process: ``CUDA_VISIBLE_DEVICES`` if set, else ``nvidia-smi``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return []
    try:
        listing = subprocess.run(
            [nvidia_smi, "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("could not list GPUs with nvidia-smi (%s); running on CPU", exc)
        return []
    return [line.strip() for line in listing.splitlines() if line.strip()]


def _report_to_trial(trial: optuna.Trial, step: int, value: float) -> bool:
    """Report to Optuna and return whether the trial should stop."""
    try:
        trial.report(value, step)
        return bool(trial.should_prune())
    except NotImplementedError:  # multi-objective studies cannot prune
        return False


def _serialize(obj: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError:  # scikit-learn's joblib always ships a copy
        from joblib.externals import cloudpickle
    try:
        return bytes(cloudpickle.dumps(obj))
    except Exception as exc:
        raise ToolError(
            f"the tool cannot be sent to a worker process ({type(exc).__name__}: {exc}); "
            "make it picklable or use isolation='inline'"
        ) from exc


def live_worker_pids() -> list[int]:
    """Process ids of the trial workers this process has running (for tools that watch or
    deliberately kill them, such as the reliability benchmark)."""
    return sorted(w.process.pid for w in list(_live_workers) if w.alive)


@dataclass(eq=False)
class _Worker:
    """The parent's handle on one worker process.

    ``sentinel`` is the read end of a pipe whose write end only the worker holds: it turns
    readable (end of file) when the worker exits, so ``wait`` sees a death as it sees a
    message, as with multiprocessing's own sentinels.
    """

    process: subprocess.Popen[bytes]
    conn: Connection
    sentinel: int
    ready: bool = False

    @classmethod
    def start(
        cls, data_dir: str, payload: bytes, n_folds: int, device: str | None, threads: int
    ) -> _Worker:
        parent_end, child_end = socket.socketpair()
        sentinel, exit_marker = os.pipe()
        env = dict(os.environ)
        if device is not None:
            env["CUDA_VISIBLE_DEVICES"] = device
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", _WORKER_MODULE, str(child_end.fileno())],
                pass_fds=(child_end.fileno(), exit_marker),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            parent_end.close()
            os.close(sentinel)
            raise
        finally:
            child_end.close()
            os.close(exit_marker)
        worker = cls(process=process, conn=Connection(parent_end.detach()), sentinel=sentinel)
        _live_workers.add(worker)
        with contextlib.suppress(OSError):  # it died at once: wait_ready says why
            worker.conn.send(("init", data_dir, payload, n_folds, device, threads, sys.path))
        logger.debug("started trial worker pid %s (device %r)", process.pid, device)
        return worker

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout_s: float) -> str | None:
        """Wait for the worker's first message; return an error message if it is not ready."""
        if not wait([self.conn, self.sentinel], timeout=timeout_s):
            return f"no answer within {timeout_s:g} s"
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            return self.death_reason()
        if message[0] == "ready":
            self.ready = True
            return None
        _, error, tb = message
        logger.warning("trial worker failed to start: %s\n%s", error, tb)
        return str(error)

    def death_reason(self) -> str:
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "the worker process stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the worker process was killed by signal {name} (crash or out of memory)"
        return f"the worker process exited with code {code}"

    def stop(self) -> None:
        """Ask the worker to exit, then kill it if it does not."""
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=_STOP_GRACE_S)
        self.kill()

    def kill(self) -> None:
        """Terminate, then kill, the worker; release its pipe and sentinel."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.conn.close()
        if self.sentinel >= 0:
            os.close(self.sentinel)
            self.sentinel = -1
        _live_workers.discard(self)


@dataclass
class _Slot:
    """One place a trial may run: a device and, once started, its worker."""

    device: str | None
    worker: _Worker | None = None


@dataclass
class _Resources:
    """What a runner must release: its workers and the dataset directory."""

    slots: list[_Slot] = field(default_factory=list)
    data_dir: str | None = None

    def release(self) -> None:
        for slot in self.slots:
            if slot.worker is not None:
                slot.worker.stop()
                slot.worker = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None
