"""Plain-language chat requests, understood as one canonical slash command.

:func:`parse_request` reads what is certain with rules: from the message (keywords, tool and
metric synonyms, trial counts, trial numbers, session ids, ``key=value`` pairs) and from the
kernel (its DataFrames and their columns, the registered tools and metrics, the current
session and its trials). It asks an LLM only for what the rules leave open: the intent when
no keyword decides it, or a slot the message points at that the rules could not map (a
target described in words, one of several DataFrames, an unknown model or metric name). The
LLM answers a JSON schema whose fields are enums of those same lists, so whatever it says is
a valid command. Without an LLM the rules alone answer, and an open slot becomes a question.

Example:
    >>> context = IntentContext(frames={"df": ["age", "income", "churn"]},
    ...                         tools={"hist_gradient_boosting": "gradient boosted trees"},
    ...                         metrics={"roc_auc": "area under the ROC curve"})
    >>> request = parse_request("tune a gradient-boosted model on df to predict churn for "
    ...                         "ROC-AUC, 40 trials", context)
    >>> request.command
    '/tune df target=churn model=hist_gradient_boosting metric=roc_auc n_trials=40'
    >>> request.proposed, request.sources["model"]
    (True, 'rules')
"""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from assistant.errors import LLMError
from assistant.llm.base import LLMClient, Message

logger = logging.getLogger(__name__)

Intent = Literal[
    "tune", "status", "best", "stop", "resume", "explain", "accept", "reject", "edit",
    "replay", "help",
]  # fmt: skip
INTENTS: tuple[str, ...] = get_args(Intent)
OTHER = "other"
"""The LLM's answer for a request that is none of the intents."""
READ_ONLY: frozenset[str] = frozenset({"status", "best", "explain", "help", "replay"})
"""Intents that change nothing: the chat runs them at once. The others are proposed."""
Source = Literal["rules", "llm"]
PURPOSE = "chat_intent"
"""The ``purpose`` of the parser's LLM calls in the store."""

_SESSION_INTENTS = frozenset({"status", "best", "stop", "resume", "explain", "accept", "reject",
                              "edit"})  # fmt: skip
_TRIAL_INTENTS = frozenset({"explain", "accept", "reject", "edit"})
_DECISIONS = frozenset({"accept", "reject", "edit"})
_GENERIC_TARGETS = ("target", "label", "labels", "y", "class", "outcome", "response")
_TUNE_OPTIONS = ("target", "model", "metric", "n_trials", "n_folds", "review", "llm")
_RENAMED = {"trials": "n_trials", "folds": "n_folds"}


class IntentContext(BaseModel):
    """What the kernel knows, for the rules and for the LLM's enums.

    ``tools`` and ``metrics`` map each name to a short description (the LLM reads it);
    ``trials`` are the current session's trial numbers, ``pending`` those awaiting a decision.
    """

    frames: dict[str, list[str]] = Field(default_factory=dict)
    tools: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, str] = Field(default_factory=dict)
    session_id: str | None = None
    trials: list[int] = Field(default_factory=list)
    pending: list[int] = Field(default_factory=list)

    @classmethod
    def for_kernel(cls, frames: Mapping[str, list[str]], **fields: Any) -> IntentContext:
        """A context with the registered tools and metrics (``fields`` fill the rest)."""
        from assistant.tools import list_metrics, list_tools

        fields.setdefault("tools", {t.name: t.family or t.description for t in list_tools()})
        fields.setdefault("metrics", {m.name: m.description for m in list_metrics()})
        return cls(frames=dict(frames), **fields)


class Slots(BaseModel):
    """The arguments a request gave (``None``: not given)."""

    dataframe: str | None = None
    target: str | None = None
    model: str | None = None
    metric: str | None = None
    n_trials: int | None = None
    n_folds: int | None = None
    review: bool | None = None
    llm: Literal["full", "warmstart", "off"] | None = None
    trial: int | None = None
    session: str | None = None
    changes: dict[str, str] = Field(default_factory=dict)


class ParsedRequest(BaseModel):
    """How a plain-language message was understood.

    ``command`` is the one canonical slash command it stands for, or ``None`` with a
    ``question`` (a slot is missing or ambiguous, or the request was not understood:
    ``intent`` is then ``None``). ``sources`` says, for ``intent`` and each slot given,
    whether the rules or the LLM decided it; ``llm_fields`` are what the LLM was asked.
    """

    text: str
    intent: Intent | None = None
    slots: Slots = Field(default_factory=Slots)
    sources: dict[str, Source] = Field(default_factory=dict)
    command: str | None = None
    question: str | None = None
    notes: list[str] = Field(default_factory=list)
    llm_fields: list[str] = Field(default_factory=list)
    llm_error: str | None = None

    @property
    def proposed(self) -> bool:
        """Whether the command changes something, so it waits for the user's ``/run``."""
        return self.command is not None and self.intent not in READ_ONLY

    @property
    def from_llm(self) -> list[str]:
        """The fields the LLM decided, in the order of the command."""
        return [n for n in ("intent", *Slots.model_fields) if self.sources.get(n) == "llm"]


# -- the vocabulary ------------------------------------------------------------------------
def _words(pattern: str) -> re.Pattern[str]:
    """``pattern`` as whole words of the flattened text."""
    return re.compile(rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])")


# Checked longest match first, so "pytorch mlp" beats "mlp" and "balanced accuracy" beats
# "accuracy". Each maps to a registered name; names the kernel has not registered are skipped.
_TOOL_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("torch_cnn", r"(?:py)?torch cnn|cnns?|conv(?:olutional)? ?(?:neural )?net(?:work)?s?"
                  r"|convnets?"),
    ("torch_mlp", r"(?:py)?torch (?:mlp|neural net(?:work)?s?|multi ?layer perceptrons?)"),
    ("hist_gradient_boosting", r"hist(?:ogram)? gradient boost(?:ing|ed)?(?: trees?)?"
                               r"|gradient ?boost(?:ing|ed)?(?: (?:decision )?trees?)?"
                               r"|boosted (?:decision )?trees?|boosting|gbms?|gbdt|gbt|hgbt?"
                               r"|xgboost|xgb|lightgbm|lgbm|catboost"),
    ("random_forest", r"random ?forests?|rf|forests?"),
    ("svm", r"svms?|svc|svr|support vector(?: machines?| classifiers?| regress(?:ion|or))?"),
    ("knn", r"k ?nn|k ?nearest neighbou?rs?|nearest neighbou?rs?|k ?neighbou?rs"),
    ("logistic", r"logistic(?: regression)?|logreg|logit"),
    ("linear", r"linear (?:regression|model)|ridge(?: regression)?|least squares|ols"),
    ("mlp", r"mlps?|multi ?layer perceptrons?|perceptrons?|neural net(?:work)?s?"),
)  # fmt: skip
_METRIC_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("balanced_accuracy", r"balanced acc(?:uracy)?"),
    ("roc_auc", r"roc ?auc|auc ?roc|au ?roc|auc|area under (?:the )?(?:roc )?curve|roc"),
    ("log_loss", r"log ?loss|cross ?entropy|logarithmic loss|(?:negative )?log likelihood"),
    ("f1", r"f1(?: score| measure)?|f score|f measure"),
    ("accuracy", r"accuracy|acc"),
    ("rmse", r"rmse|root mean squared? error|rms error|mse|mean squared error"),
    ("mae", r"mae|mean absolute error|absolute error"),
    ("r2", r"r2|r\^2|r squared|coefficient of determination"),
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "twenty five": 25,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "eighty": 80, "a hundred": 100,
    "one hundred": 100, "hundred": 100,
}  # fmt: skip
_NUMBER = r"\d+|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
_COUNT = _words(
    rf"(?P<n>{_NUMBER})(?: more)? (?:trials?|runs?|iterations?|evaluations?|configs?"
    r"|configurations?|attempts?|tries|rounds?|candidates?)|budget (?:of )?(?P<b>\d+)"
)
_FOLDS = _words(rf"(?P<n>{_NUMBER}) ?folds?")
_LLM_OFF = _words(
    r"no (?:llm|ai)|without (?:the |an |any )?(?:llm|ai|language model)|llm off|(?:purely )?"
    r"statistical(?:ly)?(?: search)? only|only (?:the )?statistical(?: search)?"
)
_LLM_WARMSTART = _words(r"(?:llm )?warm ?start only|only (?:the |an )?(?:llm )?warm ?start")
_REVIEW = _words(
    r"review(?: mode| each| every)?|let me (?:approve|check|confirm|review)|ask me (?:first"
    r"|before)|approve each|one (?:suggestion )?at a time"
)
_TRIAL = _words(
    r"(?:trial|suggestion|config(?:uration)?) (?:number |no |# ?)?(?P<n>\d+)|# ?(?P<h>\d+)"
    r"|(?:explain|accept|reject|approve|edit|decline|skip) (?P<v>\d+)"
)
_LAST_TRIAL = _words(r"(?:last|latest|newest|most recent|previous) (?:trial|suggestion)")
_SESSION_ID = re.compile(r"(?<![\w-])\d{8}-\d{6}-[0-9a-f]{6}(?![\w-])")
_OPTION = re.compile(r"(?<![\w-])([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^\s,;]+)")
_SET_TO = re.compile(
    r"(?<![\w-])(?:set|change|make|use)\s+([A-Za-z_][A-Za-z0-9_]*)\s+(?:to|=)\s+([^\s,;]+)"
)
_NOT_PARAMS = frozenset({"trial", "it", "the", "this", "that", "suggestion", "config"})
_TARGET_CUE = _words(
    r"predict(?:s|ing|ion of)?|forecast(?:s|ing)?|classify(?:ing)?|estimat(?:e|es|ing)"
    r"|guess(?:ing)?|target(?: column| variable)?(?: is| =| :)?|label(?: column)?(?: is| =| :)?"
)
_AS_TARGET = re.compile(r"([a-z0-9 ]+?) as (?:the )?(?:target|label)(?![a-z0-9])")
_CUE_STOP = re.compile(
    r" (?:on|in|from|with|using|for|and|by|as|via|over|within|at|to|into|of the data)(?![a-z0-9])"
    r"|[,.;:?!()]"
)
_CUE_LEAD = re.compile(r"^(?:(?:the|a|an|whether|if|which|what|its|their|column|col|field"
                       r"|variable) )+")  # fmt: skip
_MODEL_CUE = re.compile(
    r"(?<![a-z0-9])([a-z][a-z0-9+]*) (?:models?|classifiers?|regressors?|algorithms?"
    r"|estimators?|learners?)(?![a-z0-9])"
)
_GENERIC_MODEL_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an the any best good my your our this that new first last which what some one ml "
        "machine learning predictive simple strong fast quick small big decent nice great "
        "better final same other different classification regression tuned trained another "
        "single baseline default current winning top whole",
    )
)
_METRIC_CUE = _words(
    r"metric|scoring|scored by|measured by|judged by|precision|recall|specificity|sensitivity"
    r"|mape|kappa|mcc|brier|gini|error rate"
)

# Intents by keyword, checked in this order (the first that matches decides).
_EDIT = _words(r"edit|modify|tweak|alter")
_CHANGE = _words(r"change|set|use")
_REJECT = _words(
    r"reject|decline|veto|skip|refuse|don't (?:run|try)|do not (?:run|try)|dont (?:run|try)"
    r"|say no"
)
_ACCEPT = _words(r"accept|approve|looks good|lgtm|run (?:it |trial \d+ |the suggestion )?as "
                 r"(?:is|suggested|proposed)")  # fmt: skip
_EXPLAIN = _words(r"explain|why|reason(?:ing)?|rationale|justif(?:y|ication)|how come")
_REPLAY = _words(r"replay|re play|play (?:it |the session )?back|step through|rewind")
_STOP = _words(
    r"stop|halt|abort|cancel|kill|terminate|interrupt|pause|enough|quit|shut (?:it )?down"
    r"|end (?:the|this) (?:run|session|tuning|search)"
)
_RESUME = _words(
    r"resume|continue|carry on|keep (?:going|tuning|running)|pick (?:it |\S+ \S+ )?up|unpause"
    r"|start (?:it |the session )?again"
)
_POLITE = (
    r"(?:(?:ok|okay|so|now|please|hey|hi|then|and|can you|could you|would you|will you"
    r"|let's|lets|let us|i want to|i'd like to|i would like to|i need to|i wanna|help me|go"
    r"|try to|pls|plz|quickly|just) )*"
)
_TUNE_NOW = re.compile(rf"^{_POLITE}(?:tune|train|fit|optimi[sz]e|build)(?![a-z0-9])")
_TUNE_MAYBE = re.compile(
    rf"^{_POLITE}(?:run|make|create|start|launch|kick off|set up|setup|do|find|search|get"
    r"|give me)(?![a-z0-9])"
)
_SO_FAR = _words(r"so far|yet|current(?:ly)?|until now|at the moment|right now")
_BEST = _words(r"best|top|winner|winning|leader|leading|highest|strongest|optimal|champion")
_STATUS = _words(
    r"status|progress|going|how far|how many|done|finished|complete|over yet|still running"
    r"|running|update|where are we|what's happening|whats happening|eta|how long|state"
    r"|how did (?:it|that|the (?:run|session|tuning|search)) go|how (?:it|that) went"
)
_HELP = _words(
    r"help|what can you do|what do you do|commands?|how do i|how can i|how to|how does"
    r"|usage|examples?|instructions|guide|manual|what can i (?:say|type|ask)"
)
_GREETING = re.compile(
    r"^(?:hello|hi|hey|hiya|yo|good (?:morning|afternoon|evening)|thanks|thank you|cheers)"
    r"(?: there| assistant)?[\s!.,?]*$"
)
_TUNE = _words(
    r"tune|tuning|train|training|fit|fitting|optimi[sz]e|optimi[sz]ation|hyper ?parameters?"
    r"|hpo|automl|predict|predicting|classify|forecast|search|model (?:on|for|to)"
)


def flatten(text: str) -> str:
    """The text the rules read: lower case, ``_``/``-`` and runs of spaces as one space.

    >>> flatten("Tune a Gradient-Boosted  model, n_trials=4, R²")
    'tune a gradient boosted model, n trials=4, r2'
    """
    text = text.lower().replace("²", "2").replace("’", "'")
    return re.sub(r"[\s_\-]+", " ", text).strip()


# -- reading with rules --------------------------------------------------------------------
@dataclass
class _Reading:
    """The parse so far: slots and their sources, what the LLM is to be asked, notes."""

    text: str
    flat: str
    context: IntentContext
    slots: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    pending: dict[str, list[str]] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    masked: str = ""
    said: set[str] = field(default_factory=set)
    intent: str | None = None
    llm_fields: list[str] = field(default_factory=list)
    llm_error: str | None = None

    def set(self, name: str, value: Any, source: Source = "rules", *, said: bool = True) -> None:
        """Fill a slot; ``said``: the message named it (not only the kernel implied it)."""
        self.slots[name] = value
        self.sources[name] = source
        self.pending.pop(name, None)
        if said:
            self.said.add(name)

    def note(self, slot: str, text: str) -> None:
        """Say how a slot was read (shown only when the slot matters to the intent)."""
        self.notes.append((slot, text))

    def mask(self, match: re.Match[str]) -> None:
        """Hide a name from the intent keywords (a column called "status" is no question)."""
        self.masked = (
            self.masked[: match.start()] + "_" * len(match.group()) + self.masked[match.end() :]
        )

    @property
    def tune_signal(self) -> bool:
        """Whether the message named something only a new run needs."""
        named = {"dataframe", "target", "model", "metric", "n_trials"}
        return bool(self.said & named) or any(k in self.pending for k in ("target", "model",
                                                                          "metric"))  # fmt: skip


def parse_request(
    text: str, context: IntentContext, client: LLMClient | None = None
) -> ParsedRequest:
    """Understand ``text`` as one slash command, asking ``client`` only for what is left.

    ``client`` is any :class:`~assistant.llm.base.LLMClient` (wrap it in a
    :class:`~assistant.llm.RecordingClient` to keep the calls); its calls carry
    ``purpose="chat_intent"``. Without one, or when it fails, the rules alone answer.
    """
    reading = _read(text, context)
    if reading.pending and client is not None:
        _ask_llm(reading, client)
    return _finish(reading)


def _read(text: str, context: IntentContext) -> _Reading:
    r = _Reading(text=text, flat=flatten(text), context=context)
    r.masked = r.flat
    options = _options(text)
    _read_frame(r, options)
    _read_target(r, options)
    _read_model(r, options)
    _read_metric(r, options)
    _read_counts(r, options)
    _read_llm_mode(r, options)
    _read_trial_and_session(r)
    _read_changes(r, options)
    intent = _keyword_intent(r)
    if intent is not None:
        r.intent = intent
        r.sources["intent"] = "rules"
    else:
        r.pending = {"intent": [*INTENTS, OTHER], **_tune_pending(r)}
    if r.intent is not None and r.intent != "tune":
        for name in ("dataframe", "target", "model", "metric"):
            r.pending.pop(name, None)
    return r


def _tune_pending(r: _Reading) -> dict[str, list[str]]:
    """The tune slots to ask along with the intent: only where the message points at one."""
    if not r.tune_signal:
        return {}
    return {k: v for k, v in r.pending.items() if k in ("dataframe", "target", "model", "metric")}


def _options(text: str) -> dict[str, tuple[str, int]]:
    """``key=value`` pairs of the raw text (old option names renamed), with their positions."""
    found: dict[str, tuple[str, int]] = {}
    for match in _OPTION.finditer(text):
        key = _RENAMED.get(match.group(1).lower(), match.group(1))
        found[key] = (match.group(2).rstrip(".!?"), match.start())
    return found


def _mentions(flat: str, name: str) -> list[re.Match[str]]:
    return list(_words(re.escape(flatten(name))).finditer(flat))


_FRAME_CUE = re.compile(r"(?:on|in|from|with|using|over|of|the|dataframe|frame|data|called"
                        r"|named) $")  # fmt: skip
_VERBS = frozenset({"train", "fit", "tune", "search", "build", "predict", "test", "run"})


def _read_frame(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    frames = r.context.frames
    mentioned = []
    for name in frames:
        for match in _mentions(r.flat, name):
            # "train a model on train": a frame named like a verb counts after "on", "the"...
            if flatten(name) in _VERBS and not _FRAME_CUE.search(r.flat[: match.start()]):
                continue
            mentioned.append(name)
            r.mask(match)
            break
    if len(mentioned) == 1:
        r.set("dataframe", mentioned[0])
    elif len(frames) == 1 and not mentioned:
        r.set("dataframe", next(iter(frames)), said=False)
        r.note("dataframe", f"DataFrame {next(iter(frames))}: the only one in the kernel")
    elif frames:
        r.pending["dataframe"] = mentioned or list(frames)


def _columns(r: _Reading) -> list[str]:
    """The columns a target may be: the chosen frame's, else every frame's."""
    frame = r.slots.get("dataframe")
    if frame is not None:
        return list(r.context.frames[frame])
    return list(dict.fromkeys(c for cols in r.context.frames.values() for c in cols))


def _read_target(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    columns = _columns(r)
    if not columns:
        return
    if "target" in options:
        value = options["target"][0]
        if value in columns:
            r.set("target", value)
        else:
            r.note("target", f"target={value} is not a column here")
        return
    cued, cue_seen = _cued_targets(r.flat, columns)
    if len(cued) == 1:
        return _set_target(r, cued[0])
    if cued:
        r.pending["target"] = cued
        return
    mentioned = [c for c in columns if _mentions(r.flat, c)]
    if len(mentioned) == 1 and not cue_seen:
        return _set_target(r, mentioned[0])
    if mentioned or cue_seen:
        r.pending["target"] = mentioned if mentioned and not cue_seen else _last_first(columns)
        return
    generic = [c for c in columns if flatten(c) in _GENERIC_TARGETS]
    if len(generic) == 1 and r.slots.get("dataframe") is not None:
        r.set("target", generic[0], said=False)
        r.note("target", f"target={generic[0]}: the only target-like column")


def _last_first(columns: list[str]) -> list[str]:
    """Columns for the LLM to choose a target from, the last first: a label is most often
    the last column, and a small model leans to the first choices it reads."""
    return list(reversed(columns))


def _set_target(r: _Reading, column: str) -> None:
    r.set("target", column)
    for match in _mentions(r.flat, column):
        r.mask(match)
    if r.slots.get("dataframe") is None:
        owners = [name for name, cols in r.context.frames.items() if column in cols]
        if len(owners) == 1:
            r.set("dataframe", owners[0], said=False)
            r.note("dataframe", f"DataFrame {owners[0]}: the only one with a column {column}")


def _cued_targets(flat: str, columns: list[str]) -> tuple[list[str], bool]:
    """Columns named right after "predict", "target is"… (or before "as the target"), and
    whether such a cue was there at all."""
    phrases = []
    for match in _TARGET_CUE.finditer(flat):
        rest = flat[match.end() :].lstrip(" =:")
        stop = _CUE_STOP.search(" " + rest)
        phrase = _CUE_LEAD.sub("", (" " + rest)[: stop.start() if stop else None].strip())
        if phrase:
            phrases.append(phrase)
    phrases += [m.group(1).strip() for m in _AS_TARGET.finditer(flat)]
    found: list[str] = []
    for phrase in phrases:
        found += _columns_in_phrase(phrase, columns)
    return list(dict.fromkeys(found)), bool(phrases)


def _columns_in_phrase(phrase: str, columns: list[str]) -> list[str]:
    """The column the phrase starts (or, for "… as the target", ends) with; else the columns
    its first word is a prefix or a word of ("churn" → "churned", "is_churn")."""
    keyed = sorted(((flatten(c), c) for c in columns), key=lambda kc: -len(kc[0]))
    for key, column in keyed:
        if re.match(rf"{re.escape(key)}(?![a-z0-9])", phrase) or phrase.endswith(" " + key):
            return [column]
        if phrase == key:
            return [column]
    word = phrase.split()[0]
    if len(word) < 3:
        return []
    return [c for k, c in keyed if word in k.split() or (len(word) >= 4 and k.startswith(word))]


def _synonym_hits(
    flat: str, synonyms: Iterable[tuple[str, str]], known: Iterable[str]
) -> list[tuple[str, int, int]]:
    """Non-overlapping ``(name, start, end)`` hits of the synonyms, longest first."""
    known = set(known)
    hits = [
        (rank, name, m.start(), m.end())
        for rank, (name, pattern) in enumerate(synonyms)
        if name in known
        for m in _words(pattern).finditer(flat)
    ]
    chosen: list[tuple[str, int, int]] = []
    # Longest first; on a tie the earlier synonym (a registered name before a built-in one).
    for _rank, name, start, end in sorted(hits, key=lambda h: (h[2] - h[3], h[0])):
        if all(end <= c[1] or start >= c[2] for c in chosen):
            chosen.append((name, start, end))
    return sorted(chosen, key=lambda h: h[1])


def _tool_synonyms(tools: Iterable[str]) -> list[tuple[str, str]]:
    """The built-in synonyms, plus every registered name and registry alias as itself."""
    from assistant.tools.registry import ALIASES

    own = [(name, re.escape(flatten(name))) for name in tools]
    aliases = [(name, re.escape(flatten(alias))) for alias, name in ALIASES.items()]
    return [*own, *aliases, *_TOOL_SYNONYMS]


def _read_model(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    tools = list(r.context.tools)
    synonyms = _tool_synonyms(tools)
    if "model" in options:
        value = options["model"][0]
        hits = _synonym_hits(flatten(value), synonyms, tools)
        if value == "auto" or len(hits) != 1:
            r.note("model", f"model={value}: not a registered tool, so /tune decides")
            return
        r.set("model", hits[0][0])
        return
    names = list(dict.fromkeys(name for name, _s, _e in _synonym_hits(r.flat, synonyms, tools)))
    if len(names) == 1:
        r.set("model", names[0])
    elif names:
        r.note("model", f"several models named ({', '.join(names)}); one session tunes one")
        r.pending["model"] = names
    elif any(m.group(1) not in _GENERIC_MODEL_WORDS for m in _MODEL_CUE.finditer(r.flat)):
        r.pending["model"] = tools


def _read_metric(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    metrics = list(r.context.metrics)
    if "metric" in options:
        value = options["metric"][0]
        hits = _synonym_hits(flatten(value), _METRIC_SYNONYMS, metrics)
        if len(hits) == 1:
            r.set("metric", hits[0][0])
        elif value in metrics:
            r.set("metric", value)
        else:
            r.note("metric", f"metric={value}: not a known metric, so the task's default is used")
        return
    names = list(dict.fromkeys(h[0] for h in _synonym_hits(r.flat, _METRIC_SYNONYMS, metrics)))
    if len(names) == 1:
        r.set("metric", names[0])
    elif names:
        r.pending["metric"] = names
    elif _METRIC_CUE.search(r.flat):
        r.pending["metric"] = metrics


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def _read_counts(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    for name, pattern in (("n_trials", _COUNT), ("n_folds", _FOLDS)):
        if name in options and options[name][0].isdigit():
            r.set(name, int(options[name][0]))
            continue
        match = pattern.search(r.flat)
        if match is not None:
            value = _number(match.group("n") or match.group("b"))
            if value > 0:
                r.set(name, value)
    review = options.get("review", ("", 0))[0].lower()
    if review in ("on", "true", "yes") or (not review and _REVIEW.search(r.flat)):
        r.set("review", True)


def _read_llm_mode(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    """``llm=off`` or words for it ("no LLM", "statistical search only", "warm start only")."""
    given = options.get("llm", ("", 0))[0].lower()
    if given in ("full", "warmstart", "off"):
        r.set("llm", given)
    elif _LLM_OFF.search(r.flat):
        r.set("llm", "off")
        r.note("llm", "the LLM off: statistical search only")
    elif _LLM_WARMSTART.search(r.flat):
        r.set("llm", "warmstart")
        r.note("llm", "the LLM for the warm start only")


def _read_trial_and_session(r: _Reading) -> None:
    match = _TRIAL.search(r.flat)
    if match is not None:
        r.set("trial", int(match.group("n") or match.group("h") or match.group("v")))
    elif _LAST_TRIAL.search(r.flat) and r.context.trials:
        r.set("trial", max(r.context.trials), said=False)
        r.note("trial", f"trial {max(r.context.trials)}: the last one")
    session = _SESSION_ID.search(r.text)
    if session is not None:
        r.set("session", session.group())


def _read_changes(r: _Reading, options: Mapping[str, tuple[str, int]]) -> None:
    """``key=value`` and "set key to value" pairs that are not tune options: an edit."""
    found = [(pos, k, v) for k, (v, pos) in options.items() if k not in (*_TUNE_OPTIONS,
                                                                          "session")]  # fmt: skip
    found += [
        (m.start(), m.group(1), m.group(2).rstrip(".!?"))
        for m in _SET_TO.finditer(r.text)
        if m.group(1).lower() not in _NOT_PARAMS and m.group(1) not in options
    ]
    if found:
        r.set("changes", {k: v for _pos, k, v in sorted(found)})


def _keyword_intent(r: _Reading) -> str | None:
    m = r.masked
    has_trial = "trial" in r.slots
    new_run = r.tune_signal and not _SO_FAR.search(m)
    if _TUNE_NOW.search(m) or (_TUNE_MAYBE.search(m) and new_run):
        return "tune"
    if _EDIT.search(m) or ("changes" in r.slots and (has_trial or _CHANGE.search(m))):
        return "edit"
    for intent, pattern in (("reject", _REJECT), ("accept", _ACCEPT), ("explain", _EXPLAIN),
                            ("replay", _REPLAY), ("stop", _STOP), ("resume", _RESUME)):  # fmt: skip
        if pattern.search(m):
            return intent
    for intent, pattern in (("best", _BEST), ("status", _STATUS), ("help", _HELP)):
        if pattern.search(m):
            return intent
    if _GREETING.match(m):
        return "help"  # a greeting is answered with what the chat can do
    if _TUNE.search(m) or new_run:
        return "tune"
    return None


# -- asking the LLM for what is left --------------------------------------------------------
_SYSTEM = (
    "You read a request typed in the chat of an AutoML assistant in a Jupyter notebook and "
    "fill in JSON fields. Choose every field from its allowed values."
)
_INTENT_HELP = (
    "tune = start tuning a model on a DataFrame; status = progress of the running session; "
    "best = the best configuration so far; stop = stop the session; resume = continue a "
    "stopped session; explain = why a trial was suggested; accept, reject, edit = decide on "
    "a suggested trial; replay = replay a past session; help = list the commands; other = "
    "none of these"
)


def _prompt(r: _Reading) -> str:
    known = ", ".join(
        f"{name}={r.slots[name]}" for name in ("dataframe", "target", "model", "metric",
                                               "n_trials", "trial") if name in r.slots
    )  # fmt: skip
    if r.intent is not None:
        known = f"intent={r.intent}" + (f", {known}" if known else "")
    return _request_text(r.text, known, r.pending, r.context)


def _request_text(
    text: str, known: str, pending: Mapping[str, list[str]], context: IntentContext
) -> str:
    lines = [f"Request: {text}", f"Understood so far: {known or 'nothing'}.", "Fill in:"]
    for name, choices in pending.items():
        lines.append(f"- {name}: {_describe(context, name, choices)}")
    return "\n".join(lines)


def _describe(context: IntentContext, name: str, choices: list[str]) -> str:
    if name == "intent":
        return _INTENT_HELP
    if name == "dataframe":
        frames = "; ".join(f"{f} (columns: {', '.join(context.frames[f][:40])})" for f in choices)
        return f"the DataFrame to tune on, one of: {frames}"
    if name == "target":
        return f"the column to predict, one of: {', '.join(choices[:80])}"
    table = context.tools if name == "model" else context.metrics
    return f"the {name}, one of: " + "; ".join(f"{c} ({table.get(c, '')})" for c in choices)


# One worked example in the same format, with the same fields, before the real request: a
# small model copies the form of an answer far better than it follows a description.
_EXAMPLE_FRAMES = {"people": ["id", "age", "height", "weight"], "cities": ["name", "population"]}
_EXAMPLE_TUNE = "fit a forest on people to guess how heavy they are, judged by absolute error"
_EXAMPLE_OTHER = "what a nice day"
_EXAMPLE_ANSWERS = {"dataframe": "people", "target": "weight", "model": "random_forest",
                    "metric": "mae"}  # fmt: skip


def _example(r: _Reading) -> list[Message]:
    """The worked example for the fields pending. When only the intent is, the example is
    none of the intents: a model that just copies the example then changes nothing, and the
    rules' answer (a question) stands."""
    if list(r.pending) == ["intent"]:
        question = _request_text(_EXAMPLE_OTHER, "", r.pending, r.context)
        return [
            Message(role="user", content=question),
            Message(role="assistant", content=json.dumps({"intent": OTHER})),
        ]
    context = r.context.model_copy(update={"frames": _EXAMPLE_FRAMES})
    pending: dict[str, list[str]] = {}
    answer: dict[str, str] = {}
    for name, choices in r.pending.items():
        if name == "intent":
            pending[name], answer[name] = choices, "tune"
        elif name == "dataframe":
            pending[name], answer[name] = list(_EXAMPLE_FRAMES), "people"
        elif name == "target":
            pending[name], answer[name] = _last_first(_EXAMPLE_FRAMES["people"]), "weight"
        else:
            pending[name] = choices
            wanted = _EXAMPLE_ANSWERS[name]
            answer[name] = wanted if wanted in choices else choices[0]
    return [
        Message(role="user", content=_request_text(_EXAMPLE_TUNE, "", pending, context)),
        Message(role="assistant", content=json.dumps(answer)),
    ]


def _schema(pending: Mapping[str, list[str]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "enum": list(choices)} for name, choices in pending.items()
        },
        "required": list(pending),
        "additionalProperties": False,
    }


def _ask_llm(r: _Reading, client: LLMClient) -> None:
    r.llm_fields = list(r.pending)
    messages = [
        Message(role="system", content=_SYSTEM),
        *_example(r),
        Message(role="user", content=_prompt(r)),
    ]
    try:
        response = client.complete(
            messages,
            _schema(r.pending),
            temperature=0.0,
            max_tokens=24 * len(r.pending) + 16,
            purpose=PURPOSE,
        )
    except LLMError as exc:
        logger.info("chat intent: the LLM could not answer: %s", exc)
        r.llm_error = f"{type(exc).__name__}: {exc}"
        return
    _apply_answer(r, response.parsed or {})


def _apply_answer(r: _Reading, answer: Mapping[str, Any]) -> None:
    """Take each field the LLM answered from its choices; anything else is left open."""
    for name, choices in list(r.pending.items()):
        value = answer.get(name)
        if value not in choices:
            r.note(name, f"the LLM's {name} {value!r} is not one of the choices: ignored")
        elif name == "intent":
            if value == "tune" and not r.tune_signal:
                # The small model says "tune" to almost anything: a new run needs the message
                # to name something to tune (data, target, model, metric or a trial count).
                r.note("intent", "the LLM's intent tune has nothing in the message to tune on")
            elif value != OTHER:
                r.intent = value
                r.sources["intent"] = "llm"
            r.pending.pop(name)
        elif name != "target":  # the target is checked against the frame, below
            r.set(name, value, "llm")
    target = answer.get("target")
    if "target" in r.pending and target in r.pending["target"]:
        frame = r.slots.get("dataframe")
        if frame is not None and target in r.context.frames.get(frame, []):
            r.set("target", target, "llm")
        else:
            r.note("target", f"the LLM's target {target!r} is not a column of {frame}: ignored")


# -- the answer ---------------------------------------------------------------------------
def _finish(r: _Reading) -> ParsedRequest:
    slots = Slots(**{k: v for k, v in r.slots.items() if k in Slots.model_fields})
    intent = r.intent if r.intent in INTENTS else None
    sources = {k: v for k, v in r.sources.items() if _relevant(intent, k)}
    if intent is None:  # say back only what the message named
        sources = {k: v for k, v in sources.items() if k in r.said or v == "llm"}
    else:
        sources = {"intent": r.sources["intent"], **sources}
    if intent == "tune":
        for name in ("model", "metric"):
            if name in r.pending:
                r.note(name, f"{name}: not understood, so /tune uses its default")
    slots = Slots(**{k: getattr(slots, k) for k in sources if k in Slots.model_fields})
    result = ParsedRequest(
        text=r.text,
        intent=intent,
        slots=slots,
        sources=sources,
        notes=[text for slot, text in r.notes if slot == "intent" or _relevant(intent, slot)],
        llm_fields=r.llm_fields,
        llm_error=r.llm_error,
    )
    question = _missing(result, r.context)
    if question is not None:
        result.question = question
    else:
        result.command = render_command(result.intent, result.slots)  # type: ignore[arg-type]
    return result


_SLOTS_OF: dict[str, tuple[str, ...]] = {
    "tune": ("dataframe", "target", "model", "metric", "n_trials", "n_folds", "review", "llm"),
    "resume": ("session", "review"),
    "edit": ("trial", "session", "changes"),
    "help": (),
}


def _relevant(intent: str | None, slot: str) -> bool:
    if intent is None:
        return slot in ("dataframe", "target", "model", "metric", "n_trials")
    if intent in ("explain", "accept", "reject"):
        return slot in ("trial", "session")
    return slot in _SLOTS_OF.get(intent, ("session",))


def _missing(request: ParsedRequest, context: IntentContext) -> str | None:
    """The question to ask when a required slot is open, else ``None``."""
    intent, s = request.intent, request.slots
    llm = f" (The LLM could not help: {request.llm_error}.)" if request.llm_error else ""
    if intent is None:
        return _not_understood(request, context) + llm
    if intent == "tune":
        return _tune_question(s, context, llm)
    if intent in _DECISIONS and s.trial is None and len(context.pending) == 1:
        s.trial = context.pending[0]
        request.sources["trial"] = "rules"
        request.notes.append(f"trial {s.trial}: the one suggestion awaiting a decision")
    if intent in _SESSION_INTENTS and s.session is None and context.session_id is None:
        return (
            "There is no session yet: start one with /tune DF target=COLUMN (or ask, e.g. "
            "'tune a random forest on df'), or name a session by id."
        )
    if intent == "replay" and s.session is None:
        if context.session_id is None:
            return "Which session? For example: /replay 20261201-101500-a1b2c3"
        s.session = context.session_id
        request.sources["session"] = "rules"
        request.notes.append(f"session {s.session}: the current one")
    if intent in _TRIAL_INTENTS and s.trial is None:
        known = f" (trials {min(context.trials)}–{max(context.trials)})" if context.trials else ""
        example = " n_neighbors=7" if intent == "edit" else ""
        return f"Which trial{known}? For example: /{intent} 3{example}"
    if intent == "edit" and not s.changes:
        return f"What should change in trial {s.trial}? For example: /edit {s.trial} key=value"
    return None


def _tune_question(s: Slots, context: IntentContext, llm: str) -> str | None:
    if not context.frames:
        return (
            "There is no DataFrame in the kernel yet: load one (df = pd.read_csv(...)), then "
            "ask again, or type /tune df target=COLUMN."
        )
    if s.dataframe is None:
        example = render_command("tune", s.model_copy(update={
            "dataframe": next(iter(context.frames)), "target": s.target or "COLUMN"}))  # fmt: skip
        names = ", ".join(context.frames)
        return f"Which DataFrame should I tune on? The kernel has {names}. For example: " \
            f"{example}{llm}"  # fmt: skip
    if s.target is None:
        columns = context.frames[s.dataframe]
        shown = ", ".join(columns[:25]) + (", …" if len(columns) > 25 else "")
        example = render_command("tune", s.model_copy(update={"target": "COLUMN"}))
        return (
            f"Which column of {s.dataframe} should the model predict? Its columns: {shown}. "
            f"For example: {example}{llm}"
        )
    return None


def _not_understood(request: ParsedRequest, context: IntentContext) -> str:
    s = request.slots
    parts = [
        f"{label} {value}"
        for label, value in (("DataFrame", s.dataframe), ("target", s.target),
                             ("model", s.model), ("metric", s.metric), ("trials", s.n_trials))
        if value is not None
    ]  # fmt: skip
    understood = f" (I understood: {', '.join(parts)})" if parts else ""
    frame = s.dataframe or next(iter(context.frames), "df")
    example = render_command(
        "tune", s.model_copy(update={"dataframe": frame, "target": s.target or "COLUMN"})
    )
    return (
        f"I could not tell what to do from that{understood}. For example: {example}, "
        "or /status, /best, /explain 3. Type /help for every command."
    )


def render_command(intent: Intent, slots: Slots) -> str:
    """The canonical slash command for ``intent`` with ``slots``.

    >>> render_command("tune", Slots(dataframe="df", target="mean radius", n_trials=5))
    "/tune df target='mean radius' n_trials=5"
    >>> render_command("edit", Slots(trial=3, changes={"n_neighbors": "7"}))
    '/edit 3 n_neighbors=7'
    """
    q = shlex.quote
    if intent == "tune":
        parts = ["/tune", q(slots.dataframe or "DF"), f"target={q(slots.target or 'COLUMN')}"]
        for name in ("model", "metric", "n_trials", "n_folds", "llm"):
            value = getattr(slots, name)
            if value is not None:
                parts.append(f"{name}={q(str(value))}")
        if slots.review:
            parts.append("review=on")
        return " ".join(parts)
    parts = [f"/{intent}"]
    if intent in _TRIAL_INTENTS:
        parts.append(str(slots.trial))
        if intent == "edit":
            parts += [f"{k}={q(v)}" for k, v in slots.changes.items()]
        if slots.session is not None:
            parts.append(slots.session if intent == "explain" else f"session={slots.session}")
    elif intent != "help" and slots.session is not None:
        parts.append(slots.session)
    if intent == "resume" and slots.review:
        parts.append("review=on")
    return " ".join(parts)
