"""A stored article's bytes: its JSON compressed on its own, so a hit reads just its own.

New blobs are zstd frames (level 1: about zlib level 1's size, compressed three times and
read three times as fast, 3 us against 10 us for a typical article). Indexes of schema
version 2 hold zlib streams; merges copy blobs as they are, so one segment may hold both,
and :func:`decompress` tells them apart by the zstd frame's magic number (a zlib stream
starts with 0x78). Each thread keeps its own zstd contexts (they are not thread-safe, and
making one per call costs ten times the work).

A frame must say how long its content is, and no more than :data:`MAX_ARTICLE_BYTES`: a
damaged or hostile blob cannot make a reader allocate more.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

from ..errors import IndexCorruptError

__all__ = ["MAX_ARTICLE_BYTES", "compress", "decompress"]

ZSTD_LEVEL = 1
MAX_ARTICLE_BYTES = 1 << 31  # 2 GiB: far above any article, far below what would harm a reader
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_contexts = threading.local()


def compress(data: bytes) -> bytes:
    """``data`` (an article's JSON) as a zstd frame that records its length."""
    try:
        compressor = _contexts.compressor
    except AttributeError:
        compressor = _contexts.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True)
    compressed: bytes = compressor.compress(data)
    return compressed


def decompress(blob: bytes) -> bytes:
    """The bytes :func:`compress` (or zlib, in older indexes) made ``blob`` from.

    Raises:
        IndexCorruptError: The blob is neither, is damaged, or claims a length over
            :data:`MAX_ARTICLE_BYTES`.
    """
    if blob[:4] != _ZSTD_MAGIC:
        try:
            return zlib.decompress(blob)
        except zlib.error as exc:
            raise IndexCorruptError(f"a stored article is damaged: {exc}") from exc
    try:
        size = zstandard.frame_content_size(blob)
        if size < 0 or size > MAX_ARTICLE_BYTES:
            raise IndexCorruptError(f"a stored article's frame gives no usable length ({size})")
        try:
            decompressor = _contexts.decompressor
        except AttributeError:
            decompressor = _contexts.decompressor = zstandard.ZstdDecompressor()
        data: bytes = decompressor.decompress(blob)
    except zstandard.ZstdError as exc:
        raise IndexCorruptError(f"a stored article is damaged: {exc}") from exc
    return data
