"""A token map's raw tokens in C (``token_bounds`` in searchkit/_speedups.c) against the numpy
version (engine/tokenmap.py's ``_numpy_bounds``): the same starts, ends and suspect tokens
for any text, so every segment's token map is the same byte for byte either way."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_kernel, shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.engine import tokenmap

ALPHABET = st.sampled_from(list("ab9_ .,-'’‐‑\n\t;:é⒈ß中\u0301\U0001f600") + ["\ud800"])


def both(text: str) -> None:
    require_kernel(tokenmap._native_bounds is not None, "searchkit/_speedups.c")
    assert tokenmap._native_bounds is not None
    native = [np.frombuffer(part, dtype=np.int64) for part in tokenmap._native_bounds(text)]
    reference = tokenmap._numpy_bounds(text)
    for got, want in zip(native, reference):
        assert got.tolist() == want.tolist(), text


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_any_text_gives_the_same_tokens(text: str) -> None:
    both(text)


@given(st.text(max_size=80))
def test_any_unicode_gives_the_same_tokens(text: str) -> None:
    both(text)


@pytest.mark.parametrize("text", ["", "a", "a.b", "a..b", ".a", "a.", "state-of-the-art", "don't", "x’y", "_",
                                  "7,400.50", "a - b", "é.é", "a\nb",
                                  # one of each string kind, which the kernel reads with a loop of its own
                                  "café-crème\xa0x,y", "naïve-中文 ⒈ a’b", "a😀b-c é.1"])
def test_edges(text: str) -> None:
    both(text)


@pytest.mark.slow
def test_the_bbc_bodies_give_the_same_token_map() -> None:
    require_kernel(tokenmap._native_bounds is not None, "searchkit/_speedups.c")
    from searchkit import read_articles

    bodies = [article.body for article in read_articles(shared_path("data", "bbc-news"))]
    native = tokenmap.token_map(bodies)
    kernel, tokenmap._native_bounds = tokenmap._native_bounds, None
    try:
        reference = tokenmap.token_map(bodies)
    finally:
        tokenmap._native_bounds = kernel
    assert all(a.tolist() == b.tolist() and a.dtype == b.dtype for a, b in zip(native, reference))
    assert int(native.counts.sum()) > 800_000
