"""The real-LLM methods' clients: a fresh embedded server for each run, one client elsewhere."""

from __future__ import annotations

import pytest

from assistant.llm import LLMConfig, Message, embedded, resolve_llm_config
from assistant.testing import ScriptedLLMServer
from benchmarks.quality.methods import real_llm_clients
from tests.llm.helpers import needs_embedded


def test_a_given_endpoint_serves_every_run_with_one_client() -> None:
    with ScriptedLLMServer(lambda _body: {"ok": True}, model="given") as server:
        clients, label = real_llm_clients(LLMConfig(base_url=server.base_url, model="given"))
        assert label == "given"
        assert clients() is clients()


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_each_run_after_the_first_gets_a_fresh_embedded_server(shared_server) -> None:
    config = resolve_llm_config(embedded=True, timeout_s=60, embedded_threads=2)
    clients, label = real_llm_clients(config)
    assert label.endswith("(embedded llama.cpp, 2 threads, a fresh server for each run)")
    first = clients()
    first_server = embedded.embedded_server()
    assert first_server.base_url == first.config.base_url
    second = clients()
    assert second.config.base_url != first.config.base_url
    assert not first_server.is_running()
    assert embedded.embedded_server().threads == 2  # the fresh server keeps the setting
    answer = second.complete([Message(role="user", content="Say hi.")], max_tokens=4)
    assert answer.text.strip()
