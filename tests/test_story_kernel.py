"""The optional C loops of placing an article in a story (searchkit/_storykernel.c).

The promise: with the kernel or without it (not built, or ``SEARCHKIT_PURE_PYTHON=1``), every
article gets the same story, with the same representative headline. Each test indexes real
articles both ways and compares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import require_kernel, shared_path

from searchkit import Article, Index, read_articles
from searchkit.engine import stories

kernel: Any
try:
    from searchkit import _storykernel as kernel
except ImportError:  # not built: every test skips (fails under CI)
    kernel = None


class Counted:
    """The kernel, counting its calls (to show the tests ran it)."""

    def __init__(self) -> None:
        self.calls = 0

    def candidates(self, *args: Any) -> Any:
        self.calls += 1
        return kernel.candidates(*args)

    def join(self, *args: Any) -> Any:
        self.calls += 1
        return kernel.join(*args)

    def products(self, *args: Any) -> Any:
        self.calls += 1
        return kernel.products(*args)


class CountedWhole(Counted):
    """The kernel with its ``vectors`` and its whole ``best`` (Python before 3.12), counting their calls."""

    def __init__(self) -> None:
        super().__init__()
        self.best_calls = self.vector_calls = 0

    def best(self, *args: Any) -> Any:
        self.best_calls += 1
        return kernel.best(*args)

    def vectors(self, *args: Any) -> Any:
        self.vector_calls += 1
        return kernel.vectors(*args)


def stories_of(folder: Path, articles: list[Article], native: Counted | None,
               monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each article's story id, members and representative headline."""
    monkeypatch.setattr(stories, "_native", native)
    with Index.create(folder) as index:
        index.add_many(articles)
        return [f"{story.id} {','.join(story.article_ids)} {story.headline}"
                for story in map(index.story, (article.id for article in articles))]


def check_both_ways(tmp_path: Path, articles: list[Article], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    monkeypatch.delenv("SEARCHKIT_PURE_PYTHON", raising=False)
    counted = Counted()
    native = stories_of(tmp_path / "c", articles, counted, monkeypatch)
    assert counted.calls >= len(articles)  # each article's candidates at least
    python = stories_of(tmp_path / "py", articles, None, monkeypatch)
    assert native == python
    whole = CountedWhole()
    if not hasattr(kernel, "best"):
        del CountedWhole.best  # Python 3.12 on: candidates() and products() place the articles
    assert stories_of(tmp_path / "whole", articles, whole, monkeypatch) == python
    assert whole.vector_calls >= 1  # the runs' vectors made by it
    assert whole.best_calls == (len(articles) if hasattr(kernel, "best") else 0)  # every article placed by it
    return native


def test_the_roundups_get_the_same_stories_with_and_without_the_kernel(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    shared_path("data", "allsides-roundups", "roundups.jsonl")
    from benchmarks.news.roundups import load

    articles = load(shared_path("data"))[0]
    found = check_both_ways(tmp_path, articles, monkeypatch)
    assert len({line.split()[0] for line in found}) == 604  # as tests/test_stories_indexing.py pins


@pytest.mark.slow
def test_the_bbc_corpus_gets_the_same_stories_with_and_without_the_kernel(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Undated articles, one source: stories made by content alone.
    articles = list(read_articles(shared_path("data", "bbc-news")))
    found = check_both_ways(tmp_path, articles, monkeypatch)
    assert len(found) == 2225


def test_products_are_pythons_products_of_the_centroid_or_the_head_vector() -> None:
    from array import array
    from itertools import repeat
    from operator import mul

    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    terms, vector = [7, 3, 11, 5, 2], [0.6, 0.1 + 0.2, 1e-300, -0.25, 0.4]
    head_terms, head_weights = array("i", [5, 9, 7, 5, 2]), array("d", [0.3, 0.9, 0.7, 0.45, -0.0])
    centroid = {7: 1.1, 5: 0.2 + 0.1, 2: 3.0, 4: 1.0}
    for story_centroid, head in ((centroid, (None, None)), (None, (head_terms, head_weights))):
        looked_up = story_centroid if story_centroid is not None else dict(zip(*head))
        expected = list(map(mul, vector, map(looked_up.get, terms, repeat(0.0))))
        got = kernel.products(vector, terms, story_centroid, *head)
        assert [x.hex() for x in got] == [x.hex() for x in expected]  # -0.0 and last-of-repeated included


def test_best_sums_as_python_and_keeps_the_first_of_equal_similarities() -> None:
    from array import array
    from itertools import repeat
    from operator import mul

    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    if not hasattr(kernel, "best"):
        pytest.skip("best() exists before Python 3.12 only")
    width, missing = 2, stories.MISSING_DAY
    # Terms 0-3; stories 1 (centroid), 2 (one article: its head row's vector), 3 (undated), 4 (removed).
    listings = array("q", [2, 1, 1, 1])
    listed = array("i", [1, 2, 3, 0, 2, 0, 4, 0])
    listed_weight = array("d", [0.0, 0.5, 0.7, 0.0, 0.25, 0.0, 0.9, 0.0])
    sizes = array("i", [0, 2, 1, 1, 0])
    centroids = {1: {0: 0.1 + 0.2, 2: 0.3}, 3: {1: 0.7, 0: 1e-300}}
    length = array("d", [0.0, 0.5, 0.6, 0.7, 1.0])
    first = array("i", [missing, 10, 12, missing, missing])
    lo, hi = array("i", [0, 7, 9, -(2**31 - 1), 0]), array("i", [0, 13, 15, 2**31 - 1, 0])
    heads = array("i", [0, 0, 5, 0, 0])
    rows = {5: (array("i", [0, 2, 0]), array("d", [0.4, 0.5, 0.45]))}  # the last of a repeated term wins
    terms, vector = [0, 2, 1, 3], [0.6, 0.1 + 0.2, 0.5, 0.4]

    def expected(day: int, join: float, undated: float) -> int | None:
        best, best_similarity = None, 0.0
        for story in (1, 2, 3):
            if day != missing and not lo[story] <= day <= hi[story]:
                continue
            centroid = centroids.get(story) or dict(zip(*rows[heads[story]]))
            similarity = sum(map(mul, vector, map(centroid.get, terms, repeat(0.0)))) / length[story]
            needed = undated if day == missing or first[story] == missing else join
            if similarity >= needed and (best is None or similarity > best_similarity):
                best, best_similarity = story, similarity
        return best

    def best(day: int, join: float, undated: float) -> int | None:
        found: int | None = kernel.best(terms, vector, 8, day, day != missing, width, listings, listed, listed_weight,
                                        lo, hi, sizes, centroids, length, 5, first, heads, rows.__getitem__, join,
                                        undated, missing)
        return found

    for day in (missing, 8, 11, 14, 100):
        for join, undated in ((0.2, 0.3), (0.0, 0.0), (0.5, 0.9), (5.0, 5.0)):
            assert best(day, join, undated) == expected(day, join, undated), (day, join, undated)
    assert best(11, 0.0, 0.0) == 2  # a dated match: the head's vector 0.6*0.45 + 0.3*0.5 over 0.6 = 0.7
    assert best(100, 0.0, 5.0) is None  # out of every dated window; story 3 undated needs 5.0
    with pytest.raises(KeyError):
        kernel.best(terms, vector, 8, 11, True, width, listings, listed, listed_weight, lo, hi, sizes, centroids,
                    length, 5, first, array("i", [0, 0, 6, 0, 0]), rows.__getitem__, 0.2, 0.3, missing)


def vectors_both_ways(counts: list[stories.StoryCounts], *, committed_docs: int = 0,
                      committed_df: Any = lambda term: 0, options: stories.StoryOptions | None = None) -> list[Any]:
    """Each run's vectors (term numbers, weights as hex) through the kernel and through numpy,
    with one clusterer each; asserts they and the document frequencies are the same."""
    found = []
    for native in (kernel, None):
        clusterer = stories.StoryClusterer(stories.StoryState(), committed_df=committed_df,
                                           committed_docs=committed_docs, options=options)
        clusterer._kernel, clusterer._weigh = native, None if native is None else native.vectors
        runs = [[(list(terms), [w.hex() for w in weights]) for terms, weights in clusterer.vectors(run)]
                for run in counts]
        found.append((runs, clusterer._df[:len(clusterer.term_names)].tolist(), clusterer._docs))
    assert found[0] == found[1]
    return found[0][0]


def test_vectors_are_numpys_vectors_on_the_bbc_corpus() -> None:
    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    articles = list(read_articles(shared_path("data", "bbc-news")))
    runs = [stories.story_counts((a.headline, a.body) for a in articles[at:at + 256]) for at in range(0, 2225, 256)]
    made = vectors_both_ways(runs)
    assert sum(map(len, made)) == 2225 and {len(terms) for run in made for terms, _ in run} == {30}
    # A committed index whose frequencies pass its article count (deleted articles): weights below 0.
    vectors_both_ways(runs[:2], committed_docs=3, committed_df=lambda term: 7 * len(term))
    vectors_both_ways(runs[:2], options=stories.StoryOptions(terms_per_article=1))
    vectors_both_ways(runs[:2], options=stories.StoryOptions(terms_per_article=0))


def test_vectors_of_empty_articles_ties_and_repeated_terms() -> None:
    import numpy as np

    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    # Article 0 empty, article 1's two terms tie (kept as given), article 2 repeats article 1's terms.
    run = stories.StoryCounts(["b", "a", "c"], np.array([0, 0, 2, 5]), np.array([1, 0, 2, 1, 0]),
                              np.array([3, 3, 1, 1, 2]))
    made = vectors_both_ways([run, run])
    assert made[0][0] == ([], [])
    assert made[0][1][0] == [1, 0] and made[0][1][1][0] == made[0][1][1][1]
    assert vectors_both_ways([stories.StoryCounts([], np.array([0]), np.array([], dtype=np.int64),
                                                  np.array([], dtype=np.int64))]) == [[]]
    with pytest.raises(ValueError):
        kernel.vectors(np.array([0]), np.array([1]), np.array([0, 2]), np.zeros(1, dtype=np.int64), 0,
                       np.zeros(8), 30)
    with pytest.raises(IndexError):
        kernel.vectors(np.array([1]), np.array([1]), np.array([0, 1]), np.zeros(1, dtype=np.int64), 0, np.zeros(8), 30)
