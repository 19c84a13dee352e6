"""One file per segment: named numpy arrays and a JSON footer, read through one mmap.

Layout::

    b"SKSEG\\x00\\x01\\x00"                      8-byte magic
    array data, each array 16-byte aligned
    footer: JSON {"arrays": {name: [offset, dtype, count]}, "meta": {...}}
    footer length (8 bytes, little-endian) + the magic again

Writers reserve space for an array before filling it, so large arrays can be written in
pieces (a merge streams its output chunk by chunk). The file is written under a temporary
name, fsynced and renamed into place, so a segment file either exists whole or not at all.
Nothing in it is pickled: reading a segment file never runs code from it.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from ..errors import IndexCorruptError

__all__ = ["OffsetColumn", "SegmentFileReader", "SegmentFileWriter"]

MAGIC = b"SKSEG\x00\x01\x00"
_ALIGN = 16
_TAIL = struct.Struct("<Q8s")


class SegmentFileWriter:
    """Writes a segment file: ``reserve`` then ``write`` (or ``add``), then ``finish``."""

    def __init__(self, path: Path):
        self.path = path
        self._temp = path.with_name(path.name + ".tmp")
        self._file = os.fdopen(os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
        self._file.write(MAGIC)
        self._end = len(MAGIC)
        self._arrays: dict[str, tuple[int, str, int]] = {}

    def reserve(self, name: str, dtype: npt.DTypeLike, count: int) -> None:
        """Set aside room for ``count`` items of ``dtype`` under ``name``."""
        if name in self._arrays:
            raise ValueError(f"array {name!r} reserved twice")
        dt = np.dtype(dtype)
        offset = -(-self._end // _ALIGN) * _ALIGN
        self._arrays[name] = (offset, dt.str, int(count))
        self._end = offset + dt.itemsize * int(count)

    def write(self, name: str, values: npt.ArrayLike, start: int = 0) -> None:
        """Write ``values`` into the reserved array ``name`` from item ``start``."""
        offset, dtype, count = self._arrays[name]
        array = np.ascontiguousarray(values, dtype=np.dtype(dtype))
        if start + array.size > count:
            raise ValueError(f"array {name!r}: writing {array.size} items at {start} overflows {count}")
        self._file.seek(offset + start * array.itemsize)
        self._file.write(array.tobytes() if not array.flags.c_contiguous else memoryview(array).cast("B"))  # type: ignore[arg-type]

    def add(self, name: str, values: npt.ArrayLike, dtype: npt.DTypeLike | None = None) -> None:
        """Reserve and write a whole array in one step."""
        array = np.asarray(values, dtype=dtype)
        self.reserve(name, array.dtype, array.size)
        self.write(name, array)

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add(name, np.frombuffer(data, dtype=np.uint8))

    def finish(self, meta: dict[str, Any]) -> int:
        """Write the footer, fsync, and move the file into place. Returns its size."""
        footer = orjson.dumps({"arrays": self._arrays, "meta": meta})
        self._file.seek(self._end)
        self._file.write(footer)
        self._file.write(_TAIL.pack(len(footer), MAGIC))
        self._file.flush()
        os.fsync(self._file.fileno())
        size = self._file.tell()
        self._file.close()
        os.replace(self._temp, self.path)
        return size

    def abort(self) -> None:
        """Close and remove the unfinished file (even when closing fails: a full disk fails
        the last flush too)."""
        try:
            self._file.close()
        except OSError:
            pass
        finally:
            self._temp.unlink(missing_ok=True)


class OffsetColumn:
    """A column of offsets (0, then each row's end: CSR over the rows) written a piece of
    the rows' lengths at a time, reserved for ``rows`` rows whose lengths add up to
    ``total``, which sets its type (uint32, or uint64 from 2**32 on)."""

    def __init__(self, writer: SegmentFileWriter, name: str, rows: int, total: int) -> None:
        self._writer, self._name = writer, name
        writer.reserve(name, np.uint32 if total < 2**32 else np.uint64, rows + 1)
        writer.write(name, np.zeros(1, dtype=np.int64), 0)
        self._rows = self._end = 0

    def extend(self, lengths: npt.NDArray[Any]) -> None:
        """The next rows' lengths."""
        if lengths.size:
            ends = np.cumsum(lengths, dtype=np.int64) + self._end
            self._writer.write(self._name, ends, self._rows + 1)
            self._rows, self._end = self._rows + ends.size, int(ends[-1])


class SegmentFileReader:
    """Maps a segment file and hands out its arrays as read-only numpy views."""

    def __init__(self, path: Path):
        self.path = path
        try:
            with open(path, "rb") as file:
                self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"cannot read segment file {path}: {exc}") from exc
        size = len(self._map)
        if size < len(MAGIC) + _TAIL.size or self._map[: len(MAGIC)] != MAGIC:
            raise IndexCorruptError(f"{path} is not a searchkit segment file")
        footer_length, magic = _TAIL.unpack(self._map[size - _TAIL.size :])
        if magic != MAGIC or footer_length > size:
            raise IndexCorruptError(f"{path}: the segment footer is damaged")
        start = size - _TAIL.size - footer_length
        try:
            footer = orjson.loads(self._map[start : size - _TAIL.size])
        except orjson.JSONDecodeError as exc:
            raise IndexCorruptError(f"{path}: the segment footer is damaged: {exc}") from exc
        if not isinstance(footer, dict) or not isinstance(footer.get("meta"), dict) or not isinstance(footer.get("arrays"), dict):
            raise IndexCorruptError(f"{path}: the segment footer is damaged: it lacks its arrays or meta")
        self.meta: dict[str, Any] = footer["meta"]
        self._arrays: dict[str, list[Any]] = footer["arrays"]
        self._data_end = start
        self._cache: dict[str, np.ndarray[Any, Any]] = {}

    def names(self) -> list[str]:
        return list(self._arrays)

    def __contains__(self, name: str) -> bool:
        return name in self._arrays

    def array(self, name: str) -> np.ndarray[Any, Any]:
        """The array ``name`` as a read-only view into the mapped file."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        try:
            offset, dtype, count = self._arrays[name]
        except (KeyError, TypeError, ValueError):
            raise IndexCorruptError(f"{self.path}: segment has no array {name!r}") from None
        try:
            if type(offset) is not int or type(count) is not int or offset < 0 or count < 0:
                raise ValueError(f"offset {offset!r}, count {count!r}")
            dt = np.dtype(dtype)
        except (TypeError, ValueError) as exc:
            raise IndexCorruptError(f"{self.path}: array {name!r} is described wrongly: {exc}") from exc
        if dt.hasobject:  # object arrays would mean pickles: searchkit never writes them
            raise IndexCorruptError(f"{self.path}: array {name!r} claims Python objects, which searchkit never writes")
        if offset + dt.itemsize * count > self._data_end:
            raise IndexCorruptError(f"{self.path}: array {name!r} runs past the end of the data")
        view: np.ndarray[Any, Any] = np.frombuffer(self._map, dtype=dt, count=count, offset=offset)
        self._cache[name] = view
        return view

    def size(self) -> int:
        return len(self._map)

    def release(self) -> None:
        """Drop this process's mapped pages (they are re-read on the next access).

        File-backed pages still count in a process's resident memory; a merge that streams
        through whole segments calls this between chunks to stay within its memory bound.
        """
        if hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        """Unmap the file (and close the descriptor the map holds) unless arrays handed out
        are still alive; then it closes when the last of them is gone."""
        self._cache.clear()
        try:
            self._map.close()
        except BufferError:
            # Arrays handed out still point into the map; it closes when they are gone.
            pass
