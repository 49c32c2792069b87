"""CPU time of listening's pure stages per mention, with no database: normalize → dedupe →
[enrich] → match 1,000 topics, in batches of the pipeline's size (``--batch-size``, default the
root's ``services.BATCH_SIZE``), over bench/ingest.py's stream.

    python bench/listening_stages.py [--quick] [--mentions N] [--root DIR] [--batch-size N] [--repeat N]

``--root`` runs the stages of another checkout (e.g. ``git archive <commit> pappus config | tar -x
-C DIR`` with this tree's ``pappus/nlp`` copied in), so old and new code can be timed alternately
in the same minutes on the same stream: on a shared machine only such a same-run comparison
means much. Prints CPU microseconds per mention (``time.process_time``); the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 mentions")
    parser.add_argument("--mentions", type=int, help="how many mentions (default 20,000; 2,000 with --quick)")
    parser.add_argument("--root", default=str(BENCH.parent), help="the checkout whose stages run")
    parser.add_argument("--batch-size", type=int, default=0, help="mentions per batch (default services.BATCH_SIZE)")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the stream; the least CPU is kept")
    options = parser.parse_args()
    count = options.mentions or (2_000 if options.quick else 20_000)
    sys.path.insert(0, options.root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from pappus.listening import pipeline  # the root's, imported before ingest puts this tree on the path

    size = options.batch_size
    if not size:
        import django

        django.setup()
        from pappus.listening import services

        size = services.BATCH_SIZE

    sys.path.insert(1, str(BENCH))
    from ingest import stream, topic_queries

    from pappus.nlp import analyze

    items = list(stream(count))
    index = pipeline.build_topic_index(enumerate(topic_queries(1000)))
    analyze(["warm up the models"])
    memo = hasattr(pipeline, "AnalysisMemo")
    result: dict[str, object] = {
        "root": options.root,
        "mentions": count,
        "batch_size": size,
        "listening": pipeline.__file__,
    }
    for label, analyser in (("stages_without_enrichment_us", None), ("stages_with_enrichment_us", analyze)):
        passes = []
        for _ in range(max(1, options.repeat)):
            extra: dict[str, Any] = {"memo": pipeline.AnalysisMemo()} if memo else {}
            started = time.process_time()
            for start in range(0, count, size):
                pipeline.run_stages(
                    items[start : start + size],
                    mapper=pipeline.map_normalized,
                    already_stored=lambda ids: set(),
                    index=index,
                    sources=("webhook",),
                    analyze=analyser,
                    **extra,
                )
            passes.append(time.process_time() - started)
        result[label] = round(min(passes) / count * 1e6, 1)
        print(f"{label}: {result[label]} us of CPU per mention", flush=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
