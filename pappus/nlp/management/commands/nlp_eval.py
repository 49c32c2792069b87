import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print per-language and average macro-F1 on the validation splits, and speed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arguments", nargs=argparse.REMAINDER, help="passed on, e.g. --json")

    def handle(self, *args: Any, **options: Any) -> None:
        from pappus.nlp.commands import eval_main

        eval_main(options["arguments"])
