"""What ``explain=True`` costs: ``python -m benchmarks.news.explain_cost [--real]``.

Runs the AllSides roundup headlines (505 queries; with ``--real`` over those articles plus
the BBC, Reuters and AllSides article-bias corpora of ``benchmarks.perf.corpus``) with
``limit=10`` several times each way, alternating, and prints p50 and p95 (of the best run of
each query) of the search
without and with explanations and the p50 of the per-query difference: the cost of
explaining the top 10 (the target of issue 13: at most 3 ms).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from searchkit import Index

from .roundups import DEFAULT_DATA, load


def _timed(index: Index, query: str, explain: bool) -> float:
    started = time.perf_counter()
    index.search(query, limit=10, explain=explain, facets=False, snippets=False, suggest_spelling=False)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--real", action="store_true", help="add the perf benchmark's real corpus")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    articles, stories = load(args.data)
    with tempfile.TemporaryDirectory() as folder:
        index = Index.create(Path(folder) / "index")
        index.add_many(articles)
        if args.real:
            from benchmarks.perf.corpus import real_corpus
            index.add_many(real_corpus(args.data))
        index.optimize()
        queries = [story.issue for story in stories]
        plain: list[float] = []
        explained: list[float] = []
        difference: list[float] = []
        for query in queries:  # warm up
            _timed(index, query, True)
        for query in queries:  # alternating, best of N each: the machine may be busy with other work
            runs = [(_timed(index, query, False), _timed(index, query, True)) for _ in range(args.repeat)]
            a, b = min(run[0] for run in runs), min(run[1] for run in runs)
            plain.append(a)
            explained.append(b)
            difference.append(b - a)
        print(f"{len(index):,} articles, {len(queries)} queries, limit 10, best of {args.repeat} alternating runs each; "
              f"{platform.machine()}, Python {platform.python_version()}")

        def q(values: list[float], at: float) -> float:
            return sorted(values)[min(len(values) - 1, int(at * len(values)))]

        print(f"{'':<22} {'p50 ms':>7} {'p95 ms':>7}")
        print(f"{'search':<22} {q(plain, 0.5):>7.2f} {q(plain, 0.95):>7.2f}")
        print(f"{'search, explain=True':<22} {q(explained, 0.5):>7.2f} {q(explained, 0.95):>7.2f}")
        print(f"{'cost of explaining':<22} {q(difference, 0.5):>7.2f} {q(difference, 0.95):>7.2f}")


if __name__ == "__main__":
    main()
