"""`pappus crisis score INPUT.csv OUTPUT.csv`: a round trip, bad rows named by line, any interval."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest

from pappus.cli import run
from pappus.crisis.commands import parse_timestamp
from pappus.crisis.detector import score_series


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text("timestamp,value\n" + "".join(f"{stamp},{value}\n" for stamp, value in rows), encoding="utf-8")


def _series(minutes: int = 60, count: int = 24 * 9) -> list[tuple[str, str]]:
    start = datetime.datetime(2026, 3, 2)  # noqa: DTZ001 - NAB-style naive timestamps are UTC
    rows = [
        ((start + datetime.timedelta(minutes=minutes * index)).strftime("%Y-%m-%d %H:%M:%S"), str(20 + index % 5))
        for index in range(count)
    ]
    if count > 24 * 8:
        rows[24 * 8] = (rows[24 * 8][0], "400")
    return rows


def test_round_trip_writes_scores_and_alerts_for_every_row(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = _series()
    _write(source, rows)
    assert run(["crisis", "score", str(source), str(target)]) == 0
    with target.open(encoding="utf-8") as handle:
        output = list(csv.reader(handle))
    assert output[0] == ["timestamp", "anomaly_score", "alert"]
    assert [row[0] for row in output[1:]] == [stamp for stamp, _ in rows]
    assert all(0.0 <= float(row[1]) <= 1.0 for row in output[1:])
    assert [index for index, row in enumerate(output[1:]) if row[2] == "1"] == [24 * 8]
    expected = score_series(
        [parse_timestamp(stamp) for stamp, _ in rows], [float(value) for _, value in rows], direction="both"
    )
    assert [float(row[1]) for row in output[1:]] == [round(point.score, 6) for point in expected]


def test_bad_rows_are_named_by_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = _series(count=40)
    rows[4] = (rows[4][0], "many")
    rows[9] = ("yesterday", "3")
    _write(source, rows)
    assert run(["crisis", "score", str(source), str(target)]) == 2
    error = capsys.readouterr().err
    assert "2 bad row(s)" in error
    assert "line 6: the value 'many' is not a number" in error
    assert "line 11: cannot read the timestamp 'yesterday'" in error
    assert not target.exists()


def test_out_of_order_rows_and_a_missing_column_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.csv"
    rows = _series(count=5)
    rows[3], rows[2] = rows[2], rows[3]
    _write(source, rows)
    assert run(["crisis", "score", str(source), str(tmp_path / "out.csv")]) == 2
    assert "line 5: the timestamp 2026-03-02 02:00:00 is not after the previous row's" in capsys.readouterr().err
    source.write_text("time,count\n2026-03-02 00:00:00,3\n", encoding="utf-8")
    assert run(["crisis", "score", str(source), str(tmp_path / "out.csv")]) == 2
    assert "line 1: the header lacks timestamp, value" in capsys.readouterr().err


def test_iso_timestamps_with_offsets_and_a_five_minute_interval(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [(stamp.replace(" ", "T") + "+00:00", value) for stamp, value in _series(minutes=5, count=2000)]
    _write(source, rows)
    assert run(["crisis", "score", str(source), str(target), "--sensitivity", "0.6", "--kind", "count"]) == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2001


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02 14:05:00", datetime.datetime(2026, 3, 2, 14, 5, tzinfo=datetime.UTC)),
        ("2026-03-02T15:05:00+01:00", datetime.datetime(2026, 3, 2, 14, 5, tzinfo=datetime.UTC)),
        ("2026-03-02T14:05:00Z", datetime.datetime(2026, 3, 2, 14, 5, tzinfo=datetime.UTC)),
        ("1772460300", datetime.datetime(2026, 3, 2, 14, 5, tzinfo=datetime.UTC)),
    ],
)
def test_timestamp_formats(text: str, expected: datetime.datetime) -> None:
    assert parse_timestamp(text) == expected
