"""Near-duplicate fingerprints in C (``fingerprint_slots`` in searchkit/_speedups.c) against the
numpy version (engine/fingerprint.py's ``_numpy_signatures``): the same slots and shingle
counts for any terms, so every segment's fingerprints are the same byte for byte either way."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_kernel, shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.engine import fingerprint


def both(hashes: np.ndarray, docs: np.ndarray, doc_count: int) -> tuple[np.ndarray, np.ndarray]:
    require_kernel(fingerprint._native_slots is not None, "searchkit/_speedups.c")
    native = fingerprint.signatures(hashes, docs, doc_count)
    reference = fingerprint._numpy_signatures(hashes, docs, doc_count)
    assert native[0].dtype == reference[0].dtype == np.uint16 and native[0].shape == (doc_count, fingerprint.SLOTS)
    assert native[1].dtype == reference[1].dtype == np.uint32
    assert native[0].tolist() == reference[0].tolist()
    assert native[1].tolist() == reference[1].tolist()
    return native


# Terms per document (0: a document without terms), and the hashes drawn from a few values
# (repeated terms and shingles) or from all 64-bit values.
DOCS = st.lists(st.integers(0, 40), max_size=12)
SMALL_HASHES = st.integers(0, 5)
ANY_HASHES = st.integers(0, (1 << 64) - 1)


def _terms(per_doc: list[int], values: list[int]) -> tuple[np.ndarray, np.ndarray]:
    docs = np.repeat(np.arange(len(per_doc), dtype=np.int64), per_doc)
    hashes = np.array([values[i % len(values)] for i in range(docs.size)] if values else [0] * docs.size,
                      dtype=np.uint64)
    return hashes, docs


@settings(max_examples=300, deadline=None)
@given(DOCS, st.lists(ANY_HASHES, min_size=1, max_size=50))
def test_any_terms_give_the_same_fingerprints(per_doc: list[int], values: list[int]) -> None:
    both(*_terms(per_doc, values), len(per_doc))


@settings(max_examples=100, deadline=None)
@given(DOCS, st.lists(SMALL_HASHES, min_size=1, max_size=8))
def test_repeated_terms_give_the_same_fingerprints(per_doc: list[int], values: list[int]) -> None:
    both(*_terms(per_doc, values), len(per_doc))


def test_short_and_empty_documents() -> None:
    hashes, docs = _terms([0, 1, 2, 3, 0], [11, 22, 33, 44, 55, 66])
    slots, counts = both(hashes, docs, 5)
    assert counts.tolist() == [0, 1, 1, 1, 0]  # one and two terms make one shingle, three make one
    assert both(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64), 0)[0].shape == (0, fingerprint.SLOTS)


def test_documents_out_of_order_or_range_are_refused() -> None:
    require_kernel(fingerprint._native_slots is not None, "searchkit/_speedups.c")
    hashes = np.arange(4, dtype=np.uint64)
    with pytest.raises(ValueError, match="ascending"):
        fingerprint.signatures(hashes, np.array([0, 1, 0, 1]), 2)
    with pytest.raises(ValueError, match="ascending"):
        fingerprint.signatures(hashes, np.array([0, 0, 1, 2]), 2)
    with pytest.raises(ValueError, match="as long"):
        fingerprint.signatures(hashes, np.array([0, 0, 1]), 2)


@pytest.mark.slow
def test_the_bbc_articles_give_the_same_fingerprints() -> None:
    from searchkit import read_articles
    from searchkit.analysis import field_terms

    articles = list(read_articles(shared_path("data", "bbc-news")))
    vocabulary: dict[str, int] = {}
    terms, docs = [], []
    for number, article in enumerate(articles):
        for text in (article.headline, article.body):
            for term in field_terms(text)[0]:
                terms.append(vocabulary.setdefault(term, len(vocabulary)))
                docs.append(number)
    hashes = fingerprint.term_hashes(list(vocabulary))[np.array(terms)]
    slots, counts = both(hashes, np.array(docs, dtype=np.int64), len(articles))
    assert len(articles) == 2225 and int(counts.sum()) == 509_300
