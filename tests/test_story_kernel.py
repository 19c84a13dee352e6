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
    """The kernel, counting the articles it placed and the runs it weighed (to show the tests ran it)."""

    def __init__(self) -> None:
        self.placed = self.vector_calls = 0

    def place(self, *args: Any) -> Any:
        self.placed += len(args[2]) - 1  # the run's offsets
        return kernel.place(*args)

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
    assert counted.placed == len(articles)  # every article placed by it
    assert counted.vector_calls >= 1  # the runs' vectors made by it
    python = stories_of(tmp_path / "py", articles, None, monkeypatch)
    assert native == python
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


def placing_script(seed: int) -> list[tuple[str, Any]]:
    """Runs of articles (id, headline, day, source, term numbers, weights) and removals between
    them: 60 topics of 12 terms among 400, some articles repeated exactly (equal similarities),
    a fifth undated, days over a month."""
    import random

    rng = random.Random(seed)
    topics = [rng.sample(range(400), 12) for _ in range(60)]
    script: list[tuple[str, Any]] = []
    made: list[tuple[str, str, int, str | None, list[int], list[float]]] = []
    live: list[str] = []
    while len(made) < 700:
        if live and rng.random() < 0.3:
            script += [("remove", live.pop(rng.randrange(len(live)))) for _ in range(min(rng.randint(1, 6), len(live)))]
            continue
        run = []
        for _ in range(min(rng.randint(1, 40), 700 - len(made))):
            if made and rng.random() < 0.1:
                _, headline, day, source, terms, weights = made[rng.randrange(len(made))]
            else:
                topic = rng.choice(topics)
                terms = list(dict.fromkeys(rng.sample(topic, rng.randint(3, 10)) + rng.sample(range(400), 3)))
                raw = [rng.random() + 0.01 for _ in terms]
                norm = sum(w * w for w in raw) ** 0.5
                weights = [w / norm for w in raw]
                day = stories.MISSING_DAY if rng.random() < 0.2 else rng.randrange(20_000, 20_030)
                headline, source = f"headline {len(made)}", rng.choice(["A", "B", None])
            article = (f"a{len(made)}", headline, day, source, terms, weights)
            made.append(article)
            live.append(article[0])
            run.append(article)
        script.append(("add", run))
    return script


def placed_both_ways(tmp_path: Path, options: stories.StoryOptions, script: list[tuple[str, Any]]) -> list[Any]:
    """The stories, centroids, squared lengths, rings and representatives of one clusterer
    placing through the kernel and one in Python; asserts they are the same."""
    made = []
    calls: list[int] = []

    def counted(function: Any) -> Any:
        def call(*args: Any) -> Any:
            calls.append(len(args[0]))
            return function(*args)
        return call

    for native in (kernel, None):
        clusterer = stories.StoryClusterer(stories.StoryState(), committed_df=lambda term: 0, committed_docs=0,
                                           options=options, spill_folder=tmp_path)
        clusterer._vectors._spill_at = 64  # older rows in the temporary files: read through row_vector
        clusterer._place = None if native is None else native.place
        clusterer._representatives = None if native is None else counted(native.representatives)
        if native is None:  # the Python twin in full: dict centroids
            clusterer._new_centroid = stories._dict_centroid
        clusterer._term_ids([f"t{n}" for n in range(400)])
        numbers: list[Any] = []
        for step, (kind, payload) in enumerate(script):
            if kind == "remove":
                assert clusterer.remove(payload)
            else:
                numbers += clusterer.place_many([article[:4] for article in payload],
                                                stories.RunVectors.of([article[4:] for article in payload]))
            if step % 5 == 4:  # representatives chosen again for the stories changed since
                numbers.append(dict(clusterer.representatives()))
        upto = clusterer.next_story  # (the kernel's story arrays have room for more)
        made.append((numbers, dict(clusterer.representatives()), [x.hex() for x in clusterer._norm2[:upto]],
                     {n: {t: w.hex() for t, w in c.items()} for n, c in clusterer._centroids.items()},
                     list(clusterer._listed), list(clusterer._listings), list(clusterer._first[:upto]),
                     list(clusterer._last[:upto]), list(clusterer._next), clusterer.next_story, clusterer.story_count()))
        clusterer.close()
    assert made[0] == made[1]
    assert calls  # the kernel's representatives were compared
    return made[0]


def test_place_is_the_python_placing_article_for_article(tmp_path: Path) -> None:
    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    script = placing_script(7)
    for options in (stories.StoryOptions(), stories.StoryOptions(window_days=None),
                    stories.StoryOptions(rescored=1, candidate_terms=2, stories_per_term=2, join_similarity=0.5)):
        numbers, reps, *_, next_story, live = placed_both_ways(tmp_path, options, script)
        placed = [number for number in numbers if isinstance(number, int)]
        assert len(placed) == 700 and 1 < live < next_story - 1 < 700  # stories joined, some emptied by removals


def test_place_reports_arrays_that_do_not_fit() -> None:
    from array import array

    import numpy as np

    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    clusterer = stories.StoryClusterer(stories.StoryState(), committed_df=lambda term: 0, committed_docs=0)
    clusterer._term_ids(["a", "b"])
    with pytest.raises(IndexError, match="term 5000 outside"):
        clusterer.place_many([("x", "x", 1, None)], stories.RunVectors.of([([5000], [1.0])]))
    run = stories.RunVectors.of([([0], [1.0])])
    with pytest.raises(TypeError, match="array of 'i' items"):
        kernel.place(*run, 0, 1, (8, 5, 8, 0.2, 0.3, 3, stories.MISSING_DAY),
                     (array("d"),) * 8, (array("i"),) * 3 + (array("q"), array("i"), array("d"), 0),
                     (clusterer._listings, clusterer._listed, clusterer._listed_weight), {}, clusterer._vector)
    with pytest.raises(ValueError, match="the run's offsets"):
        clusterer.place_many([("y", "y", 1, None)], run._replace(offsets=np.array([0, 2])))


def test_representatives_report_what_does_not_fit() -> None:
    import numpy as np

    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    clusterer = stories.StoryClusterer(stories.StoryState(), committed_df=lambda term: 0, committed_docs=0)
    clusterer._term_ids(["a", "b", "c"])
    vectors = stories.RunVectors.of([([1], [1.0]), ([0, 1], [0.6, 0.8]), ([0, 1], [0.8, 0.6]), ([2], [1.0])])
    placed = clusterer.place_many([(name, name, 1, None) for name in "xywz"], vectors)
    assert placed == [1, 1, 1, 2]
    arrays = (clusterer._size, clusterer._head, clusterer._next, clusterer._rep, *clusterer._vectors.held())
    kernel.representatives(np.array([1, 2]), *arrays, clusterer._centroids, clusterer._vector)
    # Story 1's centroid is (1.4, 2.4): y's dot 2.76 beats w's 2.56 and x's 2.4.
    assert clusterer._rep[1] == 1 and clusterer._rep[2] == 3
    with pytest.raises(IndexError, match="story 5000 outside"):
        kernel.representatives(np.array([5000]), *arrays, clusterer._centroids, clusterer._vector)
    with pytest.raises(KeyError, match="story 1 has 3 members and no centroid"):
        kernel.representatives(np.array([1]), *arrays, {}, clusterer._vector)
    with pytest.raises(TypeError, match="array of 'ql' items"):
        kernel.representatives(np.array([1], dtype=np.int32), *arrays, clusterer._centroids, clusterer._vector)


def test_place_takes_only_its_own_centroids() -> None:
    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    clusterer = stories.StoryClusterer(stories.StoryState(), committed_df=lambda term: 0, committed_docs=0)
    clusterer._term_ids(["a", "b"])
    vectors = stories.RunVectors.of([([0, 1], [0.6, 0.8])] * 3)
    assert clusterer.place_many([("x", "x", 1, None), ("y", "y", 1, None)], vectors.part(0, 2)) == [1, 1]
    assert type(clusterer._centroids[1]) is kernel.Centroid and clusterer._centroids[1].items() == [(0, 1.2), (1, 1.6)]
    clusterer._centroids[1] = dict(clusterer._centroids[1].items())
    with pytest.raises(TypeError, match="a centroid must be a Centroid, not dict"):
        clusterer.place_many([("z", "z", 1, None)], vectors.part(2, 3))


def test_centroid_keeps_the_order_and_floats_of_a_dict() -> None:
    """Random sets, pops and look-ups on a Centroid and a dict: the same answers, items in the
    same order, through growth and compaction (many pops leave holes)."""
    import random

    require_kernel(kernel is not None, "searchkit/_storykernel.c")
    rng = random.Random(16)
    for size in (3, 40, 700):
        terms = rng.sample(range(2**31 - 1), size) + list(range(size))
        start = [rng.random() for _ in terms[:size]]
        centroid, twin = kernel.Centroid(terms[:size], start), dict(zip(terms[:size], start))
        for _ in range(20 * size):
            term, action = rng.choice(terms), rng.random()
            if action < 0.45:
                weight = rng.random()
                centroid[term] = twin[term] = weight
            elif action < 0.8:
                assert centroid.pop(term, None) == twin.pop(term, None)
            else:
                assert centroid.get(term) == twin.get(term) and centroid.get(term, 0.0) == twin.get(term, 0.0)
                assert (term in centroid) == (term in twin)
            assert len(centroid) == len(twin)
        assert centroid.items() == list(twin.items()) and list(centroid) == list(twin)
        assert centroid.values() == list(twin.values()) and centroid.keys() == list(twin)
    centroid.update([(5, 0.5)])
    assert centroid[5] == 0.5 and centroid.get(-1) is None and centroid.get(2**40, 1.5) == 1.5
    with pytest.raises(KeyError):
        centroid.pop(-1)
    with pytest.raises(TypeError, match="term numbers"):
        centroid.get("a")
    with pytest.raises(ValueError, match="0 to 2"):
        centroid[2**31] = 1.0
    dense = kernel.Centroid(range(1000), [0.5] * 1000)
    assert dense.__sizeof__() < 24 * 1000  # (a dict of floats: about 100 bytes an entry)


def vectors_both_ways(counts: list[stories.StoryCounts], *, committed_docs: int = 0,
                      committed_df: Any = lambda term: 0, options: stories.StoryOptions | None = None) -> list[Any]:
    """Each run's vectors (term numbers, weights as hex) through the kernel and through numpy,
    with one clusterer each; asserts they and the document frequencies are the same."""
    found = []
    for native in (kernel, None):
        clusterer = stories.StoryClusterer(stories.StoryState(), committed_df=committed_df,
                                           committed_docs=committed_docs, options=options)
        clusterer._weigh = None if native is None else native.vectors
        made = [clusterer.vectors(run) for run in counts]
        runs = [[(terms, [w.hex() for w in weights]) for terms, weights in map(vectors.vector, range(vectors.articles))]
                for vectors in made]
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
    # A big committed index: the kernel's log() and numpy's table of math.log agree there too.
    vectors_both_ways(runs[:1], committed_docs=1_234_567, committed_df=lambda term: 40_000 * len(term) + 11)
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
    out = (np.zeros(2, np.int32), np.zeros(2, np.float64), np.zeros(2, np.int64))
    with pytest.raises(ValueError):
        kernel.vectors(np.array([0]), np.array([1]), np.array([0, 2]), np.zeros(1, dtype=np.int64), 0, 30, *out)
    with pytest.raises(IndexError):
        kernel.vectors(np.array([1]), np.array([1]), np.array([0, 1]), np.zeros(1, dtype=np.int64), 0, 30, *out)
    with pytest.raises(ValueError, match="must be 0 or more"):
        kernel.vectors(np.array([0]), np.array([-1]), np.array([0, 1]), np.zeros(1, dtype=np.int64), 0, 30, *out)
    with pytest.raises(ValueError, match="too short"):
        kernel.vectors(np.array([0, 0]), np.array([1, 1]), np.array([0, 1, 2]), np.zeros(1, dtype=np.int64), 0, 30,
                       np.zeros(1, np.int32), np.zeros(1, np.float64), np.zeros(3, np.int64))
