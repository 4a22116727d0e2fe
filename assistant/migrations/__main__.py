"""``python -m assistant.migrations revision -m MESSAGE [--url URL]``: write the next revision.

It upgrades a database to the head revision (a new temporary SQLite file, unless ``--url``
names one), compares it with the models in :mod:`assistant.store`, and writes what differs
as revision ``NNNN`` (the head's number plus one) in ``versions/``. Read it before
committing: autogeneration misses renames and data changes.
"""

from __future__ import annotations

import argparse
import tempfile

from alembic import command
from sqlalchemy import create_engine

from assistant import migrations
from assistant.store import redact_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assistant.migrations")
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="autogenerate the next revision")
    revision.add_argument("-m", "--message", required=True, help="what the revision changes")
    revision.add_argument("--url", help="a database to compare with (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/head.db"
        engine = create_engine(url)
        try:
            migrations.upgrade(engine, redact_url(url))
        finally:
            engine.dispose()
        command.revision(
            migrations.config(url=url),
            message=args.message,
            autogenerate=True,
            rev_id=f"{int(migrations.head()) + 1:04d}",
        )


if __name__ == "__main__":
    main()
