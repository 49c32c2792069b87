"""``pappus crisis score INPUT.csv OUTPUT.csv``: the detector over a CSV file, without the database.

Input: a header with ``timestamp`` and ``value`` columns (and ``total`` for ``--kind share``), in
any order, other columns ignored. Timestamps in ISO 8601 (``2026-01-05T14:00:00Z``,
``2026-01-05T14:00:00+01:00``), NAB's ``2026-01-05 14:00:00`` (naive times are UTC), or Unix
seconds; any sampling interval (the median gap is used), gaps allowed, strictly increasing.
Output: ``timestamp,anomaly_score,alert`` with the input's timestamps as written, the score with six
decimals and the alert as 0 or 1. Bad rows stop the run with their line numbers.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pappus.crisis.detector import DEFAULT_COOLDOWN, DEFAULT_SENSITIVITY, Direction, Kind, score_series

MAX_REPORTED_ERRORS = 10


class InputError(Exception):
    """The input cannot be read; the message names the file and the lines."""


@dataclass(frozen=True, slots=True)
class Series:
    raw_timestamps: list[str]
    timestamps: list[datetime.datetime]
    values: list[float]
    totals: list[float] | None


def parse_timestamp(text: str) -> datetime.datetime:
    """ISO 8601, NAB's ``YYYY-MM-DD HH:MM:SS`` or Unix seconds, as an aware UTC datetime."""
    text = text.strip()
    if not text:
        raise ValueError("the timestamp is empty")
    if re.fullmatch(r"-?\d+(\.\d+)?", text) and len(text) != 8:  # 8 digits would be a date (20260105)
        return datetime.datetime.fromtimestamp(float(text), tz=datetime.UTC)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None:
        for pattern in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d.%m.%Y %H:%M:%S"):
            try:
                moment = datetime.datetime.strptime(text, pattern)  # noqa: DTZ007 - naive means UTC, set below
                break
            except ValueError:
                continue
    if moment is None:
        raise ValueError(f"cannot read the timestamp {text!r} (expected ISO 8601 or 'YYYY-MM-DD HH:MM:SS')")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _number(text: str, column: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise ValueError(f"the {column} {text.strip()!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"the {column} {text.strip()!r} is not a finite number")
    return number


def read_series(path: Path, *, kind: str) -> Series:
    """Read and check the whole file; every bad row (up to ten) is named by its line number."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: cannot open: {error.strerror or error}") from error
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: the file is empty (expected a header: timestamp,value)")
        names = [name.strip().lower() for name in header]
        missing = [name for name in ("timestamp", "value") if name not in names]
        if kind == "share" and "total" not in names:
            missing.append("total")
        if missing:
            raise InputError(f"{path} line 1: the header lacks {', '.join(missing)} (found: {', '.join(names)})")
        columns = {name: names.index(name) for name in ("timestamp", "value", "total") if name in names}
        errors: list[str] = []
        series = Series([], [], [], [] if kind == "share" else None)
        previous: datetime.datetime | None = None
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) <= max(columns.values()):
                errors.append(f"line {line}: {len(row)} columns, expected {len(names)}")
                continue
            try:
                moment = parse_timestamp(row[columns["timestamp"]])
                value = _number(row[columns["value"]], "value")
                total = _number(row[columns["total"]], "total") if series.totals is not None else None
                if previous is not None and moment <= previous:
                    raise ValueError(
                        f"the timestamp {row[columns['timestamp']].strip()} is not after the previous row's"
                    )
            except ValueError as error:
                errors.append(f"line {line}: {error}")
                continue
            previous = moment
            series.raw_timestamps.append(row[columns["timestamp"]].strip())
            series.timestamps.append(moment)
            series.values.append(value)
            if series.totals is not None and total is not None:
                series.totals.append(total)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = f"\n  … and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise InputError(f"{path}: {len(errors)} bad row(s):\n  " + "\n  ".join(shown) + more)
    if not series.values:
        raise InputError(f"{path}: no rows after the header")
    return series


def guess_kind(values: Sequence[float]) -> Kind:
    """Counts when every value is a non-negative whole number, else plain values."""
    return "count" if all(value >= 0 and value == int(value) for value in values) else "value"


def parse_duration(text: str) -> datetime.timedelta:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number and a unit, e.g. 30m, 6h, 1d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return datetime.timedelta(**{unit: float(match.group(1))})


def _sensitivity(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError("the sensitivity is between 0 and 1 (exclusive), e.g. 0.5")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pappus crisis score",
        description="Score a time series for anomalies (online: each score uses only that point and earlier ones).",
        epilog="Input columns: timestamp,value[,total]. Output: timestamp,anomaly_score,alert. See docs/crisis.md.",
    )
    parser.add_argument("input", type=Path, help="CSV with timestamp,value (and total for --kind share)")
    parser.add_argument("output", type=Path, help="CSV to write: timestamp,anomaly_score,alert ('-' for stdout)")
    parser.add_argument(
        "--sensitivity",
        type=_sensitivity,
        default=DEFAULT_SENSITIVITY,
        help=f"0..1; an alert is raised at a score of 1 - sensitivity (default {DEFAULT_SENSITIVITY})",
    )
    parser.add_argument(
        "--kind",
        choices=("auto", "count", "share", "value"),
        default="auto",
        help="count: events per interval; share: value out of total; value: any number; "
        "auto (default): count when all values are whole and non-negative, else value",
    )
    parser.add_argument(
        "--direction",
        choices=("up", "both"),
        default="both",
        help="score only rises (up) or rises and drops (both, the default for benchmarks)",
    )
    parser.add_argument(
        "--cooldown",
        type=parse_duration,
        default=DEFAULT_COOLDOWN,
        help="least time between two alerts, e.g. 30m, 6h (default 6h)",
    )
    return parser


def score_main(argv: Sequence[str]) -> int:
    arguments = build_parser().parse_args(list(argv))
    try:
        series = read_series(arguments.input, kind=arguments.kind)
    except InputError as error:
        sys.stderr.write(f"pappus crisis score: {error}\n")
        return 2
    kind = guess_kind(series.values) if arguments.kind == "auto" else cast(Kind, arguments.kind)
    points = score_series(
        series.timestamps,
        series.values,
        totals=series.totals,
        kind=kind,
        sensitivity=arguments.sensitivity,
        cooldown=arguments.cooldown,
        direction=cast(Direction, arguments.direction),
    )
    output = sys.stdout if str(arguments.output) == "-" else arguments.output.open("w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(["timestamp", "anomaly_score", "alert"])
        for raw, point in zip(series.raw_timestamps, points, strict=True):
            writer.writerow([raw, f"{point.score:.6f}", 1 if point.alert else 0])
    finally:
        if output is not sys.stdout:
            output.close()
    alerts = sum(1 for point in points if point.alert)
    sys.stderr.write(f"pappus crisis score: {len(points)} points ({kind}), {alerts} alert(s) → {arguments.output}\n")
    return 0


def main(action: str, argv: Sequence[str]) -> int:
    handlers = {"score": score_main}
    return handlers[action](argv)
