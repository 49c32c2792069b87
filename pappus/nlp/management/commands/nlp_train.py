import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Train the language models from ../shared/data (seeded) and write the model file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arguments", nargs=argparse.REMAINDER, help="passed on, e.g. --seed 13 --output PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        from pappus.nlp.commands import train_main

        train_main(options["arguments"])
