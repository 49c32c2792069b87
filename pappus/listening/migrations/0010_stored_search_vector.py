"""PostgreSQL: the search text's tsvector stored in a generated column with a GIN index over it.

The GIN index of 0005 was over the expression ``to_tsvector('simple', search_text)``: a phrase
(``'flat' <-> 'white'``, most Chinese searches) needs the positions, which GIN does not keep, so
every candidate row had its text parsed again, and so did every row a plan walked in time order.
The stored ``search_vector`` is computed once, when the row is written (COPY and INSERT alike),
and read as it is. Django does not know the column (the search's SQL names it): no model field,
no row ever writes it. SQLite keeps its FTS5 table (0005).
"""

from typing import Any

from django.db import migrations

ADD_COLUMN = (
    "ALTER TABLE listening_mention ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
)
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS listening_mention_search_vector ON listening_mention USING gin (search_vector)"
)
DROP_EXPRESSION_INDEX = "DROP INDEX IF EXISTS listening_mention_fulltext"
EXPRESSION_INDEX = (
    "CREATE INDEX IF NOT EXISTS listening_mention_fulltext ON listening_mention "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
)


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(ADD_COLUMN)
        cursor.execute(CREATE_INDEX)
        cursor.execute(DROP_EXPRESSION_INDEX)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(EXPRESSION_INDEX)
        cursor.execute("DROP INDEX IF EXISTS listening_mention_search_vector")
        cursor.execute("ALTER TABLE listening_mention DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("listening", "0009_chinese_words_in_search_text")]

    operations = [migrations.RunPython(forward, backward)]
