"""Where a writer finds the live document holding an article id, in compact arrays.

Every article a writer adds is looked up first: an id already in the index is replaced
(or left alone when unchanged). A dict of every id would hold a string, an int and a slot
per article (about 130 bytes: 130 MB at a million articles) and would have to be rebuilt
after each merge renumbers documents, a cost that grows with the index at every merge.
:class:`IdDirectory` keeps, per article, the low 32 bits of its id's hash (Python's
``hash``: the directory lives and dies in one process) in one sorted array beside its
location (a segment slot and the document number): 12 bytes per article. A merge
renumbers its inputs' entries in place (the merged segment's documents are its inputs'
live ones in order) and drops those of documents it left out, so nothing is decoded or
sorted again.

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
        self._keys: Array = np.zeros(0, dtype=np.uint32)  # sorted hashes (low 32 bits) of the entries
        self._slot: Array = np.zeros(0, dtype=np.int32)  # each entry's segment slot, in the same order
        self._doc: Array = np.zeros(0, dtype=np.uint32)  # and its document number
        self._filter = bytearray(_FILTER_BITS >> 3)
        for segment in segments:
            ids = reader(segment).ids.decode_all()
            self._insert(segment, np.arange(len(ids), dtype=np.uint32),
                         np.fromiter(map(_key, ids), dtype=np.uint32, count=len(ids)))

    def __len__(self) -> int:
        return int(self._keys.size)

    def find(self, article_id: str) -> tuple[SearchkitSegment, int] | None:
        """The segment and document number of the live document with this id, or None."""
        key = _key(article_id)
        bit = key & (_FILTER_BITS - 1)
        if not self._filter[bit >> 3] >> (bit & 7) & 1:
            return None
        keys = self._keys
        at = int(keys.searchsorted(key))
        while at < keys.size and keys[at] == key:
            segment, docnum = self._segments[int(self._slot[at])], int(self._doc[at])
            if segment is not None and not segment.is_deleted(docnum) and self._reader(segment).ids[docnum] == article_id:
                return segment, docnum
            at += 1
        return None

    def add_segment(self, segment: SearchkitSegment, ids: Iterable[tuple[int, str]]) -> None:
        """A segment just written, with its documents' ``(number, id)`` (the deleted ones may
        be left out)."""
        pairs = list(ids)
        docs = np.fromiter((docnum for docnum, _ in pairs), dtype=np.uint32, count=len(pairs))
        keys = np.fromiter((_key(article_id) for _, article_id in pairs), dtype=np.uint32, count=len(pairs))
        self._insert(segment, docs, keys)

    def merged(self, group: Sequence[SearchkitSegment], merged: SearchkitSegment, live: Sequence[Array]) -> None:
        """``group`` was merged into ``merged``; ``live[i]`` is the mask of ``group[i]``'s
        documents that went into it, in order."""
        slots = [self._slots.pop(segment.segid) for segment in group]
        new_slot = self._slots[merged.segid] = len(self._segments)
        self._segments.append(merged)
        first = 0
        dropped = []
        for slot, mask in zip(slots, live):
            self._segments[slot] = None
            entries = np.flatnonzero(self._slot == slot)
            docs = self._doc[entries].astype(np.int64)
            kept = mask[docs]
            renumbered = np.cumsum(mask, dtype=np.int64) - 1 + first  # a live document's number in the merge
            self._doc[entries[kept]] = renumbered[docs[kept]]
            self._slot[entries[kept]] = new_slot
            dropped.append(entries[~kept])
            first += int(np.count_nonzero(mask))
        gone = np.concatenate(dropped) if dropped else np.zeros(0, dtype=np.int64)
        if gone.size:
            self._keys, self._slot, self._doc = (np.delete(column, gone) for column in (self._keys, self._slot, self._doc))

    def _insert(self, segment: SearchkitSegment, docs: Array, keys: Array) -> None:
        slot = self._slots[segment.segid] = len(self._segments)
        self._segments.append(segment)
        if segment.deleted_count():
            live = np.array([not segment.is_deleted(d) for d in docs.tolist()], dtype=bool)
            docs, keys = docs[live], keys[live]
        order = np.argsort(keys, kind="stable")
        keys, docs = keys[order], docs[order]
        bits = keys & (_FILTER_BITS - 1)
        marks = np.frombuffer(self._filter, dtype=np.uint8)  # a view: writes go to the filter
        np.bitwise_or.at(marks, bits >> 3, (np.uint8(1) << (bits & 7)).astype(np.uint8))
        at = self._keys.searchsorted(keys)
        self._keys = np.insert(self._keys, at, keys)
        self._slot = np.insert(self._slot, at, np.int32(slot))
        self._doc = np.insert(self._doc, at, docs)


def _key(article_id: str) -> int:
    """The directory's key of an id: the low 32 bits of its hash."""
    return hash(article_id) & 0xFFFFFFFF
