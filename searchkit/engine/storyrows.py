"""The clustered articles' vectors and headlines while a writer clusters (issue 16).

A writer's :class:`~.stories.StoryClusterer` needs each article's vector again only when
the article is taken out of its story, when its story's representative is chosen again, when
a story of one article is compared in full with a new one, and when the story file is
written; its headline only then. Holding them in memory cost about 500 bytes an article
(0.5 GB at a million), so :class:`VectorRows` keeps the latest ones in flat arrays and
appends the rest to two unnamed temporary files (gone when closed, or with the process),
read back with ``pread`` when asked for: memory is bounded by :data:`SPILL_AT`, not by the
number of articles. A row's vector is the same floats wherever it lies (float64 both ways).
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

__all__ = ["SPILL_AT", "RowChunk", "VectorRows"]

SPILL_AT = 1 << 20  # vector entries held in memory before they go to the files (12 MB, ~35,000 articles)
Array = np.ndarray[Any, Any]


class RowChunk(NamedTuple):
    """Some rows' vectors and headlines (:meth:`VectorRows.chunks`)."""

    lengths: Array  # each row's vector length
    terms: Array  # the rows' vectors, one after the other
    weights: Array
    headlines: bytes  # the rows' UTF-8 headlines, one after the other
    headline_lengths: Array


class VectorRows:
    """Per row (a clustered article, numbered from 0 in the order they come), its vector
    (term numbers, weights) and headline, the older ones in temporary files in ``folder``
    (None: the system's temporary folder)."""

    def __init__(self, folder: Path | None = None, *, spill_at: int | None = None):
        self._folder = folder
        self._spill_at = SPILL_AT if spill_at is None else spill_at
        self._vector_start = array("q", [0])  # row r's vector: entries start[r]:start[r + 1]
        self._headline_start = array("q", [0])  # its headline: bytes start[r]:start[r + 1]
        self._terms = array("i")  # the entries from _entry_base on
        self._weights = array("d")
        self._headlines = bytearray()  # the bytes from _byte_base on
        self._entry_base = self._byte_base = 0
        self._files: list[IO[bytes]] = []  # terms, weights, headlines

    def __len__(self) -> int:
        return len(self._vector_start) - 1

    def append(self, terms: Any, weights: Any, headline: str) -> int:
        """Add a row; returns its number."""
        self._terms.extend(terms)
        self._weights.extend(weights)
        self._vector_start.append(self._entry_base + len(self._terms))
        self._headlines += headline.encode("utf-8")
        self._headline_start.append(self._byte_base + len(self._headlines))
        if len(self._terms) >= self._spill_at:
            self._spill()
        return len(self._vector_start) - 2

    def _spill(self) -> None:
        if not self._files:
            self._files = [tempfile.TemporaryFile(dir=self._folder, prefix="searchkit-stories-") for _ in range(3)]
        for file, data in zip(self._files, (memoryview(self._terms), memoryview(self._weights),
                                            memoryview(self._headlines))):
            file.seek(0, os.SEEK_END)
            file.write(data)
            file.flush()
            data.release()
        self._entry_base += len(self._terms)
        self._byte_base += len(self._headlines)
        self._terms, self._weights, self._headlines = array("i"), array("d"), bytearray()

    def _read(self, which: int, start: int, end: int, size: int) -> bytes:
        """Bytes of items ``start:end`` (of ``size`` bytes each) of file ``which``."""
        data = os.pread(self._files[which].fileno(), (end - start) * size, start * size)
        if len(data) != (end - start) * size:
            raise OSError(f"the stories' temporary file ended early ({len(data)} of {(end - start) * size} bytes)")
        return data

    def vector(self, row: int) -> tuple[array[int], array[float]]:
        """Row ``row``'s term numbers and weights."""
        start, end = self._vector_start[row], self._vector_start[row + 1]
        base = self._entry_base
        if start >= base:
            return self._terms[start - base:end - base], self._weights[start - base:end - base]
        terms, weights = array("i"), array("d")
        terms.frombytes(self._read(0, start, end, 4))
        weights.frombytes(self._read(1, start, end, 8))
        return terms, weights

    def headline(self, row: int) -> str:
        start, end = self._headline_start[row], self._headline_start[row + 1]
        base = self._byte_base
        if start >= base:
            return self._headlines[start - base:end - base].decode("utf-8")
        return self._read(2, start, end, 1).decode("utf-8")

    def _span(self, which: int, start: int, end: int, dtype: type[Any]) -> Array:
        """Items ``start:end`` of one column, from the file and memory as they lie."""
        base = (self._entry_base, self._entry_base, self._byte_base)[which]
        memory = (self._terms, self._weights, self._headlines)[which]
        size = np.dtype(dtype).itemsize
        parts = []
        if start < base:
            parts.append(np.frombuffer(self._read(which, start, min(end, base), size), dtype=dtype))
        if end > base:
            parts.append(np.frombuffer(memory, dtype=dtype)[max(start - base, 0):end - base].copy())
        return np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else np.zeros(0, dtype))

    def chunks(self, rows: Array, size: int = 1 << 16) -> Iterator[RowChunk]:
        """The vectors and headlines of ``rows`` (ascending), ``size`` rows at a time."""
        vector_start = np.array(self._vector_start, dtype=np.int64)
        headline_start = np.array(self._headline_start, dtype=np.int64)
        for at in range(0, rows.size, size):
            part = rows[at:at + size]
            lengths, terms = self._gather(part, vector_start, 0, np.int32)
            _, weights = self._gather(part, vector_start, 1, np.float64)
            headline_lengths, headlines = self._gather(part, headline_start, 2, np.uint8)
            yield RowChunk(lengths, terms, weights, headlines.tobytes(), headline_lengths)

    def _gather(self, rows: Array, starts: Array, which: int, dtype: type[Any]) -> tuple[Array, Array]:
        """The lengths of ``rows``' items in a column, and the items one after the other."""
        begin, end = starts[rows], starts[rows + 1]
        lengths = end - begin
        if not rows.size:
            return lengths, np.zeros(0, dtype)
        span = self._span(which, int(begin[0]), int(end[-1]), dtype)
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        spots = np.arange(int(offsets[-1]), dtype=np.int64) - np.repeat(offsets[:-1] - (begin - begin[0]), lengths)
        return lengths, span[spots]

    def close(self) -> None:
        for file in self._files:
            file.close()
        self._files = []
