"""Data: the indexed text of mentions with Han characters, again, now that Chinese is indexed as
simplified dictionary words (pappus.listening.chinese) instead of character pairs."""

from typing import Any

from django.db import migrations

BATCH = 2000
HAN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"


def reindex(apps: Any, schema_editor: Any) -> None:
    from django.db.models import Q

    from pappus.listening.fulltext import search_text_of

    Mention = apps.get_model("listening", "Mention")
    chinese = Mention.objects.filter(Q(text__regex=HAN) | Q(title__regex=HAN)).only("pk", "title", "text")
    last = 0
    while True:
        rows = list(chinese.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            break
        for row in rows:
            row.search_text = search_text_of(row.title, row.text)
        Mention.objects.bulk_update(rows, ["search_text"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("listening", "0008_fewer_mention_indexes")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
