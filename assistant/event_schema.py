"""Writes the JSON Schema of the event payloads, the source of the sidebar's TypeScript types.

``python -m assistant.event_schema src/events.schema.json`` (``make event-types`` also runs
json-schema-to-typescript on it); CI regenerates both and fails on any difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.events import json_schema


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
