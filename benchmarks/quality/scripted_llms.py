"""Scripted LLMs (clearly not language models) that answer the engine's schemas from a task's
reference table: an oracle, an adversary, and noise.

- **oracle**: proposes configurations drawn from the best 5% of the reference table and, as a
  surrogate, predicts each candidate's score from its nearest reference neighbour (in the
  unit cube) plus a little noise.
- **adversarial**: proposes from the worst 20% and predicts inverted scores (the best
  neighbours are predicted worst).
- **noise**: a valid random instance of each schema (:func:`schema_responder`).

Proposals answer the engine's proposal schema (``config_1..config_n`` plus ``rationale``);
numeric parameters are offered as an ``enum`` grid, so each reference value is mapped to the
nearest allowed value (on the log scale for log parameters). Surrogate requests (``c1..ck``
→ number) are answered by parsing the candidates from the prompt's ``- cN: name=value, …``
lines.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from assistant.space import CategoricalParam, SearchSpace
from assistant.testing import Reply, Responder, requested_schema, schema_responder
from benchmarks.quality.reference import Reference
from benchmarks.quality.suite import Task

Role = Literal["oracle", "adversarial"]
ORACLE_SHARE = 0.05
ADVERSARY_SHARE = 0.20
NOISE_SHARE = 0.05  # surrogate noise, as a share of the reference scores' spread

_CANDIDATE = re.compile(r"^\s*-\s*(c\d+):\s*(.+?)\s*$", re.MULTILINE)
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,]+)')


def parse_candidates(prompt: str) -> dict[str, dict[str, Any]]:
    """The candidate configurations listed in a surrogate prompt, by key.

    >>> parse_candidates('- c1: C=0.5, kernel="rbf"\\n- c2: C=10, kernel="linear"')
    {'c1': {'C': 0.5, 'kernel': 'rbf'}, 'c2': {'C': 10, 'kernel': 'linear'}}
    """
    out: dict[str, dict[str, Any]] = {}
    for key, text in _CANDIDATE.findall(prompt):
        config: dict[str, Any] = {}
        for name, raw in _PAIR.findall(text):
            config[name] = _parse_value(raw.strip())
        out[key] = config
    return out


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)  # numbers, quoted strings, true/false/null
    except ValueError:
        return raw


def _nearest_allowed(space: SearchSpace, name: str, value: Any, allowed: list[Any]) -> Any:
    if not allowed:
        return value
    if name not in space:
        return allowed[0]
    param = space[name]
    if isinstance(param, CategoricalParam) or isinstance(value, str | bool) or value is None:
        return value if value in allowed else allowed[0]
    numeric = [a for a in allowed if isinstance(a, int | float) and not isinstance(a, bool)]
    if not numeric:
        return allowed[0]
    if param.log and value > 0:
        return min(numeric, key=lambda a: abs(math.log(max(a, 1e-300)) - math.log(value)))
    return min(numeric, key=lambda a: abs(a - value))


def snap_to_schema(
    space: SearchSpace, config: Mapping[str, Any], config_schema: Mapping[str, Any]
) -> dict[str, Any]:
    """``config`` with each value replaced by the nearest value the schema allows."""
    out: dict[str, Any] = {}
    for name, spec in (config_schema.get("properties") or {}).items():
        value = config.get(name)
        allowed = spec.get("enum") if isinstance(spec, Mapping) else None
        out[name] = _nearest_allowed(space, name, value, list(allowed)) if allowed else value
    return out


class ReferenceResponder:
    """A responder (request body → reply) answering from a task's reference table.

    Args:
        task: the task whose space the requests use.
        reference: its reference table.
        role: ``"oracle"`` or ``"adversarial"``.
        seed: makes the draws and the noise reproducible.
    """

    def __init__(self, task: Task, reference: Reference, role: Role, seed: int = 0) -> None:
        self.task = task
        self.space = task.space
        self.role = role
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        order = reference.order()
        n = len(order)
        if role == "oracle":
            self._pool = [int(i) for i in order[: max(1, round(ORACLE_SHARE * n))]]
        else:
            self._pool = [int(i) for i in order[n - max(1, round(ADVERSARY_SHARE * n)) :]]
        self._configs = reference.configs
        self._values = np.asarray(reference.values, dtype=float)
        self._unit = reference.unit(task)
        self._noise = NOISE_SHARE * float(self._values.std())
        self.proposals = 0
        self.predictions = 0

    def __call__(self, body: dict[str, Any]) -> Reply | str | dict[str, Any]:
        schema = requested_schema(body) or {}
        props = schema.get("properties") or {}
        with self._lock:
            if any(k.startswith("config_") for k in props):
                return self._propose(props)
            if props and all(re.fullmatch(r"c\d+", k) for k in props):
                prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
                return self._score(list(props), prompt)
        return Reply.error(400, "scripted reference LLM: unexpected request")

    def _propose(self, props: Mapping[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        keys = [k for k in props if k.startswith("config_")]
        picks = self._rng.choice(self._pool, size=len(keys), replace=len(keys) > len(self._pool))
        for key, index in zip(keys, picks, strict=True):
            answer[key] = snap_to_schema(self.space, self._configs[int(index)], props[key])
        self.proposals += len(keys)
        share = ORACLE_SHARE if self.role == "oracle" else ADVERSARY_SHARE
        side = "best" if self.role == "oracle" else "worst"
        answer["rationale"] = f"scripted {self.role}: the {side} {share:.0%} of the reference table"
        return answer

    def predict(self, config: Mapping[str, Any]) -> float:
        """The (noisy, for the adversary inverted) prediction for one configuration."""
        report = self.space.validate_config(dict(config))
        if report.config is None:
            return float(np.median(self._values))
        point = np.asarray(self.space.to_unit(report.config))
        nearest = int(np.argmin(((self._unit - point) ** 2).sum(axis=1)))
        value = float(self._values[nearest])
        if self.role == "adversarial":
            value = float(self._values.max() + self._values.min() - value)
        return value + float(self._rng.normal(0.0, self._noise))

    def _score(self, keys: list[str], prompt: str) -> dict[str, Any]:
        candidates = parse_candidates(prompt)
        self.predictions += len(keys)
        return {k: self.predict(candidates.get(k, {})) for k in keys}


def responder_for(kind: str, task: Task, reference: Reference, seed: int) -> Responder:
    """The responder of a scripted method: ``oracle``, ``adversarial`` or ``noise``."""
    if kind == "noise":
        return schema_responder(seed)
    if kind in ("oracle", "adversarial"):
        return ReferenceResponder(task, reference, kind, seed)  # type: ignore[arg-type]
    raise ValueError(f"unknown scripted LLM {kind!r}: use oracle, adversarial or noise")
