"""Migration 0004 on SQLite and PostgreSQL: before it every stored version stayed "deployed"; after it
exactly one version per process is current, the newest, and older versions pin nothing."""
from __future__ import annotations


def test_migration_0004_leaves_exactly_the_newest_deployed_version_current(database_url):
    from alembic import command
    from sqlalchemy import text

    from workflows.db import Database, alembic_config

    db = Database(database_url)
    config = alembic_config(database_url)
    command.upgrade(config, "0003")
    columns = ("process_id, name, version, content_hash, bpmn_hash, bpmn_hashes, dmn_hashes, message_starts, "
               "element_properties, deployed, created_at")
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO definition_file VALUES ('h', 'bpmn', 'a.bpmn', 'x', '2026-01-01')"))
        for process_id, version in (("a", 1), ("a", 2), ("a", 3), ("b", 1)):
            c.execute(text(f"INSERT INTO process_version ({columns}) VALUES (:p, :p, :v, :h, 'h', '[]', '{{}}', "
                           f"'[]', '{{}}', true, '2026-01-01')"), {"p": process_id, "v": version, "h": f"c{version}"})
    command.upgrade(config, "head")
    with db.engine.begin() as c:
        rows = c.execute(text("SELECT process_id, version, deployed, form_hashes FROM process_version "
                              "ORDER BY process_id, version")).all()
    assert [(p, v, bool(d)) for p, v, d, _ in rows] == [("a", 1, False), ("a", 2, False), ("a", 3, True),
                                                         ("b", 1, True)]
    command.downgrade(config, "0003")
    db.dispose()
