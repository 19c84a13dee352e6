"""A consistent view of one committed generation, shared by any number of threads.

A :class:`Snapshot` maps every segment of a generation, knows which documents are live,
and holds what ranking and facets need index-wide: live document counts, total field
lengths and how many live documents have each field (BM25F's average length of a field is
over the documents that have it, as Lucene's), and one table of sources across segments
(with per-segment ordinal maps).
Snapshots are immutable; a newer generation gets a new snapshot that reuses the readers
of segments it shares with the old one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .._log import log
from ..errors import IndexCorruptError
from .segment import FIELDS, MISSING_DAY, SegmentReader, source_key
from .store import IndexStore, SearchkitSegment
from .toc import TableOfContentsError

__all__ = ["LoadedSegment", "Snapshot"]

_RELIST = 3  # extra looks at the folder when its latest generation seems older than ours


_EPOCH = date(1970, 1, 1).toordinal()


def _day(number: int | None) -> date | None:
    return None if number is None else date.fromordinal(number + _EPOCH)


@dataclass(frozen=True)
class LoadedSegment:
    reader: SegmentReader
    segment: SearchkitSegment
    live: np.ndarray[Any, Any] | None  # None when nothing is deleted
    live_count: int
    source_map: np.ndarray[Any, Any]  # local source ordinal (+1) -> global ordinal; slot 0 is "none"
    global_source: np.ndarray[Any, Any] = field(repr=False)  # per document: global ordinal or -1

    def is_live(self, docnum: int) -> bool:
        return self.live is None or bool(self.live[docnum])


@dataclass(frozen=True)
class Snapshot:
    generation: int
    segments: tuple[LoadedSegment, ...]
    doc_count: int
    total_lengths: dict[str, int]
    field_docs: dict[str, int]  # live documents whose field holds at least one token
    source_names: tuple[str, ...]
    source_ordinals: dict[str, int]
    loaded_at: float
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)  # derived arrays
    # Handed from each snapshot to the next one an Index loads: what a snapshot may build
    # on from an earlier one's (the latest near-duplicate groups, see collapse.py).
    lineage: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, store: IndexStore, previous: Snapshot | None = None) -> Snapshot:
        """Load the latest generation, retrying if a writer replaces files meanwhile."""
        for attempt in range(20):
            try:
                return cls._load(store, previous)
            except TableOfContentsError:
                raise  # a whole file that is not a table of contents searchkit wrote: no retry
            except (FileNotFoundError, IndexCorruptError) as exc:
                if attempt == 19:
                    raise
                log(logging.INFO, store.path, "re-reading %s (retry %d): a writer replaced its files meanwhile (%s)",
                    store.path, attempt + 1, type(exc).__name__)
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    @classmethod
    def _load(cls, store: IndexStore, previous: Snapshot | None) -> Snapshot:
        generation, segments = store.read_segments()
        for _ in range(_RELIST):
            if previous is None or generation >= previous.generation:
                break
            # A listing that ran while a writer renamed the next table of contents into
            # place may miss it and still show the one before (POSIX leaves that open):
            # look again rather than go back. Still older each time: the index was rebuilt.
            time.sleep(0.002)
            generation, segments = store.read_segments()
        if previous is not None and previous.generation == generation:
            return previous
        reusable = {s.segment.segid: s.reader for s in previous.segments} if previous else {}
        source_names: list[str] = []
        source_ordinals: dict[str, int] = {}
        loaded = []
        totals = dict.fromkeys(FIELDS, 0)
        having = dict.fromkeys(FIELDS, 0)
        doc_count = 0
        for segment in segments:
            reader = reusable.get(segment.segid) or SegmentReader(store.segment_path(segment), name=segment.segid)
            if reader.doc_count != segment.document_count():
                raise IndexCorruptError(
                    f"{store.segment_path(segment)} holds {reader.doc_count} documents; "
                    f"the table of contents says {segment.document_count()}"
                )
            deleted = segment.deleted_docs()
            live = None
            if deleted:
                live = np.ones(reader.doc_count, dtype=bool)
                live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
            source_map = np.empty(len(reader.source_names) + 1, dtype=np.int32)
            source_map[0] = -1
            for local, name in enumerate(reader.source_names):
                key = source_key(name)
                if key not in source_ordinals:
                    source_ordinals[key] = len(source_names)
                    source_names.append(name)
                source_map[local + 1] = source_ordinals[key]
            global_source = source_map[reader.source.astype(np.int64) + 1]
            for name in FIELDS:
                lengths = reader.lengths[name]
                counted = lengths if live is None else lengths[live]
                totals[name] += int(counted.sum(dtype=np.int64))
                having[name] += int(np.count_nonzero(counted))
            live_count = reader.doc_count - len(deleted)
            doc_count += live_count
            loaded.append(LoadedSegment(reader, segment, live, live_count, source_map, global_source))
        return cls(
            generation=generation,
            segments=tuple(loaded),
            doc_count=doc_count,
            total_lengths=totals,
            field_docs=having,
            source_names=tuple(source_names),
            source_ordinals=source_ordinals,
            loaded_at=time.monotonic(),
            lineage=previous.lineage if previous is not None else {},
        )

    def date_span(self) -> tuple[date | None, date | None, int]:
        """The first and last date of the live articles, and how many have none."""
        first = last = None
        undated = 0
        for loaded in self.segments:
            days = loaded.reader.day if loaded.live is None else loaded.reader.day[loaded.live]
            dated = days[days != MISSING_DAY]
            undated += int(days.size - dated.size)
            if dated.size:
                lo, hi = int(dated.min()), int(dated.max())
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
        return _day(first), _day(last), undated

    def locate(self, article_id: str) -> tuple[LoadedSegment, int] | None:
        """The live document with this id, if any."""
        for loaded in reversed(self.segments):
            docnum = loaded.reader.doc_number(article_id)
            if docnum >= 0 and loaded.is_live(docnum):
                return loaded, docnum
        return None
