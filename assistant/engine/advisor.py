"""The LLM's three jobs in LLAMBO: zero-shot warm start, target-conditioned proposals, and
surrogate scoring. Prompts come from ``prompts/``; answers are schema-constrained JSON and
validated against the search space before the engine sees them. LLM output is only ever
data: parsed numbers and choices, never code."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from assistant.context import ProblemContext
from assistant.engine.history import Observation, completed, select_examples
from assistant.errors import LLMOutputError
from assistant.llm.base import LLMClient, Message
from assistant.prompting import render
from assistant.space import CategoricalParam, IntParam, SearchSpace

logger = logging.getLogger(__name__)

MAX_FEATURES_SHOWN = 30
RATIONALE_CHARS = 240
"""The rationale cap of sessions recorded before it was an engine option (see
``EngineOptions.llm_rationale_chars``); calls that do not say keep it."""
_FIXES = frozenset({"range", "snapped"})


class Proposal(BaseModel):
    """Configurations the LLM proposed, already validated, and what was wrong with the rest."""

    configs: list[dict[str, Any]] = Field(default_factory=list)
    rationale: str = ""
    rejected: list[str] = Field(default_factory=list)
    repaired: list[str] = Field(
        default_factory=list, description="values snapped or clipped into the space, per config"
    )


class LLMAdvisor:
    """Asks the LLM for configurations and predictions about one problem.

    Args:
        client: any :class:`~assistant.llm.base.LLMClient`.
        space: the search space proposals must fall in.
        context: the problem description the LLM reads.
        value_grid: when set, numeric parameters are offered as a closed list of this many
            values (grammar-enforced by servers that support enums), which keeps weak models'
            answers valid; ``None`` lets the model write any number within the bounds (for
            strong endpoints): answers are snapped onto the space, a number past a bound is
            clipped to it, and each such fix is listed in :attr:`Proposal.repaired`.
        max_examples: how many past trials a prompt shows at most.
        temperature: sampling temperature for every call.
    """

    def __init__(
        self,
        client: LLMClient,
        space: SearchSpace,
        context: ProblemContext,
        *,
        value_grid: int | None = 11,
        max_examples: int = 16,
        temperature: float = 0.7,
    ) -> None:
        self.client = client
        self.space = space
        self.context = context
        self.value_grid = value_grid
        self.max_examples = max_examples
        self.temperature = temperature

    # -- prompts and schemas -----------------------------------------------------------
    def _messages(self, template: str, **values: Any) -> list[Message]:
        user = render(
            template,
            ctx=self.context,
            space=self.space,
            max_features=MAX_FEATURES_SHOWN,
            **values,
        )
        return [
            Message(role="system", content=render("system.j2")),
            Message(role="user", content=user),
        ]

    def _plausible(self, low: float, high: float) -> tuple[float, float]:
        """``[low, high]`` narrowed to the scores the metric can take."""
        if self.context.metric_low is not None:
            low = max(low, self.context.metric_low)
        if self.context.metric_high is not None:
            high = min(high, self.context.metric_high)
        return low, max(low, high)

    def _value_schema(self, name: str) -> dict[str, Any]:
        param = self.space[name]
        if isinstance(param, CategoricalParam):
            return {"enum": list(param.choices)}
        if self.value_grid:
            return {"enum": self.space.grid(name, self.value_grid)}
        # Bounds guide the model; servers that cannot enforce them (llama.cpp's grammar)
        # leave it to :meth:`_parse_proposal`, which clips what falls outside.
        kind = "integer" if isinstance(param, IntParam) else "number"
        return {"type": kind, "minimum": param.low, "maximum": param.high}

    def _config_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: self._value_schema(name) for name in self.space.names},
            "required": self.space.names,
            "additionalProperties": False,
        }

    def _proposal_schema(self, n: int, rationale_chars: int) -> dict[str, Any]:
        config = self._config_schema()
        properties: dict[str, Any] = {f"config_{i + 1}": config for i in range(n)}
        # llama.cpp's schema grammar enforces maxLength: a small model that rambles is cut
        # off there instead of spending tokens (and seconds) up to max_tokens.
        properties["rationale"] = {"type": "string", "maxLength": rationale_chars}
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def examples(
        self,
        history: Sequence[Observation],
        rng: np.random.Generator,
        *,
        chronological: bool = False,
    ) -> list[dict[str, Any]]:
        """The few-shot examples for one step, in shuffled order, or oldest first when
        ``chronological``.

        A step's calls should share one list: identical prompt prefixes let llama.cpp (and
        hosted endpoints with prompt caching) skip re-reading them, which is most of a small
        model's latency. Shuffled, the order changes from step to step, so each step's first
        call reads all examples again; chronological, the next step's prompt extends this
        one's list (while every trial is shown), and only the new trials are read.
        """
        shown = select_examples(self.space, history, self.max_examples, rng)
        if chronological:
            shown = sorted(shown, key=lambda o: o.number)
        return [{"text": self.space.format_config(o.config), "score": o.score} for o in shown]

    def _call(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        purpose: str,
        rng: np.random.Generator,
        max_tokens: int,
    ) -> dict[str, Any]:
        response = self.client.complete(
            messages,
            schema,
            temperature=self.temperature,
            max_tokens=max_tokens,
            seed=int(rng.integers(0, 2**31 - 1)),
            purpose=purpose,
        )
        if response.parsed is None:
            raise LLMOutputError(f"{purpose}: the answer was not a JSON object", response.text)
        return response.parsed

    def _proposal_tokens(self, n: int) -> int:
        return 96 + n * (8 + 14 * len(self.space))

    def _parse_proposal(
        self, answer: Mapping[str, Any], n: int, rationale_chars: int = RATIONALE_CHARS
    ) -> Proposal:
        proposal = Proposal(rationale=str(answer.get("rationale", ""))[:rationale_chars].strip())
        # A free number just past a bound is a strong model's slip, kept clipped; on a grid,
        # an out-of-range value means the model ignored the list: rejected.
        tolerated = {"range"} if self.value_grid is None else set()
        for i in range(n):
            raw = answer.get(f"config_{i + 1}")
            report = self.space.validate_config(raw if isinstance(raw, Mapping) else {})
            severe = [x for x in report.issues if x.severe and x.kind not in tolerated]
            if report.config is None or severe:
                problems = "; ".join(f"{x.param}: {x.message}" for x in severe)
                proposal.rejected.append(f"config_{i + 1}: {problems or 'unusable'}")
                continue
            proposal.configs.append(report.config)
            fixes = [f"{x.param}: {x.message}" for x in report.issues if x.kind in _FIXES]
            if fixes:
                proposal.repaired.append(f"config_{i + 1}: {'; '.join(fixes)}")
        if proposal.repaired:
            logger.info("LLM proposals fixed into the space: %s", proposal.repaired)
        return proposal

    # -- the three jobs ----------------------------------------------------------------
    def warmstart(
        self, n: int, rng: np.random.Generator, *, rationale_chars: int = RATIONALE_CHARS
    ) -> Proposal:
        """Zero-shot: ``n`` configurations from the problem description alone, with a
        rationale of at most ``rationale_chars`` characters."""
        messages = self._messages("warmstart.j2", n=n)
        schema = self._proposal_schema(n, rationale_chars)
        answer = self._call(messages, schema, "warmstart", rng, self._proposal_tokens(n))
        return self._parse_proposal(answer, n, rationale_chars)

    def propose(
        self,
        history: Sequence[Observation],
        target: float,
        n: int,
        rng: np.random.Generator,
        examples: list[dict[str, Any]] | None = None,
        *,
        rationale_chars: int = RATIONALE_CHARS,
        chronological: bool = False,
    ) -> Proposal:
        """``n`` configurations expected to reach ``target`` (a score in the metric's units,
        kept within the metric's range: no prompt asks for a ROC-AUC of 1.02), with a
        rationale of at most ``rationale_chars`` characters. ``chronological`` says the
        examples are oldest first (see :meth:`examples`); the prompt then names the count
        after the list, so the list begins right after the problem."""
        done = completed(history)
        best = max(done, key=lambda o: o.utility or 0.0)
        target = float(np.clip(target, *self._plausible(-np.inf, np.inf)))
        messages = self._messages(
            "propose.j2",
            examples=examples
            if examples is not None
            else self.examples(history, rng, chronological=chronological),
            chronological=chronological,
            shown=min(len(done), self.max_examples),
            total=len(done),
            best=best.score,
            target=target,
            n=n,
        )
        schema = self._proposal_schema(n, rationale_chars)
        answer = self._call(messages, schema, "propose", rng, self._proposal_tokens(n))
        return self._parse_proposal(answer, n, rationale_chars)

    def score(
        self,
        history: Sequence[Observation],
        candidates: Sequence[Mapping[str, Any]],
        rng: np.random.Generator,
        n_samples: int = 2,
        examples: list[dict[str, Any]] | None = None,
        *,
        chronological: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted utility mean and spread for each candidate (LLM as surrogate).

        ``n_samples`` answers are sampled (each with its own seed); their spread is the
        uncertainty. The examples keep the step's order, so the prompt prefix is shared with
        the step's proposal call (``chronological`` as in :meth:`propose`). Answers are
        clipped to a plausible band around the observed scores, so one absurd number cannot
        dominate, and to the metric's own range (a ROC-AUC above 1 is not a prediction).
        """
        done = completed(history)
        scores = np.array([o.score for o in done], dtype=float)
        low, high = float(scores.min()), float(scores.max())
        span = max(high - low, 1e-6)
        floor_, ceiling = self._plausible(low - span, high + span)
        keys = [f"c{i + 1}" for i in range(len(candidates))]
        schema = {
            "type": "object",
            "properties": {k: {"type": "number"} for k in keys},
            "required": keys,
            "additionalProperties": False,
        }
        listed = [
            {"key": k, "text": self.space.format_config(c)}
            for k, c in zip(keys, candidates, strict=True)
        ]
        messages = self._messages(
            "surrogate.j2",
            examples=examples
            if examples is not None
            else self.examples(history, rng, chronological=chronological),
            chronological=chronological,
            shown=min(len(done), self.max_examples),
            total=len(done),
            candidates=listed,
        )
        samples = []
        for _ in range(max(1, n_samples)):
            answer = self._call(messages, schema, "surrogate", rng, 24 + 12 * len(keys))
            row = []
            for k in keys:
                value = answer.get(k)
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not np.isfinite(value)
                ):
                    raise LLMOutputError(f"surrogate: {k} is not a number: {value!r}")
                row.append(float(np.clip(value, floor_, ceiling)))
            samples.append(row)
        predictions = np.array(samples)
        sign = 1.0 if self.context.direction == "maximize" else -1.0
        mean = sign * predictions.mean(axis=0)
        floor = 0.25 * float(np.std(scores)) if len(scores) > 1 else 0.25 * span
        spread = np.maximum(predictions.std(axis=0), max(floor, 1e-9))
        return mean, spread
