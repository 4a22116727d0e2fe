"""One planning step: from a history to a ranked list of suggestions.

The statistical optimizer stays in charge: a Gaussian process with expected improvement over
quasi-random and local candidates. The LLM adds to it (in ``full`` mode) candidates
conditioned on a target score and a second opinion on a shortlist, blended in with a weight
earned by its track record; in ``warmstart`` mode it only proposes the initial design; in
``off`` mode it is never called. Any LLM failure falls back to the statistical step and says
so in the suggestion.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.context import ProblemContext
from assistant.engine.advisor import RATIONALE_CHARS, LLMAdvisor, Proposal
from assistant.engine.candidates import config_key, local_moves, quasi_random, unique_new
from assistant.engine.history import Observation, completed
from assistant.engine.surrogate import GPSurrogate, expected_improvement
from assistant.engine.trust import llm_weight
from assistant.engine.value import schedule
from assistant.errors import LLMError
from assistant.records import CallDecision, CallKind, Mode, Suggestion
from assistant.space import SearchSpace, format_number

logger = logging.getLogger(__name__)


class EngineOptions(BaseModel):
    """Knobs of the engine; every component can be switched off for ablations."""

    model_config = ConfigDict(frozen=True)

    mode: Mode = "full"
    n_initial: int = Field(5, ge=1, description="size of the initial design")
    llm_initial_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="share of the initial design (after the defaults) the LLM's warm start "
        "may fill; the rest covers the space, so a misleading warm start cannot confine the "
        "search to one region",
    )
    n_llm_candidates: int = Field(
        2,
        ge=1,
        description="LLM proposals per step (two since issue #19: a third cost ~50 more "
        "generated tokens a call and, on the benchmark subset, won no more trials)",
    )
    n_surrogate_samples: int = Field(
        1,
        ge=0,
        description="LLM surrogate calls per step (0: none; the spread of several samples is "
        "the LLM's uncertainty, one sample gets a fixed band of a quarter of the scores' "
        "spread)",
    )
    shortlist: int = Field(3, ge=1, description="statistical candidates the LLM also scores")
    target_alpha: float = Field(0.1, description="how far beyond the best the target lies")
    n_random_candidates: int = Field(256, ge=8)
    n_centres: int = Field(5, ge=1)
    n_local_per_centre: int = Field(32, ge=1)
    xi: float = Field(0.0, ge=0.0, description="EI exploration margin (in utility units)")
    value_grid: int | None = Field(11, ge=2)
    max_examples: int = Field(16, ge=2)
    temperature: float = Field(0.7, ge=0.0)
    llm_prior_weight: float = Field(0.25, ge=0.0, le=1.0)
    max_gp_points: int = Field(100, ge=8)
    llm_schedule: Literal["value_aware", "every_step"] = Field(
        "value_aware",
        description="value_aware: a call kind that has shown no contribution after "
        "llm_burn_in calls is made only on a sparse schedule (llm_explore_spacing; and on a "
        "plateau); "
        "every_step: proposals and surrogate at every model-based step",
    )
    llm_burn_in: int = Field(
        4, ge=0, description="surrogate calls made before its estimated value decides"
    )
    llm_propose_burn_in: int = Field(
        2,
        ge=0,
        description="proposal calls made before their value decides (they cost the most: "
        "~200 tokens out each, against ~60 for a surrogate answer)",
    )
    llm_explore_every: int = Field(
        10, ge=1, description="the sparse schedule's shortest gap, in steps"
    )
    llm_plateau: int = Field(5, ge=1, description="trials without a new best: a plateau")
    llm_explore_spacing: Literal["growing", "fixed"] = Field(
        "growing",
        description="the sparse schedule's gaps: growing (at least llm_explore_every steps "
        "and half the steps before the last call; a plateau call waits for half the gap, so "
        "a useless LLM's calls grow with the logarithm of the budget) or fixed (one step in "
        "llm_explore_every and every plateau; before 2026-12: 45-49 calls in 100 trials on "
        "the held-out set)",
    )
    llm_example_order: Literal["chronological", "shuffled"] = Field(
        "chronological",
        description="how prompts list past trials: chronological (oldest first: the next "
        "step's prompt extends this one's, so llama.cpp and prompt-caching endpoints read only "
        "the new trials) or shuffled at every step (LLAMBO's order; each step's first call "
        "reads every example again)",
    )
    llm_rationale_chars: int = Field(
        120,
        ge=16,
        description="the most characters a proposal's rationale may have (a schema maxLength, "
        "which llama.cpp's grammar enforces: a small model's rambling costs no tokens past it)",
    )
    llm_warmstart_at: Literal["after_design", "design"] = Field(
        "after_design",
        description="when the LLM's warm start runs: after_design (the step after the "
        "statistical design, which it never shrinks: a warm start that misleads costs those "
        "trials, not the design's coverage, and a failed one falls back to the model) or "
        "design (its points replace part of the quasi-random design; before 2026-12)",
    )
    llm_warmstart_followup: Literal["if_best", "always"] = Field(
        "if_best",
        description="whether the warm start's points after its first run only while the "
        "latest one improved on the best trial so far (if_best: a warm start whose first "
        "guess does not beat the design gives its other trials back to the model, so a "
        "plausible but misleading LLM costs one trial, not all of them) or all of them "
        "(always; before 2026-12). A point whose predecessor is still running goes ahead",
    )
    llm_rng: Literal["own", "shared"] = Field(
        "own",
        description="where LLM calls draw their seeds and example orders: own (a stream of "
        "their own, so the statistical choices of a step do not depend on which LLM calls it "
        "made: with one seed, runs with and without the LLM share their design and every "
        "step the LLM leaves alone) or shared (one stream for both; before 2026-12)",
    )
    llm_wait: Literal["always", "never"] = Field(
        "always",
        description="whether a trial waits for the step planned in the background with the "
        "LLM (always: suggestions depend on the seed alone) or, when that step is not ready, "
        "runs a statistical suggestion at once (never: sessions' default)",
    )

    @classmethod
    def recorded(cls, options: Mapping[str, Any]) -> EngineOptions:
        """The options a session was recorded with. Sessions recorded before an option
        existed replay with what they did then: the LLM called at every step (before the
        value-aware schedule), examples shuffled and 240-character rationales (before
        issue #19's cheaper prompts), the warm start inside the design, all its points run
        and one random stream (before the warm start moved after the design), and the sparse
        schedule's fixed gaps (before they grew with the session)."""
        before = {
            "llm_schedule": "every_step",
            "llm_example_order": "shuffled",
            "llm_rationale_chars": RATIONALE_CHARS,
            "llm_warmstart_at": "design",
            "llm_warmstart_followup": "always",
            "llm_rng": "shared",
            "llm_explore_spacing": "fixed",
        }
        return cls.model_validate({**before, **options})


class Planner:
    """Decides what to try next. Holds no history of its own: every call gets it.

    Args:
        space: the joint search space.
        context: the problem, as the LLM reads it.
        advisor: the LLM's voice, or ``None`` when the LLM is off.
        options: engine knobs.
        default_config: the model family's library defaults, tried first when given.
        seed: seeds the GP's optimizer restarts.
    """

    def __init__(
        self,
        space: SearchSpace,
        context: ProblemContext,
        advisor: LLMAdvisor | None,
        options: EngineOptions,
        *,
        default_config: Mapping[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        self.space = space
        self.context = context
        self.advisor = advisor if options.mode != "off" else None
        self.options = options
        self.default_config = dict(default_config) if default_config is not None else None
        self.seed = seed
        self.sign = 1.0 if context.direction == "maximize" else -1.0
        # The last GP fit's kernel: the next fit starts from it (a restarted engine starts
        # afresh, which replay reproduces by restarting where the session was resumed).
        # Its hyperparameters are re-estimated once the data has grown by 5% since the
        # last estimate (every step early on, every 50th at 1,000 trials).
        self._kernel: Any = None
        self._kernel_basis = 0

    def plan(
        self,
        history: Sequence[Observation],
        pending: Sequence[Mapping[str, Any]],
        rng: np.random.Generator,
        *,
        seen: set[tuple[Any, ...]] | None = None,
        statistical_only: bool = False,
        llm_rng: np.random.Generator | None = None,
    ) -> list[Suggestion]:
        """Return suggestions, best first (at least one, all new and valid).

        ``seen`` may pass the configuration keys of ``history`` and ``pending`` when the
        caller already has them (they are computed otherwise). ``statistical_only`` plans
        without the LLM and without touching the state kept between steps (the GP's warm
        start), so it may run while another step is being planned in the background.
        ``llm_rng`` is the LLM calls' own random stream (``llm_rng="own"``); without it
        they draw from ``rng``.
        """
        if seen is None:
            seen = {config_key(self.space, o.config) for o in history}
            seen |= {config_key(self.space, c) for c in pending}
        if self.options.llm_rng == "shared" or llm_rng is None:
            llm_rng = rng
        done = completed(history)
        used = len(history) + len(pending)
        slots = self.options.n_initial - used
        fallback: str | None = None
        suggestions: list[Suggestion] = []
        if not statistical_only and self.warmstart_due(used):
            suggestions, fallback = self._warmstart_step(seen, llm_rng)
        if not suggestions and (slots > 0 or len(done) < 2 or len({o.utility for o in done}) < 2):
            suggestions = self._initial_design(max(slots, 1), seen, rng, statistical_only, llm_rng)
        elif not suggestions:
            suggestions = self._model_step(history, seen, rng, statistical_only, llm_rng)
        for suggestion in suggestions:
            suggestion.planned_at = len(history)
            if fallback is not None:
                suggestion.fallback = suggestion.fallback or fallback
        return suggestions

    # -- warm start after the design -----------------------------------------------------
    def _warmstart_slots(self) -> int:
        """How many points the LLM's warm start proposes: ``llm_initial_share`` of the
        design after the defaults (rounded up)."""
        opts = self.options
        free = opts.n_initial - (1 if self.default_config is not None else 0)
        return math.ceil(max(free, 0) * opts.llm_initial_share)

    def warmstart_due(self, used: int) -> bool:
        """Whether the step after ``used`` trials (finished and running) is the LLM's warm
        start (``llm_warmstart_at="after_design"``): once, when the design's trials have
        all been handed out."""
        return (
            self.advisor is not None
            and self.options.llm_warmstart_at == "after_design"
            and used == self.options.n_initial
            and self._warmstart_slots() > 0
        )

    def warmstart_stops(self, history: Sequence[Observation], queued: int) -> str | None:
        """Why the warm start's ``queued`` remaining points are set aside, or ``None`` when
        they go ahead: with ``llm_warmstart_followup="if_best"``, once its latest finished
        point failed or did not improve on the best trial before it. While none of its
        points has finished (parallel workers), they go ahead."""
        if self.options.llm_warmstart_followup != "if_best" or queued <= 0:
            return None
        warm = [o for o in history if o.source == "warmstart"]
        if not warm:
            return None
        last = max(warm, key=lambda o: o.number)
        others = [o.utility for o in completed(history) if o.number < last.number]
        best_before = max((u for u in others if u is not None), default=None)
        if last.failed or last.utility is None:
            outcome = "failed"
        elif best_before is not None and last.utility <= best_before:
            outcome = "did not improve on the best trial before it"
        else:
            return None
        return (
            f"The LLM's warm-start point (trial {last.number}) {outcome}, so its "
            f"{queued} other point(s) went back to the model's steps."
        )

    def _warmstart_step(
        self, seen: set[tuple[Any, ...]], llm_rng: np.random.Generator
    ) -> tuple[list[Suggestion], str | None]:
        """The warm start's new, valid points (none when it failed or offered nothing new:
        the caller then plans the usual step), and what went wrong, if anything."""
        assert self.advisor is not None
        n = self._warmstart_slots()
        try:
            proposal = self.advisor.warmstart(
                n, llm_rng, rationale_chars=self.options.llm_rationale_chars
            )
        except LLMError as exc:
            fallback = _describe(exc)
            logger.warning("LLM warm start failed, planning the model's step: %s", fallback)
            return [], fallback
        out: list[Suggestion] = []
        taken = set(seen)
        for config in proposal.configs[:n]:
            key = config_key(self.space, config)
            if key in taken:
                continue
            taken.add(key)
            out.append(
                Suggestion(
                    config=dict(config),
                    source="warmstart",
                    initial=True,
                    rationale=proposal.rationale,
                    rejected=proposal.rejected,
                )
            )
        if out:
            return out, None
        what = _unusable(len(proposal.rejected), len(proposal.configs[:n])) or "no"
        return [], f"the LLM's warm start offered {what} point(s): the model's step ran instead"

    def _schedule(self, history: Sequence[Observation]) -> dict[str, CallDecision]:
        """Which LLM calls this model-based step makes (none when the LLM is not in full
        mode), each with its reason and the evidence of its value."""
        opts = self.options
        if self.advisor is None or opts.mode != "full":
            return {}
        kinds: list[CallKind] = ["propose"]
        if opts.n_surrogate_samples > 0:
            kinds.append("surrogate")
        if opts.llm_schedule == "every_step":
            return {k: CallDecision(call=True, reason="every step") for k in kinds}
        return {
            kind: schedule(
                kind,
                history,
                burn_in=opts.llm_propose_burn_in if kind == "propose" else opts.llm_burn_in,
                explore_every=opts.llm_explore_every,
                plateau=opts.llm_plateau,
                spacing=opts.llm_explore_spacing,
            )
            for kind in kinds
        }

    # -- initial design ----------------------------------------------------------------
    def _initial_design(
        self,
        slots: int,
        seen: set[tuple[Any, ...]],
        rng: np.random.Generator,
        statistical_only: bool,
        llm_rng: np.random.Generator,
    ) -> list[Suggestion]:
        out: list[Suggestion] = []
        taken = set(seen)

        def add(config: Mapping[str, Any], **fields: Any) -> None:
            key = config_key(self.space, config)
            if key not in taken and len(out) < slots:
                taken.add(key)
                out.append(Suggestion(config=dict(config), initial=True, **fields))

        if self.default_config is not None:
            add(
                self.default_config,
                source="default",
                rationale="the model family's library defaults: a strong first trial",
            )
        fallback: str | None = None
        proposal = Proposal()
        llm_slots = math.ceil((slots - len(out)) * self.options.llm_initial_share)
        within = self.options.llm_warmstart_at == "design"
        if self.advisor is not None and llm_slots > 0 and within and not statistical_only:
            try:
                proposal = self.advisor.warmstart(
                    llm_slots, llm_rng, rationale_chars=self.options.llm_rationale_chars
                )
            except LLMError as exc:
                fallback = _describe(exc)
                logger.warning("LLM warm start failed, using quasi-random points: %s", fallback)
        before = len(out)
        for config in proposal.configs[:llm_slots]:
            add(
                config, source="warmstart", rationale=proposal.rationale, rejected=proposal.rejected
            )
        repeated = len(proposal.configs[:llm_slots]) - (len(out) - before)
        short = len(out) - before < llm_slots
        if short and fallback is None and (proposal.rejected or repeated):
            fallback = (
                f"{_unusable(len(proposal.rejected), repeated)} warm-start proposal(s) replaced"
            )
        fill = quasi_random(self.space, 4 * slots + 8, rng)
        for config in fill:
            add(
                config,
                source="quasi_random",
                fallback=fallback,
                rationale="quasi-random point that covers the space",
            )
        if not out:  # every point of a small discrete space is taken: repeat one
            out.append(
                Suggestion(
                    config=self.space.from_unit(rng.random(len(self.space))),
                    source="quasi_random",
                    initial=True,
                    rationale="every point of the space has been tried; repeating one",
                )
            )
        return out

    # -- model-based step ----------------------------------------------------------------
    def _model_step(
        self,
        history: Sequence[Observation],
        seen: set[tuple[Any, ...]],
        rng: np.random.Generator,
        statistical_only: bool,
        llm_rng: np.random.Generator,
    ) -> list[Suggestion]:
        opts = self.options
        done = completed(history)
        utilities = [o.utility for o in done]
        worst = min(u for u in utilities if u is not None)
        failed = [o for o in history if o.failed]
        configs = [o.config for o in done] + [o.config for o in failed]
        values = [float(u) for u in utilities if u is not None] + [worst] * len(failed)
        # A statistical-only step runs beside a background step: it fits its own GP, neither
        # reading nor writing the warm start the background step may be updating.
        kernel = None if statistical_only else self._kernel
        refit = kernel is None or len(values) - self._kernel_basis >= max(
            1, self._kernel_basis // 20
        )
        gp = GPSurrogate(
            self.space,
            self.seed,
            opts.max_gp_points,
            warm_start=kernel,
            optimize=refit,
        ).fit(configs, values)
        if refit and not statistical_only:
            self._kernel, self._kernel_basis = gp.kernel, len(values)
        best_u = max(float(u) for u in utilities if u is not None)

        ranked = sorted(done, key=lambda o: o.utility or 0.0, reverse=True)
        centres = [o.config for o in ranked[: opts.n_centres]]
        stat_pool = unique_new(
            self.space,
            quasi_random(self.space, opts.n_random_candidates, rng)
            + local_moves(self.space, centres, opts.n_local_per_centre, rng),
            seen,
        )
        llm_pool: list[dict[str, Any]] = []
        proposal = Proposal()
        fallback: str | None = None
        target: float | None = None
        decisions = {} if statistical_only else self._schedule(history)
        asked: list[CallKind] = [
            k for k in ("propose", "surrogate") if k in decisions and decisions[k].call
        ]
        chronological = opts.llm_example_order == "chronological"
        examples = (
            self.advisor.examples(history, llm_rng, chronological=chronological)
            if self.advisor is not None and asked
            else None
        )
        if self.advisor is not None and "propose" in asked:
            spread = float(np.std(values)) or abs(best_u) * 0.01 or 1e-3
            target_u = best_u + opts.target_alpha * spread
            target = self.sign * target_u
            try:
                proposal = self.advisor.propose(
                    history,
                    target,
                    opts.n_llm_candidates,
                    llm_rng,
                    examples,
                    rationale_chars=opts.llm_rationale_chars,
                    chronological=chronological,
                )
                llm_pool = unique_new(self.space, proposal.configs, seen)
                if not llm_pool:
                    fallback = "the LLM proposed no new valid configuration"
            except LLMError as exc:
                fallback = _describe(exc)
        if llm_pool:
            llm_keys = {config_key(self.space, c) for c in llm_pool}
            stat_pool = [c for c in stat_pool if config_key(self.space, c) not in llm_keys]
        pool = llm_pool + stat_pool
        if not pool:
            pool = unique_new(self.space, quasi_random(self.space, 64, rng), seen) or [
                self.space.from_unit(rng.random(len(self.space)))
            ]
        mean_g, std_g = gp.predict(pool)
        ei_g = expected_improvement(mean_g, std_g, best_u, opts.xi)

        blended: dict[int, tuple[float, float, float, float]] = {}
        weight: float | None = None
        if self.advisor is not None and "surrogate" in asked:
            stat_order = [i for i in np.argsort(-ei_g, kind="stable") if i >= len(llm_pool)]
            shortlist = list(range(len(llm_pool))) + [int(i) for i in stat_order[: opts.shortlist]]
            try:
                mean_l, std_l = self.advisor.score(
                    history,
                    [pool[i] for i in shortlist],
                    llm_rng,
                    opts.n_surrogate_samples,
                    examples,
                    chronological=chronological,
                )
                weight = llm_weight(history, prior=opts.llm_prior_weight).weight
                for j, i in enumerate(shortlist):
                    blended[i] = (
                        float(mean_l[j]),
                        float(std_l[j]),
                        *_blend(mean_g[i], std_g[i], mean_l[j], std_l[j], weight),
                    )
            except LLMError as exc:
                fallback = fallback or _describe(exc)

        suggestions: list[Suggestion] = []
        if blended:
            order = sorted(
                blended,
                key=lambda i: (
                    -float(
                        expected_improvement(
                            np.array([blended[i][2]]), np.array([blended[i][3]]), best_u, opts.xi
                        )[0]
                    )
                ),
            )
        else:
            order = [int(i) for i in np.argsort(-ei_g, kind="stable")[:8]]
        for i in order[:8]:
            is_llm = i < len(llm_pool)
            mu, sd = (blended[i][2], blended[i][3]) if i in blended else (mean_g[i], std_g[i])
            acq = float(expected_improvement(np.array([mu]), np.array([sd]), best_u, opts.xi)[0])
            suggestion = Suggestion(
                config=pool[i],
                source="llm" if is_llm else "statistical",
                predicted=self.sign * float(mu),
                llm_pred=self.sign * blended[i][0] if i in blended else None,
                llm_std=blended[i][1] if i in blended else None,
                stat_pred=self.sign * float(mean_g[i]),
                stat_std=float(std_g[i]),
                acquisition=acq,
                target=target,
                llm_weight=weight,
                fallback=fallback,
                rejected=proposal.rejected if is_llm else [],
                llm_asked=asked,
                llm_schedule=decisions,
            )
            suggestion.rationale = (
                proposal.rationale if is_llm and proposal.rationale else self._explain(suggestion)
            )
            suggestions.append(suggestion)
        return suggestions

    def _explain(self, s: Suggestion) -> str:
        parts = [f"expected improvement {format_number(s.acquisition or 0.0, 3)}"]
        if s.stat_pred is not None and s.stat_std is not None:
            parts.append(
                f"GP predicts {format_number(s.stat_pred)} ± {format_number(s.stat_std, 2)}"
            )
        if s.llm_pred is not None:
            weight = format_number(s.llm_weight or 0.0, 2)
            parts.append(f"LLM predicts {format_number(s.llm_pred)} (weight {weight})")
        return "; ".join(parts)


def _blend(
    mean_g: float, std_g: float, mean_l: float, std_l: float, weight: float
) -> tuple[float, float]:
    """Mixture of the two predictive distributions with weight ``weight`` on the LLM."""
    mean = (1.0 - weight) * mean_g + weight * mean_l
    var = (1.0 - weight) * (std_g**2 + (mean_g - mean) ** 2) + weight * (
        std_l**2 + (mean_l - mean) ** 2
    )
    return float(mean), float(np.sqrt(max(var, 1e-18)))


def _unusable(invalid: int, repeated: int) -> str:
    """What of the LLM's warm start could not run, e.g. "2 invalid and 1 repeated" ("" when
    nothing)."""
    parts = [f"{invalid} invalid"] if invalid else []
    if repeated:
        parts.append(f"{repeated} repeated")
    return " and ".join(parts)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
