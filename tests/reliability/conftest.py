"""PostgreSQL fixtures for the reliability tests."""
from tests.pg import database_url, pg_server, pg_url  # noqa: F401
