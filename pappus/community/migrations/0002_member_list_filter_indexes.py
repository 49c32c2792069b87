"""Indexes for the member list's network and tag filters (bench/community.py measured them above 150 ms).

The tag filter asks ``tags @> '["vip"]'`` on PostgreSQL, which a GIN index answers; SQLite has no such
index (its tests match the JSON text), so that one is created on PostgreSQL only.
"""

from django.db import migrations, models

TAGS_INDEX = "community_member_tags"


def create_tags_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TAGS_INDEX} ON community_member "
            "USING gin (tags jsonb_path_ops) WHERE merged_into_id IS NULL"
        )


def drop_tags_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TAGS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("community", "0001_members_identities_loyalty")]

    operations = [
        migrations.AddIndex(
            model_name="identity",
            index=models.Index(fields=["workspace", "network", "member"], name="community_identity_network"),
        ),
        migrations.RunPython(create_tags_index, drop_tags_index),
    ]
