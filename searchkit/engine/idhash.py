"""64-bit hashes of article ids, made from their UTF-8 bytes without decoding them.

A story table finds an article's row through the sorted hashes of its ids (a match is always
confirmed against the id itself, so a collision costs a comparison, never a wrong answer).
Python's ``hash`` of a ``str`` needs the string decoded first: at a million articles, decoding
and hashing every id of a segment took about half a second. These hashes are FNV-1a over a
string table's bytes, in C where the optional kernel is built (``hash_strings`` in
``searchkit/_speedups.c``), else in numpy, strings grouped by length (the same values).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._kernels import native

__all__ = ["hash_blob", "hash_id", "hash_ids"]

Array = np.ndarray[Any, Any]

_OFFSET = np.uint64(14695981039346656037)
_PRIME = np.uint64(1099511628211)
_MASK = (1 << 64) - 1

_native: Callable[[Any, Any], bytes] | None = native("_speedups", "hash_strings")


def hash_blob(data: Array, offsets: Array) -> Array:
    """The hash (int64) of each string of a string table: ``data`` its UTF-8 bytes, ``offsets``
    where each starts (one more than there are strings)."""
    bounds = np.ascontiguousarray(offsets, dtype=np.int64)
    blob = np.ascontiguousarray(data, dtype=np.uint8)
    if bounds.size < 2:
        return np.zeros(0, dtype=np.int64)
    if _native is not None:
        return np.frombuffer(_native(blob, bounds), dtype=np.int64)
    return _numpy_hash_blob(blob, bounds)


def _numpy_hash_blob(blob: Array, bounds: Array) -> Array:
    """:func:`hash_blob` in numpy (the kernel's reference): strings of one length at a time,
    a byte position per step."""
    starts, lengths = bounds[:-1], np.diff(bounds)
    hashes = np.full(starts.size, _OFFSET, dtype=np.uint64)
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    with np.errstate(over="ignore"):
        for length in np.unique(sorted_lengths).tolist():
            lo, hi = np.searchsorted(sorted_lengths, [length, length + 1])
            members = order[lo:hi]
            h = hashes[members]
            first = starts[members]
            for j in range(length):
                h = (h ^ blob[first + j].astype(np.uint64)) * _PRIME
            hashes[members] = h
    return hashes.view(np.int64)


def hash_ids(ids: Sequence[str]) -> Array:
    """:func:`hash_blob` of a sequence of strings."""
    encoded = [text.encode("utf-8") for text in ids]
    bounds = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in encoded], out=bounds[1:])
    return hash_blob(np.frombuffer(b"".join(encoded), dtype=np.uint8), bounds)


def hash_id(text: str) -> int:
    """:func:`hash_blob` of one string, as a Python int (int64)."""
    h = 14695981039346656037
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 1099511628211) & _MASK
    return h - (1 << 64) if h >= 1 << 63 else h
