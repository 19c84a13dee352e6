"""Where a text's raw tokens and sentences lie, for snippets (the token map's marks, a long
body's region, a headline; the sentences a fragment is cut from).

:func:`token_spans` gives the spans of :data:`~searchkit.analysis.TOKEN_PATTERN`'s matches,
:func:`sentence_spans` those of :data:`SENTENCE`'s. Both run in C (``searchkit/_speedups.c``)
where the optional kernel is built, else in Python (:func:`python_token_spans`,
:func:`python_sentence_spans`); the spans are the same (``tests/test_textspans.py``). The
environment variable ``SEARCHKIT_PURE_PYTHON=1``, read when this module is imported (or by
:func:`choose`), keeps the Python versions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice

from ._kernels import pure_python
from .analysis import TOKEN_PATTERN

__all__ = ["SENTENCE", "choose", "python_sentence_spans", "python_token_spans", "sentence_spans", "token_spans"]

Span = tuple[int, int]

# A sentence: from a character other than a space to the first run of .!? (and closing
# quotes or brackets) followed by a space, or to a newline, or to the end. Unrolled (runs of
# other characters, and runs of .!? not followed by a space, taken in one step), it splits
# as the lazy r"[^\s].*?(?:[.!?]+[\"”’')\]]*(?=\s)|\n|$)" (DOTALL) does, about 4 times as fast.
SENTENCE = re.compile(r"[^\s][^.!?\n]*(?:[.!?]+(?![\"”’')\]]*\s)[^.!?\n]*)*(?:[.!?]+[\"”’')\]]*(?=\s)|\n|$)")


def python_token_spans(text: str, start: int, end: int, limit: int) -> list[Span]:
    """The spans of the tokens of ``text[start:end]`` (offsets into ``text``), at most
    ``limit`` of them (negative: all)."""
    matches = TOKEN_PATTERN.finditer(text, start, end)
    return [match.span() for match in (matches if limit < 0 else islice(matches, limit))]


def python_sentence_spans(text: str, lo: int, hi: int) -> list[Span]:
    """The spans of the sentences of ``text[lo:hi]`` (offsets into ``text``)."""
    return [match.span() for match in SENTENCE.finditer(text, lo, hi)]


_native: tuple[Callable[[str, int, int, int], list[Span]], Callable[[str, int, int], list[Span]]] | None
try:
    from ._speedups import sentence_spans as _native_sentences, token_spans as _native_tokens
    _native = (_native_tokens, _native_sentences)
except ImportError:  # not built: the Python versions run
    _native = None

token_spans: Callable[[str, int, int, int], list[Span]] = python_token_spans
sentence_spans: Callable[[str, int, int], list[Span]] = python_sentence_spans


def choose() -> bool:
    """Set :func:`token_spans` and :func:`sentence_spans` to the C versions unless they are
    not built or ``SEARCHKIT_PURE_PYTHON=1``; returns whether the C versions are set."""
    global token_spans, sentence_spans
    token_spans, sentence_spans = ((python_token_spans, python_sentence_spans) if _native is None or pure_python()
                                   else _native)
    return token_spans is not python_token_spans


choose()
