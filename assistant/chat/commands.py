"""Slash commands that drive tuning sessions from a chat box, with no LLM needed.

A :class:`ChatController` lives where the data is (the notebook's kernel): it finds the
user's DataFrames in a namespace, starts a :class:`~assistant.session.TuningSession` in a
background thread (the kernel stays free for the user's cells), and answers status, best,
stop, resume, explain and replay questions from the store. Faces follow the session through
its event stream; the controller only says which session and which store. In review mode
(``/tune ... review=on``) each suggestion waits for ``/accept N``, ``/edit N key=value`` or
``/reject N``, which the controller writes as ``user_action`` events for the session to read.

Example:
    >>> import pandas as pd
    >>> chat = ChatController({"df": pd.DataFrame({"x": [1, 2], "y": [0, 1]})},
    ...                       storage="sqlite:///:memory:")
    >>> chat.handle("/help").text.splitlines()[0]
    'Commands (they work without an LLM):'
    >>> parse_command("/tune df target=churn n_trials=5")
    ('tune', ['df'], {'target': 'churn', 'n_trials': '5'})
"""

from __future__ import annotations

import logging
import shlex
import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from pydantic import BaseModel

from assistant import events
from assistant._deprecation import deprecated_alias
from assistant.errors import AssistantError
from assistant.records import Suggestion
from assistant.store import Store
from assistant.timeline import format_config, format_score

logger = logging.getLogger(__name__)

HELP = """Commands (they work without an LLM):
/tune DF target=COLUMN [metric=roc_auc] [n_trials=20] [model=auto]
      [llm=full|warmstart|off] [isolation=process|inline] [n_folds=5] [seed=0]
      [review=on|off] [review_timeout=SECONDS]   review=on: each suggestion waits for you
/accept N          run trial N's suggestion as proposed (review mode)
/reject N          do not run trial N (it fails as "rejected by the user")
/edit N key=value  run trial N with these parameters changed, e.g. /edit 1 n_neighbors=7
/status            the current session's progress
/best              the best configuration so far
/stop              stop after the trials in flight
/resume [ID]       resume the current session (or session ID) [review=on|off]
/explain N         why trial N was suggested
/replay ID         replay a session from the store (no LLM, no training) and step through it
/help              this list"""

_TUNE_OPTIONS = {
    "target",
    "metric",
    "n_trials",
    "model",
    "llm",
    "isolation",
    "n_folds",
    "seed",
    "review",
    "review_timeout",
}
_RENAMED_OPTIONS = {"trials": "n_trials", "folds": "n_folds"}
"""Old spellings of ``/tune`` options, accepted until the release the reply names."""
_ON = {"on": True, "true": True, "yes": True, "1": True}
_OFF = {"off": False, "false": False, "no": False, "0": False}


class ChatReply(BaseModel):
    """One answer to the chat: text, and what the sidebar should show.

    ``session_id`` and ``storage`` name the session the answer is about (the sidebar follows
    its events); ``view`` is ``"live"`` or ``"replay"``; ``code`` is a cell to insert.
    """

    text: str
    ok: bool = True
    session_id: str | None = None
    storage: str | None = None
    view: str | None = None
    code: str | None = None


def parse_command(text: str) -> tuple[str, list[str], dict[str, str]]:
    """Split ``/name pos key=value`` into ``(name, positional, options)``."""
    parts = shlex.split(text.strip().removeprefix("/"))
    if not parts:
        return "", [], {}
    positional = [p for p in parts[1:] if "=" not in p]
    options = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    return parts[0].lower(), positional, options


class ChatController:
    """Answers chat messages about tuning sessions, for one kernel.

    Args:
        namespace: where the user's variables live (IPython's ``user_ns``).
        storage: the store URL (``None``: ``$ASSISTANT_STORAGE`` or ``./automl-assistant.db``).
        llm_base_url, llm_model: the LLM to use for new sessions (the API key comes from the
            kernel's environment only); neither means the configured default.
        agent: answers messages that are not slash commands (``None``: say how to use them).
        tune_defaults: options for every ``/tune`` that the message does not give
            (``{"llm": "off", "isolation": "inline"}``).
    """

    def __init__(
        self,
        namespace: MutableMapping[str, Any],
        *,
        storage: str | None = None,
        llm_base_url: str | None = None,
        llm_model: str | None = None,
        agent: Callable[[str], ChatReply] | None = None,
        tune_defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.namespace = namespace
        self.storage = storage
        self.llm_base_url = llm_base_url
        self.llm_model = llm_model
        self.agent = agent
        self.tune_defaults = dict(tune_defaults or {})
        self.session_id: str | None = None
        self._store: Store | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.storage)
        return self._store

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, text: str) -> ChatReply:
        """Answer one chat message; errors become a reply that says what to do."""
        text = text.strip()
        try:
            if not text.startswith("/"):
                if self.agent is None:
                    return ChatReply(
                        text="Natural-language chat needs an LLM; the slash commands always "
                        "work. Type /help.",
                        ok=False,
                    )
                return self.agent(text)
            name, positional, options = parse_command(text)
            command = self._commands().get(name)
            if command is None:
                return ChatReply(text=f"Unknown command /{name}. Type /help.", ok=False)
            return command(positional, options)
        except (AssistantError, ValueError, KeyError) as exc:
            logger.info("chat command failed: %s", exc)
            return ChatReply(text=f"Error: {exc}", ok=False)

    def _commands(self) -> dict[str, Callable[[list[str], dict[str, str]], ChatReply]]:
        return {
            "help": lambda _p, _o: ChatReply(text=HELP),
            "tune": self._tune,
            "status": self._status,
            "best": self._best,
            "stop": self._stop,
            "resume": self._resume,
            "explain": self._explain,
            "replay": self._replay,
            "accept": lambda p, o: self._decide("accept", p, o),
            "reject": lambda p, o: self._decide("reject", p, o),
            "edit": lambda p, o: self._decide("edit", p, o),
        }

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background run to end (for tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- commands ----------------------------------------------------------------------------
    def _tune(self, positional: list[str], options: dict[str, str]) -> ChatReply:
        from assistant.api import as_dataset
        from assistant.session import TuningSession

        if self.running:
            raise AssistantError("a session is running here: /stop it first")
        if len(positional) != 1:
            raise AssistantError("say which DataFrame: /tune df target=COLUMN")
        defaults, old_defaults = _renamed_options(self.tune_defaults)
        given, old_given = _renamed_options(options)
        options = {**defaults, **given}
        unknown = set(options) - _TUNE_OPTIONS
        if unknown:
            raise AssistantError(
                f"unknown option(s) {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(sorted(_TUNE_OPTIONS))}"
            )
        name = positional[0]
        if name not in self.namespace:
            frames = ", ".join(self.dataframes()) or "none"
            raise AssistantError(f"no variable {name!r} in the kernel (DataFrames: {frames})")
        mode = options.get("llm", "full")
        if mode not in ("off", "warmstart", "full"):
            raise AssistantError(f"llm={mode!r}: expected full, warmstart or off")
        isolation = options.get("isolation", "process")
        if isolation not in ("process", "inline"):
            raise AssistantError(f"isolation={isolation!r}: expected process or inline")
        review, review_timeout_s = _review_options(options)
        data = as_dataset(self.namespace[name], options.get("target"))
        session = TuningSession.create(
            data,
            tool=options.get("model", "auto"),
            store=self.store,
            metric=options.get("metric"),
            n_trials=_positive_int(options.get("n_trials", "20"), "n_trials"),
            n_folds=_positive_int(options.get("n_folds", "5"), "n_folds"),
            seed=int(options.get("seed", "0")),
            mode=mode,  # type: ignore[arg-type]
            llm=self._llm_config() if mode != "off" else None,
            name=f"{options.get('model', 'auto')} on {name}",
            isolation=isolation,  # type: ignore[arg-type]
        )
        self._start(session, review=review, review_timeout_s=review_timeout_s)
        spec = session.spec
        text = (
            f"Started session {session.id}: {spec.tool}, {spec.metric} ({spec.direction}), "
            f"{spec.n_trials} trials, LLM {spec.mode}."
        )
        if review:
            text += " Review mode: each suggestion waits for /accept, /edit or /reject."
        for old in dict.fromkeys([*old_given, *old_defaults]):
            text += f" Note: {deprecated_alias(f'{old}=', f'{_RENAMED_OPTIONS[old]}=')}."
        return self._about(session.id, text, view="live")

    def _status(self, positional: list[str], _options: dict[str, str]) -> ChatReply:
        from assistant.fold import session_view

        sid = self._session_id(positional)
        record = self.store.get_session(sid)
        view = session_view(self.store, sid)
        counts = view.counts()
        finished = sum(n for status, n in counts.items() if status not in _UNFINISHED)
        text = (
            f"Session {sid} ({record.name}): {record.status}, {finished} of "
            f"{view.n_trials or '?'} trials finished, {counts.get('complete', 0)} complete"
        )
        best = view.best()
        if best is not None:
            text += f"; best {view.metric} {format_score(best.value)} (trial {best.number})"
        return self._about(sid, text + ".", view="live")

    def _best(self, positional: list[str], _options: dict[str, str]) -> ChatReply:
        from assistant.fold import session_view

        sid = self._session_id(positional)
        view = session_view(self.store, sid)
        best = view.best()
        if best is None:
            return self._about(sid, f"Session {sid} has no complete trial yet.")
        metric, score = view.metric, format_score(best.value)
        text = (
            f"Best so far: trial {best.number}, {metric} {score} with {format_config(best.config)}."
        )
        code = (
            "from assistant.tools import get_tool\n"
            f"# session {sid}, trial {best.number}: {metric} {score}\n"
            f"best_config = {best.config!r}\n"
            f"tool = get_tool({view.tool or 'auto'!r})"
        )
        return self._about(sid, text, code=code)

    def _stop(self, positional: list[str], _options: dict[str, str]) -> ChatReply:
        from assistant.session import TuningSession

        sid = self._session_id(positional)
        TuningSession.open(sid, self.store).stop()
        return self._about(sid, f"Asked session {sid} to stop after the trials in flight.")

    def _resume(self, positional: list[str], options: dict[str, str]) -> ChatReply:
        from assistant.session import TuningSession

        if self.running:
            raise AssistantError("a session is already running here")
        review, review_timeout_s = _review_options(options)
        sid = self._session_id(positional)
        session = TuningSession.open(sid, self.store)
        self._start(session, review=review, review_timeout_s=review_timeout_s)
        mode = " in review mode" if review else ""
        return self._about(sid, f"Resumed session {sid}{mode}.", view="live")

    def _decide(self, action: str, positional: list[str], options: dict[str, str]) -> ChatReply:
        """Write a person's decision on trial N's suggestion as a ``user_action`` event."""
        options = dict(options)
        given = options.pop("session", None)
        if len(positional) != 1:
            example = " n_neighbors=7" if action == "edit" else ""
            raise AssistantError(f"say which trial: /{action} 3{example}")
        try:
            number = int(positional[0])
        except ValueError as exc:
            raise AssistantError(f"trial {positional[0]!r}: expected a trial number") from exc
        config = {key: parse_value(value) for key, value in options.items()}
        if action == "edit" and not config:
            raise AssistantError("say what to change: /edit N key=value ...")
        if action != "edit" and config:
            raise AssistantError(
                f"/{action} takes no parameters ({', '.join(sorted(config))}); use /edit"
            )
        sid = self._session_id([given] if given else [])
        from assistant.fold import session_view

        row = session_view(self.store, sid).trials.get(number)
        if row is None or row.suggestion is None:
            raise AssistantError(f"no suggestion for trial {number} of {sid} yet")
        if row.decision is not None or row.status != "suggested":
            raise AssistantError(f"trial {number} of {sid} is already decided")
        decision = events.UserAction(
            action=action,
            trial=number,
            config=config if action == "edit" else None,
        )
        events.emit(self.store, sid, decision)
        done = {
            "accept": f"Accepted trial {number}: it runs as suggested.",
            "reject": f"Rejected trial {number}: it will not run.",
            "edit": f"Trial {number} runs with {format_config(config)} (if the space allows "
            "it; an invalid edit rejects the trial).",
        }
        return self._about(sid, done[action])

    def _explain(self, positional: list[str], options: dict[str, str]) -> ChatReply:
        if not positional:
            raise AssistantError("say which trial: /explain 3")
        number = int(positional[0])
        sid = self._session_id(
            positional[1:] or ([options["session"]] if "session" in options else [])
        )
        from assistant.fold import session_view

        row = session_view(self.store, sid).trials.get(number)
        if row is None or row.suggestion is None:
            raise AssistantError(f"no suggestion recorded for trial {number} of {sid}")
        return self._about(sid, explain_suggestion(number, row.suggestion))

    def _replay(self, positional: list[str], _options: dict[str, str]) -> ChatReply:
        from assistant.replay import replay_session

        if not positional:
            raise AssistantError("say which session: /replay ID")
        sid = positional[0]
        report = replay_session(self.store, sid)
        if report.reproduced:
            verdict = (
                f"reproduced: {report.n_replayed} trials, {report.llm_calls_served} recorded "
                "LLM answers served"
            )
        else:
            div = report.divergence
            where = f" at trial {div.trial_number}" if div and div.trial_number is not None else ""
            verdict = f"diverged{where}: {div.what if div else 'unknown'}"
        return self._about(
            sid, f"Replay of {sid}: {verdict}. Step through it below.", view="replay"
        )

    # -- helpers -----------------------------------------------------------------------------
    def dataframes(self) -> dict[str, list[str]]:
        """The namespace's DataFrames and their columns."""
        return {
            name: [str(c) for c in value.columns]
            for name, value in self.namespace.items()
            if not name.startswith("_") and type(value).__name__ == "DataFrame"
        }

    def _start(
        self, session: Any, *, review: bool = False, review_timeout_s: float | None = None
    ) -> None:
        self.session_id = session.id

        def run() -> None:
            try:
                session.run(review=review, review_timeout_s=review_timeout_s)
            except Exception:
                # The session records its failure as an event; the log keeps the trace.
                logger.exception("session %s failed", session.id)

        with self._lock:
            self._thread = threading.Thread(target=run, name=f"assistant-{session.id}", daemon=True)
            self._thread.start()

    def _session_id(self, positional: list[str]) -> str:
        sid = positional[0] if positional else self.session_id
        if sid is None:
            raise AssistantError("no session yet: start one with /tune, or name one by id")
        return sid

    def _about(self, sid: str, text: str, **fields: Any) -> ChatReply:
        return ChatReply(text=text, session_id=sid, storage=self.store.url, **fields)

    def _llm_config(self) -> Any:
        from assistant.llm.config import resolve_llm_config

        return resolve_llm_config(self.llm_base_url or None, self.llm_model or None)


def explain_suggestion(number: int, suggestion: Suggestion) -> str:
    """A suggestion in words: config, prediction ± uncertainty, source, rationale."""
    lines = [f"Trial {number} was suggested by {suggestion.source}:"]
    lines.append(f"config: {format_config(suggestion.config)}")
    if suggestion.predicted is not None:
        spread = suggestion.stat_std or suggestion.llm_std
        pm = f" ± {format_score(spread)}" if spread is not None else ""
        lines.append(f"predicted score: {format_score(suggestion.predicted)}{pm}")
    if suggestion.rationale:
        lines.append(f"rationale: {suggestion.rationale}")
    if suggestion.fallback:
        lines.append(f"fallback: {suggestion.fallback}")
    return "\n".join(lines)


_UNFINISHED = frozenset({"suggested", "running"})


def parse_value(text: str) -> Any:
    """A ``key=value`` value as the number, bool or ``None`` it looks like, else the text.

    >>> [parse_value(v) for v in ("7", "0.5", "1e-3", "true", "None", "rbf")]
    [7, 0.5, 0.001, True, None, 'rbf']
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _renamed_options(options: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """``options`` under their current names, and the old names it used."""
    current: dict[str, str] = {}
    old: list[str] = []
    for key, value in options.items():
        new = _RENAMED_OPTIONS.get(key)
        if new is None:
            current[key] = value
            continue
        if new in options:
            raise AssistantError(f"{key}= and {new}= say the same thing: give only {new}=")
        current[new] = value
        old.append(key)
    return current, old


def _review_options(options: Mapping[str, str]) -> tuple[bool, float | None]:
    value = options.get("review", "off").lower()
    if value not in _ON and value not in _OFF:
        raise AssistantError(f"review={value!r}: expected on or off")
    timeout = options.get("review_timeout")
    if timeout is None or timeout.lower() in ("", "none"):
        return _ON.get(value, False), None
    try:
        seconds = float(timeout)
    except ValueError as exc:
        raise AssistantError(f"review_timeout={timeout!r}: expected seconds") from exc
    if seconds <= 0:
        raise AssistantError(f"review_timeout={timeout!r}: expected more than 0 seconds")
    return _ON.get(value, False), seconds


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise AssistantError(f"{name}={value!r}: expected a whole number") from exc
    if number < 1:
        raise AssistantError(f"{name}={value!r}: expected at least 1")
    return number
