"""Slash commands that drive tuning sessions from a chat box, with no LLM needed.

A :class:`ChatController` lives where the data is (the notebook's kernel): it finds the
user's DataFrames in a namespace, starts a :class:`~assistant.session.TuningSession` in a
background thread (the kernel stays free for the user's cells), and answers status, best,
stop, resume, explain and replay questions from the store. Faces follow the session through
its event stream; the controller only says which session and which store. In review mode
(``/tune ... review=on``) each suggestion waits for ``/accept N``, ``/edit N key=value`` or
``/reject N``, which the controller writes as ``user_action`` events for the session to read.

A message that is not a slash command is understood as one by
:func:`~assistant.chat.intent.parse_request` (rules first, the configured LLM only for what
they leave open). A question (status, best, explain, replay, help) runs at once; anything
that starts, stops or decides is *proposed*: the reply carries the command, and ``/run`` runs
it. With a strong LLM endpoint and an :attr:`ChatController.agent`, the agent answers
instead, under the same rule.

Example:
    >>> import pandas as pd
    >>> chat = ChatController({"df": pd.DataFrame({"x": [1, 2], "y": [0, 1]})},
    ...                       storage="sqlite:///:memory:")
    >>> chat.handle("/help").text.splitlines()[0]
    'Commands (they work without an LLM):'
    >>> parse_command("/tune df target=churn n_trials=5")
    ('tune', ['df'], {'target': 'churn', 'n_trials': '5'})
    >>> reply = chat.handle("train a random forest on df")
    >>> reply.command, reply.proposed
    ('/tune df target=y model=random_forest', True)
"""

from __future__ import annotations

import logging
import shlex
import threading
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from assistant import events
from assistant._deprecation import deprecated_alias
from assistant.engine.families import strip_config
from assistant.errors import AssistantError
from assistant.records import LLMBudget, Suggestion
from assistant.store import Store
from assistant.timeline import format_config, format_score

if TYPE_CHECKING:
    from assistant.chat.intent import IntentContext, ParsedRequest
    from assistant.llm.base import LLMClient, LLMResponse, Message

logger = logging.getLogger(__name__)

HELP = """Commands (they work without an LLM):
/tune DF target=COLUMN [metric=roc_auc] [n_trials=20] [model=auto]
      [llm=full|warmstart|off] [isolation=process|inline] [n_folds=5] [seed=0]
      [review=on|off] [review_timeout=SECONDS]   review=on: each suggestion waits for you
      [llm_budget=tokens:N,seconds:S,usd:D]       the most the LLM calls may cost
/accept N          run trial N's suggestion as proposed (review mode)
/reject N          do not run trial N (it fails as "rejected by the user")
/edit N key=value  run trial N with these parameters changed, e.g. /edit 1 n_neighbors=7
/status            the current session's progress
/best              the best configuration so far
/stop              stop after the trials in flight
/resume [ID]       resume the current session (or session ID) [review=on|off]
/explain N         why trial N was suggested
/replay ID         replay a session from the store (no LLM, no training) and step through it
/run               run the command proposed for a plain-language message
/help              this list
Plain language works too, e.g. "tune a gradient-boosted model on df for ROC-AUC, 40 trials":
questions (status, best, explain, replay, help) are answered at once; what starts, stops or
decides is proposed as a command, and runs only when you type /run."""

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
    "llm_budget",
}
_RENAMED_OPTIONS = {"trials": "n_trials", "folds": "n_folds"}
"""Old spellings of ``/tune`` options, accepted until the release the reply names."""
_ON = {"on": True, "true": True, "yes": True, "1": True}
_OFF = {"off": False, "false": False, "no": False, "0": False}


class ChatReply(BaseModel):
    """One answer to the chat: text, and what the sidebar should show.

    ``session_id`` and ``storage`` name the session the answer is about (the sidebar follows
    its events); ``view`` is ``"live"`` or ``"replay"``; ``code`` is a cell to insert.
    ``command`` is the slash command a plain-language message was understood as (run, or
    with ``proposed`` waiting for ``/run``: the sidebar shows it as a card to run or edit);
    ``ran_proposal`` says the message ran (or tried to run) the pending proposal, as ``/run``
    or a plain "yes" does, so the sidebar spends its card.
    """

    text: str
    ok: bool = True
    session_id: str | None = None
    storage: str | None = None
    view: str | None = None
    code: str | None = None
    command: str | None = None
    proposed: bool = False
    ran_proposal: bool = False


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
        agent: answers messages that are not slash commands when the LLM is a configured
            endpoint and model (not the embedded one); ``None``: the request parser answers.
        tune_defaults: options for every ``/tune`` that the message does not give
            (``{"llm": "off", "isolation": "inline"}``).
        intent_llm: the LLM the request parser asks for what its rules leave open:
            ``"auto"`` (the configured one, embedded by default; started on the first message
            that needs it), ``"off"`` (rules only) or an ``LLMClient``. Its calls are recorded
            in the store outside any session, with ``purpose="chat_intent"``.
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
        intent_llm: LLMClient | Literal["auto", "off"] = "auto",
    ) -> None:
        self.namespace = namespace
        self.storage = storage
        self.llm_base_url = llm_base_url
        self.llm_model = llm_model
        self.agent = agent
        self.tune_defaults = dict(tune_defaults or {})
        self.intent_llm = intent_llm
        self.session_id: str | None = None
        self.proposal: str | None = None
        """The command proposed last, which ``/run`` runs."""
        self._intent_client: _ChatLLM | None = None
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
                return self._plain(text)
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
            "run": self._run,
        }

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background run to end (for tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- plain language ---------------------------------------------------------------------
    def _plain(self, text: str) -> ChatReply:
        """A message in words: a plain "yes" to a pending proposal runs it (as ``/run``);
        else the agent on a strong endpoint, else the request parser."""
        if self.proposal is not None and _confirms(text):
            return self._run([], {})
        if self.agent is not None and self.intent_llm == "auto" and self._strong_llm():
            return self.agent(text)
        from assistant.chat.intent import parse_request

        return self.answer(parse_request(text, self.intent_context(), self._intent_llm()))

    def answer(self, request: ParsedRequest) -> ChatReply:
        """Run a read-only request, propose any other, or ask the request's question."""
        from assistant.chat.intent import READ_ONLY

        if request.command is None:
            # ok=False: nothing ran and nothing is proposed (the text asks what is missing)
            return ChatReply(text=request.question or "", ok=False)
        note = _request_note(request)
        if request.intent not in READ_ONLY:
            return self.propose(request.command, note)
        reply = self.handle(request.command)
        text = f"Ran {request.command}. {note}".rstrip() + "\n" + reply.text
        return reply.model_copy(update={"text": text, "command": request.command})

    def propose(self, command: str, note: str = "") -> ChatReply:
        """Keep ``command`` for ``/run`` and say what it would do (errors: a reply that says so).

        What the command names is checked now (the DataFrame and column, the session), so a
        proposal that cannot run says why before anyone types ``/run``.
        """
        try:
            self._check(command)
        except AssistantError as exc:
            return ChatReply(text=f"Error: {exc}", ok=False, command=command)
        self.proposal = command
        verb = "start it" if command.startswith(("/tune", "/resume")) else "do it"
        text = f"I would run:\n{command}\n{note}Type /run (or yes) to {verb}, or edit the command."
        fields = (
            {"session_id": self.session_id, "storage": self.store.url} if self.session_id else {}
        )
        return ChatReply(text=text, command=command, proposed=True, **fields)

    def intent_context(self) -> IntentContext:
        """What the request parser may know: the kernel's DataFrames, the tools and metrics,
        the current session's trials and those awaiting a decision."""
        from assistant.chat.intent import IntentContext
        from assistant.fold import session_view

        trials: list[int] = []
        pending: list[int] = []
        if self.session_id is not None:
            rows = session_view(self.store, self.session_id).trials
            trials = sorted(rows)
            pending = [
                n for n, row in sorted(rows.items())
                if row.status == "suggested" and row.suggestion is not None and row.decision is None
            ]  # fmt: skip
        return IntentContext.for_kernel(
            self.dataframes(), session_id=self.session_id, trials=trials, pending=pending
        )

    def _run(self, positional: list[str], options: dict[str, str]) -> ChatReply:
        if positional or options:
            raise AssistantError("/run takes no arguments: it runs the command proposed last")
        command, self.proposal = self.proposal, None
        if command is None:
            return ChatReply(
                text="Nothing to run: no command is proposed. Ask in words (e.g. 'tune a random "
                "forest on df') or type a slash command (/help).",
                ok=False,
            )
        reply = self.handle(command)
        return reply.model_copy(update={"command": command, "ran_proposal": True})

    def _check(self, command: str) -> None:
        """Raise what running ``command`` would certainly raise about the names it uses."""
        name, positional, options = parse_command(command)
        if name not in self._commands() or name == "run":
            raise AssistantError(f"unknown command /{name}")
        if name == "tune":
            frames = self.dataframes()
            frame = positional[0] if positional else ""
            if frame not in frames:
                listed = ", ".join(frames) or "none"
                raise AssistantError(f"no variable {frame!r} in the kernel (DataFrames: {listed})")
            target = options.get("target")
            if target not in frames[frame]:
                raise AssistantError(f"{frame} has no column {target!r}")
        elif name in ("stop", "accept", "reject", "edit") or (name == "resume" and not positional):
            self._session_id(positional if name in ("stop", "resume") else [])

    def _strong_llm(self) -> bool:
        """Whether the configured LLM is an endpoint and model (not the embedded one)."""
        from assistant.llm.config import resolve_llm_config

        config = resolve_llm_config(self.llm_base_url or None, self.llm_model or None)
        return not config.embedded and bool(config.model)

    def _intent_llm(self) -> LLMClient | None:
        from assistant.llm.recording import RecordingClient

        if self.intent_llm == "off":
            return None
        if self.intent_llm != "auto":
            if isinstance(self.intent_llm, RecordingClient):
                return self.intent_llm
            return RecordingClient(self.intent_llm, self.store, session_id=None)
        key = (self.llm_base_url or None, self.llm_model or None)
        if self._intent_client is None or self._intent_client.key != key:
            self._intent_client = _ChatLLM(key, self.store)
        return self._intent_client

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
        budget = LLMBudget.parse(options["llm_budget"]) if "llm_budget" in options else None
        with warnings.catch_warnings(record=True) as caught:  # the sidebar shows no stderr
            warnings.simplefilter("always")
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
            llm_budget=budget,
        )
        self._start(session, review=review, review_timeout_s=review_timeout_s)
        spec = session.spec
        text = (
            f"Started session {session.id}: {spec.tool}, {spec.metric} ({spec.direction}), "
            f"{spec.n_trials} trials, LLM {spec.mode}."
        )
        if spec.llm_budget is not None:
            text += f" LLM budget: {spec.llm_budget.describe()}."
        for warning in caught:
            text += f" Data: {warning.message}."
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
            of = f"{best.family}, " if best.family else ""
            text += f"; best {view.metric} {format_score(best.value)} ({of}trial {best.number})"
        race = view.race
        if race is not None and race.chosen is not None:
            text += f". {race.chosen.line()}"
        elif race is not None and race.rungs:
            text += f". Racing {', '.join(race.rungs[-1].survivors)} after rung {len(race.rungs)}"
        return self._about(sid, text + ".", view="live")

    def _best(self, positional: list[str], _options: dict[str, str]) -> ChatReply:
        from assistant.fold import session_view

        sid = self._session_id(positional)
        view = session_view(self.store, sid)
        best = view.best()
        if best is None:
            return self._about(sid, f"Session {sid} has no complete trial yet.")
        metric, score = view.metric, format_score(best.value)
        # A race's trials name their parameters family__name; the family's tool takes name.
        tool = best.family or view.tool or "auto"
        config = strip_config(best.config, best.family) if best.family else best.config
        of = f" ({best.family})" if best.family else ""
        text = f"Best so far: trial {best.number}{of}, {metric} {score}"
        text += f" with {format_config(config)}."
        code = (
            "from assistant.tools import get_tool\n"
            f"# session {sid}, trial {best.number}: {metric} {score}\n"
            f"best_config = {config!r}\n"
            f"tool = get_tool({tool!r})"
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
            from assistant.create import optuna_quiet

            try:
                with optuna_quiet():  # the sidebar shows the trials, not Optuna's log lines
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


class _ChatLLM:
    """The parser's LLM, made on its first call: the embedded model starts only when a message
    needs it, and a model that could not start is not started again for every message."""

    def __init__(self, key: tuple[str | None, str | None], store: Store) -> None:
        self.key = key
        self.store = store
        self._client: LLMClient | None = None
        self._error: str | None = None

    @property
    def model_name(self) -> str:
        return self._client.model_name if self._client is not None else (self.key[1] or "")

    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        from assistant.errors import LLMError, LLMUnavailableError
        from assistant.llm import RecordingClient, make_client, resolve_llm_config

        if self._error is not None:
            raise LLMUnavailableError(f"the chat's LLM did not start: {self._error}")
        if self._client is None:
            config = resolve_llm_config(*self.key, timeout_s=30.0, max_retries=1, output_retries=1)
            try:
                inner = make_client(config)
            except LLMError as exc:
                self._error = f"{type(exc).__name__}: {exc}"
                raise
            self._client = RecordingClient(inner, self.store, session_id=None)
        return self._client.complete(messages, schema, **params)


CONFIRMATIONS = frozenset(
    {"yes", "y", "ok", "okay", "sure", "go", "go ahead", "run", "run it", "do it", "start",
     "start it", "yes please", "yes run it", "yes do it", "please do", "confirm"}
)  # fmt: skip
"""Replies that confirm the proposal pending (compared without case or end punctuation)."""


def _confirms(text: str) -> bool:
    return text.strip().lower().rstrip(".!").strip() in CONFIRMATIONS


def _request_note(request: ParsedRequest) -> str:
    """What the reply should say about how a message was understood: what the LLM decided
    (to check), what the rules assumed, and an LLM that could not answer."""
    parts = []
    if request.from_llm:
        them = "it" if len(request.from_llm) == 1 else "them"
        parts.append(f"The LLM decided the {', '.join(request.from_llm)}: check {them}.")
    if request.notes:
        parts.append(f"({'; '.join(request.notes)}.)")
    if request.llm_error:
        parts.append(
            f"(The LLM could not answer, so the rules alone read this: {request.llm_error}.)"
        )
    return " ".join(parts) + "\n" if parts else ""


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
