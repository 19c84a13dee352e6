"""Merging segments into one, dropping deleted documents, in bounded memory.

Vocabularies are sorted, so a range of merged terms is a contiguous range of each input's
terms, postings and positions. The merge walks the merged vocabulary in chunks of about
:data:`CHUNK_POSTINGS` postings, gathers each input's slice, renumbers documents and writes
the chunk straight into its place in the output file. Memory therefore depends on the
chunk size and the vocabulary, not on the number of documents; the inputs' mapped pages
are released after each chunk, since mapped file pages count as resident memory too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .segfile import OffsetColumn, SegmentFileWriter
from .fingerprint import SLOTS
from .segment import FIELDS, SegmentReader, StringTable, offset_dtype, source_key, stable_order, write_strings
from .tokenmap import META_KEY as TOKEN_MAP_KEY, merge_token_maps

__all__ = ["MergeInput", "merge_segments"]

# What a merge holds at a time: postings of a chunk of terms, bytes of stored articles, rows
# of fingerprints (256 bytes each). Mapped input pages count as resident memory until they
# are released after each piece, so each piece is a few MB.
CHUNK_POSTINGS = 1 << 17
_STORED_CHUNK_BYTES = 8 << 20
_FINGERPRINT_ROWS = 1 << 14
_OFFSET_ROWS = 1 << 16

Array = np.ndarray[Any, Any]


class MergeInput:
    """A segment to merge and which of its documents are still live."""

    def __init__(self, reader: SegmentReader, deleted: Sequence[int] = ()):
        self.reader = reader
        live = np.ones(reader.doc_count, dtype=bool)
        if len(deleted):
            live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        self.live = live
        self.has_deletions = bool(len(deleted))
        self.live_count = int(live.sum())
        self.new_docs: Array = np.full(reader.doc_count, -1, dtype=np.int64)
        self.term_map: Array = np.zeros(0, dtype=np.int64)


def merge_segments(inputs: Sequence[MergeInput], path: Path) -> int:
    """Write the merge of ``inputs`` to ``path``; returns the number of documents."""
    base = 0
    for item in inputs:
        item.new_docs[item.live] = base + np.arange(item.live_count, dtype=np.int64)
        base += item.live_count
    doc_count = base

    terms = _merge_vocabularies(inputs)
    term_count = len(terms)

    writer = SegmentFileWriter(path)
    try:
        write_strings(writer, "terms", terms)
        del terms  # a Python string per term (28 MB at 300,000 articles): not needed past here
        for field in FIELDS:
            _merge_field(writer, field, inputs, term_count)
            writer.add(f"{field}.len", _live_concat([(i.reader.lengths[field], i) for i in inputs]), np.uint32)
        sources = _merge_sources(writer, inputs)
        writer.add("day", _live_concat([(i.reader.day, i) for i in inputs]), np.int32)
        _merge_fingerprints(writer, inputs, doc_count)
        token_map = merge_token_maps(writer, [(i.reader, i.live) for i in inputs])
        _merge_table(writer, "ids", [i.reader.ids for i in inputs], inputs, doc_count)
        _merge_table(writer, "stored", [i.reader.stored_table for i in inputs], inputs, doc_count)
        writer.finish({"doc_count": doc_count, "term_count": term_count, "sources": sources, TOKEN_MAP_KEY: token_map})
    except BaseException:
        writer.abort()
        raise
    return doc_count


def _merge_vocabularies(inputs: Sequence[MergeInput]) -> list[str]:
    """The sorted union of the inputs' vocabularies; sets each input's ``term_map``.

    One input's term list is decoded at a time; only the union is held as a whole.
    """
    first_seen: dict[str, int] = {}
    seen_ids = []
    for item in inputs:
        decoded = item.reader.terms.decode_all()
        seen_ids.append(np.fromiter(
            (first_seen.setdefault(term, len(first_seen)) for term in decoded), dtype=np.int64, count=len(decoded)
        ))
        del decoded
    terms = sorted(first_seen)
    rank = np.empty(len(terms), dtype=np.int64)
    rank[np.fromiter(map(first_seen.__getitem__, terms), dtype=np.int64, count=len(terms))] = np.arange(len(terms))
    del first_seen
    for item, ids in zip(inputs, seen_ids):
        item.term_map = rank[ids]
    return terms


def _live_concat(pairs: Sequence[tuple[Array, MergeInput]]) -> Array:
    return np.concatenate([values[item.live] for values, item in pairs]) if pairs else np.zeros(0)


def _merge_sources(writer: SegmentFileWriter, inputs: Sequence[MergeInput]) -> list[str]:
    names: list[str] = []
    ordinal: dict[str, int] = {}
    columns = []
    for item in inputs:
        remap = np.empty(len(item.reader.source_names) + 1, dtype=np.int32)
        remap[-1] = -1  # index -1 (no source) maps to -1
        for local, name in enumerate(item.reader.source_names):
            key = source_key(name)
            if key not in ordinal:
                ordinal[key] = len(names)
                names.append(name)
            remap[local] = ordinal[key]
        columns.append(remap[item.reader.source[item.live]])
    writer.add("source", np.concatenate(columns) if columns else np.zeros(0), np.int32)
    return names


def _slices(item: MergeInput, field: str, lo: int, hi: int) -> tuple[int, int, int, int]:
    arrays = item.reader.field_postings(field)
    post_off, pos_off = arrays.post_off, arrays.pos_off
    return int(post_off[lo]), int(post_off[hi]), int(pos_off[lo]), int(pos_off[hi])


def _merge_field(writer: SegmentFileWriter, field: str, inputs: Sequence[MergeInput], term_count: int) -> None:
    # Pass 1: sizes, so the output arrays can be reserved and filled chunk by chunk.
    total_postings = total_positions = 0
    wide_positions = wide_tf = False
    for item in inputs:
        arrays = item.reader.field_postings(field)
        docs, tf, pos = arrays.docs, arrays.tf, arrays.pos
        wide_positions |= pos.dtype.itemsize > 2
        wide_tf |= tf.dtype.itemsize > 2
        if not item.has_deletions:
            total_postings += docs.size
            total_positions += pos.size
            continue
        for start in range(0, docs.size, CHUNK_POSTINGS):
            live = item.live[docs[start : start + CHUNK_POSTINGS]]
            total_postings += int(live.sum())
            total_positions += int(tf[start : start + CHUNK_POSTINGS][live].sum(dtype=np.int64))
    writer.reserve(f"{field}.docs", np.uint32, total_postings)
    writer.reserve(f"{field}.tf", np.uint32 if wide_tf else np.uint16, total_postings)
    writer.reserve(f"{field}.pos", np.uint32 if wide_positions else np.uint16, total_positions)

    # Pass 2: chunks of merged terms.
    postings_per_term = np.zeros(term_count, dtype=np.int64)
    positions_per_term = np.zeros(term_count, dtype=np.int64)
    for lo, hi in _term_chunks(inputs, field, term_count):
        if hi - lo == 1:  # one term (a frequent one may have most documents): in pieces, no sorting
            postings, positions = _merge_term(writer, field, inputs, lo, int(postings_per_term.sum()),
                                              int(positions_per_term.sum()))
            postings_per_term[lo], positions_per_term[lo] = postings, positions
            continue
        parts_terms, parts_docs, parts_tf, parts_pos = [], [], [], []
        for item in inputs:
            reader = item.reader
            in_lo = int(np.searchsorted(item.term_map, lo))
            in_hi = int(np.searchsorted(item.term_map, hi))
            if in_lo == in_hi:
                continue
            p0, p1, q0, q1 = _slices(item, field, in_lo, in_hi)
            if p0 == p1:
                continue
            arrays = reader.field_postings(field)
            counts: Array = np.diff(arrays.post_off[in_lo : in_hi + 1].astype(np.int64))
            posting_terms = np.repeat(item.term_map[in_lo:in_hi], counts)
            docs = item.new_docs[arrays.docs[p0:p1]]
            tf = arrays.tf[p0:p1]
            pos = arrays.pos[q0:q1]
            if item.has_deletions:
                live = docs >= 0
                pos = pos[np.repeat(live, tf)]
                posting_terms, docs, tf = posting_terms[live], docs[live], tf[live]
            parts_terms.append(posting_terms)
            parts_docs.append(docs)
            parts_tf.append(tf)
            parts_pos.append(pos)
        if not parts_terms:
            continue
        posting_terms = np.concatenate(parts_terms)
        docs = np.concatenate(parts_docs)
        tf = np.concatenate(parts_tf).astype(np.int64)
        pos = np.concatenate(parts_pos)
        order = stable_order(posting_terms)
        if len(parts_terms) > 1:
            # Positions follow their postings: gather each posting's run in the new order.
            run_start = np.zeros(tf.size, dtype=np.int64)
            np.cumsum(tf[:-1], out=run_start[1:])
            tf_sorted = tf[order]
            out_start = np.zeros(tf.size, dtype=np.int64)
            np.cumsum(tf_sorted[:-1], out=out_start[1:])
            gather = np.repeat(run_start[order] - out_start, tf_sorted) + np.arange(pos.size)
            pos = pos[gather]
        posting_terms, docs, tf = posting_terms[order], docs[order], tf[order]
        done_postings = int(postings_per_term.sum())
        done_positions = int(positions_per_term.sum())
        writer.write(f"{field}.docs", docs, done_postings)
        writer.write(f"{field}.tf", tf, done_postings)
        writer.write(f"{field}.pos", pos, done_positions)
        postings_per_term += np.bincount(posting_terms, minlength=term_count)
        positions_per_term += np.bincount(posting_terms, weights=tf, minlength=term_count).astype(np.int64)
        _release(inputs)
    for name, per_term in (("post_off", postings_per_term), ("pos_off", positions_per_term)):
        offsets = np.zeros(term_count + 1, dtype=np.int64)
        np.cumsum(per_term, out=offsets[1:])
        writer.add(f"{field}.{name}", offsets, offset_dtype(offsets))


def _merge_term(writer: SegmentFileWriter, field: str, inputs: Sequence[MergeInput], term: int,
                done_postings: int, done_positions: int) -> tuple[int, int]:
    """Write one merged term's postings and positions at the given places, input after
    input (inputs hold ascending runs of the merged document numbers, so this is their
    order) and :data:`CHUNK_POSTINGS` postings at a time; returns how many were written."""
    postings = positions = 0
    for item in inputs:
        at = int(np.searchsorted(item.term_map, term))
        if at == item.term_map.size or int(item.term_map[at]) != term:
            continue
        arrays = item.reader.field_postings(field)
        p0, p1, q0, _ = _slices(item, field, at, at + 1)
        for start in range(p0, p1, CHUNK_POSTINGS):
            stop = min(start + CHUNK_POSTINGS, p1)
            docs = item.new_docs[arrays.docs[start:stop]]
            tf = arrays.tf[start:stop].astype(np.int64)
            size = int(tf.sum())
            pos = arrays.pos[q0:q0 + size]
            q0 += size
            if item.has_deletions:
                live = docs >= 0
                pos = pos[np.repeat(live, tf)]
                docs, tf = docs[live], tf[live]
            writer.write(f"{field}.docs", docs, done_postings + postings)
            writer.write(f"{field}.tf", tf, done_postings + postings)
            writer.write(f"{field}.pos", pos, done_positions + positions)
            postings += docs.size
            positions += pos.size
            item.reader.file.release()
    return postings, positions


def _release(inputs: Sequence[MergeInput]) -> None:
    for item in inputs:
        item.reader.file.release()


def _term_chunks(inputs: Sequence[MergeInput], field: str, term_count: int) -> list[tuple[int, int]]:
    """Ranges of merged term numbers holding about CHUNK_POSTINGS postings each."""
    per_term = np.zeros(term_count, dtype=np.int64)
    for item in inputs:
        counts = np.diff(item.reader.field_postings(field).post_off.astype(np.int64))
        np.add.at(per_term, item.term_map, counts)
    cumulative = np.cumsum(per_term)
    chunks = []
    lo = 0
    while lo < term_count:
        target = (cumulative[lo - 1] if lo else 0) + CHUNK_POSTINGS
        hi = max(int(np.searchsorted(cumulative, target, side="right")), lo + 1)
        chunks.append((lo, min(hi, term_count)))
        lo = hi
    return chunks


def _merge_fingerprints(writer: SegmentFileWriter, inputs: Sequence[MergeInput], doc_count: int) -> None:
    """The live documents' fingerprints (:func:`~.segment.write_fingerprints`' columns),
    :data:`_FINGERPRINT_ROWS` at a time: a whole merged column is 256 bytes an article
    (256 MB at a million), too much to gather in memory."""
    writer.reserve("fingerprint", np.uint16, doc_count * SLOTS)
    writer.reserve("shingles", np.uint32, doc_count)
    at = 0
    for item in inputs:
        slots, counts = item.reader.fingerprints()
        for start in range(0, item.reader.doc_count, _FINGERPRINT_ROWS):
            live = item.live[start:start + _FINGERPRINT_ROWS]
            rows = slots[start:start + _FINGERPRINT_ROWS][live]
            writer.write("fingerprint", rows.reshape(-1), at * SLOTS)
            writer.write("shingles", counts[start:start + _FINGERPRINT_ROWS][live], at)
            at += rows.shape[0]
            item.reader.file.release()


def _merge_table(writer: SegmentFileWriter, name: str, tables: Sequence[StringTable], inputs: Sequence[MergeInput],
                 doc_count: int) -> None:
    """The live documents' entries of a per-document string table (``ids``, ``stored``),
    copied as bytes in runs of consecutive live documents, :data:`_STORED_CHUNK_BYTES` at
    a time: nothing is decoded, and memory does not grow with the segment."""
    # The offsets, _OFFSET_ROWS documents at a time (whole, they were several arrays of 8
    # bytes a document): their total first, which sets their type.
    def live_lengths(table: StringTable, item: MergeInput) -> Iterator[Array]:
        for start in range(0, item.live.size, _OFFSET_ROWS):
            piece = table.offsets[start:start + _OFFSET_ROWS + 1].astype(np.int64)
            yield np.diff(piece)[item.live[start:start + _OFFSET_ROWS]]

    total = sum(int(lengths.sum()) for table, item in zip(tables, inputs) for lengths in live_lengths(table, item))
    offsets = OffsetColumn(writer, f"{name}.off", doc_count, total)
    for table, item in zip(tables, inputs):
        for lengths in live_lengths(table, item):
            offsets.extend(lengths)
        item.reader.file.release()
    writer.reserve(f"{name}.data", np.uint8, total)
    at = 0
    for table, item in zip(tables, inputs):
        data = table.data
        source_offsets = table.offsets.astype(np.int64)
        if not item.has_deletions:
            for start in range(0, data.size, _STORED_CHUNK_BYTES):
                piece = data[start : start + _STORED_CHUNK_BYTES]
                writer.write(f"{name}.data", piece, at)
                at += piece.size
                item.reader.file.release()
            continue
        # Copy runs of consecutive live documents.
        edges = np.flatnonzero(np.diff(np.concatenate(([False], item.live, [False])).astype(np.int8)))
        for first, last in zip(edges[::2].tolist(), edges[1::2].tolist()):
            start, end = int(source_offsets[first]), int(source_offsets[last])
            for chunk in range(start, end, _STORED_CHUNK_BYTES):
                piece = data[chunk : min(chunk + _STORED_CHUNK_BYTES, end)]
                writer.write(f"{name}.data", piece, at)
                at += piece.size
                item.reader.file.release()
