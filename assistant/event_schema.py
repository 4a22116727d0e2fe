"""The JSON Schema of the event payloads and of the folded view: the source of the sidebar's
TypeScript types.

``python -m assistant.event_schema src/events.schema.json`` writes it (``make event-types``
also turns it into ``src/events.generated.ts``); CI regenerates both and fails on any
difference. Because the sidebar's view types come from :class:`~assistant.fold.SessionView`
too, a field added to a payload or to the view reaches the TypeScript without a hand edit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from assistant.events import PAYLOADS
from assistant.fold import SessionView


def json_schema() -> dict[str, Any]:
    """One schema: every payload model and the view under ``$defs``; ``events`` maps each
    event kind to its payload model, ``view`` is the fold's :class:`SessionView`."""
    models: list[type[BaseModel]] = sorted(
        {*PAYLOADS.values(), SessionView}, key=lambda m: m.__name__
    )
    _, top = models_json_schema(
        [(m, "serialization") for m in models], ref_template="#/$defs/{model}"
    )
    kinds = {kind: {"$ref": f"#/$defs/{PAYLOADS[kind].__name__}"} for kind in sorted(PAYLOADS)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "AssistantSchema",
        "description": "Payloads of the assistant's events by kind (assistant/events.py), and "
        "the view their fold makes (assistant/fold.py).",
        "type": "object",
        "properties": {
            "events": {
                "title": "EventPayloads",
                "type": "object",
                "properties": kinds,
                "required": sorted(kinds),
                "additionalProperties": False,
            },
            "view": {"$ref": "#/$defs/SessionView"},
        },
        "required": ["events", "view"],
        "additionalProperties": False,
        "$defs": top.get("$defs", {}),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
