"""Alembic environment. Hotline runs migrations through ``hotline.adapters.db.migrate``,
which hands us an open connection in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from hotline.adapters.db.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `hotline db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
