"""Time searches whose one hit is huge: many matching background bullets, a long headline.

    python -m benchmarks.hostile_hits [--bullets 20000,100000,200000] [--repeat 3]

For each bullet count it builds a small index (in a temporary folder) holding one article
whose background has that many bullets mentioning "harbour", and one article with an 8 MB
headline, then times ``search("harbour", time_limit=1)`` and prints the wall time, how
many snippets the hit carried, the characters of its headline, and whether the time limit
stopped the search. The figures behind README "Snippets" and issue 10 item 3.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

from searchkit import Article, Index, QueryTooComplexError


def build(folder: Path, bullets: int) -> Index:
    index = Index.create(folder)
    index.add_many([
        Article(
            id="bullets",
            headline="Harbour works",
            body="The harbour authority published its plans.",
            background=[f"Bullet {n}: the harbour wall was repaired in section {n}." for n in range(bullets)],
        ),
        Article(id="long-headline", headline="harbour " + "x" * (8 * 1024 * 1024), body="A harbour story."),
    ])
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bullets", default="20000,100000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=1.0)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print("bullets   best s   worst s  snippets(bullets hit)  headline chars(long hit)  outcome")
    for bullets in [int(v) for v in args.bullets.split(",")]:
        scratch = Path(tempfile.mkdtemp())
        try:
            index = build(scratch / "index", bullets)
            timings = []
            outcome = "ok"
            snippets = headline = -1
            for _ in range(args.repeat):
                started = time.perf_counter()
                try:
                    results = index.search("harbour", time_limit=args.time_limit)
                    by_id = {hit.id: hit for hit in results.hits}
                    snippets = len(by_id["bullets"].snippets)
                    headline = len(by_id["long-headline"].headline)
                    outcome = "; ".join(results.warnings) or "ok"
                except QueryTooComplexError as error:
                    outcome = f"QueryTooComplexError: {str(error)[:60]}"
                timings.append(time.perf_counter() - started)
            print(f"{bullets:>7}  {min(timings):7.3f}  {max(timings):8.3f}  {snippets:>21}  {headline:>24}  {outcome[:80]}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
