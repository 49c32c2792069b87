# ruff: noqa: RUF001 - Cyrillic and Han text in the sample files is meant.
"""File imports against the real database: preview, mapping, streaming in batches, and every bad
row kept as a rejected item with its row number and reason while the rest of the file goes on."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.listening import imports, services
from pappus.listening.imports import ImportFileError, MappingError
from pappus.listening.models import FileImport, ImportStatus, Mention, MentionTopic, RejectedItem, RunStatus, Source

ACTOR = Actor.system("test")

CSV_EXPORT = (
    "Mention ID;Date;Author;Full Text;Likes;Country\r\n"
    "m1;2026-01-05 10:00:00;@ann;Pappus is lovely;12;NO\r\n"
    'm2;05.01.2026 11:30;bob;"Pappus, but multi-line:\r\nsecond line";3;RU\r\n'
    "m3;sometime;carl;Pappus with a bad date;1;NO\r\n"
    "m4;2026-01-05T12:00:00Z;dina;;0;NO\r\n"
    "\r\n"
    "m5;1767614400;eve;Пapпус и кофе;1 234;RU\r\n"
    "m6;2026-01-05;fred;too;many;values;here\r\n"
)


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Any) -> Source:
    return services.source_create(actor=ACTOR, membership=analyst, name="Old tool", kind="file")


def run_import(source: Source, content: bytes, format: str, mapping: dict[str, str], **options: Any) -> Any:
    return services.import_run(source=source, file=io.BytesIO(content), mapping=mapping, format=format, **options)


def reasons(source: Source) -> list[str]:
    return list(RejectedItem.objects.for_workspace(source.workspace_id).order_by("id").values_list("reason", flat=True))


# --- preview and mapping ---------------------------------------------------------------------------


def test_preview_shows_columns_first_rows_and_a_suggested_mapping() -> None:
    preview = imports.import_preview(io.BytesIO(CSV_EXPORT.encode()), "csv")
    assert preview.columns == ["Mention ID", "Date", "Author", "Full Text", "Likes", "Country"]
    assert preview.rows[0] == {
        "Mention ID": "m1",
        "Date": "2026-01-05 10:00:00",
        "Author": "@ann",
        "Full Text": "Pappus is lovely",
        "Likes": "12",
        "Country": "NO",
    }
    assert preview.rows[1]["Full Text"] == "Pappus, but multi-line:\r\nsecond line"
    assert preview.suggested_mapping == {
        "text": "Full Text",
        "external_id": "Mention ID",
        "published_at": "Date",
        "author_handle": "Author",
        "country": "Country",
        "like_count": "Likes",
    }
    assert preview.problems == ["row 7: the row has 7 values but the header has 6 columns"]


def test_preview_of_nested_json_offers_dotted_columns() -> None:
    content = json.dumps(
        [{"id_str": "1", "full_text": "hi", "user": {"screen_name": "ann", "followers_count": 5}, "lang": "en"}]
    ).encode()
    preview = imports.import_preview(io.BytesIO(content), "json")
    assert preview.columns == ["id_str", "full_text", "user.screen_name", "user.followers_count", "lang"]
    assert preview.suggested_mapping == {
        "text": "full_text",
        "external_id": "id_str",
        "author_handle": "user.screen_name",
        "author_followers": "user.followers_count",
        "language": "lang",
    }


def test_a_mapping_must_name_known_fields_existing_columns_and_the_text() -> None:
    with pytest.raises(MappingError) as caught:
        imports.validate_mapping({"text": "Body", "mood": "Sentiment"}, ["Text", "Sentiment"])
    assert caught.value.problems == {
        "mood": "unknown field; expected one of " + ", ".join(imports.TARGET_FIELDS),
        "text": "the file has no column 'Body'",
    }
    with pytest.raises(MappingError, match="map the column that holds the text"):
        imports.validate_mapping({"url": "Link", "text": ""}, ["Link"])
    assert imports.validate_mapping({"text": "Text", "url": ""}, ["Text"]) == {"text": "Text"}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("mentions.xlsx", b"PK\x03\x04rest", "expected a .csv, .tsv, .json, .ndjson or .jsonl file, got .xlsx"),
        ("mentions.csv", b"PK\x03\x04rest", "this is a zip archive or an Excel workbook"),
        ("mentions.csv", b"%PDF-1.7", "this is a PDF document"),
        ("mentions.csv", b"ab\x00\x01\x02", "this looks like a binary file"),
        ("mentions.json", b"id,text\n1,hi", "this is not JSON"),
        ("mentions.ndjson", b"[1, 2]", "this is not NDJSON"),
        ("mentions.csv", b"   ", "the file is empty"),
    ],
)
def test_uploads_of_the_wrong_type_are_refused_with_the_reason(name: str, content: bytes, expected: str) -> None:
    with pytest.raises(ImportFileError, match=expected.replace(".", r"\.")):
        imports.check_upload(name, len(content), content)


def test_an_upload_over_the_size_limit_is_refused(settings: Any) -> None:
    settings.LISTENING_IMPORT_MAXIMUM_BYTES = 1024 * 1024
    with pytest.raises(ImportFileError, match=r"the file is 2\.0 MB; the limit is 1\.0 MB"):
        imports.check_upload("big.csv", 2 * 1024 * 1024, b"text\nhello")


# --- importing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_csv_export_is_imported_and_each_bad_row_is_kept_with_its_row_number(analyst: Any, source: Source) -> None:
    topic = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus OR папус")
    mapping = {
        "external_id": "Mention ID",
        "published_at": "Date",
        "author_handle": "Author",
        "text": "Full Text",
        "like_count": "Likes",
        "country": "Country",
    }
    run = run_import(source, CSV_EXPORT.encode(), "csv", mapping)
    assert run.status == RunStatus.SUCCEEDED
    assert (run.received, run.stored, run.duplicates, run.rejected) == (6, 3, 0, 3)
    assert reasons(source) == [
        "row 4: column 'Date': 'sometime' is not a date; expected ISO 8601 (2026-01-31T09:30:00Z), RFC 2822, "
        "Unix seconds or 31.01.2026 09:30",
        "row 5: the item is empty: expected a title or some text",
        "row 7: the row has 7 values but the header has 6 columns",
    ]
    stored = {mention.external_id: mention for mention in Mention.objects.for_workspace(analyst.workspace)}
    assert sorted(stored) == ["m1", "m2", "m5"]
    assert (stored["m1"].author_handle, stored["m1"].like_count, stored["m1"].country) == ("ann", 12, "NO")
    assert str(stored["m1"].published_at) == "2026-01-05 10:00:00+00:00"
    assert str(stored["m2"].published_at) == "2026-01-05 11:30:00+00:00"
    assert str(stored["m5"].published_at) == "2026-01-05 12:00:00+00:00"
    assert stored["m5"].like_count == 1234
    assert stored["m1"].network == "file"
    assert stored["m1"].raw["row"] == 2
    assert stored["m1"].raw["record"]["Full Text"] == "Pappus is lovely"
    assert set(MentionTopic.objects.filter(topic=topic).values_list("mention__external_id", flat=True)) == {
        "m1",
        "m2",
    }

    again = run_import(source, CSV_EXPORT.encode(), "csv", mapping)
    assert (again.received, again.stored, again.duplicates, again.rejected) == (6, 0, 3, 3)


@pytest.mark.django_db
def test_rows_in_the_wrong_encoding_are_rejected_and_the_rest_is_stored(source: Source) -> None:
    content = b"id,text\n1,plain words\n" + "2,café au lait\n".encode("latin-1") + b"3,more words\n"
    run = run_import(source, content, "csv", {"external_id": "id", "text": "text"})
    assert (run.received, run.stored, run.rejected) == (3, 2, 1)
    assert reasons(source) == [
        "row 3: column 'text' holds bytes that are not utf-8 (0xE9): re-export the file as UTF-8 or choose its encoding"
    ]
    rejected = RejectedItem.objects.get()
    assert rejected.raw["problem"].startswith("column 'text' holds bytes")
    # Imported again in the file's real encoding, the rejected row is stored and the others are duplicates.
    again = run_import(source, content, "csv", {"external_id": "id", "text": "text"}, encoding="windows-1252")
    assert (again.stored, again.duplicates, again.rejected) == (1, 2, 0)
    assert Mention.objects.get(external_id="2").text == "café au lait"


@pytest.mark.django_db
def test_ndjson_rows_that_are_not_objects_or_not_json_are_rejected_by_line(source: Source) -> None:
    lines = [
        json.dumps({"id": "a", "content": "first", "created_at": "Mon, 05 Jan 2026 10:00:00 +0100"}),
        "{not json",
        "[1, 2]",
        json.dumps({"id": "b", "content": "x" * 100_001}),
        "",
        json.dumps({"id": "c", "content": "蒲公英 很好"}),
    ]
    mapping = {"external_id": "id", "text": "content", "published_at": "created_at"}
    run = run_import(source, "\n".join(lines).encode(), "ndjson", mapping)
    assert (run.received, run.stored, run.rejected) == (5, 2, 3)
    assert reasons(source) == [
        "row 2: not valid JSON at column 2: Expecting property name enclosed in double quotes",
        "row 3: expected a JSON object, got an array",
        "row 4: the item is oversized: 100001 characters of text, the limit is 100000",
    ]
    first = Mention.objects.get(external_id="a")
    assert str(first.published_at) == "2026-01-05 09:00:00+00:00"


@pytest.mark.django_db
def test_a_json_array_is_streamed_and_a_break_keeps_the_rows_before_it(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "CHUNK_BYTES", 16)  # objects span many chunks
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    items = [{"id": str(number), "text": f"mention number {number}", "likes": number} for number in range(5)]
    good = json.dumps(items).encode()
    run = run_import(source, good, "json", {"external_id": "id", "text": "text", "like_count": "likes"})
    assert (run.received, run.stored, run.rejected) == (5, 5, 0)
    assert Mention.objects.get(external_id="4").like_count == 4

    broken = b'[{"id": "10", "text": "kept"}, {"id": "11", "text": "cut off' + b" " * 40
    run = run_import(source, broken, "json", {"external_id": "id", "text": "text"})
    assert (run.received, run.stored, run.rejected) == (2, 1, 1)
    assert reasons(source)[0].startswith("row 2: not valid JSON (Unterminated string starting at")
    assert reasons(source)[0].endswith("the rest of the file was not read")

    wrapped = json.dumps({"meta": {"count": 1}, "data": [{"id": "20", "text": "in a wrapper"}]}).encode()
    assert run_import(source, wrapped, "json", {"external_id": "id", "text": "text"}).stored == 1


@pytest.mark.django_db
def test_memory_stays_flat_rows_are_read_lazily(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    """The importer pulls rows one batch at a time: a reader that would fail after the first
    batch has been read only as far as needed when the first batch is stored."""
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    pulled: list[int] = []
    original = imports.read_records

    def counting(*args: Any, **kwargs: Any) -> Any:
        for row in original(*args, **kwargs):
            pulled.append(row[0])
            yield row

    stored_when: list[int] = []
    original_store = services._store

    def store(source: Source, run: Any, batch: Any) -> None:
        stored_when.append(len(pulled))
        original_store(source, run, batch)

    monkeypatch.setattr(imports, "read_records", counting)
    monkeypatch.setattr(services, "_store", store)
    content = "id,text\n" + "".join(f"{number},row {number}\n" for number in range(9))
    run_import(source, content.encode(), "csv", {"external_id": "id", "text": "text"})
    assert stored_when == [3, 6, 9]


# --- uploads, the job and retries -------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_preview_start_and_the_job_import_the_file(
    analyst: Any, source: Source, django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Any
) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    upload = SimpleUploadedFile("export.csv", b"ID,Text,Date\n1,hello pappus,2026-01-01\n2,,2026-01-02\n")
    file_import = services.file_import_create(actor=ACTOR, membership=analyst, source=source, upload=upload)
    assert (file_import.format, file_import.status, file_import.size) == ("csv", ImportStatus.UPLOADED, 53)
    preview = services.file_import_preview(file_import)
    assert preview.suggested_mapping == {"text": "Text", "external_id": "ID", "published_at": "Date"}

    with pytest.raises(ValidationError) as caught:
        services.file_import_start(actor=ACTOR, membership=analyst, file_import=file_import, mapping={"text": "Body"})
    assert caught.value.message_dict == {"mapping": ["text: the file has no column 'Body'"]}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.file_import_start(
            actor=ACTOR, membership=analyst, file_import=file_import, mapping=preview.suggested_mapping
        )
    assert Mention.objects.count() == 0  # nothing is imported on the request path
    for callback in callbacks:
        callback()
    file_import.refresh_from_db()
    assert file_import.status == ImportStatus.SUCCEEDED
    assert file_import.run is not None
    assert (file_import.run.received, file_import.run.stored, file_import.run.rejected) == (2, 1, 1)

    item = RejectedItem.objects.get()
    assert item.reason == "row 3: the item is empty: expected a title or some text"
    item.raw["record"]["Text"] = "fixed text"  # a person fixes the row; the retry maps it with the same mapping
    item.save()
    retry = services.rejected_item_retry(actor=ACTOR, membership=analyst, item=item)
    assert (retry.received, retry.stored) == (1, 1)
    assert Mention.objects.get(external_id="2").text == "fixed text"


@pytest.mark.django_db
def test_only_managers_of_this_workspace_upload_into_file_sources(analyst: Any, source: Source) -> None:
    upload = SimpleUploadedFile("export.csv", b"text\nhello\n")
    with pytest.raises(PermissionDenied):
        services.file_import_create(
            actor=ACTOR, membership=make_member(analyst.workspace, Role.EXECUTIVE), source=source, upload=upload
        )
    with pytest.raises(Source.DoesNotExist):
        services.file_import_create(
            actor=ACTOR, membership=make_member(make_workspace(), Role.OWNER), source=source, upload=upload
        )
    feed = services.source_create(actor=ACTOR, membership=analyst, name="Feed", kind="rss", url="https://e.org/f")
    with pytest.raises(ValidationError, match="Files are imported into a source of the kind file import"):
        services.file_import_create(actor=ACTOR, membership=analyst, source=feed, upload=upload)
    with pytest.raises(ValidationError, match="this is a zip archive"):
        services.file_import_create(
            actor=ACTOR, membership=analyst, source=source, upload=SimpleUploadedFile("x.csv", b"PK\x03\x04....")
        )
    assert not FileImport.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-31T09:30:00Z", "2026-01-31 09:30:00+00:00"),
        ("2026-01-31 09:30:00+01:00", "2026-01-31 09:30:00+01:00"),
        ("Sat, 31 Jan 2026 09:30:00 GMT", "2026-01-31 09:30:00+00:00"),
        (1769851800, "2026-01-31 09:30:00+00:00"),
        ("1769851800000", "2026-01-31 09:30:00+00:00"),
        ("31.01.2026 09:30", "2026-01-31 09:30:00+00:00"),
        ("2026/01/31", "2026-01-31 00:00:00+00:00"),
    ],
)
def test_dates_as_other_tools_write_them(value: Any, expected: str) -> None:
    assert str(imports.parse_date(value)) == expected
