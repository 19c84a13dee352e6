"""Verifying an index: every file readable, every count consistent.

:func:`check_index` reads the latest generation's segments in full (all arrays, every
stored article) and lists what is wrong, in words that say which file and what, apart from
what interrupted writes left behind (notes, not problems).
"""

from __future__ import annotations

import zlib

import numpy as np
import orjson

from ..errors import SearchkitError
from ..models import Article
from .segment import FIELDS, SegmentReader
from .store import IndexStore

__all__ = ["check_index"]


def _check_segment(reader: SegmentReader, expected_docs: int, problems: list[str]) -> None:
    name = reader.file.path.name
    n = reader.doc_count
    if n != expected_docs:
        problems.append(f"{name}: holds {n} documents, the table of contents says {expected_docs}")
    terms = reader.terms.as_list()
    if terms != sorted(terms):
        problems.append(f"{name}: the vocabulary is not sorted")
    if len(set(terms)) != len(terms):
        problems.append(f"{name}: the vocabulary repeats terms")
    for field in FIELDS:
        arrays = reader.field_postings(field)
        post_off = arrays.post_off.astype(np.int64)
        pos_off = arrays.pos_off.astype(np.int64)
        docs, tf, pos = arrays.docs, arrays.tf, arrays.pos
        if post_off.size != len(terms) + 1 or pos_off.size != len(terms) + 1:
            problems.append(f"{name}: {field} offsets do not cover the vocabulary")
            continue
        if np.any(np.diff(post_off) < 0) or post_off[-1] != docs.size:
            problems.append(f"{name}: {field} posting offsets are inconsistent")
        if np.any(np.diff(pos_off) < 0) or pos_off[-1] != pos.size or int(tf.sum(dtype=np.int64)) != pos.size:
            problems.append(f"{name}: {field} position counts do not add up")
        if docs.size and int(docs.max()) >= n:
            problems.append(f"{name}: {field} postings point past the last document")
        if reader.lengths[field].size != n:
            problems.append(f"{name}: {field} lengths cover {reader.lengths[field].size} documents, not {n}")
    if reader.source.size != n or reader.day.size != n or len(reader.ids) != n:
        problems.append(f"{name}: per-document columns do not cover {n} documents")
    if reader.source.size and int(reader.source.max()) >= len(reader.source_names):
        problems.append(f"{name}: a source ordinal points past the source table")
    ids = reader.ids.as_list()
    for docnum in range(n):
        try:
            data = orjson.loads(zlib.decompress(reader.stored_blob(docnum)))
            article = Article.model_validate(data)
        except (zlib.error, orjson.JSONDecodeError, ValueError, SearchkitError) as exc:
            problems.append(f"{name}: stored article {docnum} is unreadable: {exc}")
            continue
        if docnum < len(ids) and article.id != ids[docnum]:
            problems.append(f"{name}: stored article {docnum} has id {article.id!r}, the id table says {ids[docnum]!r}")


def check_index(store: IndexStore) -> tuple[int, int, list[str], list[str]]:
    """(live articles, segments, problems, notes) of the latest generation.

    Problems make the index wrong or unreadable. Notes are files an interrupted write left
    behind (segment files, whole or ``.tmp``, that no generation uses; older or unfinished
    tables of contents): harmless, and removed by the next write.
    """
    problems: list[str] = []
    try:
        generation, segments = store.read_segments()
    except SearchkitError as exc:
        return 0, 0, [str(exc)], []
    live = 0
    seen: dict[str, str] = {}
    for segment in segments:
        path = store.segment_path(segment)
        try:
            reader = SegmentReader(path, name=segment.segid)
        except (OSError, SearchkitError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        try:
            _check_segment(reader, segment.document_count(), problems)
            deleted = segment.deleted_docs()
            if any(d >= reader.doc_count for d in deleted):
                problems.append(f"{path.name}: a deleted document number is past the end")
            for docnum, article_id in enumerate(reader.ids.as_list()):
                if docnum in deleted:
                    continue
                live += 1
                if article_id in seen:
                    problems.append(f"id {article_id!r} is live in both {seen[article_id]} and {path.name}")
                seen[article_id] = path.name
        finally:
            reader.close()
    notes = [
        f"leftover {name}: from an interrupted write, not part of generation {generation}; "
        "harmless, the next write to the index removes it"
        for name in store.leftover_files(generation, segments)
    ]
    return live, len(segments), problems, notes
