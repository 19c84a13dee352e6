"""Story clustering: quality on the AllSides roundups, speed at scale:
``python -m benchmarks.news.stories [--articles N] [--data FOLDER]``.

Quality: the 1,479 articles of ``../shared/data/allsides-roundups`` (read its PROVENANCE.md)
are indexed with searchkit's defaults in the file's order, and ``Index.story`` groups them;
AllSides' story ids are the truth. Printed per method: B-cubed precision, recall and F1 (per
article: the share of its cluster that is its story, and of its story that is its cluster)
and the same over pairs of articles. Methods:

- ``TF-IDF leader``: the floor. Headline and body terms (searchkit's analysis), raw term
  frequency times ``ln((N + 1) / (df + 1))`` over the whole corpus, cosine with each
  cluster's first article (its leader); an article joins the most similar leader at or above
  0.3 (the best of 0.2/0.25/0.3/0.35 for it), else leads a new cluster. No dates.
- ``searchkit stories``: with the dates as :mod:`.roundups` loads them (from the URL, else
  the roundup's day), with only URL dates (the roundup's day is shared by a whole story
  and flatters dates) and with none (content alone).

Speed: ``--articles`` (default 100,000) articles of ``benchmarks.perf.corpus.scaled_corpus``
indexed into a new folder by one ``add_many``, first with the clustering switched off (plain
indexing: ``Index.create(stories=False)``, so the workers count no story terms and nothing
is clustered), then as shipped; and the same articles clustered alone by the
engine's clusterer (``StoryClusterer.add_many``, no index, the story terms counted here). Rates are also given as ratios
to plain indexing in the same run, the figure to compare across machines (a shared machine
makes absolute rates noisy).
"""

from __future__ import annotations

import argparse
import math
import platform
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from pathlib import Path

from searchkit import Article, Index
from searchkit.analysis import field_terms
from searchkit.engine.segment import day_number
from searchkit.engine.stories import StoryClusterer, StoryState

from .roundups import DEFAULT_DATA, load

LEADER_SIMILARITY = 0.3


def bcubed(clusters: Mapping[str, str], truth: Mapping[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of ``clusters`` (article -> cluster) against ``truth``."""
    members, stories = defaultdict(set), defaultdict(set)
    for article, cluster in clusters.items():
        members[cluster].add(article)
        stories[truth[article]].add(article)
    precision = recall = 0.0
    for article, cluster in clusters.items():
        shared = len(members[cluster] & stories[truth[article]])
        precision += shared / len(members[cluster])
        recall += shared / len(stories[truth[article]])
    precision, recall = precision / len(clusters), recall / len(clusters)
    return precision, recall, 2 * precision * recall / (precision + recall)


def pairwise(clusters: Mapping[str, str], truth: Mapping[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over the pairs of articles put in one cluster."""
    groups = defaultdict(list)
    for article, cluster in clusters.items():
        groups[cluster].append(article)
    together = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    right = sum(1 for g in groups.values() for a, b in combinations(g, 2) if truth[a] == truth[b])
    should = sum(n * (n - 1) // 2 for n in Counter(truth[a] for a in clusters).values())
    precision, recall = (right / together if together else 0.0), right / should
    return precision, recall, (2 * precision * recall / (precision + recall) if right else 0.0)


def leader_clusters(articles: Sequence[Article], threshold: float = LEADER_SIMILARITY) -> dict[str, str]:
    """Plain TF-IDF leader clustering (the module docstring's floor)."""
    counts = [Counter(field_terms(a.headline)[0] + field_terms(a.body)[0]) for a in articles]
    df = Counter(term for c in counts for term in c)
    n = len(articles)
    leaders: list[tuple[dict[str, float], str]] = []
    clusters = {}
    for article, count in zip(articles, counts):
        vector = {t: tf * math.log((n + 1) / (df[t] + 1)) for t, tf in count.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vector = {t: w / norm for t, w in vector.items()}
        best, best_similarity = None, threshold
        for leader, name in leaders:
            similarity = sum(w * leader.get(t, 0.0) for t, w in vector.items())
            if similarity >= best_similarity:
                best, best_similarity = name, similarity
        if best is None:
            best = article.id
            leaders.append((vector, best))
        clusters[article.id] = best
    return clusters


def searchkit_clusters(articles: Sequence[Article]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        with Index.create(Path(folder) / "roundups") as index:
            index.add_many(articles)
            return {a.id: index.story(a.id).id for a in articles}


def quality(data: Path) -> None:
    articles, stories = load(data)
    truth = {article: story.id for story in stories for article in story.article_ids}
    rows = [("TF-IDF leader (0.3, no dates)", leader_clusters(articles))]
    for dates, label in (("url-or-roundup", "URL or roundup dates"), ("url", "URL dates only"), ("none", "no dates")):
        dated, _ = load(data, dates=dates)
        rows.append((f"searchkit stories ({label})", searchkit_clusters(dated)))
    print(f"AllSides roundups: {len(articles):,} articles, {len(stories)} stories")
    print(f"| {'method':<40} | B3 P  | B3 R  | B3 F1 | pair P | pair R | pair F1 | clusters |")
    print(f"|{'-' * 42}|-------|-------|-------|--------|--------|---------|----------|")
    for name, clusters in rows:
        b = bcubed(clusters, truth)
        p = pairwise(clusters, truth)
        print(f"| {name:<40} | {b[0]:.3f} | {b[1]:.3f} | {b[2]:.3f} | {p[0]:.3f}  | {p[1]:.3f}  | {p[2]:.3f}   "
              f"| {len(set(clusters.values())):>8,} |")


def _index(count: int, data: Path, *, stories: bool) -> float:
    """Seconds to index ``count`` scaled articles into a new folder (one ``add_many``)."""
    from benchmarks.perf.corpus import scaled_corpus

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with Index.create(Path(folder) / "scaled", stories=stories) as index:
            report = index.add_many(scaled_corpus(count, data=data))
        seconds = time.perf_counter() - started
    assert report.added == count
    return seconds


def speed(count: int, data: Path) -> None:
    from benchmarks.perf.corpus import scaled_corpus

    print(f"\nscaled corpus: {count:,} articles (benchmarks.perf.corpus, seed 20240601)")
    plain = _index(count, data, stories=False)  # plain indexing: no clustering
    with_stories = _index(count, data, stories=True)
    clusterer = StoryClusterer(StoryState(), committed_df=lambda term: 0, committed_docs=0)
    items = [(item["id"], item["headline"], item["body"], day_number(item["date"]), item["source"])
             for item in scaled_corpus(count, data=data)]
    started = time.perf_counter()
    clusterer.add_many(items)
    alone = time.perf_counter() - started
    print(f"| {'what':<46} | articles/s | × plain indexing |")
    print(f"|{'-' * 48}|------------|------------------|")
    for name, seconds in (("plain indexing (clustering switched off)", plain),
                          ("indexing with stories (add_many, one commit)", with_stories),
                          ("clustering alone (StoryClusterer.add_many)", alone)):
        print(f"| {name:<46} | {count / seconds:>10,.0f} | {plain / seconds:>16.2f} |")
    print(f"{clusterer.story_count():,} stories (the scaled corpus mixes real sentences at random, so most "
          "articles stand alone: every article searches for candidates and starts a story, the costly case)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000, help="articles for the speed table (0: skip it)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    quality(args.data)
    if args.articles:
        speed(args.articles, args.data)


if __name__ == "__main__":
    main()
