"""Token maps (searchkit.engine.tokenmap): where a body's tokens lie, and snippets read from them.

Every check compares with the text path: :func:`searchkit.analysis.iter_tokens` for the map
itself, and the snippets of the same hit made without the map (tokenizing the whole body).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from news_fixtures import story

from searchkit import Article, Index
from searchkit.analysis import TOKEN_PATTERN, iter_tokens, phrase_terms
from searchkit.engine.segfile import SegmentFileReader, SegmentFileWriter
from searchkit.engine.segment import SegmentBuilder, SegmentReader
from searchkit.engine.tokenmap import COLUMNS, EVERY, META_KEY, BodyPositions, TokenMap, token_map
from searchkit.snippets import HighlightSpec, make_snippets

WORDS = ["flood", "Floods", "river", "bank", "the", "of", "state-of-the-art", "U.S.", "7,400", "1.5", "end.Next",
         "Núñez", "it’s", "O'Brien", "x‐y", "⒈", "_._", "a--b", "a.-b", "co-operation", "(Reuters)", "“quote”", "—",
         "e-mail", "well-known", "year-on-year", "bank.", "river,", "Josée", "__", "-", "...", "state"]
QUERY_WORDS = ["flood", "river", "bank", "state", "art", "us", "7400", "nunez", "obrien", "cooperation", "operation",
               "email", "known", "year", "next", "end", "1", "jose", "quote", "reuters", "x", "y"]


def texts(min_words: int = 0, max_words: int = 600) -> st.SearchStrategy[str]:
    separators = st.sampled_from([" ", " ", " ", "\n", "  ", ". ", ", ", "\t"])
    return st.lists(st.tuples(st.sampled_from(WORDS), separators), min_size=min_words, max_size=max_words).map(
        lambda parts: "".join(word + sep for word, sep in parts))


def write_segment(path: Path, bodies: list[str], headlines: list[str] | None = None) -> SegmentReader:
    builder = SegmentBuilder()
    for number, body in enumerate(bodies):
        headline = headlines[number] if headlines and headlines[number].strip() else "Headline"
        builder.add(Article(id=f"d{number}", headline=headline, body=body or "-", background=[body[:80], "river"]))
    builder.write(path)
    return SegmentReader(path, name=path.stem)


def expected_columns(text: str) -> tuple[int, list[int], list[tuple[int, int]]]:
    """What the map should say of ``text``, from iter_tokens: the count, the marks, the wide tokens."""
    tokens = list(iter_tokens(text))
    positions = [token.position for token in tokens]
    ends = positions[1:] + [None]
    wide = []
    for number, (token, after) in enumerate(zip(tokens, ends)):
        width = (after if after is not None else _last_width(text, token)) - token.position
        if width != 1:
            wide.append((number, width))
    return len(tokens), [token.start for token in tokens[::EVERY]], wide


def _last_width(text: str, token: Any) -> int:
    from searchkit.analysis import field_terms

    # The last token's width: what the whole text's positions reach past it.
    _, positions, _ = field_terms(text + " sentinel")
    return positions[-1]


@settings(max_examples=150, deadline=None)
@given(st.lists(texts(max_words=120), min_size=1, max_size=6))
def test_the_map_says_what_the_tokenizer_finds(bodies: list[str]) -> None:
    columns = token_map(bodies)
    marks, wide = columns.marks.tolist(), list(zip(columns.wide.tolist(), columns.width.tolist()))
    for number, body in enumerate(bodies):
        count, body_marks, body_wide = expected_columns(body)
        assert int(columns.counts[number]) == count
        assert marks[:len(body_marks)] == body_marks
        del marks[:len(body_marks)]
        assert wide[:len(body_wide)] == body_wide
        del wide[:len(body_wide)]
        assert int(columns.wide_counts[number]) == len(body_wide)
    assert marks == [] and wide == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts(max_words=200), min_size=1, max_size=4))
def test_positions_lead_to_the_tokens_that_hold_them(tmp_path: Path, bodies: list[str]) -> None:
    reader = write_segment(tmp_path / "map.skseg", bodies)
    assert reader.token_map is not None
    for doc, body in enumerate(bodies):
        tokens = [token for token in iter_tokens(body) if token.terms]
        if not tokens:
            continue
        positions = np.array([token.position for token in tokens], dtype=np.int64)
        raws = reader.token_map.raw_numbers(doc, positions)
        assert reader.token_map.spans(doc, body, raws) == [(token.start, token.end) for token in tokens]
    reader.close()


def snippets_both_ways(reader: SegmentReader, doc: int, spec: HighlightSpec) -> tuple[list[Any], list[Any]]:
    stored = reader.stored(doc)
    args = (stored["headline"], stored["body"], stored.get("background", []), spec)
    body = BodyPositions().of(reader, doc)
    assert body is not None
    return make_snippets(*args), make_snippets(*args, body_index=body)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(texts(min_words=1, max_words=900), texts(max_words=20)), min_size=1, max_size=3),
       st.lists(st.sampled_from(QUERY_WORDS), min_size=1, max_size=3),
       st.lists(st.lists(st.sampled_from(WORDS), min_size=2, max_size=3), max_size=2))
def test_snippets_from_the_index_are_the_snippets_of_the_text(
    tmp_path: Path, fields: list[tuple[str, str]], terms: list[str], phrases: list[list[str]]
) -> None:
    bodies = [body for body, _ in fields]
    reader = write_segment(tmp_path / "snippets.skseg", bodies, [headline for _, headline in fields])
    spec = HighlightSpec(terms, [found for words in phrases if len(found := phrase_terms(" ".join(words))) > 1])
    for doc in range(len(bodies)):
        plain, indexed = snippets_both_ways(reader, doc, spec)
        assert indexed == plain
    reader.close()


def test_a_long_body_reads_the_window_only_and_highlights_the_same(tmp_path: Path) -> None:
    filler = " ".join(f"Paragraph {n} is about the harbour, the state-of-the-art quay and nothing else." for n in range(80))
    body = f"{filler} Then the river flood came overnight to the river bank. {filler} A flood."
    reader = write_segment(tmp_path / "long.skseg", [body])
    assert reader.token_map is not None and int(reader.token_map.counts[0]) == len(TOKEN_PATTERN.findall(body))
    plain, indexed = snippets_both_ways(reader, 0, HighlightSpec(["flood", "river"], [(("river", 0), ("bank", 1))]))
    assert indexed == plain
    [snippet] = [snippet for snippet in indexed if snippet.field == "body"]
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["river", "flood", "river bank"]


def strip_token_map(path: Path) -> None:
    """Rewrite a segment file as searchkit wrote it before token maps: no columns, no meta entry."""
    old = SegmentFileReader(path)
    writer = SegmentFileWriter(path)
    for name in old.names():
        if name not in COLUMNS:
            writer.add(name, old.array(name))
    meta = {key: value for key, value in old.meta.items() if key != META_KEY}
    old.close()
    writer.finish(meta)


BODIES = [
    "The river flood reached the state-of-the-art bank. " * 30 + "Then the U.S. river flood stopped.",
    "A short note on the river bank.",
    "Nothing here but the harbour.",
    "Núñez said the flood of 7,400 homes was end.Next " * 50,
]


def articles() -> list[Article]:
    return [story(f"a{n}", body, headline=f"Report {n}") for n, body in enumerate(BODIES * 3)]


def snippet_answers(index: Index) -> list[Any]:
    return [[(hit.id, [s.model_dump() for s in hit.snippets]) for hit in index.search(query, limit=20).hits]
            for query in ("flood", '"river bank"', "river flood nunez", '"state of the art"', "7400", "us", "next")]


def test_a_segment_written_before_token_maps_gives_the_same_snippets_and_merges_into_one_with_a_map(
    tmp_path: Path,
) -> None:
    with Index.create(tmp_path / "new") as index:
        index.add_many(articles())
        expected = snippet_answers(index)
    with Index.create(tmp_path / "old") as index:
        index.add_many(articles()[:6])
        index.add_many(articles()[6:])
    segments = sorted((tmp_path / "old").glob("*.skseg"))
    assert len(segments) == 2
    strip_token_map(segments[0])
    with Index.open(tmp_path / "old") as index:
        readers = [loaded.reader for loaded in index._current().segments]
        assert sorted(reader.token_map is None for reader in readers) == [False, True]
        assert snippet_answers(index) == expected
        assert index.check().ok
        index.delete(["a1"])
        index.optimize()
        [reader] = [loaded.reader for loaded in index._current().segments]
        assert reader.token_map is not None
        live = [article.body for article in articles() if article.id != "a1"]
        assert reader.token_map.counts.tolist() == token_map(live).counts.tolist()
        assert snippet_answers(index) == [[hit for hit in answer if hit[0] != "a1"] for answer in expected]


def damage(path: Path, how: str) -> None:
    old = SegmentFileReader(path)
    writer = SegmentFileWriter(path)
    for name in old.names():
        if how == "missing" and name == "tokens.marks":
            continue
        values = old.array(name)
        writer.add(name, values[:-1] if how == "short" and name == "tokens.count" else values)
    meta = dict(old.meta)
    old.close()
    writer.finish(meta)


@pytest.mark.parametrize(("how", "what"), [
    ("missing", "its token map lacks the tokens.marks column"),
    ("short", "its token map covers 11 documents (13 and 13 offsets), not 12"),
])
def test_check_reports_a_damaged_token_map_and_snippets_stay_the_same(tmp_path: Path, how: str, what: str) -> None:
    with Index.create(tmp_path / "index") as index:
        index.add_many(articles())
        expected = snippet_answers(index)
    [segment] = sorted((tmp_path / "index").glob("*.skseg"))
    damage(segment, how)
    with Index.open(tmp_path / "index") as index:
        assert index.check().problems == [
            f"{segment.name}: {what}: snippets of its hits read whole bodies instead (the same snippets, slower); "
            "Index.optimize() writes the map anew from the stored articles"
        ]
        assert snippet_answers(index) == expected
        index.delete(["a1"])  # a merge then rewrites the segment, the map made from its stored articles
        index.optimize()
        assert index.check().ok
        assert snippet_answers(index) == [[hit for hit in answer if hit[0] != "a1"] for answer in expected]
