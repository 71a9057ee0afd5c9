"""Migration 0004 on SQLite and PostgreSQL: before it every stored version stayed "deployed"; after it
exactly one version per process is current, the newest, and each knows whether it came from disk or
from a process owner through the API (so loading from disk never replaces the latter silently)."""
from __future__ import annotations


def test_migration_0004_leaves_exactly_the_newest_deployed_version_current(database_url):
    from alembic import command
    from sqlalchemy import text

    from workflows.db import Database, alembic_config

    db = Database(database_url)
    config = alembic_config(database_url)
    command.upgrade(config, "0003")
    columns = ("process_id, name, version, content_hash, bpmn_hash, bpmn_hashes, dmn_hashes, message_starts, "
               "element_properties, deployed, created_at, created_by")
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO definition_file VALUES ('h', 'bpmn', 'a.bpmn', 'x', '2026-01-01')"))
        for process_id, version, actor in (("a", 1, "system"), ("a", 2, "cli"), ("a", 3, "pat.owner"),
                                           ("b", 1, None)):
            c.execute(text(f"INSERT INTO process_version ({columns}) VALUES (:p, :p, :v, :h, 'h', '[]', '{{}}', "
                           f"'[]', '{{}}', true, '2026-01-01', :by)"),
                      {"p": process_id, "v": version, "h": f"c{version}", "by": actor})
    command.upgrade(config, "head")
    with db.engine.begin() as c:
        rows = c.execute(text("SELECT process_id, version, deployed, origin FROM process_version "
                              "ORDER BY process_id, version")).all()
    assert [(p, v, bool(d), o) for p, v, d, o in rows] == [
        ("a", 1, False, "disk"), ("a", 2, False, "disk"), ("a", 3, True, "api"), ("b", 1, True, "disk")]
    command.downgrade(config, "0003")
    db.dispose()
