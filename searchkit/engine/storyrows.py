"""The clustered articles' vectors and headlines while a writer clusters (issue 16).

A writer's :class:`~.stories.StoryClusterer` needs each article's vector again only when
the article is taken out of its story, when its story's representative is chosen again, when
a story of one article is compared in full with a new one, and when the story file is
written; its headline and id only then (and the id to confirm a look-up). Holding them in
memory cost about 650 bytes an article (0.65 GB at a million), so :class:`VectorRows`
keeps the latest ones in flat arrays and appends the rest to unnamed temporary files (gone
when closed, or with the process), read back with ``pread`` when asked for: memory is
bounded by :data:`SPILL_AT`, not by the number of articles. A row's vector is the same
floats wherever it lies (float64 both ways). :class:`RowIndex` finds an id's row through
a table of the ids' hashes (24 bytes an article instead of a dict's ~150), which a writer
that only adds new articles never makes (:attr:`.StoryClusterer._row_of`).
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate, islice
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

__all__ = ["CHUNK_ROWS", "SPILL_AT", "RowChunk", "RowIndex", "VectorRows"]

SPILL_AT = 1 << 18  # vector entries held in memory before they go to the files (3 MB, ~8,700 articles)
# Rows gathered at a time when the story file is written: its temporaries (the vectors and
# their int64 indexes) stay near 3 MB; 65,536 rows took ~100 MB at every commit (issue 16).
CHUNK_ROWS = 1 << 12
Array = np.ndarray[Any, Any]


class RowChunk(NamedTuple):
    """Some rows' vectors and headlines (:meth:`VectorRows.chunks`)."""

    lengths: Array  # each row's vector length
    terms: Array  # the rows' vectors, one after the other
    weights: Array
    headlines: bytes  # the rows' UTF-8 headlines, one after the other
    headline_lengths: Array
    ids: bytes  # the rows' UTF-8 ids, one after the other
    id_lengths: Array


class VectorRows:
    """Per row (a clustered article, numbered from 0 in the order they come), its vector
    (term numbers, weights) and headline, the older ones in temporary files in ``folder``
    (None: the system's temporary folder)."""

    def __init__(self, folder: Path | None = None, *, spill_at: int | None = None):
        self._folder = folder
        self._spill_at = SPILL_AT if spill_at is None else spill_at
        self._vector_start = array("q", [0])  # row r's vector: entries start[r]:start[r + 1]
        # Row r's headline: bytes start[r]:start[r + 1], and its id; for the rows from
        # _row_base on (the rows before have theirs in the files, :meth:`_start`).
        self._headline_start = array("q", [0])
        self._id_start = array("q", [0])
        self._row_base = 0
        self._terms = array("i")  # the entries from _entry_base on
        self._weights = array("d")
        self._headlines = bytearray()  # the bytes from _byte_base on
        self._ids = bytearray()  # the bytes from _id_base on
        self._entry_base = self._byte_base = self._id_base = 0
        self._files: list[IO[bytes]] = []  # terms, weights, headlines, ids, headline starts, id starts

    def __len__(self) -> int:
        return len(self._vector_start) - 1

    def append(self, terms: Any, weights: Any, headline: str, article_id: str) -> int:
        """Add a row; returns its number. Lists (as :meth:`.StoryClusterer.vectors` gives)
        go in through ``array.fromlist``, sized once: 2.5 times as fast as ``extend``."""
        if type(terms) is list and type(weights) is list:
            self._terms.fromlist(terms)
            self._weights.fromlist(weights)
        else:
            self._terms.extend(terms)
            self._weights.extend(weights)
        self._vector_start.append(self._entry_base + len(self._terms))
        self._headlines += headline.encode("utf-8")
        self._headline_start.append(self._byte_base + len(self._headlines))
        self._ids += article_id.encode("utf-8")
        self._id_start.append(self._id_base + len(self._ids))
        if len(self._terms) >= self._spill_at:
            self._spill()
        return len(self._vector_start) - 2

    def extend(self, terms: Array, weights: Array, lengths: list[int], headlines: Sequence[str],
               article_ids: Sequence[str]) -> None:
        """:meth:`append` each row, column by column: their vectors one after another
        (``terms`` int32, ``weights`` float64, ``lengths`` entries each). The rows are the
        same; they go to the files, if they do, after the last."""
        if not lengths:
            return
        self._terms.frombytes(np.ascontiguousarray(terms, dtype=np.int32).tobytes())
        self._weights.frombytes(np.ascontiguousarray(weights, dtype=np.float64).tobytes())
        self._vector_start.extend(islice(accumulate(lengths, initial=self._vector_start[-1]), 1, None))
        for data, starts, texts in ((self._headlines, self._headline_start, headlines),
                                    (self._ids, self._id_start, article_ids)):
            encoded = [text.encode("utf-8") for text in texts]
            data += b"".join(encoded)
            starts.extend(islice(accumulate(map(len, encoded), initial=starts[-1]), 1, None))
        if len(self._terms) >= self._spill_at:
            self._spill()

    def _spill(self) -> None:
        if not self._files:
            self._files = [tempfile.TemporaryFile(dir=self._folder, prefix="searchkit-stories-") for _ in range(6)]
        for file, data in zip(self._files, (memoryview(self._terms), memoryview(self._weights),
                                            memoryview(self._headlines), memoryview(self._ids),
                                            memoryview(self._headline_start)[:-1], memoryview(self._id_start)[:-1])):
            file.seek(0, os.SEEK_END)
            file.write(data)
            file.flush()
            data.release()
        self._entry_base += len(self._terms)
        self._byte_base += len(self._headlines)
        self._id_base += len(self._ids)
        self._terms, self._weights, self._headlines, self._ids = array("i"), array("d"), bytearray(), bytearray()
        # (16 bytes a row off the heap: 16 MB at a million articles)
        self._headline_start, self._id_start = array("q", self._headline_start[-1:]), array("q", self._id_start[-1:])
        self._row_base = len(self)

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

    def held(self) -> tuple[array[int], array[int], array[float], int]:
        """What the story kernel reads in place: the rows' vector starts, and the entries held
        in memory (terms, weights), from the entry the last number gives on."""
        return self._vector_start, self._terms, self._weights, self._entry_base

    def headline(self, row: int) -> str:
        return self._text(2, row)

    def article_id(self, row: int) -> str:
        return self._text(3, row)

    def _start(self, which: int, row: int) -> int:
        """Where row ``row``'s headline (``which`` 2) or id (3) begins (``row`` may be the
        row after the last: where it ends)."""
        if row >= self._row_base:
            return (self._headline_start if which == 2 else self._id_start)[row - self._row_base]
        start: int = np.frombuffer(self._read(which + 2, row, row + 1, 8), dtype=np.int64)[0].item()
        return start

    def _text(self, which: int, row: int) -> str:
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} outside the {len(self)} rows")
        start, end = self._start(which, row), self._start(which, row + 1)
        base, memory = (self._byte_base, self._headlines) if which == 2 else (self._id_base, self._ids)
        if start >= base:
            return memory[start - base:end - base].decode("utf-8")
        return self._read(which, start, end, 1).decode("utf-8")

    def _span(self, which: int, start: int, end: int, dtype: type[Any]) -> Array:
        """Items ``start:end`` of one column, from the file and memory as they lie."""
        base = (self._entry_base, self._entry_base, self._byte_base, self._id_base)[which]
        memory = (self._terms, self._weights, self._headlines, self._ids)[which]
        size = np.dtype(dtype).itemsize
        parts = []
        if start < base:
            parts.append(np.frombuffer(self._read(which, start, min(end, base), size), dtype=dtype))
        if end > base:
            parts.append(np.frombuffer(memory, dtype=dtype)[max(start - base, 0):end - base].copy())
        return np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else np.zeros(0, dtype))

    def chunks(self, rows: Array, size: int | None = None) -> Iterator[RowChunk]:
        """The vectors and headlines of ``rows`` (ascending), ``size`` rows at a time
        (:data:`CHUNK_ROWS`)."""
        size = size or CHUNK_ROWS
        for at in range(0, rows.size, size):
            part = rows[at:at + size]
            # A view of the vectors' starts, let go before the yield (an exported array cannot grow).
            vector_start = np.frombuffer(self._vector_start, dtype=np.int64)
            bounds = vector_start[part], vector_start[part + 1]
            del vector_start
            lengths, terms = self._gather(part, bounds, 0, np.int32)
            _, weights = self._gather(part, bounds, 1, np.float64)
            headline_lengths, headlines = self._gather(part, self._bounds(2, part), 2, np.uint8)
            id_lengths, ids = self._gather(part, self._bounds(3, part), 3, np.uint8)
            yield RowChunk(lengths, terms, weights, headlines.tobytes(), headline_lengths, ids.tobytes(), id_lengths)

    def ids(self, rows: Array, size: int | None = None) -> Iterator[list[str]]:
        """The ids of ``rows`` (ascending), ``size`` rows at a time (:data:`CHUNK_ROWS`)."""
        return self._texts(3, rows, size)

    def headlines(self, rows: Array, size: int | None = None) -> Iterator[list[str]]:
        """The headlines of ``rows`` (ascending), ``size`` rows at a time (:data:`CHUNK_ROWS`)."""
        return self._texts(2, rows, size)

    def _texts(self, which: int, rows: Array, size: int | None) -> Iterator[list[str]]:
        """The headlines (``which`` 2) or ids (3) of ``rows``, a part at a time: each part's
        bytes and starts read at once, not one row at a time."""
        size = size or CHUNK_ROWS
        for at in range(0, rows.size, size):
            part = rows[at:at + size]
            lengths, data = self._gather(part, self._bounds(which, part), which, np.uint8)
            ends = np.cumsum(lengths).tolist()
            raw = data.tobytes()
            yield [raw[end - length:end].decode("utf-8") for end, length in zip(ends, lengths.tolist())]

    def _bounds(self, which: int, rows: Array) -> tuple[Array, Array]:
        """Where the headlines (``which`` 2) or ids (3) of ``rows`` (ascending, at least
        one) begin and end, from the files and memory as their starts lie."""
        first, last, base = int(rows[0]), int(rows[-1]) + 2, self._row_base  # starts first:last
        parts = []
        if first < base:
            parts.append(np.frombuffer(self._read(which + 2, first, min(last, base), 8), dtype=np.int64))
        if last > base:
            memory = np.frombuffer(self._headline_start if which == 2 else self._id_start, dtype=np.int64)
            parts.append(memory[max(first - base, 0):last - base].copy())
            del memory  # (an exported array cannot grow)
        starts = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return starts[rows - first], starts[rows + 1 - first]

    def _gather(self, rows: Array, bounds: tuple[Array, Array], which: int, dtype: type[Any]) -> tuple[Array, Array]:
        """The lengths of ``rows``' items in a column (they lie at ``bounds``), and the items
        one after the other."""
        begin, end = bounds
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


class RowIndex:
    """Article id -> row, through an open-addressing table of the ids' hashes; a hit is
    confirmed against the id itself (``id_of(row)``). A removed id's entry stays, pointing
    nowhere (-1), so the ids after it in its probe sequence are still found."""

    def __init__(self, id_of: Callable[[int], str]):
        self._id_of = id_of
        self._keys = array("q", bytes(8 * 1024))  # 0: empty
        self._rows = array("i", bytes(4 * 1024))
        self._used = 0

    def _slot(self, article_id: str) -> tuple[int, int]:
        """(the slot holding ``article_id``'s live row, or -1; its key)."""
        key = hash(article_id) or 1
        keys, rows, mask = self._keys, self._rows, len(self._keys) - 1
        slot = key & mask
        while (found := keys[slot]) != 0:
            if found == key and (row := rows[slot]) >= 0 and self._id_of(row) == article_id:
                return slot, key
            slot = (slot + 1) & mask
        return -1, key

    def get(self, article_id: str) -> int:
        """The row of ``article_id``, or -1."""
        slot, _ = self._slot(article_id)
        return -1 if slot < 0 else self._rows[slot]

    def pop(self, article_id: str) -> int:
        """Forget ``article_id``; returns its row, or -1."""
        slot, _ = self._slot(article_id)
        if slot < 0:
            return -1
        row, self._rows[slot] = self._rows[slot], -1
        return row

    def add(self, article_id: str, row: int) -> None:
        """Record the row of ``article_id`` (not in the index)."""
        if 2 * (self._used + 1) > len(self._keys):
            self._grow()
        self._put(hash(article_id) or 1, row)

    def _put(self, key: int, row: int) -> None:
        keys, mask = self._keys, len(self._keys) - 1
        slot = key & mask
        while keys[slot] != 0:
            slot = (slot + 1) & mask
        keys[slot], self._rows[slot] = key, row
        self._used += 1

    def _grow(self) -> None:
        """A table a quarter full or less of the live entries (the removed ones left out),
        made from the old one entry by entry: no list of them (about 120 MB at a million)."""
        keys, rows = self._keys, self._rows
        live = sum(1 for key, row in zip(keys, rows) if key != 0 and row >= 0)
        size = len(keys)
        while 4 * live > size:  # doubles a half-full table (the test was off by one: it quadrupled, 50 MB at 1M)
            size *= 2
        self._keys, self._rows, self._used = array("q", [0]) * size, array("i", [0]) * size, 0  # no zero bytes copied in
        for key, row in zip(keys, rows):
            if key != 0 and row >= 0:
                self._put(key, row)
