"""The optional C kernel of a leaf's weighted frequencies (searchkit/_scoring.c).

The promise: with the kernel or without it (not built, or ``SEARCHKIT_PURE_PYTHON=1``), every
document's weighted frequency is the same float, so every score and every ranking is the same.
The tests compute both on real segments and compare their bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import require_kernel, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import Article, Index, read_articles
from searchkit.engine import execute
from searchkit.engine.execute import Executor, LeafSegment, Ranking

kernel: Callable[..., int] | None
try:
    from searchkit._scoring import weighted_sum as kernel
except ImportError:  # not built: every test skips (fails under CI)
    kernel = None

FIELDS = ("headline", "body", "background")


@pytest.fixture(autouse=True)
def _kernel_on(monkeypatch: pytest.MonkeyPatch) -> None:
    require_kernel(kernel is not None, "searchkit/_scoring.c")
    monkeypatch.setattr(execute, "_native_weighted_sum", kernel)


def same_both_ways(segment: LeafSegment, docs: np.ndarray) -> None:
    native = segment._weighted(docs)
    reference = segment._numpy_weighted(docs)
    assert native.dtype == reference.dtype == np.float64
    assert native.tobytes() == reference.tobytes()


def check_index(index: Index, words: list[list[str]]) -> int:
    """Compare on every segment: all of a leaf's documents, every 3rd, every 50th, a random
    third; return how many leaf segments had documents."""
    executor = Executor(index._current(), Ranking())
    rng = np.random.default_rng(5)
    checked = 0
    for terms in words:
        for segment in executor._synonym_leaf(terms, FIELDS).segments:
            docs = segment.docs
            if not docs.size:
                continue
            checked += 1
            for some in (docs, docs[::3], docs[::50], np.sort(rng.choice(docs, size=max(docs.size // 3, 1), replace=False))):
                same_both_ways(segment, some)
    return checked


@pytest.mark.slow
def test_the_bbc_corpus_weights_the_same_with_and_without_the_kernel(tmp_path: Path) -> None:
    with Index.create(tmp_path / "bbc", flush_tokens=150_000, merge_factor=100) as index:
        index.add_many(read_articles(shared_path("data", "bbc-news")))
    index = Index.open(tmp_path / "bbc")
    assert len(index._current().segments) > 1
    words = [["the"], ["said"], ["minist"], ["england"], ["film", "films"], ["oil"], ["labour", "tori", "elect"],
             ["zzzz"]]
    assert check_index(index, words) >= 14
    # Whole searches: ids and scores the same with the kernel and without.
    for query in ("oil prices", "prime minister", '"world cup"', "film OR music", "bank AND rate", "election -labour"):
        with_kernel = [(hit.id, hit.score) for hit in index.search(query, limit=30).hits]
        execute._native_weighted_sum = None
        without = [(hit.id, hit.score) for hit in index.search(query, limit=30).hits]
        execute._native_weighted_sum = kernel
        assert with_kernel == without and with_kernel, query
    index.close()


WORDS = ["flood", "river", "bank", "rate", "rise"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(articles=st.lists(st.tuples(st.lists(st.sampled_from(WORDS), max_size=4),
                                   st.lists(st.sampled_from(WORDS), min_size=1, max_size=30),
                                   st.lists(st.sampled_from(WORDS), max_size=6)), min_size=1, max_size=25))
def test_random_articles_weigh_the_same_with_and_without_the_kernel(
        tmp_path_factory: pytest.TempPathFactory, articles: list[tuple[list[str], list[str], list[str]]]) -> None:
    index = Index.create(tmp_path_factory.mktemp("weights") / "index", refresh_interval=0)
    half = max(len(articles) // 2, 1)
    for part in (articles[:half], articles[half:]):
        if part:
            index.add_many([Article(id=f"a{n}-{len(part)}", headline=" ".join(head) or "Untitled", body=" ".join(body),
                                    background=[" ".join(background)] if background else [])
                            for n, (head, body, background) in enumerate(part)])
    check_index(index, [[word] for word in WORDS] + [["flood", "river"], ["bank", "rate", "rise"]])
    index.close()


def test_other_types_are_left_to_numpy() -> None:
    assert kernel is not None
    docs = np.array([1, 3], dtype=np.int64)
    part_docs, freqs, norms = np.array([1, 2, 3], np.uint32), np.array([2, 1, 4], np.uint16), np.ones(4, np.float32)
    out = np.empty(2)
    assert kernel(docs, [part_docs], [freqs], [1.5], [norms], out) == 0
    assert out.tolist() == [3.0, 6.0]
    assert kernel(docs.astype(np.int32), [part_docs], [freqs], [1.5], [norms], out) == -1
    assert kernel(docs, [part_docs.astype(np.int64)], [freqs], [1.5], [norms], out) == -1
    assert kernel(docs, [part_docs], [freqs.astype(np.int32)], [1.5], [norms], out) == -1
    with pytest.raises(ValueError, match="past the end of the norms"):
        kernel(docs, [part_docs], [freqs], [1.5], [np.ones(2, np.float32)], out)
