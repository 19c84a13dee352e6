"""The optional C kernel of phrase matching (searchkit/_phrases.c).

The promise: with the kernel or without it (not built, or ``SEARCHKIT_PURE_PYTHON=1``),
a phrase matches the same documents with the same counts, so every score is the same
float. Each test runs both on real segments and compares them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import require_kernel, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import Article, Index, read_articles
from searchkit.engine import execute
from searchkit.engine.execute import _numpy_phrase_matches, _phrase_matches
from searchkit.engine.segment import FIELDS


kernel: Callable[..., int] | None
try:
    from searchkit._phrases import phrase_matches as kernel
except ImportError:  # not built: every test skips (fails under CI)
    kernel = None


@pytest.fixture(autouse=True)
def _kernel_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel even where SEARCHKIT_PURE_PYTHON=1 switched it off for the search path.
    require_kernel(kernel is not None, "searchkit/_phrases.c")
    monkeypatch.setattr(execute, "_native_phrase_matches", kernel)


def both_ways(index: Index, phrases: list[list[str]]) -> int:
    """Compare the kernel and numpy on every phrase (terms at offsets 0, 1, ...), segment and
    field; return how many matched somewhere."""
    matched = 0
    for loaded in index._current().segments:
        reader = loaded.reader
        for terms in phrases:
            numbers = [reader.term_id(term) for term in terms]
            if min(numbers) < 0:
                continue
            offsets = list(range(len(terms)))
            for name in FIELDS:
                native = _phrase_matches(reader, name, numbers, offsets)
                postings = [reader.postings(name, number) for number in numbers]
                reference = _numpy_phrase_matches(reader, name, numbers, offsets, postings)
                assert native[0].tolist() == reference[0].tolist(), (terms, name)
                assert native[1].tolist() == reference[1].tolist(), (terms, name)
                assert native[0].dtype == reference[0].dtype and native[1].dtype == reference[1].dtype
                matched += native[0].size > 0
    return matched


WORDS = ["flood", "river", "bank", "rate", "rise", "the", "oil"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), min_size=1, max_size=12))
def test_phrases_match_the_same_with_and_without_the_kernel(tmp_path_factory: pytest.TempPathFactory,
                                                            bodies: list[list[str]]) -> None:
    # Repeated words ("flood flood flood"), a word twice in one phrase, phrases of 2 and 3
    # words, several segments.
    index = Index.create(tmp_path_factory.mktemp("phrases") / "index", refresh_interval=0)
    half = max(len(bodies) // 2, 1)
    for part in (bodies[:half], bodies[half:]):
        if part:
            index.add_many([Article(id=f"a{n}-{len(part)}", headline=" ".join(words[:4]), body=" ".join(words))
                            for n, words in enumerate(part)])
    stems = ["flood", "river", "bank", "rate", "rise", "oil"]
    phrases = [list(pair) for pair in itertools.product(stems, repeat=2)] + [["flood", "flood", "flood"],
                                                                              ["rate", "rise", "oil"]]
    both_ways(index, phrases)
    index.close()


def test_a_run_of_positions_out_of_order_is_left_to_numpy() -> None:
    # Segments hold each document's positions ascending; the kernel says -1 otherwise.
    assert kernel is not None
    docs = np.array([3], dtype=np.uint32)
    tf = np.array([2], dtype=np.uint16)
    out_docs, out_counts = np.empty(1, dtype=np.int64), np.empty(1)
    ascending = kernel([docs, docs], [tf, tf], [np.array([1, 5], np.uint16), np.array([2, 6], np.uint16)], [0, 1],
                       out_docs, out_counts)
    assert (ascending, out_docs.tolist(), out_counts.tolist()) == (1, [3], [2.0])
    unordered = kernel([docs, docs], [tf, tf], [np.array([5, 1], np.uint16), np.array([2, 6], np.uint16)], [0, 1],
                       out_docs, out_counts)
    assert unordered == -1
    with pytest.raises(TypeError):
        kernel([docs.astype(np.int64)], [tf], [tf], [0], out_docs, out_counts)


@pytest.mark.slow
def test_the_bbc_corpus_phrases_match_the_same_with_and_without_the_kernel(tmp_path: Path) -> None:
    with Index.create(tmp_path / "bbc", flush_tokens=150_000, merge_factor=100) as index:
        index.add_many(read_articles(shared_path("data", "bbc-news")))
    index = Index.open(tmp_path / "bbc")
    assert len(index._current().segments) > 1
    phrases = [["prime", "minist"], ["interest", "rate"], ["bank", "of", "england"], ["new", "york"],
               ["oil", "price"], ["world", "cup"], ["chancellor", "gordon", "brown"], ["the", "the"]]
    assert both_ways(index, phrases) >= 10
    index.close()


def test_a_phrase_longer_than_the_kernel_takes_is_matched_by_numpy(tmp_path: Path) -> None:
    # The kernel takes at most 64 terms; a longer phrase is matched in numpy, with the same result.
    words = [f"w{n}" for n in range(80)]
    with Index.create(tmp_path / "long") as index:
        index.add_many([Article(id="all", headline="Long", body=" ".join(words)),
                        Article(id="half", headline="Half", body=" ".join(words[:40]))])
        results = index.search('"' + " ".join(words) + '"')
        assert [hit.id for hit in results.hits] == ["all"]
        assert sorted(hit.id for hit in index.search('"' + " ".join(words[:40]) + '"').hits) == ["all", "half"]
        assert index.search('"' + " ".join(words[1:]) + ' w0"').total == 0
