"""Reading a JSON object out of an LLM's answer, and telling the LLM what went wrong.

Small models wrap JSON in prose or Markdown fences; we take the outermost ``{...}`` and let the
schema decide whether it is good enough.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

# Problems are read back to the model in a re-ask; a small model needs them short.
_MAX_PROBLEM = 200
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def check_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema``; ``ValueError`` if the schema itself is invalid."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"invalid JSON schema: {exc.message}") from exc
    return Draft202012Validator(schema)


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in ``text``, fences and surrounding prose ignored; ``ValueError`` if none.

    Example:
        >>> parse_json_object('Sure!\\n```json\\n{"a": 1}\\n```')
        {'a': 1}
    """
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the answer contains no JSON object")
    try:
        # strict=False: small models put raw newlines or tabs inside strings (rationales);
        # that is harmless and not worth a re-ask.
        value = json.loads(candidate[start : end + 1], strict=False)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(value, dict):
        raise ValueError("the answer is not a JSON object")
    return value


def schema_problem(value: dict[str, Any], validator: Draft202012Validator) -> str | None:
    """A one-line description of how ``value`` breaks the schema, or ``None`` if it fits."""
    error = best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    message = (
        error.message if len(error.message) <= _MAX_PROBLEM else error.message[:_MAX_PROBLEM] + "…"
    )
    return f"at {where}: {message}"


def schema_instruction(schema: dict[str, Any]) -> str:
    """The system-message addendum for modes where the endpoint does not see the schema."""
    return "Answer with one JSON object only, no prose, matching this JSON schema: " + json.dumps(
        schema, separators=(",", ":")
    )


def reask_message(problem: str) -> str:
    """The follow-up user message after an unusable answer."""
    return (
        f"Your answer could not be used: {problem}. "
        "Reply again with only the corrected JSON object that matches the schema."
    )
