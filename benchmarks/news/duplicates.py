"""Near-duplicates measured (issue 13, item 1): one table per target.

    python -m benchmarks.news.duplicates                  # every part
    python -m benchmarks.news.duplicates --parts reuters,synthetic,roundups,slowdown,collapse,commit

Parts (real data read from ``../shared/data``; read each PROVENANCE.md; nothing is copied):

* ``reuters``: Reuters-21578 (the SGML reader's articles with a body). Ground truth 1: the
  groups of articles whose bodies are identical (whitespace folded); recall = the share of
  the pairs inside those groups that ``Index.duplicates`` puts together. Ground truth 2: a
  seeded sample of 200 pairs with the same headline and different bodies, labelled by the
  exact overlap of their word 3-shingles (lower-cased words of headline and body, no
  stemming: Jaccard >= 0.5, or containment >= 0.8 with Jaccard >= 0.3, is "a copy"); the
  table gives precision and recall of the index against that labelling.
* ``synthetic``: wire copies made from BBC News and the AllSides article-bias corpus: 1,000
  seeded articles of at least 80 words, each copied with 1-3 of: another article's headline,
  the end trimmed (10-40% of the words), a dateline before the text, a credit line and
  boilerplate after it. All articles and copies are indexed; recall = the share of copies
  whose original is among their ``duplicates``; and the pairs of the corpora's own articles that
  are grouped though their bodies differ, with how many of them the exact shingle rule above
  calls copies (BBC News holds several versions of some stories).
* ``roundups``: the AllSides story roundups, 2-3 newsrooms per story: the number of articles
  with any near-duplicate (the target is 0: different newsrooms wrote them).
* ``slowdown``: indexing 6,000 Reuters articles with fingerprints and with them replaced by a
  stub that returns zeros (only in this benchmark), alternately, 3 rounds; best of each.
* ``collapse``: an index of 100,000 articles of ``benchmarks.perf.corpus.scaled_corpus`` (built
  once into ``--work``); the perf query mix searched with and without
  ``collapse="duplicates"`` (``limit=10``, facets on), alternately, best of 3 per query; the
  added p50. The groups are built by the first collapsed search after a commit: timed apart.
* ``commit``: a copy of that index; 5 times: add 100 other scaled articles (one commit), then
  on the new snapshot time one perf query: not collapsed (the first search after a commit
  loads the story file and more), collapsed (its groups made from the last commit's),
  collapsed again (groups made: the search alone), and collapsed with the groups made from
  scratch (the snapshot's cache and lineage emptied, as every first collapsed search after a
  commit did before); medians and their ratios.

Speeds are from whatever machine runs this; on a shared machine quote only the ratios and
differences measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from searchkit import Article, Index, read_articles
from searchkit.engine import segment

from .roundups import DEFAULT_DATA
from .roundups import load as load_roundups

if TYPE_CHECKING:
    from benchmarks.perf.queries import Query

PARTS = ("reuters", "synthetic", "roundups", "slowdown", "collapse", "commit")
_WORD = re.compile(r"\w+")
_DATELINES = ["LONDON", "NEW YORK", "WASHINGTON", "PARIS", "TOKYO", "NAIROBI", "SYDNEY", "BRUSSELS"]
_AGENCIES = ["Reuters", "AP", "AFP", "Wire Service"]


def shingles(article: Article) -> set[tuple[str, ...]]:
    words = _WORD.findall(f"{article.headline} {article.body}".lower())
    return {tuple(words[i:i + 3]) for i in range(max(len(words) - 2, 1))}


def is_copy(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    """The labelling rule of the same-headline sample (see the module docstring)."""
    shared = len(a & b)
    jaccard = shared / len(a | b) if a or b else 0.0
    containment = shared / min(len(a), len(b)) if a and b else 0.0
    return jaccard >= 0.5 or (containment >= 0.8 and jaccard >= 0.3)


def table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"| {'-' * width} | --- |")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")


def build(folder: Path, articles: Iterable[Article]) -> Index:
    index = Index.create(Path(tempfile.mkdtemp(dir=folder.parent)) / folder.name if folder.exists() else folder)
    index.add_many(articles)
    return index


def reuters_articles(data: Path) -> list[Article]:
    return [a for a in read_articles(sorted((data / "reuters21578").glob("reut2-*.sgm"))) if a.body.strip()]


def part_reuters(data: Path, work: Path) -> None:
    articles = reuters_articles(data)
    index = build(work / "reuters", articles)
    by_body: dict[str, list[str]] = defaultdict(list)
    for article in articles:
        by_body[" ".join(article.body.split())].append(article.id)
    groups = [sorted(set(ids)) for ids in by_body.values() if len(set(ids)) > 1]
    pairs = found = 0
    for group in groups:
        for article_id in group:
            pairs += len(group) - 1
            found += len(set(index.duplicates(article_id)) & set(group))
    by_headline: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_headline[article.headline.strip().lower()].append(article)
    candidates = [(a, b) for same in by_headline.values() if 1 < len(same) <= 40
                  for a, b in combinations(same, 2) if " ".join(a.body.split()) != " ".join(b.body.split())]
    sample = random.Random(13).sample(candidates, min(200, len(candidates)))
    labelled = [(a, b, is_copy(shingles(a), shingles(b))) for a, b in sample]
    grouped = [(label, b.id in index.duplicates(a.id)) for a, b, label in labelled]
    true_pos = sum(1 for label, got in grouped if label and got)
    positives = sum(1 for label, _ in grouped if label)
    predicted = sum(1 for _, got in grouped if got)
    table(f"Reuters-21578: {len(articles):,} articles with a body", [
        ("groups of identical bodies", f"{len(groups):,} ({pairs:,} ordered pairs)"),
        ("recall on those pairs (target >= 0.99)", f"{found / pairs:.4f}"),
        ("same-headline pairs sampled (different bodies)", f"{len(sample)} of {len(candidates):,}"),
        ("  labelled copies by exact shingle overlap", f"{positives}"),
        ("  grouped by the index", f"{predicted}"),
        ("  precision / recall against the labels",
         f"{true_pos / predicted if predicted else 1:.3f} / {true_pos / positives if positives else 1:.3f}"),
    ])
    index.close()


def wire_copy(article: Article, number: int, rng: random.Random, headlines: list[str]) -> tuple[Article, list[str]]:
    edits = rng.sample(["headline", "trim", "dateline", "boilerplate"], rng.randint(1, 3))
    headline, body = article.headline, article.body
    if "headline" in edits:
        headline = rng.choice(headlines)
    if "trim" in edits:
        words = body.split(" ")
        body = " ".join(words[: max(1, int(len(words) * (1 - rng.uniform(0.1, 0.4))))])
    if "dateline" in edits:
        body = f"{rng.choice(_DATELINES)}, May {rng.randint(1, 28)} ({rng.choice(_AGENCIES)}) - {body}"
    if "boilerplate" in edits:
        body += (f"\n\nReporting by {rng.choice(['Ana Ruiz', 'Tom Hale', 'Li Wei'])}; editing by "
                 f"{rng.choice(['Sam Ode', 'Kim Park'])}. Our standards: the Trust Principles. "
                 "Subscribe to our newsletter for the day's top stories.")
    copy = Article(id=f"copy-{number}-of-{article.id}", headline=headline, body=body, source="Copy Desk",
                   date=article.date)
    return copy, edits


def part_synthetic(data: Path, work: Path) -> None:
    originals = [*read_articles(data / "bbc-news"), *read_articles(data / "allsides-article-bias" / "jsons")]
    rng = random.Random(20240502)
    long_enough = [a for a in originals if len(a.body.split()) >= 80]
    chosen = rng.sample(long_enough, 1000)
    headlines = [a.headline for a in originals]
    copies = [wire_copy(article, n, rng, headlines) for n, article in enumerate(chosen)]
    index = build(work / "synthetic", [*originals, *(c for c, _ in copies)])
    found = sum(1 for (copy, _), original in zip(copies, chosen) if original.id in index.duplicates(copy.id))
    by_edit: dict[str, list[bool]] = defaultdict(list)
    for (copy, edits), original in zip(copies, chosen):
        for edit in edits:
            by_edit[edit].append(original.id in index.duplicates(copy.id))
    bodies = {" ".join(a.body.split()) for a in originals}
    by_id = {a.id: a for a in originals}
    stray = {tuple(sorted((article.id, other))) for article in originals for other in index.duplicates(article.id)
             if not other.startswith("copy-")
             and " ".join(by_id[other].body.split()) != " ".join(article.body.split())}
    labelled = sum(1 for a, b in stray if is_copy(shingles(by_id[a]), shingles(by_id[b])))
    rows = [
        ("corpus", f"{len(originals):,} BBC News + AllSides article-bias articles ({len(bodies):,} distinct bodies)"),
        ("copies made", f"{len(copies):,} (1-3 edits each)"),
        ("recall: copies grouped with their original (target >= 0.95)", f"{found / len(copies):.4f}"),
    ]
    rows += [(f"  recall of copies with edit '{edit}'", f"{sum(v) / len(v):.4f} of {len(v)}")
             for edit, v in sorted(by_edit.items())]
    rows.append(("pairs of the corpus's own articles grouped, bodies not identical", f"{len(stray)}"))
    rows.append(("  of which copies by the exact shingle rule of the Reuters sample", f"{labelled}"))
    table("Synthetic wire copies", rows)
    index.close()


def part_roundups(data: Path, work: Path) -> None:
    articles, stories = load_roundups(data)
    index = build(work / "roundups", articles)
    by_id = {a.id: a for a in articles}
    pairs = {tuple(sorted((a.id, other))) for a in articles for other in index.duplicates(a.id)}
    across = [(a, b) for a, b in sorted(pairs) if by_id[a].source != by_id[b].source]
    same = [(a, b) for a, b in sorted(pairs) if by_id[a].source == by_id[b].source]
    table("AllSides roundups: different newsrooms on the same story", [
        ("articles / stories", f"{len(articles):,} / {len(stories)}"),
        ("pairs merged across outlets (target 0)", f"{len(across)}"),
        ("pairs merged within one outlet", f"{len(same)} " + ", ".join(
            f"{a}/{b} (same headline: {by_id[a].headline == by_id[b].headline})" for a, b in same)),
    ])
    index.close()


def part_slowdown(data: Path, work: Path) -> None:
    articles = reuters_articles(data)[:6000]
    real = segment.SegmentBuilder.fingerprints

    def stub(self: segment.SegmentBuilder, streams: object = None) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((self.doc_count, 128), np.uint16), np.zeros(self.doc_count, np.uint32)

    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for round_number in range(3):
            for with_prints in (True, False):
                segment.SegmentBuilder.fingerprints = real if with_prints else stub  # type: ignore[method-assign]
                folder = Path(tempfile.mkdtemp(dir=work)) / f"round-{round_number}-{with_prints}"
                started = time.perf_counter()
                build(folder, articles).close()
                times[with_prints].append(time.perf_counter() - started)
    finally:
        segment.SegmentBuilder.fingerprints = real  # type: ignore[method-assign]
    best_with, best_without = min(times[True]), min(times[False])
    table(f"Indexing {len(articles):,} Reuters articles, best of 3 alternating rounds", [
        ("with fingerprints (s)", f"{best_with:.2f}  (all: {', '.join(f'{t:.1f}' for t in times[True])})"),
        ("without (s)", f"{best_without:.2f}  (all: {', '.join(f'{t:.1f}' for t in times[False])})"),
        ("ratio (target <= 1.15)", f"{best_with / best_without:.3f}"),
    ])


def scaled_index(data: Path, work: Path, size: int) -> Path:
    """The folder of an index of ``size`` scaled articles, built once into ``work``."""
    from benchmarks.perf.corpus import scaled_corpus

    folder = work / f"scaled-{size}"
    if not folder.exists():
        started = time.perf_counter()
        build(folder, (Article.model_validate(a) for a in scaled_corpus(size, data=data))).close()
        print(f"(built {folder} in {time.perf_counter() - started:.0f} s)")
    return folder


def scaled_queries(data: Path, size: int) -> list[Query]:
    from benchmarks.perf.corpus import scaled_corpus
    from benchmarks.perf.queries import build_queries, sample

    return build_queries(sample(list(scaled_corpus(min(size, 20_000), data=data))))


def part_collapse(data: Path, work: Path, size: int) -> None:
    index = Index.open(scaled_index(data, work, size))
    queries = scaled_queries(data, size)
    started = time.perf_counter()
    index.search("", collapse="duplicates", limit=1, time_limit=None)
    build_ms = (time.perf_counter() - started) * 1000
    plain: list[float] = []
    collapsed: list[float] = []
    for query in queries:
        best = {None: float("inf"), "duplicates": float("inf")}
        for _ in range(3):
            for mode in (None, "duplicates"):
                started = time.perf_counter()
                index.search(query.text(), sources=list(query.sources) if query.sources else None, since=query.since,
                             until=query.until, limit=10, collapse=mode)
                best[mode] = min(best[mode], (time.perf_counter() - started) * 1000)
        plain.append(best[None])
        collapsed.append(best["duplicates"])
    added = [c - p for c, p in zip(collapsed, plain)]
    table(f"collapse='duplicates' at {len(index):,} articles ({len(queries)} queries, best of 3 each)", [
        ("groups built by the first collapsed search (ms)", f"{build_ms:.0f}"),
        ("p50 without / with collapse (ms)", f"{statistics.median(plain):.2f} / {statistics.median(collapsed):.2f}"),
        ("added p50: median of per-query differences (target <= 2 ms)", f"{statistics.median(added):.3f}"),
        ("p95 without / with (ms)", f"{np.percentile(plain, 95):.2f} / {np.percentile(collapsed, 95):.2f}"),
    ])
    index.close()


def part_commit(data: Path, work: Path, size: int, rounds: int = 5) -> None:
    """The first collapsed search after a commit of 100 articles, with the groups made from
    the last commit's (today) and from scratch (as before), on one snapshot, alternately."""
    from benchmarks.perf.corpus import scaled_corpus

    folder = Path(tempfile.mkdtemp(dir=work)) / "index"
    shutil.copytree(scaled_index(data, work, size), folder)  # the kept index stays as it was
    queries = scaled_queries(data, size)
    added = list(scaled_corpus(100 * rounds, seed=7, data=data))  # other ids than the index's
    times: dict[str, list[float]] = defaultdict(list)
    with Index.open(folder, refresh_interval=0.0) as index:
        index.search("", collapse="duplicates", limit=1, time_limit=None)  # the groups of the first snapshot
        for number in range(rounds):
            index.add_many(added[100 * number:100 * (number + 1)])
            query = queries[number % len(queries)]

            def search(collapse: Literal["duplicates"] | None = "duplicates") -> float:
                started = time.perf_counter()
                index.search(query.text(), limit=10, collapse=collapse, time_limit=None)
                return (time.perf_counter() - started) * 1000

            snapshot = index._current()
            times["plain"].append(search(None))  # what any first search after a commit loads (stories, ...)
            times["incremental"].append(search())  # the groups made from the previous snapshot's
            times["groups kept"].append(search())  # the search alone
            snapshot.cache.pop("duplicate_groups")
            snapshot.lineage.clear()  # nothing to build on: from scratch
            times["from scratch"].append(search())
        articles = len(index)
    shutil.rmtree(folder.parent)
    incremental, scratch = statistics.median(times["incremental"]), statistics.median(times["from scratch"])
    alone = statistics.median(times["groups kept"])
    table(f"the first collapsed search after adding 100 articles and committing, at {articles:,} articles "
          f"({rounds} commits, median)", [
        ("first search after the commit, not collapsed (ms)", f"{statistics.median(times['plain']):.0f}"),
        ("then collapsed, groups from scratch as before (ms)",
         f"{scratch:.0f}  (all: {', '.join(f'{t:.0f}' for t in times['from scratch'])})"),
        ("then collapsed, groups from the last commit's (ms)",
         f"{incremental:.0f}  (all: {', '.join(f'{t:.0f}' for t in times['incremental'])})"),
        ("the same search with the groups made (ms)", f"{alone:.0f}"),
        ("collapsed search: from scratch / from the last commit's", f"{scratch / incremental:.1f}x"),
        ("making the groups alone: from scratch / from the last commit's",
         f"{(scratch - alone) / max(incremental - alone, 0.001):.1f}x"),
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=None, help="where indexes are built (default: a temporary folder; "
                        "the 100,000-article index is kept there for the next run)")
    parser.add_argument("--size", type=int, default=100_000, help="articles of the collapse part")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    with tempfile.TemporaryDirectory(prefix="sk-duplicates-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for part in parts:
            if part in ("collapse", "commit"):
                globals()[f"part_{part}"](args.data, work, args.size)
            else:
                globals()[f"part_{part}"](args.data, work)


if __name__ == "__main__":
    main()
