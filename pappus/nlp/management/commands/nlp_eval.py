from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print per-language and average macro-F1 on the validation splits, and speed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
        parser.add_argument("--speed-texts", type=int, default=3000)

    def handle(self, *args: Any, **options: Any) -> None:
        from pappus.nlp.commands import eval_main

        arguments = ["--speed-texts", str(options["speed_texts"])]
        if options["json"]:
            arguments.append("--json")
        eval_main(arguments)
