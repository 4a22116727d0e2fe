"""The LLM's choice of model family for ``model="auto"``: an engine decision, made from a
closed list so the answer is always valid, with a strong default when the LLM cannot help.

Example:
    >>> from types import SimpleNamespace
    >>> hgb = SimpleNamespace(name="hist_gradient_boosting", family="boosted trees",
    ...                       description="")
    >>> info = SimpleNamespace(name="iris", n_rows=150, n_features=4,
    ...                        target_kind="multiclass")
    >>> pick_tool(None, [hgb], info, task="classification", metric="accuracy",
    ...           direction="maximize").tool
    'hist_gradient_boosting'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from assistant.errors import LLMError
from assistant.llm.base import Message
from assistant.prompting import render

DEFAULT_RATIONALE = "a strong default for this kind of data"


class ToolChoice(BaseModel):
    """The family to tune, why, and (when the LLM was not used) the reason it was not."""

    tool: str
    rationale: str
    fallback: str | None = None


def pick_tool(
    client: Any,
    candidates: Sequence[Any],
    dataset: Any,
    *,
    task: str,
    metric: str,
    direction: str,
    notes: str = "",
    images: bool = False,
) -> ToolChoice:
    """Ask ``client`` (an ``LLMClient`` or ``None``) which of ``candidates`` (tools with a
    ``name``, ``family`` and ``description``) to tune for ``dataset`` (its ``DatasetInfo``).

    Without a client, or when the call fails or names no candidate, the default is a
    gradient-boosted model (a CNN for images) and ``fallback`` says why.
    """
    default = "torch_cnn" if images else "hist_gradient_boosting"
    names = [t.name for t in candidates]
    if client is None or not names:
        return ToolChoice(tool=default, rationale=DEFAULT_RATIONALE)
    prompt = render(
        "choose_tool.j2",
        task=f"{dataset.target_kind} {task} on {dataset.name}",
        metric=metric,
        direction=direction,
        dataset=dataset,
        notes=notes,
        tools=candidates,
    )
    schema = {
        "type": "object",
        "properties": {"tool": {"enum": names}, "rationale": {"type": "string", "maxLength": 240}},
        "required": ["tool", "rationale"],
        "additionalProperties": False,
    }
    messages = [
        Message(role="system", content=render("system.j2")),
        Message(role="user", content=prompt),
    ]
    try:
        answer = client.complete(
            messages, schema, temperature=0.0, max_tokens=120, purpose="choose_tool"
        ).parsed
    except LLMError as exc:
        return ToolChoice(
            tool=default, rationale=DEFAULT_RATIONALE, fallback=f"{type(exc).__name__}: {exc}"
        )
    if not answer or answer.get("tool") not in names:
        return ToolChoice(
            tool=default, rationale=DEFAULT_RATIONALE, fallback="the LLM chose no known tool"
        )
    return ToolChoice(tool=str(answer["tool"]), rationale=str(answer.get("rationale", ""))[:240])
