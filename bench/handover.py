"""What the inbox hand-over rule costs the ingest pipeline: ``handover.select`` over a synthetic stream.

Every stored batch is checked against the workspace's rule (its connected accounts' handles, topics
marked "send to inbox", replies to the brand's posts) before any job is queued, so the check runs on
the ingest path. This times it alone, in batches of 500 as the pipeline stores them, with 3 accounts
on two networks: ~20 % of the texts hold an @-sign, 2 % address the brand, 1 % reply to its posts,
1 % match a marked topic. No database is needed.

    python bench/handover.py            # 1,000,000 mentions
    python bench/handover.py --quick    # 100,000

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure

BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 mentions (well under a minute)")
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    total = 100_000 if arguments.quick else arguments.mentions
    configure()
    import django

    django.setup()
    from pappus.listening.handover import BrandRule, select
    from pappus.listening.pipeline import NormalizedMention

    class Source:
        send_to_inbox = False

    rule = BrandRule(
        handles=frozenset({"nordlys@social.example", "nordlys.bsky.social", "nordlyskaffe@social.example"}),
        local_parts={"mastodon": frozenset({"nordlys", "nordlyskaffe"}), "bluesky": frozenset({"nordlys.bsky.social"})},
        topic_ids=frozenset({7}),
    )
    generator = random.Random(arguments.seed)
    words = [
        "coffee",
        "tea",
        "morning",
        "oslo",
        "bergen",
        "beans",
        "roast",
        "cup",
        "price",
        "shop",
        "open",
        "today",
        "new",
        "good",
        "slow",
    ]
    networks = ("mastodon", "bluesky", "rss", "webhook")
    parents = {f"brand-post-{number}": "nordlys@social.example" for number in range(50)}
    expected = selected = 0
    seconds = 0.0
    for batch_start in range(0, total, BATCH):
        mentions = []  # made batch by batch, so that memory stays flat at any size
        for number in range(batch_start, min(batch_start + BATCH, total)):
            text = " ".join(generator.choices(words, k=14))
            draw = generator.random()
            topic_ids = [1, 2]
            parent = ""
            if draw < 0.02:
                text += " @nordlys@social.example when do you open?"
                expected += 1
            elif draw < 0.03:
                parent = f"brand-post-{number % 50}"
                expected += 1
            elif draw < 0.04:
                topic_ids = [7]
                expected += 1
            elif draw < 0.20:
                text += f" @someone{number % 997}@elsewhere.example"
            mentions.append(
                NormalizedMention(
                    network=networks[number % 4],
                    external_id=str(number),
                    text=text,
                    author_handle=f"customer{number % 5000}@social.example",
                    parent_external_id=parent,
                    topic_ids=topic_ids,
                )
            )
        started = time.perf_counter()
        # A new rule per batch, as after_store builds one: its patterns are compiled again each time.
        batch_rule = BrandRule(handles=rule.handles, local_parts=rule.local_parts, topic_ids=rule.topic_ids)
        selected += len(select(Source, mentions, batch_rule, parents))  # type: ignore[arg-type]
        seconds += time.perf_counter() - started
    if selected != expected:
        raise SystemExit(f"selected {selected} mentions, expected {expected}")
    print(
        json.dumps(
            {
                "mentions": total,
                "selected": selected,
                "seconds": round(seconds, 3),
                "mentions_per_second": round(total / seconds),
                "microseconds_per_mention": round(seconds / total * 1e6, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
