"""Alembic's environment for the assistant's tables.

:func:`assistant.migrations.upgrade` runs it on a connection it passes in
``config.attributes["connection"]``, inside a transaction it commits itself;
``python -m assistant.migrations`` runs it on the URL in the configuration.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from assistant import migrations
from assistant.store import _Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=_Base.metadata,
        **migrations.context_options(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("the assistant's migrations run on a database, not as SQL scripts")
given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection and no sqlalchemy.url to run the migrations on")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()
