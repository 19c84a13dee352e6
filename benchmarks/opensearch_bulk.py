"""Bulk indexing into an OpenSearch cluster: where ``add_many``'s time goes, and its settings side by side.

    python -m benchmarks.opensearch_bulk [--url http://127.0.0.1:9201] [--articles 3000] [--rounds 3]
        [--variants 500:0,500:1,500:2,1000:1] [--profile]

Each variant ``CHUNK:IN_FLIGHT`` sets :data:`searchkit.opensearch.index.BULK_CHUNK` (articles
per bulk request) and :data:`~searchkit.opensearch.index.BULK_IN_FLIGHT` (requests sent while
the next chunk is analysed; 0 = each chunk sent and settled before the next is read, as
``add_many`` did before), then adds the same scaled articles (see
:mod:`benchmarks.perf.corpus`) into a new index (3 shards, 1 replica), dropped after. The
variants run in turn, ``--rounds`` times, the order rotated each round; the shared machine's
load moves absolute rates a lot, so the report is each variant's median articles/s and its
median ratio to the first variant's rate in the same round. ``--profile`` first runs the
first variant once under cProfile and prints where the time went (analysis, JSON, the
cluster's answer to bulk and mget requests).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import uuid

from .perf.corpus import DEFAULT_DATA, _pool, scaled_corpus


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.opensearch_bulk", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get("SEARCHKIT_BENCH_OPENSEARCH", "http://127.0.0.1:9201"))
    p.add_argument("--articles", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--variants", default="500:0,500:1,500:2,1000:1")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args(argv)

    import searchkit
    from searchkit.opensearch import index as module

    variants = [tuple(int(x) for x in v.split(":")) for v in a.variants.split(",")]
    _pool(DEFAULT_DATA)
    articles = [searchkit.Article(**art) for art in scaled_corpus(a.articles)]
    base = a.url.rstrip("/")

    def run(chunk: int, in_flight: int, profile: cProfile.Profile | None = None) -> float:
        module.BULK_CHUNK, module.BULK_IN_FLIGHT = chunk, in_flight
        idx = searchkit.OpenSearchIndex.create(f"{base}/sk-bulk-{uuid.uuid4().hex[:10]}", shards=3, replicas=1)
        try:
            started = time.perf_counter()
            if profile:
                profile.enable()
            report = idx.add_many(articles)
            if profile:
                profile.disable()
            seconds = time.perf_counter() - started
        finally:
            idx.drop()
            idx.close()
        if report.added != len(articles) or report.rejected:
            sys.exit(f"variant {chunk}:{in_flight}: {report}")
        return len(articles) / seconds

    if a.profile:
        profile = cProfile.Profile()
        rate = run(*variants[0], profile=profile)
        print(f"profile of {variants[0][0]}:{variants[0][1]} ({rate:,.0f} articles/s under the profiler):")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    rates: dict[tuple[int, ...], list[float]] = {v: [] for v in variants}
    ratios: dict[tuple[int, ...], list[float]] = {v: [] for v in variants}
    for r in range(a.rounds):
        this_round = {}
        for chunk, in_flight in variants[r % len(variants):] + variants[:r % len(variants)]:
            this_round[(chunk, in_flight)] = rate = run(chunk, in_flight)
            print(f"round {r + 1}: {chunk}:{in_flight} {rate:,.0f} articles/s (load {os.getloadavg()[0]:.1f})",
                  file=sys.stderr, flush=True)
        for v, rate in this_round.items():
            rates[v].append(rate)
            ratios[v].append(rate / this_round[variants[0]])
    print(f"{len(articles):,} scaled articles into {base}, {a.rounds} rounds, machine load "
          f"{os.getloadavg()[0]:.1f}")
    print("| BULK_CHUNK:BULK_IN_FLIGHT | median articles/s | median ratio to the first, same round |")
    print("|---|---:|---:|")
    for v in variants:
        print(f"| {v[0]}:{v[1]} | {statistics.median(rates[v]):,.0f} | {statistics.median(ratios[v]):.2f}× |")


if __name__ == "__main__":
    main()
