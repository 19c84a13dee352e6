"""What "did you mean" costs: the same misspelled searches with and without suggestions.

    python -m benchmarks.suggest_timing [--data ../shared/data] [--repeat 5]

Indexes the real corpus (BBC News, Reuters-21578, AllSides; see ``benchmarks/perf/corpus.py``)
in a temporary folder, then times each query below with ``suggest_spelling=True`` and
``False`` (best of ``--repeat`` after one warm-up) and prints both, the difference, and
the suggestion. Suggestions only run when a search finds fewer than 3 articles.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from searchkit import Index

from .perf.corpus import DEFAULT_DATA, real_corpus

QUERIES = [
    "desertoin", "north corea missile", "nroth korea", "wildfrie", "goverment budgit",
    "presidnet obama", "oil pirce", "elektion resluts", "chelsae", "footbal", "terrorsim",
    "iarn nuclear talks", "microsft", "intrest rates", "xqzv",
]  # fmt: skip


def best(index: Index, query: str, suggest: bool, repeat: int) -> tuple[float, str | None]:
    index.search(query, suggest_spelling=suggest)
    timings = []
    suggestion = None
    for _ in range(repeat):
        started = time.perf_counter()
        results = index.search(query, suggest_spelling=suggest)
        timings.append(time.perf_counter() - started)
        suggestion = results.suggestion
    return min(timings) * 1000, suggestion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    articles = real_corpus(args.data)
    scratch = Path(tempfile.mkdtemp())
    try:
        index = Index.create(scratch / "index")
        index.add_many(articles)
        print(f"corpus: {len(index):,} articles (real); machine: {platform.machine()}, "
              f"{platform.system()}, Python {platform.python_version()}")
        print(f"{'query':<24} {'total':>5} {'no sugg. ms':>11} {'with ms':>8} {'extra ms':>8}  suggestion")
        extras = []
        for query in QUERIES:
            plain, _ = best(index, query, False, args.repeat)
            full, suggestion = best(index, query, True, args.repeat)
            total = index.search(query, suggest_spelling=False).total
            extras.append(full - plain)
            print(f"{query:<24} {total:>5} {plain:>11.1f} {full:>8.1f} {full - plain:>8.1f}  {suggestion}")
        print(f"extra ms: median {statistics.median(extras):.1f}, max {max(extras):.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
