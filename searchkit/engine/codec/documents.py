"""Whoosh's per-document reader over one searchkit segment.

:class:`SegmentDocumentReader` answers document counts and deletions (from the segment as
the table of contents records it), field lengths (the segment's ``{field}.len`` arrays),
stored fields under the Whoosh schema's names, and one column: ``date``
(:class:`DayColumnReader`), so Whoosh sorts by date. Stored fields map a searchkit article
to Whoosh's fields: ``background`` is its bullets joined by line ends (the text searchkit
indexes), ``date`` a ``datetime`` at midnight (what a Whoosh ``DATETIME`` field stores);
``attribution`` and ``meta`` are not in the Whoosh schema, so Whoosh does not see them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
from whoosh.codec.base import PerDocumentReader
from whoosh.columns import ColumnReader

from ..schema import whoosh_schema
from ..segment import FIELDS, MISSING_DAY, SegmentReader

__all__ = ["DayColumnReader", "SegmentDocumentReader", "stored_fields"]

_EPOCH = date(1970, 1, 1).toordinal()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def stored_fields(article: dict[str, Any]) -> dict[str, Any]:
    """A stored searchkit article (:meth:`~searchkit.models.Article.to_dict`) as Whoosh's stored fields."""
    fields: dict[str, Any] = {"id": article["id"]}
    for name in ("headline", "body", "source", "url"):
        if article.get(name):
            fields[name] = article[name]
    if article.get("background"):
        fields["background"] = "\n".join(article["background"])
    if article.get("date"):
        fields["date"] = _midnight(date.fromisoformat(article["date"]))
    return fields


class DayColumnReader(ColumnReader):  # type: ignore[misc]
    """The ``date`` column as Whoosh's ``DATETIME`` field writes it: one number per document,
    the column's default for a document without a date (so undated ones sort last)."""

    def __init__(self, days: np.ndarray[Any, Any], field: Any, column: Any):
        self._days = days
        self._field = field
        self._default = column.default_value()
        self._values: list[int] | None = None
        self._reverse = False

    def _load_values(self) -> list[int]:
        if self._values is None:
            unique, inverse = np.unique(self._days, return_inverse=True)
            table = [
                self._default if day == MISSING_DAY
                else self._field.to_column_value(_midnight(date.fromordinal(day + _EPOCH)))
                for day in unique.tolist()
            ]
            self._values = [table[i] for i in inverse.tolist()]
        return self._values

    def __len__(self) -> int:
        return int(self._days.size)

    def __getitem__(self, docnum: int) -> int:
        return self._load_values()[docnum]

    def __iter__(self) -> Iterator[int]:
        return iter(self._load_values())

    def sort_key(self, docnum: int) -> int:
        value = self[docnum]
        return -value if self._reverse else value

    def load(self) -> list[int]:
        return list(self._load_values())

    def set_reverse(self) -> None:
        self._reverse = True


class DateColumns:
    """The one column a searchkit segment offers Whoosh: ``date``, for sorting and grouping.

    Mixed into the per-document readers; each gives its segment's days (:meth:`_days`).
    """

    _schema: Any

    def _days(self) -> np.ndarray[Any, Any]:
        raise NotImplementedError

    def supports_columns(self) -> bool:
        return True

    def has_column(self, fieldname: str) -> bool:
        return fieldname == "date"

    def list_columns(self) -> list[str]:
        return ["date"]

    def column_reader(self, fieldname: str, column: Any) -> DayColumnReader:
        if fieldname != "date":
            raise ValueError(f"a searchkit segment has no column {fieldname!r}; it has 'date'")
        return DayColumnReader(self._days(), self._schema["date"], column)


class SegmentDocumentReader(DateColumns, PerDocumentReader):  # type: ignore[misc]
    """Whoosh's view of a segment's documents (``Codec.per_document_reader``)."""

    def __init__(self, reader: SegmentReader, segment: Any):
        self._reader = reader
        self._segment = segment
        self._deleted = segment.deleted_docs()
        self._schema = whoosh_schema()

    def close(self) -> None:
        self._reader.close()

    # Counts and deletions

    def doc_count_all(self) -> int:
        return self._reader.doc_count

    def doc_count(self) -> int:
        return self._reader.doc_count - len(self._deleted)

    def has_deletions(self) -> bool:
        return bool(self._deleted)

    def is_deleted(self, docnum: int) -> bool:
        return docnum in self._deleted

    def deleted_docs(self) -> frozenset[int]:
        return frozenset(self._deleted)

    def _days(self) -> np.ndarray[Any, Any]:
        return self._reader.day

    # Lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        if fieldname not in FIELDS:
            return default
        return int(self._reader.lengths[fieldname][docnum])

    def field_length(self, fieldname: str) -> int:
        if fieldname not in FIELDS:
            return 0
        return int(self._reader.lengths[fieldname].sum(dtype=np.int64))

    def min_field_length(self, fieldname: str) -> int:
        lengths = self._reader.lengths.get(fieldname)
        return int(lengths.min()) if lengths is not None and lengths.size else 0

    def max_field_length(self, fieldname: str) -> int:
        lengths = self._reader.lengths.get(fieldname)
        return int(lengths.max()) if lengths is not None and lengths.size else 0

    # Stored fields

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return stored_fields(self._reader.stored(docnum))
