"""Database engine and transactions: SQLite (WAL) embedded, PostgreSQL in production."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import (
    ops_models,  # noqa: F401  (its tables share the metadata)
    recipients,  # noqa: F401  (its table joins the schema)
)
from .models import Base

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, *, immediate: bool = True, busy_timeout_ms: int = 30_000) -> Engine:
    """Create the engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys.

    ``immediate`` makes every SQLite transaction take the write lock at BEGIN, for writers.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        # one connection per server thread or scheduler job, with room for bursts
        kwargs["pool_size"], kwargs["max_overflow"] = 20, 30
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, immediate, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, immediate: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself so a write transaction takes the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE: writers queue on the lock instead of failing late with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine and hands out one session per use case (one transaction)."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        """``busy_timeout_ms``: how long a SQLite writer waits for the lock before giving up (then 503)."""
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # WAL readers need no lock: queries go through an engine that does not take one.
        self.read_engine = (make_engine(url, immediate=False, busy_timeout_ms=busy_timeout_ms)
                            if self.engine.dialect.name == "sqlite" else self.engine)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        # The session of the use case running in this thread: a read made inside it (a cold cache of
        # specs, decisions or forms) joins it rather than taking a second connection, which under load
        # left the first idle in transaction while the pool ran dry.
        self._current: ContextVar[Session | None] = ContextVar(f"careflow_session_{id(self)}", default=None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception."""
        session = self._sessions()
        token = self._current.set(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self._current.reset(token)
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only: the current use case's own when one is running in this thread."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        session = self._read_sessions()
        token = self._current.set(session)
        try:
            yield session
        finally:
            self._current.reset(token)
            session.close()  # not rollback(): that would expire what the caller read

    def create_schema(self) -> None:
        """Create every table directly (tests); production uses :func:`upgrade`."""
        Base.metadata.create_all(self.engine)

    def upgrade(self) -> None:
        """Run the Alembic migrations up to head."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
