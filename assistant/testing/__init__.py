"""Test kit for code built on the assistant (as ``optuna.testing`` is for Optuna's).

:class:`ScriptedLLMServer` is a real OpenAI-compatible HTTP server on 127.0.0.1 whose answers
are scripted (a queue of :class:`Reply` objects or a responder function), with faults
injected at given rates by :class:`FaultMix`. Tests and benchmarks use it so that every
network path (retries, timeouts, the circuit breaker) runs over real HTTP. Nothing here is
needed to tune models; it is not part of :mod:`assistant.llm`.

Example:
    >>> from assistant.llm import Message, make_client, resolve_llm_config
    >>> with ScriptedLLMServer([Reply.json({"answer": 42})]) as server:
    ...     client = make_client(resolve_llm_config(server.base_url, "m"))
    ...     client.complete([Message(role="user", content="?")], schema={"type": "object"}).parsed
    {'answer': 42}
"""

from assistant.testing.scripted_server import (
    FaultMix,
    Reply,
    Responder,
    ScriptedLLMServer,
    delayed,
    fill_schema,
    requested_schema,
    schema_responder,
)

__all__ = [
    "FaultMix",
    "Reply",
    "Responder",
    "ScriptedLLMServer",
    "delayed",
    "fill_schema",
    "requested_schema",
    "schema_responder",
]
