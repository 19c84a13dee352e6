"""Token maps: where a document's body tokens lie, so a snippet reads only what it shows.

A body's *raw tokens* are the matches of :data:`~searchkit.analysis.TOKEN_PATTERN` in
order; the index numbers their terms by *position*, which is the raw token's number except
after a raw token that takes another number of positions than one (a compound such as
``state-of-the-art`` takes four, ``⒈`` two, a token of underscores and dots none). Per
document a segment keeps (all numpy columns, CSR over the documents):

* ``tokens.count``: how many raw tokens the body has;
* ``tokens.marks`` (``tokens.mark_off``): the character offset of raw tokens 0,
  :data:`EVERY`, 2 x :data:`EVERY`, ...: the span of any raw token is found by running the
  pattern over at most :data:`EVERY` tokens from the mark before it;
* ``tokens.wide`` and ``tokens.width`` (``tokens.wide_off``): the raw tokens that take
  another number of positions than one and how many they take, so a position converts to
  its raw token's number without reading the text.

The columns are made from the bodies' characters at once with numpy (a raw token starts at
a word character that follows neither a word character nor a joiner after one), in the
worker that analyses the articles (:meth:`TokenMapBuilder.add`, carried in
:class:`~.segment.BuiltChunk`), and copied by a merge for the documents it keeps. A
segment declares them in its meta (:data:`META_KEY`); a segment written before them has
none, and its snippets tokenize the stored body as they always did.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import textspans
from .._kernels import native
from ..analysis import analyze
from ..errors import SearchkitError
from .segfile import OffsetColumn, SegmentFileReader, SegmentFileWriter

__all__ = ["EVERY", "META_KEY", "COLUMNS", "BodyPositions", "HitBody", "TokenMap", "TokenMapBuilder", "TokenMapColumns",
           "merge_token_maps", "problems", "token_map", "write_token_map"]

EVERY = 32  # raw tokens between two marks
META_KEY = "tokens"  # the segment meta entry declaring the columns: {"every": EVERY}
COLUMNS = ("tokens.count", "tokens.mark_off", "tokens.marks", "tokens.wide_off", "tokens.wide", "tokens.width")
_BATCH_CHARS = 1 << 20  # characters analysed in one numpy pass
_WORD, _JOINER = 1, 2
_JOINERS = "'’‐‑.,-"
_WORD_CHAR = re.compile(r"\w")

Array = np.ndarray[Any, Any]

_native_bounds: Callable[[str], tuple[bytes, bytes, bytes]] | None = native("_speedups", "token_bounds")
# A hit's positions in a posting list (searchkit/_scoring.c; BodyPositions._numpy_positions is
# the reference): the frequencies before it are summed in C unless the list is longer than this.
_native_doc_positions: Callable[..., list[int] | None | int] | None = native("_scoring", "doc_positions")
_native_page_positions: Callable[..., list[list[int] | None] | int] | None = native("_scoring", "page_positions")
_SUMMED_ABOVE = 1024
# A body's raw tokens holding positions, their spans, and a hit's highlight spans in one call
# (searchkit/_speedups.c; the references are TokenMap.raw_numbers and spans in Python, and
# searchkit.snippets._spans_at over them).
_native_map_raws: Callable[..., list[int] | int] | None = native("_speedups", "map_raws")
_native_map_raw_spans: Callable[..., list[tuple[int, int]] | int] | None = native("_speedups", "map_raw_spans")
_native_map_spans: Callable[..., list[tuple[int, int]] | int] | None = native("_speedups", "map_spans")


def _ascii_classes() -> Array:
    classes = np.zeros(129, dtype=np.uint8)  # index 128: not ASCII, classified one by one
    for code in range(128):
        char = chr(code)
        classes[code] = _WORD if _WORD_CHAR.match(char) else _JOINER if char in _JOINERS else 0
    return classes


_ASCII_CLASSES = _ascii_classes()
_MAY_SPLIT = np.zeros(129, dtype=bool)  # a token with one of these may take other than one position
_MAY_SPLIT[[ord("."), ord(","), ord("-"), 128]] = True
_OTHER_CLASSES: dict[int, int] = {}


def _classes(codes: Array) -> Array:
    """Each code point's class: a word character (``\\w``), a joiner, or neither."""
    classes = _ASCII_CLASSES.take(np.minimum(codes, 128).astype(np.uint8))
    wide = np.flatnonzero(codes >= 128)
    if wide.size:
        unique, inverse = np.unique(codes[wide], return_inverse=True)
        known = _OTHER_CLASSES
        for code in unique.tolist():
            if code not in known:
                char = chr(code)
                known[code] = _WORD if _WORD_CHAR.match(char) else _JOINER if char in _JOINERS else 0
        classes[wide] = np.fromiter(map(known.__getitem__, unique.tolist()), dtype=np.uint8,
                                    count=unique.size)[inverse]
    return classes


class _Widths(dict[str, int]):
    """Raw token -> how many positions it takes (as :func:`searchkit.analysis.field_terms`
    counts them), cached."""

    def __missing__(self, raw: str) -> int:
        if len(self) >= _WIDTHS_LIMIT:
            self.clear()
        result = analyze(raw)
        width = self[raw] = 1 if isinstance(result, str) else len(result[0])
        return width


_WIDTHS_LIMIT = 200_000
_WIDTHS = _Widths()


class TokenMapColumns(NamedTuple):
    """The token map of some documents, one row per document (see the module docstring)."""

    counts: Array  # uint32: raw tokens per document
    marks: Array  # uint32: the marks' character offsets, document after document
    wide_counts: Array  # uint32: wide tokens per document
    wide: Array  # uint32: each wide token's raw number
    width: Array  # uint32: how many positions it takes

    def rows(self, start: int, stop: int) -> TokenMapColumns:
        """Documents ``start``..``stop``."""
        marks_per = _mark_counts(self.counts)
        mark_lo, mark_hi = int(marks_per[:start].sum()), int(marks_per[:stop].sum())
        wide_lo, wide_hi = int(self.wide_counts[:start].sum()), int(self.wide_counts[:stop].sum())
        return TokenMapColumns(self.counts[start:stop], self.marks[mark_lo:mark_hi], self.wide_counts[start:stop],
                               self.wide[wide_lo:wide_hi], self.width[wide_lo:wide_hi])

    @classmethod
    def join(cls, parts: Sequence[TokenMapColumns]) -> TokenMapColumns:
        if not parts:
            return _empty()
        return cls(*(np.concatenate(arrays).astype(np.uint32) for arrays in zip(*parts)))


_NOTHING = np.zeros(0, dtype=np.uint32)
_MERGE_PIECE = 1 << 21  # values a merge copies at a time (8 MiB of uint32)
_MERGE_ROWS = 1 << 16  # documents a merge counts at a time


def _empty() -> TokenMapColumns:
    return TokenMapColumns(_NOTHING, _NOTHING, _NOTHING, _NOTHING, _NOTHING)


def _mark_counts(counts: Array) -> Array:
    return (counts.astype(np.int64) + (EVERY - 1)) // EVERY


def token_map(texts: Sequence[str]) -> TokenMapColumns:
    """The token map of ``texts`` (each a document's body), made in one pass (the raw tokens
    in C where the optional kernel is built: ``token_bounds`` in ``searchkit/_speedups.c``)."""
    if not texts:
        return _empty()
    joined = "\n".join(texts)  # a raw token never spans whitespace
    if _native_bounds is None:
        starts, ends, suspects = _numpy_bounds(joined)
    else:
        starts, ends, suspects = (np.frombuffer(part, dtype=np.int64) for part in _native_bounds(joined))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    bases = np.zeros(len(texts) + 1, dtype=np.int64)  # where each text starts in ``joined``
    np.cumsum(lengths + 1, out=bases[1:])
    counts = np.diff(np.searchsorted(starts, bases))
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    first = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    number = np.arange(starts.size, dtype=np.int64) - first[owner]  # each token's number in its text
    marked = number % EVERY == 0
    marks = starts[marked] - bases[owner[marked]]
    # Each suspect token is analysed (through the analyzer's cache) for its width.
    widths = np.fromiter(map(_WIDTHS.__getitem__, map(joined.__getitem__, map(slice, starts[suspects].tolist(),
                                                                                ends[suspects].tolist()))),
                         dtype=np.int64, count=suspects.size)
    wide = suspects[widths != 1]
    return TokenMapColumns(counts.astype(np.uint32), marks.astype(np.uint32),
                           np.bincount(owner[wide], minlength=len(texts)).astype(np.uint32),
                           number[wide].astype(np.uint32), widths[widths != 1].astype(np.uint32))


def _numpy_bounds(joined: str) -> tuple[Array, Array, Array]:
    """The raw tokens of ``joined`` in numpy (the reference of the kernel's ``token_bounds``):
    their starts and ends (character offsets), and the tokens that may take other than one
    position: those holding a dot, comma, hyphen or a character beyond ASCII."""
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _classes(codes)
    # Padded with characters of no class (one before, two after), so every look-around
    # stays inside: character i is at i + 1.
    n = codes.size
    word = np.zeros(n + 3, dtype=bool)
    word[1:n + 1] = classes == _WORD
    joiner = np.zeros(n + 3, dtype=bool)
    joiner[1:n + 1] = classes == _JOINER
    edges = word[1:] != word[:-1]  # edges[i]: the run of word characters starts or ends at i
    runs = np.flatnonzero(edges)
    starts, ends = runs[0::2], runs[1::2]  # of the runs of word characters, in text offsets
    # A run after a joiner that follows a word character goes on the token before it.
    starts = starts[~(joiner[starts] & word[np.maximum(starts - 1, 0)])]
    ends = ends[~(joiner[ends + 1] & word[ends + 2])]
    may_split = np.flatnonzero(_MAY_SPLIT.take(np.minimum(codes, 128).astype(np.uint8)))
    holder = np.searchsorted(starts, may_split, side="right") - 1  # the token each may be in
    inside = holder >= 0
    inside[inside] = may_split[inside] < ends[holder[inside]]
    return starts, ends, np.unique(holder[inside])


class TokenMapBuilder:
    """Collects bodies and makes their token map :data:`_BATCH_CHARS` characters at a time."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._chars = 0
        self._done: list[TokenMapColumns] = []

    def add(self, text: str) -> None:
        self._texts.append(text)
        self._chars += len(text)
        if self._chars >= _BATCH_CHARS:
            self._flush()

    def extend(self, columns: TokenMapColumns) -> None:
        """Documents whose map was made elsewhere (a worker's chunk), after those added."""
        self._flush()
        self._done.append(columns)

    def _flush(self) -> None:
        if self._texts:
            self._done.append(token_map(self._texts))
            self._texts, self._chars = [], 0

    def columns(self) -> TokenMapColumns:
        """Every document's map so far, in order."""
        self._flush()
        if len(self._done) > 1:
            self._done = [TokenMapColumns.join(self._done)]
        return self._done[0] if self._done else _empty()


def write_token_map(writer: SegmentFileWriter, columns: TokenMapColumns) -> dict[str, int]:
    """Write the columns; returns the segment meta entry that declares them."""
    _write_offsets(writer, lambda: [(columns.counts, columns.wide_counts)])
    writer.add("tokens.marks", columns.marks, np.uint32)
    writer.add("tokens.wide", columns.wide, np.uint32)
    writer.add("tokens.width", columns.width, np.uint32)
    return {"every": EVERY}


def _write_offsets(writer: SegmentFileWriter, pieces: Callable[[], Iterable[tuple[Array, Array]]]) -> tuple[int, int]:
    """``tokens.count`` and the two offset columns (CSR over the documents) from the
    documents' token and wide token counts, which ``pieces()`` gives a piece at a time; it is
    called twice, as the totals set the columns' types. Returns the marks' and the wide
    tokens' totals."""
    docs = mark_total = wide_total = 0
    for counts, wide_counts in pieces():
        docs += counts.size
        mark_total += int(_mark_counts(counts).sum())
        wide_total += int(wide_counts.sum())
    writer.reserve("tokens.count", np.uint32, docs)
    marks = OffsetColumn(writer, "tokens.mark_off", docs, mark_total)
    wides = OffsetColumn(writer, "tokens.wide_off", docs, wide_total)
    at = 0
    for counts, wide_counts in pieces():
        writer.write("tokens.count", counts, at)
        marks.extend(_mark_counts(counts))
        wides.extend(wide_counts)
        at += counts.size
    return mark_total, wide_total


def _live_columns(reader: Any, live: Array) -> TokenMapColumns:
    """The token map of a segment's ``live`` documents: its columns where it has them,
    else made from its stored bodies (a segment written before token maps)."""
    file = reader.file
    if TokenMap.of(file) is None:
        builder = TokenMapBuilder()
        for doc in np.flatnonzero(live).tolist():
            builder.add(reader.stored(doc).get("body", ""))
        return builder.columns()
    counts, marks, wide, width = (file.array(f"tokens.{name}") for name in ("count", "marks", "wide", "width"))
    wide_counts = np.diff(file.array("tokens.wide_off").astype(np.int64))
    if bool(live.all()):
        return TokenMapColumns(counts, marks, wide_counts, wide, width)
    keep_marks = np.repeat(live, _mark_counts(counts))
    keep_wide = np.repeat(live, wide_counts)
    return TokenMapColumns(counts[live], marks[keep_marks], wide_counts[live], wide[keep_wide], width[keep_wide])


def merge_token_maps(writer: SegmentFileWriter, inputs: Sequence[tuple[Any, Array]]) -> dict[str, int]:
    """Write the token map of a merge of ``inputs`` (segment reader, live documents), one
    input at a time; returns the segment meta entry that declares it."""
    made: dict[int, TokenMapColumns] = {}  # the maps of inputs written before token maps
    for number, (reader, live) in enumerate(inputs):
        if TokenMap.of(reader.file) is None:
            made[number] = _live_columns(reader, live)

    def per_document() -> Iterator[tuple[Array, Array]]:
        """The live documents' token and wide token counts, a piece at a time (whole, the
        offsets made from them were several arrays of 8 bytes a document)."""
        for number, (reader, live) in enumerate(inputs):
            if number in made:
                yield made[number].counts, made[number].wide_counts
                continue
            counts, wide_off = reader.file.array("tokens.count"), reader.file.array("tokens.wide_off")
            for start in range(0, counts.size, _MERGE_ROWS):
                piece, wide_counts = counts[start:start + _MERGE_ROWS], np.diff(
                    wide_off[start:start + _MERGE_ROWS + 1].astype(np.int64))
                keep = live[start:start + _MERGE_ROWS]
                yield (piece, wide_counts) if bool(keep.all()) else (piece[keep], wide_counts[keep])

    mark_total, wide_total = _write_offsets(writer, per_document)
    writer.reserve("tokens.marks", np.uint32, mark_total)
    writer.reserve("tokens.wide", np.uint32, wide_total)
    writer.reserve("tokens.width", np.uint32, wide_total)
    mark_at = wide_at = 0
    for number, (reader, live) in enumerate(inputs):
        columns = made.pop(number) if number in made else _live_columns(reader, live)
        for name, values, at in (("tokens.marks", columns.marks, mark_at), ("tokens.wide", columns.wide, wide_at),
                                 ("tokens.width", columns.width, wide_at)):
            # In pieces, releasing the input's mapped pages after each: a big segment's marks
            # alone were ~57 MB resident at once.
            for start in range(0, values.size, _MERGE_PIECE):
                writer.write(name, values[start:start + _MERGE_PIECE], at + start)
                reader.file.release()
        mark_at += columns.marks.size
        wide_at += columns.wide.size
    return {"every": EVERY}


def problems(file: SegmentFileReader, *, thorough: bool = True) -> list[str]:
    """What is wrong with a segment's token map columns (nothing when it declares none);
    not ``thorough``: their sizes only, not every document's offsets."""
    declared = file.meta.get(META_KEY)
    if declared is None:
        return []
    if not isinstance(declared, dict) or declared.get("every") != EVERY:
        return [f"its token map is declared as {declared!r}, not {{'every': {EVERY}}}"]
    missing = [name for name in COLUMNS if name not in file]
    if missing:
        return [f"its token map lacks the {', '.join(missing)} column{'s' if len(missing) > 1 else ''}"]
    try:
        counts, mark_off, marks, wide_off, wide, width = (file.array(name) for name in COLUMNS)
    except SearchkitError as exc:
        return [f"its token map is unreadable ({exc})"]
    n = int(file.meta.get("doc_count", -1))
    wrong = []
    if counts.size != n or mark_off.size != n + 1 or wide_off.size != n + 1:
        wrong.append(f"its token map covers {counts.size} documents ({mark_off.size} and {wide_off.size} offsets), "
                     f"not {n}")
    elif (int(mark_off[-1]) != marks.size or int(wide_off[-1]) != wide.size or wide.size != width.size
          or (thorough and bool(np.any(np.diff(mark_off.astype(np.int64)) != _mark_counts(counts))))):
        wrong.append("its token map's offsets do not match its marks and wide tokens")
    return wrong


class TokenMap:
    """A segment's token map, read from its mapped file (see the module docstring)."""

    def __init__(self, file: SegmentFileReader):
        self.counts = file.array("tokens.count")
        self._mark_off = file.array("tokens.mark_off")
        self._marks = file.array("tokens.marks")
        self._wide_off = file.array("tokens.wide_off")
        self._wide = file.array("tokens.wide")
        self._width = file.array("tokens.width")

    @classmethod
    def of(cls, file: SegmentFileReader) -> TokenMap | None:
        """The segment's token map, or None when it was written without one (or it is
        damaged: :func:`problems` says how; snippets then tokenize the stored bodies)."""
        if META_KEY not in file.meta or problems(file, thorough=False):
            return None
        return cls(file)

    def _wide_of(self, doc: int) -> tuple[list[int], list[int]]:
        """``doc``'s wide tokens (raw numbers, ascending) and how many positions each takes,
        as lists: a body has a few (the real corpus: 2-7 on average), so plain Python
        beats numpy's per-call cost."""
        lo, hi = int(self._wide_off[doc]), int(self._wide_off[doc + 1])
        if lo == hi:
            return [], []
        return self._wide[lo:hi].tolist(), self._width[lo:hi].tolist()

    def raw_numbers(self, doc: int, positions: Iterable[int]) -> list[int]:
        """The number of the raw token holding each of ``positions`` of ``doc``'s body."""
        positions = list(positions)
        if _native_map_raws is not None:
            found = _native_map_raws(doc, self._wide_off, self._wide, self._width, positions)
            if not isinstance(found, int):
                return found
        return self._python_raw_numbers(doc, positions)

    def _python_raw_numbers(self, doc: int, positions: Iterable[int]) -> list[int]:
        """:meth:`raw_numbers` in Python (the reference of the C kernel)."""
        wide, width = self._wide_of(doc)
        if not wide:
            return list(map(int, positions))
        firsts, gains = [], []  # each wide token's first position; positions gained up to its end
        gained = 0
        for raw, taken in zip(wide, width):
            firsts.append(raw + gained)
            gained += taken - 1
            gains.append(gained)
        result = []
        for position in map(int, positions):
            which = bisect_right(firsts, position) - 1
            if which < 0:
                result.append(position)
            elif position < firsts[which] + width[which]:
                result.append(wide[which])
            else:
                result.append(position - gains[which])
        return result

    def position_of(self, doc: int, raw: int) -> int:
        """The first position of raw token ``raw`` of ``doc``'s body."""
        wide, width = self._wide_of(doc)
        before = bisect_left(wide, raw)  # the wide tokens before it
        return raw + sum(width[:before]) - before

    def wide_tokens(self, doc: int, low: int, high: int) -> list[tuple[int, int]]:
        """The raw tokens ``low`` to ``high`` (excluded) of ``doc``'s body that take other
        than one position, and how many they take."""
        wide, width = self._wide_of(doc)
        first, last = bisect_left(wide, low), bisect_left(wide, high)
        return list(zip(wide[first:last], width[first:last]))

    def position_spans(self, doc: int, text: str, singles: list[int], firsts: list[int],
                       lasts: list[int]) -> list[tuple[int, int]] | None:
        """The spans, sorted and merged, of the raw tokens of ``doc``'s body ``text`` holding
        the positions ``singles``, and from the one holding each of ``firsts`` to the end of the
        one holding the ``lasts`` beside it, in C; None: the kernel is not built, or the map
        does not fit the text (the reference, :meth:`raw_numbers` and :meth:`spans`, then
        runs and says what is wrong)."""
        if _native_map_spans is None:
            return None
        found = _native_map_spans(text, doc, EVERY, self._mark_off, self._marks, self._wide_off, self._wide,
                                  self._width, singles, firsts, lasts)
        return None if isinstance(found, int) else found

    def spans(self, doc: int, text: str, raws: Sequence[int]) -> list[tuple[int, int]]:
        """The character spans of raw tokens ``raws`` (ascending) of ``doc``'s body ``text``."""
        if _native_map_raw_spans is not None:
            found = _native_map_raw_spans(text, doc, EVERY, self._mark_off, self._marks, list(raws))
            if not isinstance(found, int):
                return found
        return self._python_spans(doc, text, raws)

    def _python_spans(self, doc: int, text: str, raws: Sequence[int]) -> list[tuple[int, int]]:
        """:meth:`spans` in Python (the reference of the C kernel; it raises IndexError where
        the map does not fit the text)."""
        base = int(self._mark_off[doc])
        marks = self._marks
        spans: list[tuple[int, int]] = []
        token_spans, length = textspans.token_spans, len(text)
        places = [divmod(raw, EVERY) for raw in raws]  # (mark, tokens after it)
        at, count = 0, len(places)
        while at < count:
            # The run of raws after one mark: the tokens from the mark up to the last one asked.
            number, end = places[at][0], at + 1
            while end < count and places[end][0] == number:
                end += 1
            run = places[at:end]
            found = token_spans(text, int(marks[base + number]), length, max(skip for _, skip in run) + 1)
            spans.extend(found[skip] for _, skip in run)
            at = end
        return spans


class BodyPositions:
    """Per search: where a page's hits hold the query's terms in their bodies, from the
    segments' postings and token maps (each term's postings looked up once per segment)."""

    def __init__(self, page: Iterable[tuple[Any, int]] = ()) -> None:
        # (reader, term, field) -> the term's documents, frequencies and positions, where each
        # document's positions end once a document holding it is asked for (a long list), and
        # the page's documents' positions; None: the field lacks the term.
        self._terms: dict[tuple[int, str, str], list[Any] | None] = {}
        # Per segment (the id of its reader): the page's documents, ascending, whose positions
        # one walk of a posting list gives (searchkit/_scoring.c's page_positions).
        self._page: dict[int, list[int]] = {}
        for reader, doc in page:
            self._page.setdefault(id(reader), []).append(doc)
        for docs in self._page.values():
            docs.sort()

    def holds(self, reader: Any, doc: int, field: str, terms: Iterable[str]) -> bool:
        """Whether ``field`` of document ``doc`` of ``reader``'s segment holds any of ``terms``."""
        if not reader.lengths[field][doc]:  # an empty field (most articles have no background)
            return False
        return any(self.positions(reader, doc, term, field) is not None for term in terms)

    def of(self, reader: Any, doc: int) -> HitBody | None:
        """Document ``doc`` of ``reader``'s segment as :func:`searchkit.snippets.make_snippets`
        reads it (``body_index``), or None: the segment has no token map."""
        token_map = reader.token_map
        return None if token_map is None else HitBody(self, reader, doc, token_map)

    def positions(self, reader: Any, doc: int, term: str, field: str = "body") -> list[int] | None:
        """The positions of ``term`` in ``field`` of document ``doc`` of ``reader``'s
        segment (None: none)."""
        key = (id(reader), term, field)
        try:
            postings = self._terms[key]
        except KeyError:
            postings = self._terms[key] = self._postings(reader, term, field)
        if postings is None:
            return None
        on_page = postings[4]
        if on_page is not None and doc in on_page:
            found: list[int] | None = on_page[doc]
            return found
        docs, tf, pos, ends = postings[:4]
        if ends is None and docs.size > _SUMMED_ABOVE:  # summed once: many hits may ask a long list
            ends = postings[3] = tf.cumsum(dtype=np.int64)
        if _native_doc_positions is not None:
            single = _native_doc_positions(docs, tf, pos, ends, doc)
            if not isinstance(single, int):
                return single
        return self._numpy_positions(postings, doc)

    @staticmethod
    def _numpy_positions(postings: list[Any], doc: int) -> list[int] | None:
        """:meth:`positions` in numpy (the reference of the C kernel)."""
        docs, tf, pos, ends = postings[:4]
        at = int(docs.searchsorted(doc))
        if at == docs.size or docs[at] != doc:
            return None
        if ends is None:
            ends = postings[3] = tf.cumsum(dtype=np.int64)
        found: list[int] = pos[int(ends[at - 1]) if at else 0:int(ends[at])].tolist()
        return found

    def _postings(self, reader: Any, term: str, field: str) -> list[Any] | None:
        number = reader.term_id(term)
        if number < 0:
            return None
        docs, tf = reader.postings(field, number)
        if not docs.size:
            return None
        arrays = reader.field_postings(field)
        start, end = int(arrays.pos_off[number]), int(arrays.pos_off[number + 1])
        positions = arrays.pos[start:end]
        on_page = None
        page = self._page.get(id(reader))
        if page and _native_page_positions is not None:
            found = _native_page_positions(docs, tf, positions, page)
            if not isinstance(found, int):
                on_page = dict(zip(page, found))
        return [docs, tf, positions, None, on_page]


class HitBody:
    """One hit's body as the index knows it (:class:`searchkit.snippets.BodyIndex`)."""

    def __init__(self, owner: BodyPositions, reader: Any, doc: int, token_map: TokenMap):
        self._owner, self._reader, self._doc, self._map = owner, reader, doc, token_map
        self.token_count = int(token_map.counts[doc])

    def positions(self, term: str, field: str = "body") -> list[int] | None:
        return self._owner.positions(self._reader, self._doc, term, field)

    def raw_numbers(self, positions: Iterable[int]) -> list[int]:
        return self._map.raw_numbers(self._doc, positions)

    def spans(self, text: str, raws: Sequence[int]) -> list[tuple[int, int]]:
        return self._map.spans(self._doc, text, raws)

    def holds(self, field: str, terms: Iterable[str]) -> bool:
        return self._owner.holds(self._reader, self._doc, field, terms)

    def position_of(self, raw: int) -> int:
        return self._map.position_of(self._doc, raw)

    def wide_tokens(self, low: int, high: int) -> list[tuple[int, int]]:
        return self._map.wide_tokens(self._doc, low, high)

    def position_spans(self, text: str, singles: list[int], firsts: list[int],
                       lasts: list[int]) -> list[tuple[int, int]] | None:
        return self._map.position_spans(self._doc, text, singles, firsts, lasts)
