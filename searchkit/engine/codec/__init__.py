"""Whoosh's read side over searchkit segments: the codec roles :class:`~..store.SearchkitCodec` hands out.

A searchkit index folder is a Whoosh index: its table of contents names
:class:`~..store.SearchkitSegment` objects, whose ``codec()`` is
:class:`~..store.SearchkitCodec`. When Whoosh's own ``open_dir(path, indexname="MAIN")``
opens the folder, Whoosh's ``SegmentReader`` asks that codec for a terms reader and a
per-document reader per segment, and Whoosh's searcher, query parser, sorting, grouping and
highlighting work through them. One module per codec role, as in ``whoosh.codec``:

* :mod:`.terms`     :class:`SegmentTermsReader` (term look-ups, :class:`~whoosh.reading.TermInfo`,
  cursors for prefix and fuzzy expansion) over the segment's vocabulary, ids, sources, dates
* :mod:`.postings`  :class:`PostingsMatcher`, a Whoosh ``Matcher`` over numpy postings
  (document numbers, frequencies, positions for phrases)
* :mod:`.documents` :class:`SegmentDocumentReader` (document counts, deletions, field
  lengths, stored fields under Whoosh's field names) and :class:`DayColumnReader`
  (the ``date`` column for ``sortedby="date"``)
* :mod:`.empty`     :class:`EmptyTermsReader` and :class:`EmptyDocumentReader`, Whoosh's view of
  the guard segment that an index without segments lists (see :class:`~..store.GuardSegment`)
* :mod:`.weighting` :class:`SearchkitBM25F`, searchkit's BM25F as a Whoosh weighting model
  (``ix.searcher(weighting=SearchkitBM25F())`` ranks as searchkit does)

Nothing here is imported by searchkit's own search path: the codec imports these modules
only when Whoosh asks for a reader, so searchkit's speed does not change. Whoosh's writers
cannot write a searchkit index; :class:`~..store.SearchkitSegment` (or, in an index without
segments, :class:`~..store.GuardSegment`) refuses them before they write anything (see
:class:`~searchkit.errors.ForeignWriterError`).
"""

from __future__ import annotations

from .documents import DayColumnReader, SegmentDocumentReader
from .empty import EmptyDocumentReader, EmptyTermsReader
from .postings import PostingsMatcher
from .terms import SegmentFieldCursor, SegmentTermsReader
from .weighting import SearchkitBM25F

__all__ = [
    "DayColumnReader",
    "EmptyDocumentReader",
    "EmptyTermsReader",
    "PostingsMatcher",
    "SearchkitBM25F",
    "SegmentDocumentReader",
    "SegmentFieldCursor",
    "SegmentTermsReader",
]
