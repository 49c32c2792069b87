"""Benchmark of the crisis detector on seeded synthetic mention series with labelled events.

    python bench/crisis.py            # full: 3 seeded variants of every scenario, a sensitivity sweep
    python bench/crisis.py --quick    # under a minute: one variant, the default sensitivity only

Scenarios (pappus/crisis/synthetic.py): hourly mention counts over 8 weeks with a daily and weekly
rhythm at 3, 30 and 300 mentions an hour; Poisson or over-dispersed noise; quiet series (with and
without a +80 % trend), sudden spikes of x2, x3, x5 and x10, slow ramps to x2 and x4 over a day,
a level shift x2, negative share rising from 0.12 to 0.3 and 0.5, 10 % missing points, and
15-minute irregular sampling. Only this synthetic data was used to tune the detector.

Printed per scenario family and overall: recall of events (an alert within the event's window),
detection delay (median and 90th percentile, in points and in minutes), false alarms per week
(alerts outside every event's window and the day after it), repeated alerts for one event, and a
NAB-style score (standard profile) over the same windows. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pappus.crisis.detector import DEFAULT_COOLDOWN, DEFAULT_SENSITIVITY
from pappus.crisis.evaluation import Outcome, Summary, evaluate, summarize
from pappus.crisis.synthetic import scenarios


def _family(name: str) -> str:
    """The scenario's family: its name without the variant number and the volume."""
    return re.sub(r" rate=\S+| #\d+", "", name)


def _format(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _line(label: str, summary: Summary) -> str:
    return (
        f"{label:<58} {summary.found:>3}/{summary.events:<3} recall {summary.recall:5.2f}  "
        f"delay p50 {_format(summary.delay_points_median, 0):>3} pts "
        f"({_format(summary.delay_minutes_median, 0):>5} min)  "
        f"p90 {_format(summary.delay_points_p90, 0):>3} pts  "
        f"false alarms/week {summary.false_alarms_per_week:5.3f}  repeats {summary.repeat_alerts}"
    )


def run(sensitivity: float, repeats: int, seed: int, *, verbose: bool) -> tuple[Summary, list[Outcome]]:
    outcomes = [evaluate(scenario, sensitivity=sensitivity) for scenario in scenarios(seed=seed, repeats=repeats)]
    if verbose:
        families: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            families[_family(outcome.scenario.name)].append(outcome)
        for family, members in families.items():
            print(_line(family, summarize(members)))
    return summarize(outcomes), outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one variant per scenario, no sweep (under a minute)")
    parser.add_argument("--sensitivity", type=float, default=DEFAULT_SENSITIVITY)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    repeats = 1 if arguments.quick else 3
    started = time.perf_counter()
    print(
        f"crisis detector on synthetic scenarios (seed {arguments.seed}, {repeats} variant(s), "
        f"sensitivity {arguments.sensitivity}, cool-down {DEFAULT_COOLDOWN})"
    )
    summary, outcomes = run(arguments.sensitivity, repeats, arguments.seed, verbose=True)
    points = sum(len(outcome.points) for outcome in outcomes)
    print(_line("ALL", summary))
    print(f"NAB-style score (standard profile, synthetic windows): {summary.nab_score:.1f}")
    sweep = {}
    if not arguments.quick:
        for sensitivity in (0.3, 0.4, 0.6, 0.7, 0.8):
            other, _ = run(sensitivity, repeats, arguments.seed, verbose=False)
            sweep[str(sensitivity)] = {
                "recall": round(other.recall, 3),
                "delay_points_median": other.delay_points_median,
                "false_alarms_per_week": round(other.false_alarms_per_week, 3),
                "nab_score": round(other.nab_score, 1),
            }
            print(_line(f"sensitivity {sensitivity}", other) + f"  NAB {other.nab_score:.1f}")
    seconds = time.perf_counter() - started
    result = {
        "scenarios": len(outcomes),
        "points": points,
        "weeks_of_data": round(summary.weeks, 1),
        "sensitivity": arguments.sensitivity,
        "cooldown_hours": DEFAULT_COOLDOWN.total_seconds() / 3600,
        "events": summary.events,
        "events_found": summary.found,
        "recall": round(summary.recall, 3),
        "delay_points_median": summary.delay_points_median,
        "delay_points_p90": summary.delay_points_p90,
        "delay_minutes_median": summary.delay_minutes_median,
        "delay_minutes_p90": summary.delay_minutes_p90,
        "false_alarms": summary.false_alarms,
        "false_alarms_per_week": round(summary.false_alarms_per_week, 3),
        "repeat_alerts": summary.repeat_alerts,
        "nab_style_score_standard_profile": round(summary.nab_score, 1),
        "sensitivity_sweep": sweep,
        "seconds": round(seconds, 1),
        "quick": arguments.quick,
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
