"""Issue #19's cheaper LLM steps: chronological examples (consecutive prompts share a prefix),
a shorter rationale cap, and the options sessions recorded before them replay with."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assistant.engine import EngineOptions, Planner
from assistant.engine.advisor import RATIONALE_CHARS, LLMAdvisor
from assistant.llm.base import Message
from tests.engine.scripted_client import ScriptedClient, first_choices
from tests.engine.test_planner import CONTEXT, SPACE, answer_with, history_of, random_configs


def _planner(client: ScriptedClient, options: EngineOptions) -> Planner:
    advisor = LLMAdvisor(client, SPACE, CONTEXT)
    return Planner(SPACE, CONTEXT, advisor, options, seed=0)


def _user_prompts(client: ScriptedClient, purpose: str) -> list[str]:
    return [c["messages"][-1].content for c in client.calls if c["purpose"] == purpose]


def _examples(prompt: str) -> list[str]:
    return [line for line in prompt.splitlines() if line.startswith("- ") and "->" in line]


def _two_steps(options: EngineOptions) -> ScriptedClient:
    client = ScriptedClient(answer_with(first_choices))
    plan = _planner(client, options.model_copy(update={"llm_schedule": "every_step"}))
    configs = random_configs(12, seed=4)
    for size in (8, 10):
        plan.plan(history_of(configs[:size]), [], np.random.default_rng(size))
    return client


def test_chronological_steps_extend_the_previous_prompt():
    client = _two_steps(EngineOptions(llm_example_order="chronological"))
    first, second = _user_prompts(client, "propose")
    surrogate = _user_prompts(client, "surrogate")[0]
    # Everything up to the end of the first step's examples starts the next step's prompt,
    # so llama.cpp reads only the two new trials and what follows them.
    listed = first[: first.index("Best so far")]
    assert second.startswith(listed) and surrogate.startswith(listed)
    assert _examples(second)[:8] == _examples(first) and len(_examples(second)) == 10


def test_shuffled_steps_reorder_the_examples():
    client = _two_steps(EngineOptions(llm_example_order="shuffled"))
    first, second = _user_prompts(client, "propose")
    assert _examples(second)[:8] != _examples(first)
    assert "(8 of 8 shown)" in first


def test_a_chronological_prompt_counts_its_examples_after_the_list():
    client = ScriptedClient(answer_with(first_choices))
    history = history_of(random_configs(40, seed=1))
    _planner(client, EngineOptions(llm_schedule="every_step")).plan(
        history, [], np.random.default_rng(0)
    )
    prompt = _user_prompts(client, "propose")[0]
    number = {SPACE.format_config(o.config): o.number for o in history}
    shown = [number[line[2:].split(" -> ")[0]] for line in _examples(prompt)]
    assert len(shown) == 16 and shown == sorted(shown)
    assert prompt.index("(16 of 40 shown") > prompt.rindex(" -> ")


@pytest.mark.parametrize(
    ("options", "cap"), [(EngineOptions(), 120), (EngineOptions.recorded({}), RATIONALE_CHARS)]
)
def test_proposal_schemas_cap_the_rationale(options, cap):
    long = "x" * 400

    def answer(purpose: str, messages: list[Message], schema: dict[str, Any] | None) -> Any:
        out = answer_with(first_choices)(purpose, messages, schema)
        return out | {"rationale": long} if "rationale" in out else out

    client = ScriptedClient(answer)
    plan = _planner(client, options.model_copy(update={"n_initial": 3}))
    suggestions = plan.plan([], [], np.random.default_rng(0))
    if options.llm_warmstart_at == "after_design":  # the step after the design
        design = history_of([s.config for s in suggestions])
        suggestions = plan.plan(design, [], np.random.default_rng(1))
    schemas = [c["schema"] for c in client.calls if c["purpose"] == "warmstart"]
    assert schemas and schemas[0]["properties"]["rationale"]["maxLength"] == cap
    warm = [s for s in suggestions if s.source == "warmstart"]
    assert warm and all(len(s.rationale) == cap for s in warm)


def test_sessions_recorded_before_replay_with_their_prompts():
    recorded = EngineOptions.recorded({"mode": "full"})
    assert recorded.llm_example_order == "shuffled"
    assert recorded.llm_rationale_chars == RATIONALE_CHARS
    now = EngineOptions.recorded(EngineOptions().model_dump(mode="json"))
    assert now == EngineOptions()
    assert (now.llm_example_order, now.llm_rationale_chars) == ("chronological", 120)
