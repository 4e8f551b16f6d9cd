"""Alembic environment: runs against the engine assetmap hands over."""

from __future__ import annotations

from alembic import context

from assetmap.store.tables import metadata

engine = context.config.attributes.get("engine")
if engine is None:  # pragma: no cover - only for `alembic revision --autogenerate` by hand
    from assetmap.store._engine import make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()
