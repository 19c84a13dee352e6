"""The segment builder's vectorized inversion agrees with the reference analyzer.

``SegmentBuilder`` codes whitespace chunks and inverts them in numpy; the positions and
field lengths it stores must be exactly those of :func:`searchkit.analysis.field_terms`,
which highlighting and phrase matching assume.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.analysis import field_terms
from searchkit.engine.segment import FIELDS, SegmentBuilder, SegmentReader, field_texts
from searchkit.models import Article

CHUNKS = [
    "Novo-Karsk,", "the", "flood.", "(O'Brien)", "7,400", "U.S.", "end.Next", "a", "well-known",
    "José", "of-the", "x-of-y", "--", "mayor's", "A-B-C", "1.5bn", "“quote”", "–", "a--b",
    "Novo-Karsk--Lower-Olm", "said:“Many", "...", "x/y", "(UK)", "state-of-the-art", "Floods",
    "2,3", "e.g.", "Núñez", "don’t", "river.Bank", "_", "ß", "ÆON", "\u00a0", "\n",
]
words = st.lists(st.sampled_from(CHUNKS), max_size=30).map(" ".join)


def stored_occurrences(reader: SegmentReader) -> dict[tuple[int, str], list[tuple[int, str]]]:
    found: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for field in FIELDS:
        for number, term in enumerate(reader.terms.as_list()):
            docs, _ = reader.postings(field, number)
            positions, starts = reader.positions(field, number)
            for k, doc in enumerate(docs.tolist()):
                for position in positions[starts[k] : starts[k + 1]].tolist():
                    found[(doc, field)].append((position, term))
    return found


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.lists(st.tuples(words, words, st.lists(words, max_size=3)), min_size=1, max_size=8))
def test_builder_positions_and_lengths_match_field_terms(tmp_path_factory: object, docs: list[tuple[str, str, list[str]]]) -> None:
    articles = [
        Article(id=f"d{i}", headline=f"h {headline}", body=body, background=background)
        for i, (headline, body, background) in enumerate(docs)
    ]
    builder = SegmentBuilder()
    for article in articles:
        builder.add(article)
    folder = Path(tmp_path_factory.mktemp("inversion"))  # type: ignore[attr-defined]
    builder.write(folder / "s.skseg")
    reader = SegmentReader(folder / "s.skseg", name="s")
    found = stored_occurrences(reader)
    for doc, article in enumerate(articles):
        for field, text in zip(FIELDS, field_texts(article)):
            terms, positions, length = field_terms(text) if text else ([], [], 0)
            assert sorted(found[(doc, field)]) == sorted(zip(positions, terms))
            assert int(reader.lengths[field][doc]) == length
    reader.close()
