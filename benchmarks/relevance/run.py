"""Measure ranking quality of searchkit and its BM25 peers on the classic IR collections.

Run from the repository root::

    python -m benchmarks.relevance.run [--collections adi,cran] [--engines bm25s,searchkit]

Loads each collection (failing when its counts differ from PROVENANCE.md), indexes it
in every engine, sends every query's raw text, and prints Markdown: the machine, a
collection x engine table of nDCG@10, MAP, P@10 and R@100 with a mean row, wall times,
and searchkit against the best peer by mean nDCG@10 with paired significance tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .collections import NAMES, Collection, CountMismatch, load
from .metrics import METRICS, evaluate, mean, randomization_test, t_test
from .peers import PEERS, Engine
from .opensearch_engine import OpenSearchEngine
from .opensearch_engine import available as opensearch_available
from .searchkit_engine import SearchkitEngine, available

ENGINES: dict[str, Callable[[], Engine]] = {**PEERS, SearchkitEngine.name: SearchkitEngine,
                                            OpenSearchEngine.name: OpenSearchEngine}


@dataclass
class Result:
    """One engine on one collection: per-query scores per metric and seconds spent."""

    scores: dict[str, dict[str, float]]
    index_s: float
    search_s: float


def measure(make: Callable[[], Engine], collection: Collection) -> Result:
    """Index ``collection`` in a fresh engine, run every query, and score the rankings."""
    engine = make()
    start = time.perf_counter()
    engine.index(collection.docs)
    indexed = time.perf_counter()
    run: dict[str, list[str]] = {}
    for qid, text in collection.queries.items():
        try:
            run[qid] = engine.search(text, k=1000)
        except Exception as exc:
            raise RuntimeError(f"{engine.name} failed on {collection.name} query {qid}: {text[:80]!r}") from exc
    searched = time.perf_counter()
    close = getattr(engine, "close", None)
    if callable(close):
        close()
    return Result(evaluate(run, collection.qrels), indexed - start, searched - indexed)


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: Sequence[str], rows: list[list[object]], *, left: int = 1) -> str:
    """A Markdown table; the first ``left`` columns are text, the rest numbers (right-aligned)."""
    aligns = ["---"] * left + ["---:"] * (len(header) - left)
    return "\n".join([_row(header), _row(aligns), *(_row(r) for r in rows)])


def _macro(results: dict[str, Result], metric: str) -> float:
    return sum(mean(r.scores[metric]) for r in results.values()) / len(results)


def report(collections: list[str], engines: list[str], results: dict[str, dict[str, Result]]) -> str:
    """The Markdown report for ``results[engine][collection]``."""
    rows: list[list[object]] = []
    for name in collections:
        for engine in engines:
            scores = results[engine][name].scores
            rows.append([name, engine, *(f"{mean(scores[m]):.4f}" for m in METRICS)])
    for engine in engines:
        rows.append([f"**mean ({len(collections)})**", engine, *(f"{_macro(results[engine], m):.4f}" for m in METRICS)])
    parts = ["## Ranking quality", "", _table(["collection", "engine", *METRICS], rows, left=2), ""]

    timing: list[list[object]] = [
        [
            engine,
            f"{sum(r.index_s for r in results[engine].values()):.2f}",
            f"{sum(r.search_s for r in results[engine].values()):.2f}",
            f"{sum(r.index_s + r.search_s for r in results[engine].values()):.2f}",
        ]
        for engine in engines
    ]
    parts += ["## Wall time (s, all collections)", "", _table(["engine", "index", "search", "total"], timing), ""]

    peers = [e for e in engines if e in PEERS]
    if "searchkit" in engines and peers:
        best = max(peers, key=lambda e: _macro(results[e], "nDCG@10"))
        parts += [f"## searchkit vs {best} (best peer by mean nDCG@10)", "", _comparison(collections, best, results), ""]
    return "\n".join(parts)


def _comparison(collections: list[str], peer: str, results: dict[str, dict[str, Result]]) -> str:
    rows: list[list[object]] = []
    pooled_a: dict[str, float] = {}
    pooled_b: dict[str, float] = {}
    for name in collections:
        a = results["searchkit"][name].scores["nDCG@10"]
        b = results[peer][name].scores["nDCG@10"]
        pooled_a.update({f"{name}:{q}": s for q, s in a.items()})
        pooled_b.update({f"{name}:{q}": s for q, s in b.items()})
        rows.append(_compared(name, a, b))
    rows.append(_compared(f"**all {len(pooled_a)} queries**", pooled_a, pooled_b))
    header = ["collection", "queries", "searchkit", peer, "delta", "p (randomization)", "p (t-test)"]
    note = "nDCG@10; two-sided paired tests over queries: 100,000 sign flips (seed 20240601), scipy ttest_rel."
    return _table(header, rows) + "\n\n" + note


def _compared(label: str, a: dict[str, float], b: dict[str, float]) -> list[object]:
    return [
        label,
        len(a),
        f"{mean(a):.4f}",
        f"{mean(b):.4f}",
        f"{mean(a) - mean(b):+.4f}",
        f"{randomization_test(a, b):.4f}",
        f"{t_test(a, b):.4f}",
    ]


def _names(value: str, known: Sequence[str]) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}; choose from {', '.join(known)}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run every engine on every collection, print the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance.run", description=__doc__.splitlines()[0])
    parser.add_argument("--collections", type=lambda v: _names(v, NAMES), default=list(NAMES))
    parser.add_argument("--engines", type=lambda v: _names(v, list(ENGINES)), default=None)
    args = parser.parse_args(argv)
    missing = available()
    no_cluster = opensearch_available()
    engines: list[str] = args.engines or [
        e for e in ENGINES if (e != "searchkit" or missing is None) and (e != "opensearch" or no_cluster is None)
    ]
    if "searchkit" in engines and missing:
        parser.error(f"--engines names searchkit, but {missing}")
    if "opensearch" in engines and no_cluster:
        parser.error(f"--engines names opensearch, but {no_cluster}")

    print("# searchkit relevance benchmark\n")
    print(f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"- python: {platform.python_implementation()} {platform.python_version()}")
    print(f"- date: {dt.datetime.now().isoformat(timespec='seconds')}")
    if missing:
        print(f"- searchkit: not measured ({missing})")
    loaded: dict[str, Collection] = {}
    for name in args.collections:
        try:
            loaded[name] = load(name)
        except (CountMismatch, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        c = loaded[name].counts()
        print(f"- {name}: {c.docs} docs, {c.queries} queries ({c.judged_queries} judged), {c.judgments} judgments: as stated")
    print()

    results: dict[str, dict[str, Result]] = {e: {} for e in engines}
    for engine in engines:
        for name, collection in loaded.items():
            results[engine][name] = measure(ENGINES[engine], collection)
            spent = results[engine][name].index_s + results[engine][name].search_s
            print(f"{engine} on {name}: {spent:.1f}s", file=sys.stderr, flush=True)
    print(report(list(loaded), engines, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
