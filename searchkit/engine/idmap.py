"""Where a writer finds the live document holding an article id, in compact arrays.

Every article a writer adds is looked up first: an id already in the index is replaced
(or left alone when unchanged). A dict of every id would hold a string, an int and a slot
per article (about 130 bytes: 130 MB at a million articles) and would have to be rebuilt
after each merge renumbers documents, a cost that grows with the index at every merge.
:class:`IdDirectory` keeps, per article, its id's hash (Python's ``hash``: the directory
lives and dies in one process) in one sorted array beside its location (a segment slot and
the document number), plus each segment's hashes in document order: 24 bytes per
article. A merge removes its inputs' entries and inserts the merged segment's, whose
hashes are its inputs' live ones in order, so nothing is decoded again.

A hash match is confirmed against the segment's own id of that document, and a deleted
document never matches, so two ids that share a hash are never confused and a replaced
article's old copy is never found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .segment import SegmentReader
from .store import SearchkitSegment

__all__ = ["IdDirectory"]

Array = np.ndarray[Any, Any]
_EMPTY = -1  # the hash column's value for a document that has no entry (deleted when written)
# A bit per hash value modulo this many, set for every hash ever entered (never cleared):
# an id whose bit is clear is not in the directory, found without a numpy search (about
# 10 us a look-up, the writer's cost for each new article). 1 MB; at a million entries
# about one new id in nine still searches.
_FILTER_BITS = 1 << 23


class IdDirectory:
    """Article id -> (segment, document number) over a writer's segments.

    ``reader(segment)`` opens a segment for confirming a match (the writer's cached readers).
    """

    def __init__(self, segments: Iterable[SearchkitSegment], reader: Callable[[SearchkitSegment], SegmentReader]):
        self._reader = reader
        self._slots: dict[str, int] = {}  # segid -> slot
        self._segments: list[SearchkitSegment | None] = []  # slot -> segment (None once merged away)
        self._columns: list[Array | None] = []  # slot -> its documents' hashes in order
        self._keys: Array = np.zeros(0, dtype=np.int64)  # sorted hashes of the entries
        self._where: Array = np.zeros(0, dtype=np.int64)  # slot << 32 | document, in the same order
        self._filter = bytearray(_FILTER_BITS >> 3)
        for segment in segments:
            ids = reader(segment).ids.decode_all()
            self._insert(segment, np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)))

    def __len__(self) -> int:
        return int(self._keys.size)

    def find(self, article_id: str) -> tuple[SearchkitSegment, int] | None:
        """The segment and document number of the live document with this id, or None."""
        key = hash(article_id)
        bit = key & (_FILTER_BITS - 1)
        if not self._filter[bit >> 3] >> (bit & 7) & 1:
            return None
        keys = self._keys
        at = int(keys.searchsorted(key))
        while at < keys.size and keys[at] == key:
            where = int(self._where[at])
            segment, docnum = self._segments[where >> 32], where & 0xFFFFFFFF
            if segment is not None and not segment.is_deleted(docnum) and self._reader(segment).ids[docnum] == article_id:
                return segment, docnum
            at += 1
        return None

    def add_segment(self, segment: SearchkitSegment, ids: Iterable[tuple[int, str]]) -> None:
        """A segment just written, with its documents' ``(number, id)`` (the deleted ones may
        be left out)."""
        column = np.full(segment.document_count(), _EMPTY, dtype=np.int64)
        for docnum, article_id in ids:
            column[docnum] = hash(article_id)
        self._insert(segment, column)

    def merged(self, group: Sequence[SearchkitSegment], merged: SearchkitSegment, live: Sequence[Array]) -> None:
        """``group`` was merged into ``merged``; ``live[i]`` is the mask of ``group[i]``'s
        documents that went into it, in order."""
        slots = [self._slots.pop(segment.segid) for segment in group]
        parts = []
        for slot, mask in zip(slots, live):
            column = self._columns[slot]
            assert column is not None
            parts.append(column[mask])
            self._columns[slot] = self._segments[slot] = None
        keep = ~np.isin(self._where >> 32, np.array(slots, dtype=np.int64))
        self._keys, self._where = self._keys[keep], self._where[keep]
        self._insert(merged, np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))

    def _insert(self, segment: SearchkitSegment, column: Array) -> None:
        slot = self._slots[segment.segid] = len(self._segments)
        self._segments.append(segment)
        self._columns.append(column)
        docs = np.flatnonzero(column != _EMPTY)
        if segment.deleted_count():
            docs = docs[[not segment.is_deleted(d) for d in docs.tolist()]]
        order = np.argsort(column[docs], kind="stable")
        keys, where = column[docs][order], (slot << 32) | docs[order]
        bits = keys & (_FILTER_BITS - 1)
        marks = np.frombuffer(self._filter, dtype=np.uint8)  # a view: writes go to the filter
        np.bitwise_or.at(marks, bits >> 3, (np.uint8(1) << (bits & 7)).astype(np.uint8))
        at = self._keys.searchsorted(keys)
        self._keys = np.insert(self._keys, at, keys)
        self._where = np.insert(self._where, at, where)
