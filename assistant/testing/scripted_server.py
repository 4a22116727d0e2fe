"""A real OpenAI-compatible HTTP server whose answers are scripted, for tests and benchmarks.

:class:`ScriptedLLMServer` listens on 127.0.0.1 and serves ``GET /v1/models`` and
``POST /v1/chat/completions`` (plain or ``stream: true``). What it answers comes from a
queue of :class:`Reply` objects or from a responder function of the request body; a reply can
also be an HTTP error, a delay (to provoke timeouts) or a dropped connection.
:class:`FaultMix` wraps a responder and injects such faults at given rates, reproducibly.
Because the client under test speaks real HTTP, every retry and timeout path is exercised.

Example:
    >>> import json, urllib.request
    >>> with ScriptedLLMServer([Reply.json({"x": 1})]) as server:
    ...     request = urllib.request.Request(
    ...         server.base_url + "/chat/completions",
    ...         data=json.dumps({"model": "m", "messages": []}).encode(),
    ...         headers={"Content-Type": "application/json"},
    ...     )
    ...     answer = json.load(urllib.request.urlopen(request))
    ...     answer["choices"][0]["message"]["content"], server.request_count
    ('{"x": 1}', 1)
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

Responder = Callable[[dict[str, Any]], "Reply | str | dict[str, Any]"]
"""Request body → reply (a string is the content; a dict is sent as JSON content)."""

_CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
_MODELS_PATHS = ("/v1/models", "/models")


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    Args:
        content: the assistant message's text (for status 200).
        status: HTTP status; anything but 200 sends an error ``body``.
        headers: extra response headers (``{"Retry-After": "2"}``).
        body: error body (a dict is sent as JSON); a default OpenAI-style error if ``None``.
        delay_s: wait this long before answering (longer than the client's timeout → timeout).
        drop: close the connection without answering.
        model: the model name to report (the server's own if ``None``).
        tool_calls: ``(name, arguments)`` pairs to send as OpenAI tool calls instead of
            text (``finish_reason: "tool_calls"``); see :meth:`calling`.

    Example:
        >>> Reply.json({"a": 1}).content, Reply.error(429, retry_after=2).headers
        ('{"a": 1}', {'Retry-After': '2'})
    """

    content: str = ""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | dict[str, Any] | None = None
    delay_s: float = 0.0
    drop: bool = False
    model: str | None = None
    tool_calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    @classmethod
    def text(cls, content: str, **options: Any) -> Reply:
        """A 200 answer with ``content`` as the message text."""
        return cls(content=content, **options)

    @classmethod
    def json(cls, value: Any, **options: Any) -> Reply:
        """A 200 answer whose message text is ``value`` as JSON."""
        return cls(content=json.dumps(value), **options)

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | dict[str, Any] | None = None,
        **options: Any,
    ) -> Reply:
        """An HTTP error (``retry_after`` sets the ``Retry-After`` header)."""
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["Retry-After"] = f"{retry_after:g}"
        if body is None and message is not None:
            body = {"error": {"message": message, "type": "scripted_error", "code": status}}
        return cls(status=status, headers=all_headers, body=body, **options)

    @classmethod
    def calling(cls, *calls: tuple[str, Mapping[str, Any]], **options: Any) -> Reply:
        """A 200 answer that calls tools: ``Reply.calling(("list_dataframes", {}))``."""
        return cls(tool_calls=tuple((name, dict(args)) for name, args in calls), **options)

    @classmethod
    def dropped(cls) -> Reply:
        """Close the connection without answering."""
        return cls(drop=True)


def _as_reply(value: Reply | str | dict[str, Any]) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply.text(value)
    if isinstance(value, dict):
        return Reply.json(value)
    raise TypeError(f"a scripted reply must be a Reply, str or dict, not {type(value).__name__}")


class ScriptedLLMServer:
    """An OpenAI-compatible server on 127.0.0.1 that answers from a script.

    Args:
        script: a responder function (request body → reply), or an iterable of replies
            served in order. ``None`` answers every request with a valid instance of the
            requested JSON schema (see :func:`schema_responder`).
        then: the reply once a queue is used up; by default an HTTP 400 saying so.
        model: the model name the server reports.

    ``requests`` holds every chat request body received, ``request_count`` their number.
    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        script: Responder | Iterable[Reply | str | dict[str, Any]] | None = None,
        *,
        then: Reply | None = None,
        model: str = "scripted-model",
    ) -> None:
        self.model = model
        self._then = then
        self._responder: Responder | None
        self._queue: collections.deque[Reply] | None
        if isinstance(script, Reply | str | dict):
            script = [script]
        if script is None:
            self._responder, self._queue = schema_responder(), None
        elif callable(script):
            self._responder, self._queue = script, None
        else:
            self._responder, self._queue = None, collections.deque(_as_reply(r) for r in script)
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._closing = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> ScriptedLLMServer:
        """Start listening on a free port (idempotent)."""
        if self._httpd is None:
            self._closing.clear()
            self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"ScriptedLLMServer:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; delayed replies still pending are abandoned."""
        if self._httpd is None:
            return
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests look at ------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port listened on (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("the ScriptedLLMServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every chat request body received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many chat requests arrived."""
        with self._lock:
            return len(self._requests)

    @property
    def remaining(self) -> int | None:
        """Replies left in the queue (``None`` with a responder)."""
        with self._lock:
            return None if self._queue is None else len(self._queue)

    # -- serving -----------------------------------------------------------------------
    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self._requests.append(body)
            if self._queue is not None:
                if self._queue:
                    return self._queue.popleft()
                return self._then or Reply.error(
                    400, "ScriptedLLMServer: the script has no reply left"
                )
        assert self._responder is not None
        try:
            return _as_reply(self._responder(body))
        except Exception as exc:  # a broken responder must show up in the test, not hang it
            logger.exception("ScriptedLLMServer responder failed")
            return Reply.error(400, f"ScriptedLLMServer responder failed: {exc!r}")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when parallel workers all ask at once.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: Any
    ) -> None:
        self.owner: ScriptedLLMServer = owner
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a dropped connection is always a fresh one.
    protocol_version = "HTTP/1.0"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("ScriptedLLMServer: " + format, *args)

    def do_GET(self) -> None:
        owner = self.server.owner
        if self.path.rstrip("/") not in _MODELS_PATHS:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        model = {"id": owner.model, "object": "model", "created": 0, "owned_by": "scripted"}
        self._send_json(200, {"object": "list", "data": [model]})

    def do_POST(self) -> None:
        owner = self.server.owner
        if self.path.rstrip("/") not in _CHAT_PATHS:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, OSError) as exc:
            self._send_json(400, {"error": {"message": f"unreadable request: {exc}"}})
            return
        reply = owner._next_reply(body)
        if reply.delay_s > 0 and owner._closing.wait(reply.delay_s):
            return
        if reply.drop:
            self.close_connection = True
            return
        try:
            if reply.status != 200:
                self._send_error(reply)
            elif body.get("stream"):
                self._send_stream(body, reply)
            else:
                self._send_json(200, _completion(body, reply, owner.model), reply.headers)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("ScriptedLLMServer: the client went away before the answer")

    def _send_error(self, reply: Reply) -> None:
        body = reply.body
        if body is None:
            message = f"scripted HTTP {reply.status}"
            body = {"error": {"message": message, "type": "scripted_error", "code": reply.status}}
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self._send_bytes(reply.status, data, "application/json", reply.headers)

    def _send_json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str] | None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        full = _completion(body, reply, self.server.owner.model)
        base = {k: full[k] for k in ("id", "created", "model")} | {
            "object": "chat.completion.chunk"
        }
        text = reply.content
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": text[i : i + 16]} for i in range(0, len(text), 16)]
        for delta in deltas:
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            self._send_event(base | {"choices": [choice]})
        self._send_event(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._send_event(base | {"choices": [], "usage": full["usage"]})
        self.wfile.write(b"data: [DONE]\n\n")

    def _send_event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()


def _completion(body: dict[str, Any], reply: Reply, model: str) -> dict[str, Any]:
    prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages") or [])
    prompt_tokens = max(1, prompt_chars // 4)
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(dict(args))},
                }
                for i, (name, args) in enumerate(reply.tool_calls)
            ],
        }
    completion_tokens = max(1, len(json.dumps(message)) // 4)
    return {
        "id": f"chatcmpl-scripted-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


# -- schema-following answers ------------------------------------------------------------
def requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a chat request asks for, wherever the client put it.

    Looks at ``response_format`` (``json_schema``, or llama.cpp's ``json_object`` + ``schema``)
    and at a system message ending in ``…JSON schema: {...}`` (the prompt-only modes).
    """
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None
    if isinstance(response_format.get("schema"), dict):
        return response_format["schema"]
    for message in body.get("messages") or []:
        content = str(message.get("content", ""))
        marker = content.rfind("JSON schema: {")
        if message.get("role") == "system" and marker >= 0:
            try:
                schema = json.loads(content[marker + len("JSON schema: ") :])
            except ValueError:
                continue
            return schema if isinstance(schema, dict) else None
    return None


def fill_schema(schema: dict[str, Any], rng: random.Random) -> Any:
    """A random value that fits ``schema`` (objects, arrays, enums, bounded numbers, strings).

    Example:
        >>> fill_schema({"type": "object", "properties": {"k": {"enum": ["a"]}}}, random.Random(0))
        {'k': 'a'}
    """
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return fill_schema(schema[key][0], rng)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: fill_schema(sub, rng) for name, sub in properties.items()}
    if kind == "array":
        low = int(schema.get("minItems", 1))
        count = min(max(low, 1), int(schema.get("maxItems", max(low, 1))))
        return [fill_schema(schema.get("items") or {}, rng) for _ in range(count)]
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100))
        if kind == "integer":
            return rng.randint(int(low) + ("exclusiveMinimum" in schema), int(high))
        return round(rng.uniform(low, high), 6)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        return "scripted"
    return None


def delayed(responder: Responder, delay_s: float) -> Responder:
    """``responder`` answering every request ``delay_s`` seconds later: a scripted LLM with
    a chosen latency, for the wall-clock cost of an LLM as slow as a real one."""
    if delay_s <= 0:
        return responder

    def respond(body: dict[str, Any]) -> Reply | str | dict[str, Any]:
        reply = responder(body)
        if isinstance(reply, Reply):
            return dataclasses.replace(reply, delay_s=reply.delay_s + delay_s)
        if isinstance(reply, str):
            return Reply.text(reply, delay_s=delay_s)
        return Reply.json(reply, delay_s=delay_s)

    return respond


def schema_responder(seed: int = 0) -> Responder:
    """A responder that answers each request with a random instance of its JSON schema.

    Requests without a schema get the text ``"ok"``.

    Example:
        >>> schema_responder()({"messages": [], "response_format": {"type": "json_object",
        ...     "schema": {"type": "object", "properties": {"n": {"enum": [3]}}}}})
        {'n': 3}
    """
    rng = random.Random(seed)
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> Reply | str | dict[str, Any]:
        schema = requested_schema(body)
        if schema is None:
            return "ok"
        with lock:
            value = fill_schema(schema, rng)
        return value if isinstance(value, dict) else Reply.json(value)

    return respond


# -- fault injection ---------------------------------------------------------------------
_GARBAGE = (
    "Sure! A learning rate of about 0.01 should work well here.",
    '{"learning_rate": 0.01, "max_depth": ',
    "```\nI cannot answer that in JSON.\n```",
    "",
)


class FaultMix:
    """A responder that injects faults into another one at given rates, reproducibly.

    For each request one draw picks at most one fault: ``garbage`` (text that is not JSON),
    ``server_error`` (HTTP 500), ``rate_limit`` (HTTP 429 with ``Retry-After``), ``timeout``
    (answers after ``timeout_delay_s``), ``drop`` (connection closed), ``wrong_shape``
    (valid JSON of the wrong shape), ``out_of_range`` (numbers past the schema's bounds).
    With the same ``seed`` and the same request order, the same faults fall on the same
    requests. ``faults`` lists what each request got (``"none"`` for a clean answer) and
    ``injected`` counts them.

    Args:
        responder: the clean answers; :func:`schema_responder` by default.

    Example:
        >>> mix = FaultMix(garbage=1.0, server_error=0.0, rate_limit=0.0, timeout=0.0)
        >>> mix({"messages": []}).content in _GARBAGE
        True
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        garbage: float = 0.3,
        server_error: float = 0.1,
        rate_limit: float = 0.1,
        timeout: float = 0.05,
        drop: float = 0.0,
        wrong_shape: float = 0.0,
        out_of_range: float = 0.0,
        seed: int = 0,
        retry_after_s: float = 0.0,
        timeout_delay_s: float = 120.0,
    ) -> None:
        self.rates = {
            "garbage": garbage,
            "server_error": server_error,
            "rate_limit": rate_limit,
            "timeout": timeout,
            "drop": drop,
            "wrong_shape": wrong_shape,
            "out_of_range": out_of_range,
        }
        for name, rate in self.rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"FaultMix: {name}={rate} is not a rate between 0 and 1")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError(f"FaultMix: the rates add up to more than 1 ({self.rates})")
        self.responder = responder or schema_responder(seed)
        self.retry_after_s = retry_after_s
        self.timeout_delay_s = timeout_delay_s
        self.faults: list[str] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            fault = self._draw()
            self.faults.append(fault)
            variant = self._rng.random()
        if fault == "garbage":
            return Reply.text(_GARBAGE[int(variant * len(_GARBAGE))])
        if fault == "server_error":
            return Reply.error(500, "injected server error")
        if fault == "rate_limit":
            return Reply.error(429, "injected rate limit", retry_after=self.retry_after_s)
        if fault == "drop":
            return Reply.dropped()
        clean = _as_reply(self.responder(body))
        if fault == "timeout":
            return Reply(content=clean.content, delay_s=self.timeout_delay_s)
        if fault == "wrong_shape":
            return Reply.json([_loads_or_text(clean.content)] if variant < 0.5 else {"answer": 1})
        if fault == "out_of_range":
            value = _loads_or_text(clean.content)
            schema = requested_schema(body) or {}
            return (
                Reply.json(_push_out_of_range(value, schema)) if isinstance(value, dict) else clean
            )
        return clean

    @property
    def injected(self) -> collections.Counter[str]:
        """How many requests got each fault so far."""
        with self._lock:
            return collections.Counter(self.faults)

    def _draw(self) -> str:
        point, total = self._rng.random(), 0.0
        for name, rate in self.rates.items():
            total += rate
            if point < total:
                return name
        return "none"


def _loads_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _push_out_of_range(value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``value`` with its numbers moved past the schema's bounds (far off if unbounded)."""
    properties = schema.get("properties") or {}
    pushed = dict(value)
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, int | float):
            continue
        bounds = properties.get(key) or {}
        if "maximum" in bounds:
            pushed[key] = bounds["maximum"] + abs(bounds["maximum"]) + 1
        elif "minimum" in bounds:
            pushed[key] = bounds["minimum"] - abs(bounds["minimum"]) - 1
        else:
            pushed[key] = -abs(item) * 1000 - 1e6
    return pushed
