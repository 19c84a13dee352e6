"""Whoosh's readers of :class:`~..store.GuardSegment`, the record of an index without segments.

An index with no articles (new, or emptied by deletes) lists one guard segment in its table
of contents, so that Whoosh's writer has a segment to ask and be refused by (see
:class:`~..store.GuardSegment`). Whoosh's ``SegmentReader`` reads it through these two
roles: no terms, no documents, and an empty ``date`` column, so Whoosh's searcher,
sorting and grouping answer an empty index as they answer an empty segment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh.codec.base import EmptyCursor, PerDocumentReader, TermsReader
from whoosh.reading import TermInfo, TermNotFound

from ..schema import whoosh_schema
from .documents import DateColumns

__all__ = ["EmptyDocumentReader", "EmptyTermsReader"]


class EmptyTermsReader(TermsReader):  # type: ignore[misc]
    """The terms of a segment with no documents: none."""

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return False

    def indexed_field_names(self) -> list[str]:
        return []

    def cursor(self, fieldname: str, fieldobj: Any) -> EmptyCursor:
        return EmptyCursor()

    def terms(self) -> Iterator[tuple[str, bytes]]:
        return iter(())

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        return iter(())

    def items(self) -> Iterator[tuple[tuple[str, bytes], TermInfo]]:
        return iter(())

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], TermInfo]]:
        return iter(())

    def term_info(self, fieldname: str, text: bytes) -> TermInfo:
        raise TermNotFound(f"{fieldname}:{text!r}")

    def frequency(self, fieldname: str, text: bytes) -> float:
        return 0.0

    def doc_frequency(self, fieldname: str, text: bytes) -> int:
        return 0

    def matcher(self, fieldname: str, text: bytes, format_: Any, scorer: Any = None) -> Any:
        raise TermNotFound(f"{fieldname}:{text!r}")

    def close(self) -> None:
        pass


class EmptyDocumentReader(DateColumns, PerDocumentReader):  # type: ignore[misc]
    """The documents of a segment with no documents: none, with the ``date`` column that
    every searchkit segment has (empty)."""

    def __init__(self) -> None:
        self._schema = whoosh_schema()

    def doc_count(self) -> int:
        return 0

    def doc_count_all(self) -> int:
        return 0

    def has_deletions(self) -> bool:
        return False

    def is_deleted(self, docnum: int) -> bool:
        return False

    def deleted_docs(self) -> frozenset[int]:
        return frozenset()

    def _days(self) -> np.ndarray[Any, Any]:
        return np.empty(0, dtype=np.int32)

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return default

    def field_length(self, fieldname: str) -> int:
        return 0

    def min_field_length(self, fieldname: str) -> int:
        return 0

    def max_field_length(self, fieldname: str) -> int:
        return 0

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        raise IndexError(f"document {docnum} is not in this index: it holds no documents")
