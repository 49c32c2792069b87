"""Data: the indexed text and engagement of mentions stored before those columns existed, in batches."""

from django.db import migrations
from django.db.models import F

BATCH = 2000


def backfill(apps, schema_editor):
    from pappus.listening.fulltext import search_text_of

    Mention = apps.get_model("listening", "Mention")
    Mention.objects.update(engagement=F("like_count") + F("share_count") + F("comment_count"))
    last = 0
    while True:
        rows = list(Mention.objects.filter(pk__gt=last, search_text="").order_by("pk")[:BATCH])
        if not rows:
            break
        for row in rows:
            row.search_text = search_text_of(row.title, row.text)
        Mention.objects.bulk_update(rows, ["search_text"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("listening", "0003_mention_search_text_and_engagement")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
