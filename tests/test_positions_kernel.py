"""The optional C kernels of a hit's positions in a posting list (searchkit/_scoring.c
``doc_positions``, and ``page_positions`` for a page's documents in one walk), which snippets
read the query's terms from.

The promise: with the kernels or without them, every document's positions of every term are
the same, whether the frequencies before it are summed by the kernel or come summed already,
one document at a time or a page at once; a document the list lacks is None. Checked on the real BBC segments (two bytes a position) and
on Hypothesis articles long enough to need four.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import require_kernel, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import Article, Index, read_articles
from searchkit.engine import tokenmap
from searchkit.engine.segment import FIELDS
from searchkit.engine.tokenmap import BodyPositions

kernel: Callable[..., Any] | None
page_kernel: Callable[..., Any] | None
try:
    from searchkit._scoring import doc_positions as kernel, page_positions as page_kernel
except ImportError:  # not built: every test skips (fails under CI)
    kernel = page_kernel = None


@pytest.fixture(autouse=True)
def _kernel_on(monkeypatch: pytest.MonkeyPatch) -> None:
    require_kernel(kernel is not None, "searchkit/_scoring.c")
    monkeypatch.setattr(tokenmap, "_native_doc_positions", kernel)
    monkeypatch.setattr(tokenmap, "_native_page_positions", page_kernel)


def check_segment(reader: Any, terms: list[str]) -> int:
    """Every document of the segment (present or not) against every term's posting list in
    every field, both ways; returns how many (term, field, document) held positions."""
    held = listed = 0
    rng = np.random.default_rng(3)
    for term in terms:
        for field in FIELDS:
            postings = BodyPositions()._postings(reader, term, field)
            if postings is None:
                continue
            docs, tf, pos = postings[:3]
            listed += docs.size
            ends = tf.cumsum(dtype=np.int64)
            for doc in range(reader.doc_count):
                reference = BodyPositions._numpy_positions([docs, tf, pos, None], doc)
                assert kernel is not None
                assert kernel(docs, tf, pos, None, doc) == reference, (term, field, doc)
                assert kernel(docs, tf, pos, ends, doc) == reference, (term, field, doc)
                held += reference is not None
            for size in (1, 3, 10, 40):  # pages: the segment's documents, some in the list, some not
                page = sorted(rng.choice(reader.doc_count, size=min(size, reader.doc_count), replace=False).tolist())
                assert page_kernel is not None
                assert page_kernel(docs, tf, pos, page) == [
                    BodyPositions._numpy_positions([docs, tf, pos, None], doc) for doc in page], (term, field, page)
    assert held == listed  # every listed document, and no other, has positions
    return held


@pytest.mark.slow
def test_the_bbc_corpus_positions_are_the_same_with_and_without_the_kernel(tmp_path: Path) -> None:
    with Index.create(tmp_path / "bbc", flush_tokens=400_000, merge_factor=100) as index:
        index.add_many(read_articles(shared_path("data", "bbc-news")))
    index = Index.open(tmp_path / "bbc")
    segments = index._current().segments
    assert len(segments) > 1
    held = sum(check_segment(loaded.reader, ["the", "said", "minist", "england", "oil", "zzzz"])
               for loaded in segments)
    assert held > 2_000
    # Whole searches: the same snippets with the kernel and without.
    for query in ("oil prices", "prime minister", '"world cup"', "film OR music", "said"):
        with_kernel = [hit.snippets for hit in index.search(query, limit=30).hits]
        tokenmap._native_page_positions = None  # one hit at a time
        one_by_one = [hit.snippets for hit in index.search(query, limit=30).hits]
        tokenmap._native_doc_positions = None
        without = [hit.snippets for hit in index.search(query, limit=30).hits]
        tokenmap._native_doc_positions, tokenmap._native_page_positions = kernel, page_kernel
        assert with_kernel == one_by_one == without and with_kernel, query
    index.close()


WORDS = ["flood", "river", "bank", "rate", "rise"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(articles=st.lists(st.tuples(st.lists(st.sampled_from(WORDS), max_size=4),
                                   st.lists(st.sampled_from(WORDS), min_size=1, max_size=40),
                                   st.integers(0, 70_000)), min_size=1, max_size=12))
def test_random_articles_positions_are_the_same_with_and_without_the_kernel(
        tmp_path_factory: pytest.TempPathFactory, articles: list[tuple[list[str], list[str], int]]) -> None:
    # A long run of filler before the words puts positions past 65,535 (four bytes each).
    index = Index.create(tmp_path_factory.mktemp("positions") / "index", refresh_interval=0)
    index.add_many([Article(id=f"a{n}", headline=" ".join(head) or "Untitled",
                            body=("x " * filler) + " ".join(body))
                    for n, (head, body, filler) in enumerate(articles)])
    for loaded in index._current().segments:
        check_segment(loaded.reader, WORDS + ["x", "zzzz"])
    index.close()


def test_a_page_is_read_in_one_walk_and_checked() -> None:
    assert page_kernel is not None
    docs, tf = np.array([1, 4, 9], np.uint32), np.array([2, 1, 3], np.uint16)
    pos = np.array([0, 5, 7, 1, 2, 3], np.uint16)
    assert page_kernel(docs, tf, pos, [0, 1, 4, 5, 9, 10]) == [None, [0, 5], [7], None, [1, 2, 3], None]
    assert page_kernel(docs, tf.astype(np.uint32), pos.astype(np.uint32), [9]) == [[1, 2, 3]]
    assert page_kernel(docs, tf, pos, []) == []
    assert page_kernel(docs.astype(np.int64), tf, pos, [4]) == -1
    with pytest.raises(ValueError, match="not ascending"):
        page_kernel(docs, tf, pos, [4, 1])
    with pytest.raises(ValueError, match="past the end of the positions"):
        page_kernel(docs, tf, pos[:4], [9])


def test_other_types_are_left_to_numpy() -> None:
    assert kernel is not None
    docs, tf = np.array([1, 4, 9], np.uint32), np.array([2, 1, 3], np.uint16)
    pos = np.array([0, 5, 7, 1, 2, 3], np.uint16)
    assert kernel(docs, tf, pos, None, 4) == [7]
    assert kernel(docs, tf, pos, None, 9) == [1, 2, 3]
    assert kernel(docs, tf, pos, np.array([2, 3, 6]), 1) == [0, 5]
    assert kernel(docs, tf, pos, None, 5) is None
    assert kernel(docs, tf, pos, None, 10) is None
    assert kernel(docs.astype(np.int64), tf, pos, None, 4) == -1
    assert kernel(docs, tf.astype(np.int64), pos, None, 4) == -1
    assert kernel(docs, tf, pos.astype(np.int8), None, 4) == -1
    assert kernel(docs, tf, pos, np.array([2, 3, 6], np.int32), 4) == -1
    with pytest.raises(ValueError, match="past the end of the positions"):
        kernel(docs, tf, pos[:4], None, 9)
    with pytest.raises(ValueError, match="differ in length"):
        kernel(docs, tf[:2], pos, None, 9)
