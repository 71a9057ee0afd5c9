"""PostgreSQL fixtures: these tests run on SQLite and again on a real PostgreSQL server."""
from tests.pg import database_url, pg_server, pg_url  # noqa: F401
