"""Scripted LLMs (clearly not language models) that answer the engine's schemas from a task's
reference table: an oracle, an adversary, LLMs of graded quality and a plausible misleader.

- **oracle**: proposes configurations drawn from the best 5% of the reference table and, as a
  surrogate, predicts each candidate's score from its nearest reference neighbour (in the
  unit cube) plus a little noise.
- **adversarial**: proposes from the worst 20% and predicts inverted scores (the best
  neighbours are predicted worst).
- **graded** (``rho_<ρ>``): holds a noisy belief about every reference configuration whose
  correlation with the true score is about ρ (a Gaussian copula: normal scores of the true
  ranks mixed with independent normal noise, ``ρ·z + √(1−ρ²)·ε``, mapped back through the
  reference scores' own quantiles, so the beliefs have exactly the real scores' spread).
  It predicts a candidate's score as its nearest neighbour's belief, and proposes from the
  top 5% of the table ranked by belief. ρ = 0 is the **noise** LLM: a random ranking whose
  predictions span the real score range.
- **misleader**: plausible but wrong. It proposes from the 60th–85th percentile of the table
  (good-looking, never the best) and predicts those configurations near the table's best
  score; the truly better configurations it predicts at the 60th percentile, the rest
  truthfully, so its ranking of the bulk of the table is right and earns it trust.

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
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata

from assistant.space import CategoricalParam, SearchSpace
from assistant.testing import Reply, Responder, requested_schema
from benchmarks.quality.reference import Reference
from benchmarks.quality.suite import Task

Role = Literal["oracle", "adversarial"]
ORACLE_SHARE = 0.05
ADVERSARY_SHARE = 0.20
NOISE_SHARE = 0.05  # surrogate noise, as a share of the reference scores' spread
GRADED_SHARE = 0.05  # a graded LLM proposes from its believed best 5%
MISLEADER_BAND = (0.15, 0.40)  # share of the table above: the 60th–85th percentile
MISLEADER_CONFIDENT = 0.02  # its favourites are predicted among the table's best 2%

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


class TableResponder:
    """A responder (request body → reply) answering from a task's reference table.

    Subclasses choose the proposals (:meth:`_pick`) and the predictions (:meth:`predict`).

    Args:
        task: the task whose space the requests use.
        reference: its reference table.
        seed: makes the draws and the noise reproducible.
    """

    label = "table"

    def __init__(self, task: Task, reference: Reference, seed: int = 0) -> None:
        self.task = task
        self.space = task.space
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._configs = reference.configs
        self._values = np.asarray(reference.values, dtype=float)
        self._unit = reference.unit(task)
        self._order = reference.order()
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
        return Reply.error(400, f"scripted {self.label} LLM: unexpected request")

    def pool(self) -> list[int]:
        """The reference rows that proposals are drawn from."""
        raise NotImplementedError

    def _rationale(self) -> str:
        raise NotImplementedError

    def _propose(self, props: Mapping[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        keys = [k for k in props if k.startswith("config_")]
        pool = self.pool()
        picks = self._rng.choice(pool, size=len(keys), replace=len(keys) > len(pool))
        for key, index in zip(keys, picks, strict=True):
            answer[key] = snap_to_schema(self.space, self._configs[int(index)], props[key])
        self.proposals += len(keys)
        answer["rationale"] = f"scripted {self.label}: {self._rationale()}"
        return answer

    def nearest(self, config: Mapping[str, Any]) -> int | None:
        """The reference row nearest to ``config`` in the unit cube (``None`` if invalid)."""
        report = self.space.validate_config(dict(config))
        if report.config is None:
            return None
        point = np.asarray(self.space.to_unit(report.config))
        return int(np.argmin(((self._unit - point) ** 2).sum(axis=1)))

    def predict(self, config: Mapping[str, Any]) -> float:
        """The predicted score of one configuration."""
        raise NotImplementedError

    def _score(self, keys: list[str], prompt: str) -> dict[str, Any]:
        candidates = parse_candidates(prompt)
        self.predictions += len(keys)
        return {k: self.predict(candidates.get(k, {})) for k in keys}


class ReferenceResponder(TableResponder):
    """The oracle (``role="oracle"``) or the adversary (``role="adversarial"``)."""

    def __init__(self, task: Task, reference: Reference, role: Role, seed: int = 0) -> None:
        super().__init__(task, reference, seed)
        self.role = self.label = role
        n = len(self._order)
        if role == "oracle":
            self._rows = [int(i) for i in self._order[: max(1, round(ORACLE_SHARE * n))]]
        else:
            self._rows = [int(i) for i in self._order[n - max(1, round(ADVERSARY_SHARE * n)) :]]
        self._noise = NOISE_SHARE * float(self._values.std())

    def pool(self) -> list[int]:
        return self._rows

    def _rationale(self) -> str:
        share = ORACLE_SHARE if self.role == "oracle" else ADVERSARY_SHARE
        side = "best" if self.role == "oracle" else "worst"
        return f"the {side} {share:.0%} of the reference table"

    def predict(self, config: Mapping[str, Any]) -> float:
        """The (noisy, for the adversary inverted) prediction for one configuration."""
        row = self.nearest(config)
        if row is None:
            return float(np.median(self._values))
        value = float(self._values[row])
        if self.role == "adversarial":
            value = float(self._values.max() + self._values.min() - value)
        return value + float(self._rng.normal(0.0, self._noise))


class GradedResponder(TableResponder):
    """An LLM whose beliefs correlate with the true scores at about ``rho``.

    The beliefs are drawn once (from ``seed``), one per reference row: an LLM is consistent
    about a configuration it has seen, and its proposals rank the table by the same beliefs.

    Args:
        rho: the correlation with the truth, in [0, 1]; 0 is pure noise.
    """

    def __init__(self, task: Task, reference: Reference, rho: float, seed: int = 0) -> None:
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"rho must lie in [0, 1], not {rho!r}")
        super().__init__(task, reference, seed)
        self.rho = rho
        self.label = f"rho={rho:g}"
        self.beliefs = graded_beliefs(self._values, rho, self._rng)
        believed = self.beliefs if reference.direction == "minimize" else -self.beliefs
        n = len(believed)
        order = np.argsort(believed, kind="stable")
        self._rows = [int(i) for i in order[: max(1, round(GRADED_SHARE * n))]]

    def pool(self) -> list[int]:
        return self._rows

    def _rationale(self) -> str:
        return f"its believed best {GRADED_SHARE:.0%} of the reference table"

    def predict(self, config: Mapping[str, Any]) -> float:
        row = self.nearest(config)
        return float(np.median(self._values)) if row is None else float(self.beliefs[row])


def graded_beliefs(values: np.ndarray, rho: float, rng: np.random.Generator) -> np.ndarray:
    """Scores with the distribution of ``values`` and a correlation of about ``rho`` to them.

    >>> v = np.arange(100.0)
    >>> bool(np.all(graded_beliefs(v, 1.0, np.random.default_rng(0)) == v))
    True
    """
    z = ndtri(rankdata(values) / (len(values) + 1))
    noisy = rho * z + math.sqrt(max(0.0, 1.0 - rho * rho)) * rng.standard_normal(len(values))
    # ρ·z + √(1−ρ²)·ε is standard normal again: its normal quantile is uniform, and the
    # reference scores' quantile function turns it into a score of the real range.
    return np.quantile(values, ndtr(noisy))


class MisleaderResponder(TableResponder):
    """A plausible misleader: confident about configurations that are good, not best."""

    label = "misleader"

    def __init__(self, task: Task, reference: Reference, seed: int = 0) -> None:
        super().__init__(task, reference, seed)
        n = len(self._order)
        # position: the share of the table that is better than each row (0 = the best)
        self._position = np.empty(n)
        self._position[self._order] = np.arange(n) / n
        low, high = MISLEADER_BAND
        self._rows = [int(i) for i in self._order if low <= self._position[i] < high]
        if not self._rows:
            self._rows = [int(self._order[min(n - 1, int(low * n))])]
        top = self._order[: max(1, math.ceil(MISLEADER_CONFIDENT * n))]
        self._confident = self._values[top]
        self._mediocre = float(self._values[self._order[min(n - 1, int(high * n))]])
        self._noise = NOISE_SHARE * float(self._values.std())

    def pool(self) -> list[int]:
        return self._rows

    def _rationale(self) -> str:
        low, high = MISLEADER_BAND
        return (
            f"the {1 - high:.0%}–{1 - low:.0%} percentile of the reference table, predicted "
            "near its best"
        )

    def predict(self, config: Mapping[str, Any]) -> float:
        row = self.nearest(config)
        if row is None:
            return float(np.median(self._values))
        low, high = MISLEADER_BAND
        if low <= self._position[row] < high:
            return float(self._rng.choice(self._confident))
        if self._position[row] < low:
            return self._mediocre
        return float(self._values[row]) + float(self._rng.normal(0.0, self._noise))


def rho_of(kind: str) -> float | None:
    """The ρ of a graded scripted LLM's name (``rho_0.6`` → 0.6; ``noise`` → 0)."""
    if kind == "noise":
        return 0.0
    if kind.startswith("rho_"):
        try:
            return float(kind.removeprefix("rho_"))
        except ValueError:
            return None
    return None


def responder_for(kind: str, task: Task, reference: Reference, seed: int) -> Responder:
    """The responder of a scripted method: ``oracle``, ``adversarial``, ``noise`` (ρ = 0),
    ``rho_<ρ>`` or ``misleader``."""
    if kind in ("oracle", "adversarial"):
        return ReferenceResponder(task, reference, kind, seed)  # type: ignore[arg-type]
    if kind == "misleader":
        return MisleaderResponder(task, reference, seed)
    rho = rho_of(kind)
    if rho is not None:
        return GradedResponder(task, reference, rho, seed)
    raise ValueError(
        f"unknown scripted LLM {kind!r}: use oracle, adversarial, noise, rho_<ρ> or misleader"
    )
