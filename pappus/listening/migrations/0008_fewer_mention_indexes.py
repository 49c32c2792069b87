"""Fewer indexes on mentions and topic matches: each one is kept up on every insert.

Dropped: the single-column indexes Django adds for foreign keys where a composite index that
starts with the workspace (or the unique keys) already serves the reads — mention workspace,
source, region, ingest run; topic-match workspace and mention — and (workspace, network, time),
which no query uses. The reply and near-duplicate links are indexed only where set (partial
indexes). The foreign-key indexes are dropped by name as the database reports it, without
altering the columns: on SQLite an AlterField would copy the whole table and lose the triggers
of the full-text index (see 0005).
"""

import django.db.models.deletion
from django.db import migrations, models

# (model, field) whose single-column index goes.
UNINDEXED = (
    ("mention", "workspace"),
    ("mention", "source"),
    ("mention", "region"),
    ("mention", "ingest_run"),
    ("mention", "thread_parent"),
    ("mention", "duplicate_of"),
    ("mentiontopic", "workspace"),
    ("mentiontopic", "mention"),
)


def _single_column_indexes(schema_editor, table, column):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, details in constraints.items()
        if details["columns"] == [column]
        and details["index"]
        and not details["unique"]
        and not details["primary_key"]
        and not details.get("foreign_key")
    ]


def drop_indexes(apps, schema_editor):
    for model_name, field_name in UNINDEXED:
        model = apps.get_model("listening", model_name)
        column = model._meta.get_field(field_name).column
        for name in _single_column_indexes(schema_editor, model._meta.db_table, column):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    for model_name, field_name in UNINDEXED:
        model = apps.get_model("listening", model_name)
        field = model._meta.get_field(field_name)
        if not _single_column_indexes(schema_editor, model._meta.db_table, field.column):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


def _foreign_key(to, related_name, *, null=False, cascade=False):
    return models.ForeignKey(
        blank=null,
        null=null,
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE if cascade else django.db.models.deletion.SET_NULL,
        related_name=related_name,
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_process_heartbeat"),
        ("listening", "0007_send_to_inbox_marks"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="mention", name="listening_mention_network"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="mention",
                    name="duplicate_of",
                    field=_foreign_key("listening.mention", "near_duplicates", null=True),
                ),
                migrations.AlterField(
                    model_name="mention",
                    name="ingest_run",
                    field=_foreign_key("listening.ingestrun", "+", null=True),
                ),
                migrations.AlterField(
                    model_name="mention", name="region", field=_foreign_key("core.region", "+", null=True)
                ),
                migrations.AlterField(
                    model_name="mention",
                    name="source",
                    field=_foreign_key("listening.source", "mentions", cascade=True),
                ),
                migrations.AlterField(
                    model_name="mention",
                    name="thread_parent",
                    field=_foreign_key("listening.mention", "replies", null=True),
                ),
                migrations.AlterField(
                    model_name="mention", name="workspace", field=_foreign_key("core.workspace", "+", cascade=True)
                ),
                migrations.AlterField(
                    model_name="mentiontopic",
                    name="mention",
                    field=_foreign_key("listening.mention", "topic_matches", cascade=True),
                ),
                migrations.AlterField(
                    model_name="mentiontopic",
                    name="workspace",
                    field=_foreign_key("core.workspace", "+", cascade=True),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(
                condition=models.Q(thread_parent__isnull=False),
                fields=["thread_parent"],
                name="listening_mention_reply",
            ),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(
                condition=models.Q(duplicate_of__isnull=False),
                fields=["duplicate_of"],
                name="listening_mention_repost",
            ),
        ),
    ]
