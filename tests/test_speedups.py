"""The optional C kernel of indexing's per-token loop (searchkit/_speedups.c).

The promise: with the kernel or without it (not built, or ``SEARCHKIT_PURE_PYTHON=1``),
every segment file is the same, byte for byte. Each test writes the same articles both
ways and compares the files.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parallel_indexing import segment_digests

from searchkit import Article, Index, read_articles
from searchkit import analysis
from searchkit.analysis import plain_term
from searchkit.engine import segment
from searchkit.engine.segment import SegmentBuilder, native_kernel


@pytest.fixture(autouse=True)
def _kernel_built() -> None:
    if segment._ChunkCodes is None:
        reason = "the C kernel is not built here (no compiler or Python headers when searchkit was installed)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


@contextmanager
def pure_python(on: bool) -> Iterator[None]:
    """SEARCHKIT_PURE_PYTHON=1 inside the block when ``on`` (the way users switch the kernel off)."""
    with pytest.MonkeyPatch.context() as patch:
        if on:
            patch.setenv("SEARCHKIT_PURE_PYTHON", "1")
        else:
            patch.delenv("SEARCHKIT_PURE_PYTHON", raising=False)
        yield


def segment_bytes(articles: list[Article], path: Path, *, pure: bool) -> bytes:
    with pure_python(pure):
        builder = SegmentBuilder()
        for item in articles:
            builder.add(item)
    builder.write(path)
    return path.read_bytes()


def test_the_environment_variable_switches_the_kernel_off() -> None:
    with pure_python(True):
        assert native_kernel() is None
    with pure_python(False):
        assert native_kernel() is segment._ChunkCodes


# Text with every kind of white space str.split() knows (and NUL, which it does not),
# punctuation the tokenizer joins on, accents, other scripts and astral characters.
PIECES = st.sampled_from([
    " ", "  ", "\n", "\t", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u2028",
    "\u3000", "\u200b", "\x00", "flood", "Flood,", "FLOOD.", "O'Brien's", "U.S.", "7,400", "1.5", "end.Next",
    "Novo-Karsk", "well‐known", "José", "Núñez", "straße", "the", "and", "us", "—", "...", "(river)", "東京",
    "😀", "a", "ß", "İstanbul", "x" * 40, "_", "snake_case", "(a)", "1990,", "19th", '"Said', "don't", "--",
    "x9Y", "A.", "it's", "(The)", "Ünited", "<b>", "#1",
])
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(TEXTS, TEXTS, st.lists(TEXTS, max_size=2)), min_size=1, max_size=6))
def test_any_text_gives_the_same_codes_and_segment_with_and_without_the_kernel(
    tmp_path: Path, fields: list[tuple[str, str, list[str]]]
) -> None:
    articles = [Article(id=f"h{n}", headline=f"headline {headline}", body=body, background=background)
                for n, (headline, body, background) in enumerate(fields)]
    with pure_python(False):
        codes = segment._TokenCodes(segment._Vocabulary())
    assert codes._native is not None
    for text in [piece for item in articles for piece in segment.field_texts(item)]:
        tokens = array("i")
        assert codes.encode(tokens, text) == len(text.split())
        assert tokens.tolist() == [codes[chunk] for chunk in text.split()]
    native = segment_bytes(articles, tmp_path / "native.seg", pure=False)
    assert segment_bytes(articles, tmp_path / "pure.seg", pure=True) == native


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["Flood,", "(O'Brien's)", "José", "ÉTÉ", "7,400", "\x85", "\xa0", "\x1c",
                                           " ", "\n", "ß", "_", "µ", "ª", "×", "÷"]),
                          st.text(st.characters(max_codepoint=255), max_size=8)), max_size=30).map("".join))
def test_text_of_one_byte_characters_gives_the_codes_of_its_chunks(text: str) -> None:
    # The kernel reads a str of code points below 256 with a loop of its own (Latin-1 white
    # space and word characters from tables): the same codes as a lookup of each chunk.
    with pure_python(False):
        codes = segment._TokenCodes(segment._Vocabulary())
    tokens = array("i")
    assert codes.encode(tokens, text) == len(text.split())
    assert tokens.tolist() == [codes[chunk] for chunk in text.split()]
    with pure_python(True):
        plain = segment._TokenCodes(segment._Vocabulary())
    expected = array("i")
    plain.encode(expected, text)  # the Python version's codes, in a table of its own
    assert [codes.vocabulary.terms[c] if c >= 0 else c for c in tokens] == \
        [plain.vocabulary.terms[c] if c >= 0 else c for c in expected]


# Chunks as str.split() makes them: punctuation and quotes around words, case, inner
# joiners, numbers, non-ASCII letters and marks, "_" (a word character the analysis drops).
CHUNK_PIECES = st.sampled_from([
    "Flood", "flood", "FLOOD", ",", ".", "(", ")", '"', "'", "’", "‘", "“", "”", "—", "-", "…", "U.S", "7,400",
    "1.5", "O'Brien's", "Novo-Karsk", "well‐known", "Núñez", "İstanbul", "straße", "_", "x_y", "19th", "the",
    "us", "東京", "😀", "\x00", "é", "\u0301", "²", "ǅ", "ﬁ", "K", "1.5bn", "3,216,000", "1,23", "12.30.4", "4",
])
CHUNKS = st.lists(st.one_of(CHUNK_PIECES, st.text(max_size=4)), min_size=1, max_size=6).map("".join).filter(
    lambda chunk: chunk != "" and chunk.split() == [chunk])


@settings(max_examples=400, deadline=None)
@given(CHUNKS)
def test_a_chunk_is_analysed_as_its_key(chunk: str) -> None:
    # The kernel and the Python table analyse a chunk's key in its place (punctuation
    # around it dropped, ASCII lower-cased); that is only right if the analyses agree.
    key = segment.chunk_key(chunk)
    assert segment._analyze_chunk(key) == segment._analyze_chunk(chunk)
    assert segment.chunk_key(key) == key
    if key.isascii() and (term := plain_term(key)) is not None:  # the short way for plain words and numbers
        assert term == segment._analyze_chunk(key)
    for pure in (False, True):
        with pure_python(pure):
            codes = segment._TokenCodes(segment._Vocabulary())
            tokens = array("i")
            codes.encode(tokens, f"{chunk} {key} {chunk.upper()}")
        analysed = segment._analyze_chunk(chunk)
        if isinstance(analysed, str):  # a plain word (or a stop word): its term's number
            expected = codes.vocabulary.terms.index(analysed) if analysed else -1
            assert tokens[0] == expected
        assert tokens[0] == tokens[1]


# ASCII chunks: word characters, the joiners, other punctuation, possessives, numbers with
# separators, dotted acronyms, hyphen runs, stop words and case.
ASCII_PIECES = st.sampled_from([
    "a", "b", "x", "s", "the", "and", "us", "AND", "Ab", "7", "12", "0", "_", "'", "'s", "'S", ".", ",", "-", "--",
    "...", "/", ":", "$", "&", "(", ")", '"', "1,000", ",000", "1,23", ".5", "3.70", "u.s", "U.S.", "a.b.c",
    "O'Brien's", "state-of-the-art", "f-15s", "58-3/4", "hk$6.31bn", "end.Next", "x_y", "rock'n'roll", "1990s",
])
ASCII_CHUNKS = st.lists(st.one_of(ASCII_PIECES, st.text(st.characters(max_codepoint=127), max_size=3)),
                        max_size=8).map("".join).filter(lambda chunk: chunk.split() == [chunk] or chunk == "")


@settings(max_examples=2000, deadline=None)
@given(ASCII_CHUNKS)
def test_an_ascii_chunk_is_analysed_in_c_as_in_python(chunk: str) -> None:
    assert segment._native_analyze is not None
    analysis._CACHE.clear()  # the Python version's per-token cache, filled as it goes
    assert segment._native_analyze(chunk, analysis.STOP_WORDS, analysis.stem_word) == \
        segment._python_analyze_chunk(chunk)


def test_the_kernel_leaves_a_chunk_that_is_not_ascii_to_python() -> None:
    assert segment._native_analyze is not None
    assert segment._native_analyze("naïve", analysis.STOP_WORDS, analysis.stem_word) is None
    assert segment._analyze_chunk("naïve-café") == segment._python_analyze_chunk("naïve-café") == (
        2, (("naivecaf", 0, False), ("naiv", 0, True), ("cafe", 1, True)))


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_the_bbc_corpus_is_indexed_the_same_with_and_without_the_kernel(tmp_path: Path, workers: int) -> None:
    # The environment reaches the worker processes too (they start with a copy of it).
    folder = shared_path("data", "bbc-news")
    for pure in (False, True):
        with pure_python(pure), Index.create(tmp_path / f"{pure}", workers=workers, flush_tokens=150_000, merge_factor=100) as index:
            index.add_many(read_articles(folder))
    assert len(segment_digests(tmp_path / "False")) > 1
    assert segment_digests(tmp_path / "True") == segment_digests(tmp_path / "False")
