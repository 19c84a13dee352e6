"""Token and sentence spans for snippets (searchkit/textspans.py): the C versions in
searchkit/_speedups.c give the same spans as the Python ones (the regular expressions), and
snippets are the same with either (``SEARCHKIT_PURE_PYTHON=1`` switches to Python)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import test_tokenmap
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_speedups import _kernel_built  # noqa: F401 (autouse: the same extension holds these functions)
from test_speedups import pure_python as environment

from searchkit import textspans


@contextmanager
def pure_python(on: bool) -> Iterator[None]:
    """SEARCHKIT_PURE_PYTHON=1 inside the block when ``on``, read again by textspans.choose()."""
    try:
        with environment(on):
            assert textspans.choose() is not on
            yield
    finally:
        textspans.choose()


def test_the_environment_variable_switches_the_c_versions_off() -> None:
    with pure_python(True):
        assert (textspans.token_spans, textspans.sentence_spans) == (textspans.python_token_spans,
                                                                     textspans.python_sentence_spans)
    with pure_python(False):
        assert textspans.token_spans is not textspans.python_token_spans
        assert textspans.sentence_spans is not textspans.python_sentence_spans
    assert textspans.python_token_spans("U.S. state-of-the-art end.Next, x_y ’til", 0, 99, -1) == [
        (0, 3), (5, 21), (22, 30), (32, 35), (37, 40)]


# Word characters of every kind \w knows (letters, digits, other numerics, marks, _), the
# joiners, white space of every kind \s knows, sentence ends and closers, astral characters.
PIECES = st.sampled_from([
    "a", "Z", "9", "_", "é", "ß", "東京", "⒈", "½", "٣", "Ⅻ", "\u0301", "😀", "ǅ", "x9Y", "U.S.", "state-of-the-art",
    "'", "’", "‐", "‑", ".", ",", "-", "—", "…", " ", "  ", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85",
    "\xa0", "\u2028", "\u3000", "\u200b", "\x00", "!", "?", '"', "”", ")", "]", "(", "end.Next", "7,400", "1.5.",
])
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(TEXTS, st.integers(-2, 90), st.integers(0, 90), st.integers(-1, 6))
@example("a.-b x--y ’s '_' .5 ,a", 0, 99, -1)
def test_token_spans_are_the_patterns_matches(text: str, start: int, end: int, limit: int) -> None:
    start = max(start, 0)  # a negative start is no caller's, and re reads it otherwise
    with pure_python(False):
        native = textspans.token_spans(text, start, end, limit)
    assert native == textspans.python_token_spans(text, start, end, limit)


@settings(max_examples=1500, deadline=None)
@given(TEXTS, st.integers(0, 90), st.integers(0, 90))
@example("He said “Hi.” Then he left!) And? Yes.\nNext...", 0, 60)
@example("a?!.’ b. c", 2, 9)
@example(". x..y ?\x85z.\u2028w", 0, 30)
def test_sentence_spans_are_the_patterns_matches(text: str, low: int, high: int) -> None:
    lo = min(low, len(text))
    hi = max(lo, min(high, len(text)))
    with pure_python(False):
        native = textspans.sentence_spans(text, lo, hi)
    assert native == textspans.python_sentence_spans(text, lo, hi)


def test_snippets_from_the_index_are_the_snippets_of_the_text_with_the_python_versions(tmp_path: Path) -> None:
    with pure_python(True):
        test_tokenmap.test_snippets_from_the_index_are_the_snippets_of_the_text(tmp_path)
