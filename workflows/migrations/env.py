"""Alembic environment: migrations run against the URL careflow is configured with."""
from __future__ import annotations

from alembic import context

# Tables defined beside the runtime share its metadata and its one migration history.
import handlers.commissioning_tables  # noqa: E402,F401,I001
import workflows.casework  # noqa: E402,F401,I001
import workflows.modeller_tables  # noqa: E402,F401,I001
import workflows.procedures.care_planning.models  # noqa: E402,F401,I001
import workflows.procedures.provider_failure.models  # noqa: E402,F401,I001
from workflows.db import make_engine
from workflows.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic config has no sqlalchemy.url (careflow sets it from the database URL)")
    engine = make_engine(url, immediate=False)
    with engine.connect() as connection:
        # SQLite alters tables by copying them (batch mode); PostgreSQL alters in place.
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
