"""The embedded server's llama.cpp settings: threads (half the CPUs, or as configured), and
prompt-prefix reuse between calls."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from assistant.llm import LLMConfig, Message, embedded, make_client, resolve_llm_config
from tests.llm.helpers import needs_embedded
from tests.llm.test_embedded import server_pid


@pytest.mark.parametrize(("cpus", "threads"), [(1, 1), (2, 1), (3, 1), (16, 8), (None, 1)])
def test_server_threads_are_half_the_cpus_and_at_least_one(monkeypatch, cpus, threads):
    if cpus is None:  # neither call can say: one thread
        monkeypatch.delattr("os.sched_getaffinity", raising=False)
        monkeypatch.setattr("os.cpu_count", lambda: None)
    assert embedded.server_threads(cpus) == threads


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_prompt_evaluation_gets_no_more_threads_than_generation(monkeypatch, tmp_path):
    # llama-cpp-python's default gives prompt evaluation every CPU; beside running trials
    # its spinning threads made prompts 2-3x slower on the 2-core benchmark machine.
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(6)), raising=False)
    command = embedded.server_command(tmp_path / "m.gguf", 8080)
    assert _option(command, "--n_threads") == _option(command, "--n_threads_batch") == "3"
    assert _option(command, "--port") == "8080"
    assert _option(command, "--model_alias") == "m"


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_a_repeated_prompt_is_not_evaluated_again(shared_server):
    """llama.cpp keeps the last prompt's KV cache: a call that repeats it (the surrogate's
    second sample) or extends it evaluates only the new tokens."""
    client = make_client(resolve_llm_config(timeout_s=120))
    prompt = "Describe a random forest. " * 60
    messages = [Message(role="user", content=prompt)]
    for seed in (1, 2):
        response = client.complete(messages, max_tokens=2, temperature=0.7, seed=seed)
        assert response.usage.prompt_tokens > 300
    server = embedded.embedded_server()
    log = server.log_path.read_text(errors="replace")
    hits = [
        line for line in log.splitlines() if "prefix-match hit" in line or "already cached" in line
    ]
    assert hits, log[-2000:]
    assert "remaining 1 prompt tokens" in hits[-1] or "already cached" in hits[-1]


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_the_grammar_holds_a_rationale_to_its_max_length(shared_server):
    """The proposal schema's maxLength is what keeps a rambling small model's rationale
    (and its tokens) short: llama.cpp's schema grammar must enforce it, not only our parser."""
    client = make_client(resolve_llm_config(timeout_s=120, output_retries=0))
    schema = {
        "type": "object",
        "properties": {
            "depth": {"enum": [2, 4, 8]},
            "rationale": {"type": "string", "maxLength": 20},
        },
        "required": ["depth", "rationale"],
        "additionalProperties": False,
    }
    messages = [
        Message(
            role="user",
            content="Choose a tree depth and explain your choice at great length, "
            "in many sentences.",
        )
    ]
    answered = [client.complete(messages, schema, max_tokens=200, seed=s) for s in (1, 2)]
    for response in answered:
        assert response.parsed is not None and response.parsed["depth"] in (2, 4, 8)
        assert len(response.parsed["rationale"]) <= 20
        assert response.usage.completion_tokens < 40


def test_a_configured_thread_count_is_the_command_lines(monkeypatch, tmp_path):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(6)), raising=False)
    command = embedded.server_command(tmp_path / "m.gguf", 8080, threads=6)
    assert _option(command, "--n_threads") == _option(command, "--n_threads_batch") == "6"


def test_a_thread_count_below_one_is_refused():
    with pytest.raises(ValueError, match="embedded_threads"):
        LLMConfig(embedded=True, embedded_threads=0)


def _llama_threads(server: embedded.EmbeddedServer) -> tuple[str, str]:
    """The thread counts the running llama.cpp process was given (its command line)."""
    command = Path(f"/proc/{server_pid(server)}/cmdline").read_text().split("\0")
    return _option(command, "--n_threads"), _option(command, "--n_threads_batch")


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_a_configured_thread_count_reaches_llama_cpp_and_outlives_a_restart(shared_server, caplog):
    config = resolve_llm_config(embedded=True, embedded_threads=2, timeout_s=120)
    client = make_client(config)
    server = embedded.embedded_server()
    assert server.threads == 2
    assert _llama_threads(server) == ("2", "2")

    # Asking for another count while it runs keeps the server, and says so.
    with caplog.at_level("WARNING", logger="assistant.llm.embedded"):
        assert embedded.embedded_server(threads=1) is server
    assert "keeps them (1 asked for)" in caplog.text

    os.kill(server_pid(server), signal.SIGKILL)
    moved = embedded.restart_if_dead(server.base_url)
    assert moved is not None
    again = embedded.embedded_server()
    assert again is not server and again.threads == 2
    assert _llama_threads(again) == ("2", "2")
    client = make_client(config)
    answer = client.complete([Message(role="user", content="Say hi.")], max_tokens=4)
    assert answer.text.strip()
