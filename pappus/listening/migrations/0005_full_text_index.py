"""The full-text index of mentions: FTS5 (trigram) on SQLite, GIN over a tsvector on PostgreSQL.

SQLite keeps the FTS table in step with triggers on listening_mention. A later migration that
makes Django rebuild that table on SQLite (most AlterField operations) drops the triggers: it
must create them again (see SQLITE_TRIGGERS).
"""

from django.db import migrations

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE listening_mention_fts USING fts5("
    "search_text, content='listening_mention', content_rowid='id', tokenize='trigram')"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER listening_mention_fts_insert AFTER INSERT ON listening_mention BEGIN "
    "INSERT INTO listening_mention_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER listening_mention_fts_delete AFTER DELETE ON listening_mention BEGIN "
    "INSERT INTO listening_mention_fts(listening_mention_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER listening_mention_fts_update AFTER UPDATE OF search_text ON listening_mention BEGIN "
    "INSERT INTO listening_mention_fts(listening_mention_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO listening_mention_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
POSTGRESQL_INDEX = (
    "CREATE INDEX IF NOT EXISTS listening_mention_fulltext ON listening_mention "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for statement in SQLITE_TRIGGERS:
                cursor.execute(statement)
            cursor.execute("INSERT INTO listening_mention_fts(listening_mention_fts) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_INDEX)


def drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS listening_mention_fts_{name}")
            cursor.execute("DROP TABLE IF EXISTS listening_mention_fts")
        elif connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS listening_mention_fulltext")


class Migration(migrations.Migration):
    dependencies = [("listening", "0004_backfill_search_text_and_engagement")]

    operations = [migrations.RunPython(create, drop)]
