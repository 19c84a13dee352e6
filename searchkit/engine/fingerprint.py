"""Near-duplicate fingerprints: a MinHash of each article's headline and body, and the
groups of near-duplicates (wire copies) they reveal.

**The fingerprint** of an article is a one-permutation MinHash (Li, Owen and Zhang 2012,
with Shrivastava and Li's rotation densification for empty slots) over the shingles of
:data:`SHINGLE_WORDS` consecutive terms of its headline and body, as the index analyses
them (stemmed, stop words out). Each term is hashed with BLAKE2b (keyed, 8 bytes), not
Python's ``hash()``, and shingles are combined and mixed with fixed 64-bit arithmetic, so
the fingerprint of a text is the same in every process, on every machine and in every
version that keeps the analysis. A segment stores it as :data:`SLOTS` 16-bit minimums per
document (``fingerprint``) and the document's number of shingles (``shingles``; 0 when it
has no terms, and then it has no near-duplicates). A merge copies both.

**Near-duplicates**: the share of equal slots estimates the Jaccard similarity ``J`` of two
shingle sets; with the shingle counts it also gives the containment ``C`` (the share of
the shorter text's shingles found in the longer, ``J (|A| + |B|) / ((1 + J) min(|A|, |B|))``).
Two articles are near-duplicates when ``J >= JACCARD`` or, for a copy with its end trimmed,
``C >= CONTAINMENT`` and ``J >= MIN_JACCARD``. Candidate pairs come from LSH banding
(:data:`BANDS` bands of :data:`ROWS` slots: a pair at ``J = 0.5`` shares a band with
probability 0.996) and are then checked on all slots. The groups are the connected
components of the near-duplicate pairs, made once per snapshot: from scratch
(:func:`find_groups`) or, the same, from an earlier snapshot's groups
(:meth:`DuplicateGroups.update`: only the band-key runs a change touched are paired again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._kernels import native

__all__ = [
    "BANDS",
    "CONTAINMENT",
    "JACCARD",
    "MIN_JACCARD",
    "ROWS",
    "SHINGLE_WORDS",
    "SLOTS",
    "DuplicateGroups",
    "SegmentPrints",
    "band_slots",
    "document_fingerprints",
    "find_groups",
    "near_duplicates",
    "signatures",
    "term_hashes",
]

Array = np.ndarray[Any, Any]

SLOTS = 128
SHINGLE_WORDS = 3
BANDS, ROWS = 42, 3
JACCARD = 0.5
CONTAINMENT = 0.8
MIN_JACCARD = 0.3
_EMPTY = 1 << 16  # above every 16-bit slot value: "no shingle fell in this slot"
_ROTATE = np.uint32(0x9E37)
_MASK64 = (1 << 64) - 1
_P1, _P2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


# The shingles' slots and their densifying in C (searchkit/_speedups.c; _numpy_signatures is
# the reference), or None.
_native_slots: Callable[[Any, Any, int], tuple[bytes, bytes]] | None = native("_speedups", "fingerprint_slots")


def term_hashes(terms: Sequence[str]) -> Array:
    """A 64-bit hash of each term (uint64) from its UTF-8 bytes alone: a polynomial over the
    bytes with fixed constants, then mixed, so the same in every process and on every machine."""
    if not terms:
        return np.zeros(0, dtype=np.uint64)
    data = np.frombuffer("\x00".join(terms).encode("utf-8"), dtype=np.uint8)  # terms never hold NUL
    separator = data == 0
    starts = np.concatenate(([0], np.flatnonzero(separator) + 1))
    owner = np.cumsum(separator)
    within = np.arange(data.size) - starts[owner]
    powers = np.cumprod(np.full(int(within.max()) + 1, _P2, dtype=np.uint64))
    with np.errstate(over="ignore"):
        sums = np.add.reduceat(data.astype(np.uint64) * powers[within], starts)  # a separator adds 0
        lengths = np.diff(np.append(starts, data.size + 1)).astype(np.uint64)
        return _mix(sums + lengths * _P1)


def _mix(values: Array) -> Array:
    """SplitMix64's finalizer: every input bit moves every output bit (wrapping uint64)."""
    values = values ^ (values >> np.uint64(30))
    values *= _M1
    values ^= values >> np.uint64(27)
    values *= _M2
    result: Array = values ^ (values >> np.uint64(31))
    return result


def signatures(hashes: Array, docs: Array, doc_count: int) -> tuple[Array, Array]:
    """The fingerprints of ``doc_count`` documents from their terms in reading order.

    ``hashes`` are the terms' :func:`term_hashes`, ``docs`` the document of each (ascending).
    Returns the slots (uint16, ``doc_count`` x :data:`SLOTS`) and the shingle counts (uint32).
    """
    docs = np.asarray(docs, dtype=np.int64)
    if _native_slots is not None:
        slots_bytes, counts_bytes = _native_slots(np.ascontiguousarray(hashes, dtype=np.uint64),
                                                  np.ascontiguousarray(docs), doc_count)
        return (np.frombuffer(slots_bytes, dtype=np.uint16).reshape(doc_count, SLOTS).copy(),
                np.frombuffer(counts_bytes, dtype=np.uint32).copy())
    return _numpy_signatures(hashes, docs, doc_count)


def _numpy_signatures(hashes: Array, docs: Array, doc_count: int) -> tuple[Array, Array]:
    """:func:`signatures` in numpy: the reference of the kernel's ``fingerprint_slots``."""
    per_doc = np.bincount(docs, minlength=doc_count) if docs.size else np.zeros(doc_count, dtype=np.int64)
    with np.errstate(over="ignore"):
        h = hashes.astype(np.uint64, copy=False)
        whole = np.flatnonzero(docs[2:] == docs[:-2])  # shingles that stay inside one document
        values = h[whole] * _P1 + h[whole + 1] * _P2 + h[whole + 2]
        owners = docs[whole]
        short = np.flatnonzero((per_doc > 0) & (per_doc < SHINGLE_WORDS))
        if short.size:  # a text of one or two terms is one shingle
            first = (np.cumsum(per_doc) - per_doc)[short]
            second = np.where(per_doc[short] > 1, h[np.minimum(first + 1, h.size - 1)], 0)
            values = np.concatenate((values, h[first] * _P1 + second * _P2))
            owners = np.concatenate((owners, short))
        values = _mix(values)
    slots = np.full(doc_count * SLOTS, _EMPTY, dtype=np.uint32)
    np.minimum.at(slots, owners * SLOTS + (values >> np.uint64(57)).astype(np.int64),
                  (values & np.uint64(0xFFFF)).astype(np.uint32))
    counts = np.bincount(owners, minlength=doc_count).astype(np.uint32)
    return _densify(slots.reshape(doc_count, SLOTS)), counts


def _densify(slots: Array) -> Array:
    """Fill each empty slot from the next filled one to its right (circularly), rotated by
    the distance, so documents with few shingles still compare on every slot."""
    filled = slots != _EMPTY
    if filled.all():
        return slots.astype(np.uint16)
    columns = np.arange(SLOTS, dtype=np.int32)
    where = np.where(filled, columns, 2 * SLOTS)
    nearest = np.minimum.accumulate(where[:, ::-1], axis=1)[:, ::-1]
    first = where.min(axis=1, keepdims=True)
    nearest = np.where(nearest == 2 * SLOTS, first + SLOTS, nearest)  # wrap around to the row's first
    source = np.take_along_axis(slots, nearest % SLOTS, axis=1)
    rotated = (source + (nearest - columns).astype(np.uint32) * _ROTATE) & 0xFFFF
    out: Array = np.where(filled, slots, rotated).astype(np.uint16)  # a row without shingles: noise, never compared
    return out


def near_duplicates(a: Array, b: Array, count_a: Array, count_b: Array) -> Array:
    """Whether each pair of fingerprints (rows of ``a`` and ``b``) are near-duplicates."""
    jaccard = (a == b).mean(axis=1)
    count_a = count_a.astype(np.float64)
    count_b = count_b.astype(np.float64)
    shorter = np.maximum(np.minimum(count_a, count_b), 1.0)
    containment = jaccard * (count_a + count_b) / ((1.0 + jaccard) * shorter)
    result: Array = (count_a > 0) & (count_b > 0) & (
        (jaccard >= JACCARD) | ((jaccard >= MIN_JACCARD) & (containment >= CONTAINMENT)))
    return result


def _band_keys(first: Array, second: Array, third: Array) -> Array:
    """One band's key per row from its :data:`ROWS` slot values (uint64)."""
    result: Array = ((first.astype(np.uint64) << np.uint64(32)) | (second.astype(np.uint64) << np.uint64(16))
                     | third.astype(np.uint64))
    return result


def _run_pairs(keys: Array, rows: Array) -> list[Array]:
    """The candidate pairs (as ``a * 2**32 + b``, ``a < b``) of one band: ``rows``
    (ascending) with their ``keys``; in each run of equal keys, in row order, every member
    pairs with the one before it and with the run's first."""
    order = np.argsort(keys, kind="stable")  # equal keys in row order: the same pairs on every machine
    ordered = keys[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    same = np.flatnonzero(~starts)
    if not same.size:
        return []
    run_start = np.maximum.accumulate(np.where(starts, np.arange(ordered.size), 0))
    found = []
    for other in (same - 1, run_start[same]):
        a, b = rows[order[same]], rows[order[other]]
        low, high = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        keep = low != high
        found.append((low[keep] << 32) | high[keep])
    return found


def _unique(found: list[Array]) -> Array:
    """The codes in ``found``, sorted, each once."""
    codes = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    if not codes.size:
        return codes
    unique: Array = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return unique


def _candidate_pairs(slots: Array, rows: Array) -> Array:
    """Pairs (as ``a * 2**32 + b``, ``a < b``) of ``rows`` that share a band."""
    found = []
    columns = np.ascontiguousarray(slots[rows, :BANDS * ROWS].T)  # one row of values per slot
    for band in range(BANDS):
        found += _run_pairs(_band_keys(*columns[band * ROWS:(band + 1) * ROWS]), rows)
    return _unique(found)


def _verified(pairs: Array, fetch: Callable[[Array], tuple[Array, Array]]) -> Array:
    """The ``pairs`` (codes) that are near-duplicates; ``fetch(numbers)`` gives the slots
    and shingle counts of documents."""
    a, b = pairs >> 32, pairs & 0xFFFFFFFF
    keep = np.zeros(pairs.size, dtype=bool)
    for start in range(0, pairs.size, 65_536):
        part = slice(start, start + 65_536)
        (slots_a, counts_a), (slots_b, counts_b) = fetch(a[part]), fetch(b[part])
        keep[part] = near_duplicates(slots_a, slots_b, counts_a, counts_b)
    result: Array = pairs[keep]
    return result


def _components(size: int, a: Array, b: Array) -> Array:
    """The smallest member of each node's connected component (edges ``a``-``b``)."""
    labels = np.arange(size, dtype=np.int64)
    while True:
        root_a, root_b = labels[a], labels[b]
        differ = root_a != root_b
        if not differ.any():
            return labels
        # Hook the larger root under the smaller, then jump every node to its root.
        np.minimum.at(labels, np.maximum(root_a[differ], root_b[differ]), np.minimum(root_a[differ], root_b[differ]))
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped


def find_groups(slots: Array, counts: Array, live: Array) -> Array:
    """Each document's group: the smallest document number among its near-duplicates
    (itself when it has none). Deleted documents (``live`` False) are left alone.

    This builds the groups from scratch; :meth:`DuplicateGroups.update` gives the same
    groups from those of an earlier snapshot.
    """
    pairs = _verified(_candidate_pairs(slots, np.flatnonzero(live & (counts > 0))),
                      lambda numbers: (slots[numbers], counts[numbers]))
    return _components(int(counts.size), pairs >> 32, pairs & 0xFFFFFFFF)


def _changed_pairs(previous: DuplicateGroups, segments: Sequence[SegmentPrints], base: Array,
                   compared: list[Array], bands: tuple[Array, ...], kept: int) -> Array:
    """:meth:`DuplicateGroups.update`'s near-duplicate pairs when ``segments[:kept]`` are
    segments of ``previous`` in its order (numbered from 0 in both)."""
    old_at = {segid: at for at, segid in enumerate(previous.segids)}
    moved = np.full(len(previous.segids), -1, dtype=np.int64)  # old segment -> its new base (-1: gone)
    changed = []  # band slots of the documents added and removed
    for at in range(kept):
        old = old_at[segments[at].segid]
        moved[old] = base[at]
        start = int(previous.base[old])
        removed = np.flatnonzero(previous.compared[start:start + bands[at].shape[1]] & ~compared[at])
        changed.append(bands[at][:, removed])
    for old, segid in enumerate(previous.segids):
        if moved[old] < 0:
            start = int(previous.base[old])
            changed.append(previous.bands[old][:, np.flatnonzero(previous.compared[start:start + previous.bands[old].shape[1]])])
    for at in range(kept, len(segments)):
        changed.append(bands[at][:, compared[at]])
    # The pairs of unchanged runs, renumbered; pairs with a removed document go.
    a, b = previous.pairs >> 32, previous.pairs & 0xFFFFFFFF
    old_a = np.searchsorted(previous.base, a, side="right") - 1
    old_b = np.searchsorted(previous.base, b, side="right") - 1
    new_a, new_b = moved[old_a] + (a - previous.base[old_a]), moved[old_b] + (b - previous.base[old_b])
    alive = np.concatenate(compared)
    keep = (moved[old_a] >= 0) & (moved[old_b] >= 0)
    keep[keep] &= alive[new_a[keep]] & alive[new_b[keep]]
    carried = (new_a[keep] << 32) | new_b[keep]
    # The runs that hold a changed document's band key, paired again in full.
    values = np.concatenate(changed, axis=1)
    if not values.shape[1]:
        return carried
    found: list[Array] = []
    table = np.zeros(1 << 16, dtype=bool)
    for band in range(BANDS):
        table[:] = False
        table[values[band]] = True
        rows, keys = [], []
        for at, prints in enumerate(segments):
            local = np.flatnonzero(table[bands[at][band]] & compared[at])
            if local.size:
                part = prints.slots[local, band * ROWS:(band + 1) * ROWS]
                rows.append(base[at] + local)
                keys.append(_band_keys(part[:, 0], part[:, 1], part[:, 2]))
        if rows:
            found += _run_pairs(np.concatenate(keys), np.concatenate(rows))
    candidates = _unique(found)
    carried = np.sort(carried)
    known = np.searchsorted(carried, candidates).clip(max=max(carried.size - 1, 0))
    if carried.size:
        candidates = candidates[carried[known] != candidates]  # known pairs need no second check

    def fetch(numbers: Array) -> tuple[Array, Array]:
        at = np.searchsorted(base, numbers, side="right") - 1
        slots, counts = np.empty((numbers.size, SLOTS), dtype=np.uint16), np.empty(numbers.size, dtype=np.uint32)
        for segment in range(len(segments)):
            here = at == segment
            local = numbers[here] - base[segment]
            slots[here], counts[here] = segments[segment].slots[local], segments[segment].counts[local]
        return slots, counts

    return _unique([carried, _verified(candidates, fetch)])


@dataclass(frozen=True)
class SegmentPrints:
    """One segment's fingerprints as a snapshot sees them: its ``segid``, ``slots`` and
    shingle ``counts`` (:meth:`SegmentReader.fingerprints`), ``live`` (None: none deleted)."""

    segid: str
    slots: Array
    counts: Array
    live: Array | None

    def compared(self) -> Array:
        """Per document: True when it is live and has shingles (it can have near-duplicates)."""
        has = self.counts > 0
        result: Array = has if self.live is None else has & self.live
        return result


def band_slots(slots: Array) -> Array:
    """Of each band, its last slot value, band-major (:data:`BANDS` x documents, uint16, a
    copy): documents with equal band keys have equal values here, so a 64 KiB table finds
    every document that may share a band with a few others in one pass."""
    result: Array = np.ascontiguousarray(slots[:, ROWS - 1:BANDS * ROWS:ROWS].T)
    return result


@dataclass(frozen=True)
class DuplicateGroups:
    """The near-duplicate groups of one snapshot, over its documents numbered one segment
    after another (``base[s] + doc``).

    ``label`` is each document's group (its smallest member); ``grouped`` is True for
    documents with at least one near-duplicate; ``members`` lists the grouped documents by
    label, ``starts`` says where each label's run begins (``run_labels`` are the labels).
    What :meth:`update` reuses: the segments' ids, which documents were compared, the
    near-duplicate ``pairs`` (codes ``a * 2**32 + b``) and each segment's :func:`band_slots`.
    """

    base: Array
    label: Array
    grouped: Array
    members: Array
    run_labels: Array
    starts: Array
    segids: tuple[str, ...]
    compared: Array
    pairs: Array
    bands: tuple[Array, ...]

    @classmethod
    def update(cls, previous: DuplicateGroups | None, segments: Sequence[SegmentPrints]) -> DuplicateGroups:
        """The groups of a snapshot made of ``segments``, reusing ``previous`` (the groups of
        any earlier snapshot of the same index, or None): the same as :func:`find_groups`.

        The segments that start the new snapshot in the order ``previous`` had them are
        kept (their documents keep their order); the documents of the others are new, and
        those of segments gone or deleted since are removed. Near-duplicate pairs come from
        the runs of equal band keys (:func:`_run_pairs`); a run that gained or lost no
        document has the same pairs as before, so only the runs that hold a new or removed
        document's band key are paired and checked again. Costs: one pass over
        :func:`band_slots` per band and the changed runs' pairs, instead of sorting every
        band of every document.
        """
        sizes = [int(s.counts.size) for s in segments]
        base = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))[:-1] if sizes else np.zeros(0, np.int64)
        compared = [s.compared() for s in segments]
        before = {segid: at for at, segid in enumerate(previous.segids)} if previous is not None else {}
        kept, last = 0, -1  # how many segments start both snapshots in the same order
        while (previous is not None and kept < len(segments) and before.get(segments[kept].segid, -1) > last
               and previous.bands[before[segments[kept].segid]].shape[1] == sizes[kept]):
            last = before[segments[kept].segid]
            kept += 1
        if previous is None or kept == 0:
            slots = np.concatenate([s.slots for s in segments]) if segments else np.zeros((0, SLOTS), np.uint16)
            counts = np.concatenate([s.counts for s in segments]) if segments else np.zeros(0, np.uint32)
            rows = np.flatnonzero(np.concatenate(compared)) if segments else np.zeros(0, np.int64)
            pairs = _verified(_candidate_pairs(slots, rows), lambda numbers: (slots[numbers], counts[numbers]))
            bands = tuple(band_slots(s.slots) for s in segments)
        else:
            bands = tuple(previous.bands[before[s.segid]] if at < kept else band_slots(s.slots)
                          for at, s in enumerate(segments))
            pairs = _changed_pairs(previous, segments, base, compared, bands, kept)
        return cls._grouped(base, pairs, tuple(s.segid for s in segments),
                            np.concatenate(compared) if segments else np.zeros(0, dtype=bool), bands)

    @classmethod
    def _grouped(cls, base: Array, pairs: Array, segids: tuple[str, ...], compared: Array,
                 bands: tuple[Array, ...]) -> DuplicateGroups:
        label = _components(int(compared.size), pairs >> 32, pairs & 0xFFFFFFFF)
        sizes = np.bincount(label, minlength=label.size)
        grouped = sizes[label] > 1  # a deleted document or one without shingles has no pairs
        members = np.flatnonzero(grouped)
        members = members[np.argsort(label[members], kind="stable")]
        run_labels, starts = np.unique(label[members], return_index=True)
        return cls(base, label, grouped, members, run_labels, np.append(starts, members.size),
                   segids, compared, pairs, bands)

    def others(self, number: int) -> Array:
        """The other members of document ``number``'s group (global numbers, ascending)."""
        if not self.grouped[number]:
            return np.zeros(0, dtype=np.int64)
        at = int(np.searchsorted(self.run_labels, self.label[number]))
        group = self.members[int(self.starts[at]):int(self.starts[at + 1])]
        result: Array = group[group != number]
        return result


def document_fingerprints(vocabulary: Sequence[str], streams: Sequence[tuple[Array, Array]],
                          doc_count: int) -> tuple[Array, Array]:
    """:func:`signatures` of a segment's documents from their analysed fields.

    ``vocabulary`` lists the segment's terms by number; each stream is one field's
    (term numbers, document numbers) in document order, the headline's first.
    """
    per_doc = [np.bincount(docs, minlength=doc_count) for _, docs in streams]
    total = np.sum(per_doc, axis=0, dtype=np.int64) if per_doc else np.zeros(doc_count, dtype=np.int64)
    size = int(total.sum())
    terms, owners = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    place = np.cumsum(total) - total  # where each document's terms start; fields follow in order
    for (field_terms, docs), counts in zip(streams, per_doc):
        docs = np.asarray(docs, dtype=np.int64)
        at = place[docs] + np.arange(docs.size) - (np.cumsum(counts) - counts)[docs]
        terms[at], owners[at] = field_terms, docs
        place = place + counts
    return signatures(term_hashes(vocabulary)[terms], owners, doc_count)
