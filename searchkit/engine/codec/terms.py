"""Whoosh's terms reader over one searchkit segment.

Whoosh sees a term as ``(fieldname, bytes)``; fields are walked in name order and terms in
byte order (UTF-8 byte order is code point order, the order of searchkit's vocabulary).
Each field's terms come from what the segment already holds:

* ``headline``, ``body``, ``background``: the shared sorted vocabulary, restricted to the
  terms with postings in that field, with frequencies and positions (:class:`TextFieldTerms`);
* ``id``: the article ids, one document each;
* ``source``: the segment's source names through the Whoosh field's own analyzer
  (lower-cased, split at commas), the documents from the ``source`` column;
* ``date``: the terms Whoosh's ``DATETIME`` field indexes for each day (its tiered numeric
  terms, so ``DateRange`` works), the documents from the ``day`` column.

The id, source and date terms are derived on first use of each field and kept
(:class:`DerivedFieldTerms`); nothing is computed for a field Whoosh never asks about.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
from whoosh.codec.base import FieldCursor, TermsReader
from whoosh.reading import TermInfo, TermNotFound

from ..schema import whoosh_schema
from ..segment import FIELDS, MISSING_DAY, SegmentReader
from .postings import PostingsMatcher

__all__ = ["DerivedFieldTerms", "FieldTerms", "SegmentFieldCursor", "SegmentTermsReader", "TextFieldTerms"]

Array = np.ndarray[Any, Any]
_EPOCH = date(1970, 1, 1).toordinal()
_DERIVED = ("date", "id", "source")
FIELD_NAMES = tuple(sorted(FIELDS + _DERIVED))


class FieldTerms(Protocol):
    """One field's sorted terms and their postings."""

    def __len__(self) -> int: ...

    def text(self, number: int) -> bytes: ...

    def find(self, text: bytes) -> int:
        """The number of the first term not below ``text`` (``len(self)`` if none)."""
        ...

    def postings(self, number: int) -> tuple[Array, Array]:
        """Document numbers (ascending) and weights of term ``number``."""
        ...

    def positions(self, number: int) -> tuple[Array, Array] | None:
        """Positions of term ``number`` and where each posting's run starts, or None."""
        ...


class TextFieldTerms:
    """A text field's terms: the vocabulary entries that have postings in the field."""

    def __init__(self, reader: SegmentReader, field: str):
        self._reader = reader
        self._field = field
        self._numbers = np.flatnonzero(reader.document_frequencies(field) > 0)

    def __len__(self) -> int:
        return int(self._numbers.size)

    def text(self, number: int) -> bytes:
        return self._reader.terms[int(self._numbers[number])].encode("utf-8")

    def find(self, text: bytes) -> int:
        word = text.decode("utf-8", errors="surrogateescape")
        return int(np.searchsorted(self._numbers, bisect.bisect_left(self._reader.terms, word)))

    def postings(self, number: int) -> tuple[Array, Array]:
        return self._reader.postings(self._field, int(self._numbers[number]))

    def positions(self, number: int) -> tuple[Array, Array] | None:
        return self._reader.positions(self._field, int(self._numbers[number]))


class DerivedFieldTerms:
    """Terms computed from per-document values: sorted texts, each with its documents."""

    def __init__(self, postings: dict[bytes, list[Array]]):
        self._texts = sorted(postings)
        self._docs = [np.unique(np.concatenate(postings[text])).astype(np.int64) for text in self._texts]

    def __len__(self) -> int:
        return len(self._texts)

    def text(self, number: int) -> bytes:
        return self._texts[number]

    def find(self, text: bytes) -> int:
        return bisect.bisect_left(self._texts, text)

    def postings(self, number: int) -> tuple[Array, Array]:
        docs = self._docs[number]
        return docs, np.ones(docs.size, dtype=np.uint8)

    def positions(self, number: int) -> tuple[Array, Array] | None:
        return None


def _id_terms(reader: SegmentReader) -> DerivedFieldTerms:
    postings: dict[bytes, list[Array]] = defaultdict(list)
    for docnum, article_id in enumerate(reader.ids.as_list()):
        postings[article_id.encode("utf-8")].append(np.array([docnum], dtype=np.int64))
    return DerivedFieldTerms(postings)


def _source_terms(reader: SegmentReader, field: Any) -> DerivedFieldTerms:
    postings: dict[bytes, list[Array]] = defaultdict(list)
    for ordinal, name in enumerate(reader.source_names):
        docs = np.flatnonzero(reader.source == ordinal)
        for word in set(field.process_text(name, mode="index")):
            postings[word.encode("utf-8")].append(docs)
    return DerivedFieldTerms(postings)


def _date_terms(reader: SegmentReader, field: Any) -> DerivedFieldTerms:
    postings: dict[bytes, list[Array]] = defaultdict(list)
    days = reader.day
    order = np.argsort(days, kind="stable")
    sorted_days = days[order]
    unique, starts = np.unique(sorted_days, return_index=True)
    bounds = np.append(starts, sorted_days.size)
    for number, day in enumerate(unique.tolist()):
        if day == MISSING_DAY:
            continue
        docs = order[bounds[number] : bounds[number + 1]]
        moment = datetime.combine(date.fromordinal(day + _EPOCH), datetime.min.time())
        for text, _freq, _weight, _value in field.index(moment):
            postings[text].append(docs)
    return DerivedFieldTerms(postings)


class SegmentFieldCursor(FieldCursor):  # type: ignore[misc]
    """Walks one field's terms in order; Whoosh's fuzzy expansion skips through it."""

    def __init__(self, terms: FieldTerms, fieldobj: Any, info: Any):
        self._terms = terms
        self._fieldobj = fieldobj
        self._info = info
        self._at = 0

    def _current(self) -> Any:
        if self._at >= len(self._terms):
            return None
        return self._fieldobj.from_bytes(self._terms.text(self._at))

    def first(self) -> Any:
        self._at = 0
        return self._current()

    def find(self, term: Any) -> Any:
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._at = self._terms.find(term)
        return self._current()

    def next(self) -> Any:
        if self._at < len(self._terms):
            self._at += 1
        return self._current()

    def text(self) -> Any:
        return self._current()

    def is_valid(self) -> bool:
        return self._at < len(self._terms)

    def term_info(self) -> TermInfo | None:
        if not self.is_valid():
            return None
        return self._info(self._at)


class SegmentTermsReader(TermsReader):  # type: ignore[misc]
    """Whoosh's view of a segment's terms (``Codec.terms_reader``)."""

    def __init__(self, reader: SegmentReader):
        self._reader = reader
        self._schema = whoosh_schema()
        self._fields: dict[str, FieldTerms] = {}

    def _field_terms(self, fieldname: str) -> FieldTerms | None:
        terms = self._fields.get(fieldname)
        if terms is None:
            if fieldname in FIELDS:
                terms = TextFieldTerms(self._reader, fieldname)
            elif fieldname == "id":
                terms = _id_terms(self._reader)
            elif fieldname == "source":
                terms = _source_terms(self._reader, self._schema["source"])
            elif fieldname == "date":
                terms = _date_terms(self._reader, self._schema["date"])
            else:
                return None
            self._fields[fieldname] = terms
        return terms

    def _locate(self, fieldname: str, text: bytes) -> tuple[FieldTerms, int]:
        terms = self._field_terms(fieldname)
        if terms is not None:
            number = terms.find(text)
            if number < len(terms) and terms.text(number) == text:
                return terms, number
        raise TermNotFound(f"{fieldname}:{text!r}")

    def _term_info(self, fieldname: str, terms: FieldTerms, number: int) -> TermInfo:
        docs, weights = terms.postings(number)
        if fieldname in FIELDS and docs.size:
            lengths = self._reader.lengths[fieldname][docs]
            shortest, longest = int(lengths.min()), int(lengths.max())
        else:
            shortest, longest = 0, 0
        if not docs.size:
            return TermInfo()
        return TermInfo(
            weight=float(weights.sum(dtype=np.float64)), df=int(docs.size), minlength=shortest,
            maxlength=longest, maxweight=float(weights.max()), minid=int(docs[0]), maxid=int(docs[-1]),
        )

    # Whoosh's TermsReader

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        try:
            self._locate(*term)
        except TermNotFound:
            return False
        return True

    def indexed_field_names(self) -> list[str]:
        return list(FIELD_NAMES)

    def cursor(self, fieldname: str, fieldobj: Any) -> SegmentFieldCursor:
        terms = self._field_terms(fieldname) or DerivedFieldTerms({})
        return SegmentFieldCursor(terms, fieldobj, lambda number: self._term_info(fieldname, terms, number))

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        for name in FIELD_NAMES:
            if name < fieldname:
                continue
            terms = self._field_terms(name)
            assert terms is not None
            start = terms.find(prefix) if name == fieldname else 0
            for number in range(start, len(terms)):
                yield name, terms.text(number)

    def terms(self) -> Iterator[tuple[str, bytes]]:
        return self.terms_from(FIELD_NAMES[0], b"")

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], TermInfo]]:
        for name, text in self.terms_from(fieldname, prefix):
            yield (name, text), self.term_info(name, text)

    def items(self) -> Iterator[tuple[tuple[str, bytes], TermInfo]]:
        return self.items_from(FIELD_NAMES[0], b"")

    def term_info(self, fieldname: str, text: bytes) -> TermInfo:
        terms, number = self._locate(fieldname, text)
        return self._term_info(fieldname, terms, number)

    def frequency(self, fieldname: str, text: bytes) -> float:
        try:
            return float(self.term_info(fieldname, text).weight())
        except TermNotFound:
            return 0.0

    def doc_frequency(self, fieldname: str, text: bytes) -> int:
        try:
            terms, number = self._locate(fieldname, text)
        except TermNotFound:
            return 0
        return int(terms.postings(number)[0].size)

    def matcher(self, fieldname: str, text: bytes, format_: Any, scorer: Any = None) -> PostingsMatcher:
        terms, number = self._locate(fieldname, text)
        docs, weights = terms.postings(number)
        positions = None
        if fieldname in FIELDS:
            def positions() -> tuple[Array, Array]:
                found = terms.positions(number)
                assert found is not None
                return found
        return PostingsMatcher(
            (fieldname, text), docs, weights, format_, scorer=scorer, positions=positions,
            terminfo=self._term_info(fieldname, terms, number),
        )

    def close(self) -> None:
        self._reader.close()
