"""Segments: immutable slices of the index, built in memory and read through mmap.

A segment holds, for its documents (numbered 0..n-1 inside the segment):

* a sorted vocabulary shared by the text fields (``terms``, ``term_off``);
* per text field (``headline``, ``body``, ``background``) an inverted index in CSR form:
  ``{f}.post_off[t]`` .. ``{f}.post_off[t+1]`` are term ``t``'s postings in ``{f}.docs``
  (doc numbers, ascending) and ``{f}.tf`` (term frequencies); ``{f}.pos_off[t]`` is where
  term ``t``'s positions start in ``{f}.pos`` (each posting's positions follow in order,
  ``tf`` of them); ``{f}.len`` is each document's field length in terms;
* per-document columns: ``source`` (ordinal into the segment's source table, -1 for none)
  and ``day`` (days since 1970-01-01, :data:`MISSING_DAY` for none), used by filters,
  sorting and facets without touching stored documents;
* the near-duplicate fingerprint of each document's headline and body (``fingerprint``,
  ``shingles``: see :mod:`.fingerprint`);
* the article ids and the stored articles (compressed JSON, :mod:`.storedblob`).

:class:`SegmentBuilder` turns articles into a segment file in one vectorized pass;
:class:`SegmentReader` answers term, posting and column look-ups from the mapped file.
"""

from __future__ import annotations

import bisect
import re
import weakref
from array import array
from collections.abc import Callable, Sequence
from itertools import repeat
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import numpy as np
import orjson

from .._kernels import native, pure_python
from ..analysis import STOP_WORDS, TOKEN_PATTERN, analyze, plain_term, stem_word
from ..errors import IndexClosedError
from . import storedblob
from .fingerprint import SLOTS, document_fingerprints
from .fuzzy import close_terms, letter_counts
from .segfile import SegmentFileReader, SegmentFileWriter
from .tokenmap import META_KEY as TOKEN_MAP_KEY, TokenMap, TokenMapBuilder, TokenMapColumns, write_token_map

_ChunkCodes: type[ChunkCodes] | None
try:
    from .._speedups import ChunkCodes as _ChunkCodes
except ImportError:  # not built: the same loop runs in Python
    _ChunkCodes = None

if TYPE_CHECKING:
    from .._speedups import ChunkCodes
    from .plainarticle import AnalysedArticle
    from .stories import StoryCounts

__all__ = [
    "FIELDS",
    "ChunkAnalyser",
    "CodeNumbers",
    "FieldPostings",
    "MISSING_DAY",
    "SegmentBuilder",
    "SegmentReader",
    "day_number",
    "source_key",
    "Vocabulary",
]

FIELDS = ("headline", "body", "background")
FINGERPRINTED = ("headline", "body")  # the fields near-duplicate fingerprints read
_HEADLINE, _BODY = FIELDS.index("headline"), FIELDS.index("body")
MISSING_DAY = int(np.iinfo(np.int32).min)
_EPOCH = date(1970, 1, 1).toordinal()
_MAX_TF = int(np.iinfo(np.uint16).max)
Int64Array = np.ndarray[Any, np.dtype[np.int64]]
Array = np.ndarray[Any, Any]


def day_number(day: date | None) -> int:
    """Days since 1970-01-01, or :data:`MISSING_DAY`."""
    return MISSING_DAY if day is None else day.toordinal() - _EPOCH


def source_key(source: str) -> str:
    """The case-insensitive identity of a source name."""
    return " ".join(source.casefold().split())


def field_texts(article: AnalysedArticle) -> tuple[str, str, str]:
    """The text of each indexed field, in :data:`FIELDS` order."""
    return article.headline, article.body, "\n".join(article.background)


class _Vocabulary(dict[str, int]):
    """Term -> number, numbering new terms as they come; :attr:`terms` lists them by number."""

    def __init__(self) -> None:
        super().__init__()
        self.terms: list[str] = []

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        self.terms.append(term)
        return number

    def numbers(self, terms: list[str]) -> Array:
        """The numbers of distinct ``terms`` (int32), numbering the new ones in order."""
        found = np.fromiter(map(self.get, terms, repeat(-1)), dtype=np.int32, count=len(terms))
        new = np.flatnonzero(found < 0)
        if new.size:
            first = len(self)
            names = [terms[n] for n in new.tolist()]
            self.update(zip(names, range(first, first + len(names))))
            self.terms.extend(names)
            found[new] = np.arange(first, first + len(names), dtype=np.int32)
        return found


class NewTerms(NamedTuple):
    """The terms a worker's vocabulary numbered since its last chunk (:class:`ChunkAnalyser`),
    sent with a chunk so the writer knows what the chunk's term numbers stand for."""

    table: int  # the worker's table: a new one numbers its terms from 0 again
    first: int  # the number of terms[0] in the worker's vocabulary
    terms: list[str]


class CodeNumbers:
    """One worker's term numbers, as the writer knows them (:mod:`.parallel`): the terms by
    number (learnt from the chunks' :class:`NewTerms`) and, for each vocabulary of the
    writer's they have been looked up in (a segment builder's, the story clusterer's), the
    number each has there, so a chunk's terms are numbered with one numpy gather and only
    the terms new to that vocabulary are looked up by their text."""

    def __init__(self, table: int = -1) -> None:
        self.table = table
        self.terms: list[str] = []
        self._targets: list[tuple[weakref.ReferenceType[_Vocabulary], Array]] = []

    def learn(self, new: NewTerms) -> CodeNumbers:
        """This numbering with a chunk's new terms (the worker's chunks come in order), or a
        new one where the worker's table started anew: chunks read through this one, whose
        story counts may wait to be clustered, keep it."""
        numbering = self if new.table == self.table else CodeNumbers(new.table)
        if new.first != len(numbering.terms):
            raise RuntimeError(f"a worker's terms came out of order: {new.first} after {len(numbering.terms)}")
        numbering.terms += new.terms
        return numbering

    def numbers(self, vocabulary: _Vocabulary, codes: Array) -> Array:
        """``vocabulary``'s numbers (int32) of the worker's distinct terms ``codes``, as
        :meth:`_Vocabulary.numbers` of their texts gives them (numbering new ones in order)."""
        self._targets = [(ref, known) for ref, known in self._targets if ref() is not None]
        at = next((n for n, (ref, _) in enumerate(self._targets) if ref() is vocabulary), -1)
        if at < 0:
            self._targets.append((weakref.ref(vocabulary), np.zeros(0, dtype=np.int32)))
        ref, known = self._targets[at]
        if known.size < len(self.terms):
            grown = np.full(max(len(self.terms), 2 * known.size), -1, dtype=np.int32)
            grown[:known.size] = known
            known = grown
            self._targets[at] = (ref, known)
        found = known[codes]
        missing = np.flatnonzero(found < 0)
        if missing.size:
            new = codes[missing]
            terms = self.terms
            found[missing] = known[new] = vocabulary.numbers([terms[c] for c in new.tolist()])
        return found


Vocabulary = _Vocabulary  # its public name: the story clustering numbers terms with it too (:mod:`.stories`)


# A chunk analysed once per process: a term ("" for a stop word), or (width, entries).
ChunkAnalysis = Union[str, tuple[int, tuple[tuple[str, int, bool], ...]]]
_CHUNKS: dict[str, ChunkAnalysis] = {}
_CHUNKS_LIMIT = 300_000


# An ASCII chunk's analysis in C (searchkit/_speedups.c; _python_analyze_chunk is the
# reference): None where the kernel is not built, or for a chunk that is not ASCII.
_native_analyze: Callable[[str, frozenset[str], Callable[[str], str]], ChunkAnalysis | None] | None = native(
    "_speedups", "analyze_chunk")

_ASCII_EDGES = "".join(chr(c) for c in range(128) if not (chr(c).isalnum() or chr(c) == "_"))
_EDGES = re.compile(r"^\W+|\W+\Z")


def chunk_key(chunk: str) -> str:
    """The chunk a whitespace-separated chunk is analysed as: without the characters
    before its first word character (``\\w``: a letter, a digit or ``_``) and after its
    last one, which no token starts or ends with, and lower-cased where what is left is
    ASCII (the analysis lower-cases first), so ``Flood,``, ``(flood)``, ``“Flood”`` and
    ``flood`` share one analysis. The C kernel (``chunk_key`` in ``searchkit/_speedups.c``)
    does the same."""
    if chunk.isascii():
        return chunk.lower().strip(_ASCII_EDGES)
    key = _EDGES.sub("", chunk)
    return key.lower() if key.isascii() else key


def _analyze_chunk(chunk: str, *, native: bool = True) -> ChunkAnalysis:
    """The terms of one whitespace-separated chunk, with offsets (see :class:`_TokenCodes`):
    in C where the chunk is ASCII and the kernel is built (:data:`_native_analyze`), unless
    ``native`` is false (a table made with the kernels switched off)."""
    analysed: ChunkAnalysis | None = None
    if native and _native_analyze is not None:
        analysed = _native_analyze(chunk, STOP_WORDS, stem_word)
    if analysed is None:
        analysed = _python_analyze_chunk(chunk)
    _CHUNKS[chunk] = analysed
    return analysed


def _python_analyze_chunk(chunk: str) -> ChunkAnalysis:
    """:func:`_analyze_chunk` in Python (the reference of the kernel's ``analyze_chunk``)."""
    analysed: ChunkAnalysis
    tokens = TOKEN_PATTERN.findall(chunk)
    if len(tokens) == 1 and isinstance(single := analyze(tokens[0]), str):
        analysed = single
    else:
        entries: list[tuple[str, int, bool]] = []
        offset = 0
        for token in tokens:
            result = analyze(token)
            if isinstance(result, str):
                if result:
                    entries.append((result, offset, True))
                offset += 1
                continue
            parts, joined = result
            if joined:
                entries.append((joined, offset, False))
            for part in parts:
                if part:
                    entries.append((part, offset, True))
                offset += 1
        analysed = (offset, tuple(entries))
    return analysed


def native_kernel() -> type[ChunkCodes] | None:
    """The optional C kernel of the per-token loop (``searchkit/_speedups.c``, built by
    ``pip install`` where a compiler and the Python headers exist), or None: not built, or
    switched off by the environment variable ``SEARCHKIT_PURE_PYTHON=1``. Segments are the
    same, byte for byte, either way."""
    if _ChunkCodes is None or pure_python():
        return None
    return _ChunkCodes


class _TokenCodes(dict[str, int]):
    """Whitespace-separated chunk of text -> code, for one segment.

    A code is a term number (>= 0) when the chunk is one plain word (``Flood,`` and
    ``flood`` share one), -1 when it is one stop word, and ``-2 - c`` otherwise: chunk
    ``c`` then takes ``widths[c]`` positions and emits ``entries`` (term, offset from the
    chunk's first position, counted in the field length or not). Punctuation alone takes
    no position. This reproduces :func:`searchkit.analysis.field_terms` exactly, because
    no token of :data:`~searchkit.analysis.TOKEN_PATTERN` spans whitespace.

    Looking up a known chunk is one C-level dict hit, so the per-token work of indexing
    is ``str.split`` plus ``array.extend(map(codes.__getitem__, chunks))``
    (:meth:`encode`), or less where the optional C kernel is built (:func:`native_kernel`).
    """

    def __init__(self, vocabulary: _Vocabulary):
        super().__init__()
        self.vocabulary = vocabulary
        kernel = native_kernel()
        # The kernel asks _KernelMisses for the chunks it has not kept (a dict hit here would
        # be a copy of its own entry: ~130 bytes a chunk, twice what the kernel's takes).
        self._native = None if kernel is None else kernel(_KernelMisses(self))
        # Typed arrays, so a long-lived table (a worker's, see :class:`ChunkAnalyser`) is
        # read by numpy without a copy.
        self.widths = array("i")
        self.entry_starts = array("q")
        self.entry_counts = array("i")
        self.entry_terms = array("i")
        self.entry_offsets = array("i")
        self.entry_counted = array("b")

    def __missing__(self, chunk: str) -> int:
        if self._native is None:
            code = self[chunk] = self._code_of(chunk)
            return code
        # Looked up from Python: the kernel's code (kept, or made now and kept).
        if chunk.split() != [chunk]:  # not a chunk the kernel would see
            return self._code_of(chunk)
        tokens: array[int] = array("i")
        self.encode(tokens, chunk)
        return tokens[0]

    def size(self) -> int:
        """How many chunks the table holds."""
        return len(self) if self._native is None else self._native.kept()

    def _code_of(self, chunk: str, *, keyed: bool = False) -> int:
        """The code of a chunk not in the table (numbering its terms, and for a chunk of
        other than one plain term, appending its entries). ``keyed``: the chunk is its own
        :func:`chunk_key` (the kernel asks for keys only)."""
        if not keyed and (key := chunk_key(chunk)) != chunk:  # analysed as its key
            return self[key]
        if chunk.isascii() and (term := plain_term(chunk)) is not None:
            # One plain word or number (the chunk is a key: lower-case, nothing around it):
            # the tokenizer and the caches would give the same term the long way round.
            return self.vocabulary[term] if term else -1
        analysed = _CHUNKS.get(chunk)
        if analysed is None:
            if len(_CHUNKS) >= _CHUNKS_LIMIT:
                _CHUNKS.clear()
            analysed = _analyze_chunk(chunk, native=self._native is not None)
        if isinstance(analysed, str):
            return self.vocabulary[analysed] if analysed else -1
        width, entries = analysed
        vocabulary = self.vocabulary
        self.entry_starts.append(len(self.entry_terms))
        for term, offset, counted in entries:
            self.entry_terms.append(vocabulary[term])
            self.entry_offsets.append(offset)
            self.entry_counted.append(counted)
        self.widths.append(width)
        self.entry_counts.append(len(entries))
        return -1 - len(self.widths)

    def encode(self, tokens: array[int], text: str) -> int:
        """Append the code of each whitespace-separated chunk of ``text`` to ``tokens``;
        returns how many chunks there were."""
        if self._native is not None:
            codes = self._native.encode(text)
            tokens.frombytes(codes)
            return len(codes) >> 2
        chunks = text.split()
        tokens.extend(map(self.__getitem__, chunks))
        return len(chunks)

    def encode_lead(self, tokens: array[int], text: str, lead: int) -> tuple[int, int, int]:
        """:meth:`encode`, also returning how many of the chunks end at or before character
        ``lead`` and where the chunk ``lead`` cuts starts (-1: none), so the chunks of
        ``text[:lead]`` are the first of those and the cut one's start up to ``lead``."""
        if self._native is not None:
            codes, within, cut = self._native.encode_lead(text, lead)
            tokens.frombytes(codes)
            return len(codes) >> 2, within, cut
        count = self.encode(tokens, text)
        head = text[:lead].split()
        cut = -1
        if head and lead < len(text) and not text[lead].isspace() and not text[lead - 1].isspace():
            cut = lead - len(head[-1])
        return count, len(head) - (cut >= 0), cut


class _KernelMisses:
    """What the C kernel of a :class:`_TokenCodes` looks a chunk it has not kept up in: the
    table's code of that chunk, which is its own key (the kernel keeps the code)."""

    __slots__ = ("_table",)

    def __init__(self, table: _TokenCodes):
        self._table = table

    def __getitem__(self, key: str) -> int:
        return self._table._code_of(key, keyed=True)


# One field's occurrences: term numbers, doc numbers, positions (all in doc order) and
# each document's field length.
Occurrences = tuple[Array, Array, Array, Array]


class BuiltChunk(NamedTuple):
    """Articles analysed in one process and taken by a builder in another
    (:meth:`SegmentBuilder.export`, :meth:`SegmentBuilder.absorb`): numpy arrays and a few
    lists of strings, cheap to pickle."""

    terms: list[str]  # the chunk's vocabulary: term numbers below index it
    fields: tuple[tuple[Array, Array, Array, Array], ...]  # per field: terms, per-doc counts, positions, lengths
    tokens: Array  # per article: its whitespace-separated chunks over all fields (flush_tokens counts them)
    source_names: list[str]  # each spelling once
    sources: Array  # per article: index into source_names, -1 for none
    days: Array
    stored: bytes  # the compressed articles one after another
    stored_lengths: Array
    fingerprints: tuple[Array, Array]  # per article: its fingerprint's slots and shingle count
    stories: StoryCounts | None = None  # the articles' story term counts (:func:`.parallel.analyse`)
    token_map: TokenMapColumns | None = None  # where the bodies' tokens lie (:mod:`.tokenmap`)
    # Each of ``terms``' number in the table of the process that analysed the chunk; a
    # worker sends these and its new terms instead of ``terms`` (then empty, see
    # :meth:`ChunkAnalyser.coded`), and the writer reads them through ``numbering``.
    codes: Array | None = None
    new_terms: NewTerms | None = None
    numbering: CodeNumbers | None = None

    @property
    def term_count(self) -> int:
        return len(self.terms) if self.numbering is None or self.codes is None else int(self.codes.size)


class ChunkAnalyser:
    """Analyses chunks of articles for a builder in another process (:mod:`.parallel`).

    It keeps one table of token codes from chunk to chunk (up to ``limit`` entries, then
    it starts a new one), so a worker pays the Python-level analysis of a
    whitespace-separated chunk once, not once per chunk of articles it appears in.
    """

    def __init__(self, *, limit: int = _CHUNKS_LIMIT) -> None:
        self.limit = limit
        self._codes = _TokenCodes(_Vocabulary())
        self.table = 0  # how many times the table started anew
        self._sent = 0  # the vocabulary's terms :meth:`coded` has sent

    def renew(self) -> None:
        """Start a new table if this one holds ``limit`` entries (between chunks only: a
        chunk's story counts are numbered in its segment analysis's table)."""
        if self._codes.size() >= self.limit:
            self._codes = _TokenCodes(_Vocabulary())
            self.table += 1
            self._sent = 0

    def coded(self, built: BuiltChunk) -> BuiltChunk:
        """``built`` (just made by this analyser) as a worker sends it: its terms, and its
        story counts' (:meth:`text_terms`), as their numbers here (``codes``) and the terms
        numbered since the last chunk sent."""
        terms = self._codes.vocabulary.terms
        new = NewTerms(self.table, self._sent, terms[self._sent:])
        self._sent = len(terms)
        stories = None if built.stories is None else built.stories._replace(terms=[])
        return built._replace(terms=[], new_terms=new, stories=stories)

    def analyse(self, articles: Sequence[AnalysedArticle]) -> BuiltChunk:
        """The :class:`BuiltChunk` of ``articles``: what a fresh builder would export."""
        self.renew()
        builder = SegmentBuilder(codes=self._codes)
        for article in articles:
            builder.add(article)
        return builder.export([article.source for article in articles])

    def text_terms(self, texts: Sequence[str]) -> tuple[list[str], Array, Array]:
        """The terms of each of ``texts`` (:func:`searchkit.analysis.field_terms`' terms,
        without positions and in another order) through this analyser's table, for the
        story term counts (:mod:`.stories`): the table's vocabulary (it has other terms
        too), and each term's number and text. See :meth:`renew`."""
        table = self._codes
        tokens = array("i")
        sizes = [table.encode(tokens, text) for text in texts]
        return _code_terms(table, np.frombuffer(tokens, dtype=np.int32),
                           np.repeat(np.arange(len(texts), dtype=np.int64), sizes))

    def analyse_leads(self, articles: Sequence[AnalysedArticle], lead: int) -> tuple[BuiltChunk, TextTerms]:
        """:meth:`analyse`, and from the same pass :meth:`text_terms` of each article's lead (the
        first ``lead`` characters of its body) and headline, texts ``2 * i`` and ``2 * i + 1``
        (the story counts' texts: the body's chunks are not looked up a second time)."""
        self.renew()
        builder = SegmentBuilder(codes=self._codes, lead=lead)
        for article in articles:
            builder.add(article)
        return builder.export([article.source for article in articles]), builder.lead_terms()


TextTerms = tuple[list[str], Array, Array]  # a table's vocabulary, and terms and their texts (see text_terms)


def _code_terms(table: _TokenCodes, codes: Array, owner: Array) -> TextTerms:
    """The terms of chunk ``codes`` of ``table`` (each in text ``owner``): the table's
    vocabulary, and each term's number and text (:meth:`ChunkAnalyser.text_terms`)."""
    special = codes <= -2
    which = -2 - codes[special].astype(np.int64)
    n_entries = np.frombuffer(table.entry_counts, dtype=np.int32)[which].astype(np.int64)
    entry = np.repeat(np.frombuffer(table.entry_starts, dtype=np.int64)[which] - np.cumsum(n_entries) + n_entries,
                      n_entries) + np.arange(int(n_entries.sum()), dtype=np.int64)
    simple = codes >= 0
    terms = np.concatenate((codes[simple], np.frombuffer(table.entry_terms, dtype=np.int32)[entry]))
    return table.vocabulary.terms, terms, np.concatenate((owner[simple], np.repeat(owner[special], n_entries)))


class SegmentBuilder:
    """Collects articles as arrays of token codes, then inverts and writes them in one pass."""

    def __init__(self, *, codes: _TokenCodes | None = None, lead: int | None = None) -> None:
        # ``codes``: a table kept from builder to builder (:class:`ChunkAnalyser`), whose
        # vocabulary then holds terms of earlier chunks too (:meth:`export` leaves them out).
        self._codes = _TokenCodes(_Vocabulary()) if codes is None else codes
        # ``lead``: each body's first ``lead`` characters are kept track of (:meth:`lead_terms`):
        # how many of its chunks end within them, and the one they cut, up to the cut.
        self._lead = lead
        self._lead_chunks = array("i")
        self._lead_cuts: list[str] = []
        self._vocabulary = self._codes.vocabulary
        self._tokens = [array("i") for _ in FIELDS]
        self._counts = [array("I") for _ in FIELDS]
        self._sources: dict[str, int] = {}
        self._source_names: list[str] = []
        self._source_column = array("i")
        self._days = array("i")
        self._ids: list[str] = []
        self._stored: list[bytes] = []
        self.token_count = 0
        self.stored_bytes = 0
        # Occurrences of documents analysed earlier (absorbed chunks, closed runs of
        # :meth:`add`), per field; the codes above cover documents from _run_start on.
        self._parts: list[list[Occurrences]] = [[] for _ in FIELDS]
        self._run_start = 0
        # Fingerprints of absorbed documents, made by the process that analysed them:
        # (first document, slots, shingle counts) per absorbed run.
        self._known_fingerprints: list[tuple[int, Array, Array]] = []
        self._token_map = TokenMapBuilder()  # the bodies' token map (:mod:`.tokenmap`)

    @property
    def doc_count(self) -> int:
        return len(self._ids)

    def export(self, sources: Sequence[str | None]) -> BuiltChunk:
        """The articles added so far as compact arrays, for :meth:`absorb` in another
        process's builder (see :mod:`.parallel`): the chunk's terms are numbered in the
        order of this builder's vocabulary, leaving out terms no article here uses.
        ``sources``: each article's source as spelled (the segment keeps the first spelling
        of each, so absorbing part of a chunk needs them all)."""
        spellings: dict[str, int] = {}
        source_column = [spellings.setdefault(source, len(spellings)) if source else -1 for source in sources]
        occurrences = [self._occurrences(index) for index in range(len(FIELDS))]
        used = np.zeros(len(self._vocabulary), dtype=bool)
        for terms, *_ in occurrences:
            used[terms] = True
        number = np.cumsum(used, dtype=np.int32) - 1  # a used term's number in the chunk
        vocabulary = self._vocabulary.terms
        fields = []
        for terms, docs, positions, lengths in occurrences:
            fields.append((number[terms], np.bincount(docs, minlength=self.doc_count).astype(np.int32), positions,
                           lengths.astype(np.int32)))
        tokens = np.zeros(self.doc_count, dtype=np.int64)
        for counts in self._counts:
            tokens += np.frombuffer(counts, dtype=np.uint32)
        stored_lengths = np.fromiter(map(len, self._stored), dtype=np.int64, count=len(self._stored))
        chunk_terms = vocabulary[:] if used.all() else [vocabulary[n] for n in np.flatnonzero(used).tolist()]
        streams = [(fields[index][0], occurrences[index][1]) for index in map(FIELDS.index, FINGERPRINTED)]
        return BuiltChunk(chunk_terms, tuple(fields), tokens, list(spellings),
                          np.array(source_column, dtype=np.int32),
                          np.frombuffer(self._days, dtype=np.int32).copy(), b"".join(self._stored), stored_lengths,
                          document_fingerprints(chunk_terms, streams, self.doc_count),
                          token_map=self._token_map.columns(), codes=np.flatnonzero(used).astype(np.int32))

    def absorb(self, chunk: BuiltChunk, start: int, stop: int, ids: Sequence[str]) -> None:
        """Take articles ``start``..``stop`` of an exported chunk (``ids`` are theirs),
        as if :meth:`add` had been called for each: the segment written is the same."""
        self._close_run()
        first_doc = self.doc_count
        used = np.zeros(chunk.term_count, dtype=bool)
        slices = []
        for terms, per_doc, positions, lengths in chunk.fields:
            bounds = np.concatenate(([0], np.cumsum(per_doc, dtype=np.int64)))
            lo, hi = int(bounds[start]), int(bounds[stop])
            slices.append((terms[lo:hi], per_doc[start:stop], positions[lo:hi], lengths[start:stop]))
            used[terms[lo:hi]] = True
        number = np.full(chunk.term_count, -1, dtype=np.int32)
        local = np.flatnonzero(used)
        if chunk.numbering is not None and chunk.codes is not None:
            number[local] = chunk.numbering.numbers(self._vocabulary, chunk.codes[local])
        else:
            number[local] = self._vocabulary.numbers([chunk.terms[n] for n in local.tolist()])
        docs_here = np.arange(first_doc, first_doc + stop - start, dtype=np.int32)
        for index, (terms, per_doc, positions, lengths) in enumerate(slices):
            self._parts[index].append((number[terms], np.repeat(docs_here, per_doc), positions,
                                       lengths.astype(np.int64)))
        local_sources = chunk.sources[start:stop]
        remap = np.full(len(chunk.source_names) + 1, -1, dtype=np.int32)  # [-1] stays -1: no source
        present, first = np.unique(local_sources[local_sources >= 0], return_index=True)
        for local in present[np.argsort(first)].tolist():  # in order of first use, as add() meets them
            name = chunk.source_names[local]
            key = source_key(name)
            ordinal = self._sources.get(key)
            if ordinal is None:
                ordinal = self._sources[key] = len(self._source_names)
                self._source_names.append(name)
            remap[local] = ordinal
        self._source_column.extend(remap[local_sources].tolist())
        self._days.extend(chunk.days[start:stop].tolist())
        offsets = np.concatenate(([0], np.cumsum(chunk.stored_lengths, dtype=np.int64))).tolist()
        data = chunk.stored
        self._stored.extend(data[offsets[n]:offsets[n + 1]] for n in range(start, stop))
        self.stored_bytes += offsets[stop] - offsets[start]
        self.token_count += int(chunk.tokens[start:stop].sum())
        self._ids.extend(ids)
        self._run_start = self.doc_count
        slots, shingles = chunk.fingerprints
        self._known_fingerprints.append((first_doc, slots[start:stop], shingles[start:stop]))
        assert chunk.token_map is not None, "a chunk exported without its token map"
        self._token_map.extend(chunk.token_map.rows(start, stop))

    def _close_run(self) -> None:
        """Turn the documents :meth:`add` buffered as codes into occurrences, so absorbed
        ones can follow them."""
        if self.doc_count == self._run_start:
            return
        for index in range(len(FIELDS)):
            terms, docs, positions, lengths = self._run_occurrences(index)
            self._parts[index].append((terms, docs + np.int32(self._run_start), positions, lengths))
        self._codes = _TokenCodes(self._vocabulary)
        self._tokens = [array("i") for _ in FIELDS]
        self._counts = [array("I") for _ in FIELDS]
        self._run_start = self.doc_count

    def add(self, article: AnalysedArticle) -> int:
        """Tokenize and buffer one article; returns its document number in the segment."""
        encode = self._codes.encode
        for index, text in enumerate(field_texts(article)):
            if index == _BODY and self._lead is not None:
                count, within, cut = self._codes.encode_lead(self._tokens[index], text, self._lead)
                self._lead_chunks.append(within)
                self._lead_cuts.append(text[cut:self._lead] if cut >= 0 else "")
            else:
                count = encode(self._tokens[index], text)
            self._counts[index].append(count)
            self.token_count += count
        self._token_map.add(article.body)
        if article.source:
            key = source_key(article.source)
            ordinal = self._sources.get(key)
            if ordinal is None:
                ordinal = self._sources[key] = len(self._source_names)
                self._source_names.append(article.source)
            self._source_column.append(ordinal)
        else:
            self._source_column.append(-1)
        self._days.append(day_number(article.date))
        stored = storedblob.compress(article.to_json())
        self._stored.append(stored)
        self.stored_bytes += len(stored)
        self._ids.append(article.id)
        return len(self._ids) - 1

    def lead_terms(self) -> TextTerms:
        """:meth:`ChunkAnalyser.text_terms` of each added article's lead and headline (texts
        ``2 * i`` and ``2 * i + 1``), from the codes :meth:`add` found (a builder made with
        ``lead``, that absorbed nothing). Only a chunk the lead cuts is looked up again, in
        article order, as the leads' own encoding would have met it."""
        if self._lead is None or self._parts[_BODY]:
            raise RuntimeError("lead_terms() needs a builder made with lead that only added articles")
        n = self.doc_count
        body = np.frombuffer(self._tokens[_BODY], dtype=np.int32)
        body_counts = np.frombuffer(self._counts[_BODY], dtype=np.uint32).astype(np.int64)
        body_doc = np.repeat(np.arange(n, dtype=np.int64), body_counts)
        rank = np.arange(body.size, dtype=np.int64) - np.repeat(np.cumsum(body_counts) - body_counts, body_counts)
        in_lead = rank < np.frombuffer(self._lead_chunks, dtype=np.int32)[body_doc]
        cut_docs = [doc for doc, cut in enumerate(self._lead_cuts) if cut]
        cuts = array("i")
        for doc in cut_docs:
            self._codes.encode(cuts, self._lead_cuts[doc])  # one chunk: no white space in it
        headline = np.frombuffer(self._tokens[_HEADLINE], dtype=np.int32)
        headline_counts = np.frombuffer(self._counts[_HEADLINE], dtype=np.uint32).astype(np.int64)
        codes = np.concatenate((body[in_lead], np.frombuffer(cuts, dtype=np.int32), headline))
        owner = np.concatenate((2 * body_doc[in_lead], 2 * np.array(cut_docs, dtype=np.int64),
                                2 * np.repeat(np.arange(n, dtype=np.int64), headline_counts) + 1))
        return _code_terms(self._codes, codes, owner)

    def write(self, path: Path) -> int:
        """Write the segment file; returns its size in bytes."""
        terms = sorted(self._vocabulary)
        term_count = len(terms)
        sorted_number = {term: number for number, term in enumerate(terms)}
        rank = np.fromiter(
            map(sorted_number.__getitem__, self._vocabulary), dtype=np.int32, count=term_count
        )
        del sorted_number
        writer = SegmentFileWriter(path)
        try:
            write_strings(writer, "terms", terms)
            del terms  # (the vocabulary holds the strings; the sorted list is 8 bytes a term)
            doc_count = len(self._ids)
            # The fingerprinted fields' occurrences, kept for fingerprints made here (absorbed
            # documents came with theirs: a worker's segment keeps none of these arrays).
            streams: list[tuple[Array, Array]] | None = [] if self._fingerprints_missing() else None
            for index, field in enumerate(FIELDS):
                term_ids, docs, positions, lengths = self._occurrences(index)
                if field in FINGERPRINTED and streams is not None:
                    streams.append((term_ids, docs))
                write_field(writer, field, rank[term_ids], docs, positions, term_count)
                writer.add(f"{field}.len", lengths, np.uint32)
                del term_ids, docs, positions, lengths
            writer.add("source", np.frombuffer(self._source_column, dtype=np.int32))
            writer.add("day", np.frombuffer(self._days, dtype=np.int32))
            write_fingerprints(writer, *self.fingerprints(streams))
            token_map = write_token_map(writer, self._token_map.columns())
            write_strings(writer, "ids", self._ids)
            write_blobs(writer, "stored", self._stored)
            return writer.finish({"doc_count": doc_count, "term_count": term_count, "sources": self._source_names,
                                  TOKEN_MAP_KEY: token_map})
        except BaseException:
            writer.abort()
            raise

    def _fingerprints_missing(self) -> bool:
        """Whether some buffered documents came without their fingerprints (added here)."""
        return sum(known.size for _, _, known in self._known_fingerprints) < self.doc_count

    def fingerprints(self, streams: list[tuple[Array, Array]] | None = None) -> tuple[Array, Array]:
        """The near-duplicate fingerprints of the buffered articles (:mod:`.fingerprint`):
        slots and shingle counts. ``streams``: the fingerprinted fields' occurrences when
        :meth:`write` has them already. Absorbed documents keep the fingerprints their
        chunk came with (a document's fingerprint depends on its own terms only)."""
        missing = np.ones(self.doc_count, dtype=bool)
        slots = np.empty((self.doc_count, SLOTS), dtype=np.uint16)
        shingles = np.empty(self.doc_count, dtype=np.uint32)
        for first, known_slots, known_shingles in self._known_fingerprints:
            end = first + known_shingles.size
            slots[first:end], shingles[first:end], missing[first:end] = known_slots, known_shingles, False
        if missing.any():
            if streams is None:
                streams = [self._occurrences(FIELDS.index(field))[:2] for field in FINGERPRINTED]
            rows = np.flatnonzero(missing)
            number = np.cumsum(missing) - 1  # a missing document's number among the missing
            wanted = [(terms[missing[docs]], number[docs[missing[docs]]]) for terms, docs in streams]
            slots[rows], shingles[rows] = document_fingerprints(self._vocabulary.terms, wanted, rows.size)
        return slots, shingles

    def _occurrences(self, index: int) -> Occurrences:
        """One field's (term, doc, position) occurrences in doc order, and field lengths."""
        parts = self._parts[index]
        if not parts:
            return self._run_occurrences(index)
        if self.doc_count > self._run_start:
            terms, docs, positions, lengths = self._run_occurrences(index)
            parts = [*parts, (terms, docs + np.int32(self._run_start), positions, lengths)]
        terms, docs, positions, lengths = (np.concatenate(arrays) for arrays in zip(*parts))
        return terms, docs, positions, lengths

    def _run_occurrences(self, index: int) -> Occurrences:
        """:meth:`_occurrences` of the documents buffered as codes (numbered from the
        run's first): the vectorized twin of :func:`searchkit.analysis.field_terms` over
        the chunk codes (see :class:`_TokenCodes`).
        """
        codes = np.frombuffer(self._tokens[index], dtype=np.int32)
        counts = np.frombuffer(self._counts[index], dtype=np.uint32).astype(np.int64)
        doc_count = counts.size
        doc_of = np.repeat(np.arange(doc_count, dtype=np.int32), counts)
        table = self._codes
        special = codes <= -2
        which = -2 - codes[special].astype(np.int64)
        width = np.ones(codes.size, dtype=np.int32)
        width[special] = np.frombuffer(table.widths, dtype=np.int32)[which]
        before = np.cumsum(width, dtype=np.int64)
        before -= width  # positions counted from the start of the buffer
        del width
        first_chunk = np.cumsum(counts) - counts
        base = np.zeros(doc_count, dtype=np.int64)
        present = counts > 0
        base[present] = before[first_chunk[present]]
        before -= np.repeat(base, counts)
        positions = before.astype(np.int32)
        del before
        simple = codes >= 0
        terms, docs, where = codes[simple], doc_of[simple], positions[simple]
        lengths = np.bincount(docs, minlength=doc_count)
        if which.size:
            n_entries = np.frombuffer(table.entry_counts, dtype=np.int32)[which].astype(np.int64)
            skip = np.cumsum(n_entries) - n_entries
            entry = np.repeat(np.frombuffer(table.entry_starts, dtype=np.int64)[which] - skip, n_entries)
            entry += np.arange(int(n_entries.sum()), dtype=np.int64)
            s_terms = np.frombuffer(table.entry_terms, dtype=np.int32)[entry]
            s_docs = np.repeat(doc_of[special], n_entries)
            s_where = np.repeat(positions[special], n_entries) + np.frombuffer(table.entry_offsets, dtype=np.int32)[entry]
            counted = np.frombuffer(table.entry_counted, dtype=np.int8)[entry].astype(bool)
            lengths += np.bincount(s_docs[counted], minlength=doc_count)
            key = (docs.astype(np.int64) << 32) | where
            at = np.searchsorted(key, (s_docs.astype(np.int64) << 32) | s_where, side="right")
            del key
            terms = np.insert(terms, at, s_terms)
            docs = np.insert(docs, at, s_docs)
            where = np.insert(where, at, s_where)
        return terms, docs, where, lengths


def stable_order(keys: Array) -> Array:
    """``np.argsort(keys, kind="stable")`` for non-negative integer keys (term numbers),
    the same permutation, sorted as two 16-bit halves (numpy sorts 16-bit keys stably by
    radix, in linear time) instead of by comparisons: about 2.5 times as fast on a
    segment's occurrences."""
    if keys.size == 0 or int(keys.min()) < 0 or (largest := int(keys.max())) >= 1 << 32:
        return np.argsort(keys, kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if largest >= 1 << 16:
        order = order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]
    return order


# Occurrences inverted at a time when a field is written (:func:`write_field`): the sorted
# copies of a whole field's occurrences took ~70 MB at once for a flush of 1,000,000 terms.
WRITE_CHUNK_OCCURRENCES = 1 << 17


def write_field(
    writer: SegmentFileWriter,
    field: str,
    term_ids: np.ndarray[Any, Any],
    docs: np.ndarray[Any, Any],
    positions: np.ndarray[Any, Any],
    term_count: int,
    *,
    chunk: int | None = None,
) -> None:
    """Invert one field's (term, doc, position) occurrences, given in doc order.

    The occurrences are sorted by term once (a permutation), then gathered and written by
    ranges of terms of about ``chunk`` occurrences each: the file is the same as inverting
    them all at once, without whole sorted copies of the field (``chunk``: by default
    :data:`WRITE_CHUNK_OCCURRENCES`)."""
    chunk = WRITE_CHUNK_OCCURRENCES if chunk is None else chunk
    n = term_ids.size
    order = stable_order(term_ids)
    if n < 1 << 31:
        order = order.astype(np.int32)
    pos_off = np.zeros(term_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_ids, minlength=term_count), out=pos_off[1:])
    # Chunk bounds fall between terms, so no posting (a term in a document) straddles two.
    cuts = np.unique(np.searchsorted(pos_off, np.arange(chunk, n, chunk, dtype=np.int64), side="left"))
    term_bounds = [0, *(int(t) for t in cuts if 0 < t < term_count), term_count]
    post_counts = np.zeros(term_count, dtype=np.int64)
    chunk_docs: list[Array] = []
    chunk_tfs: list[Array] = []
    for lo_term, hi_term in zip(term_bounds[:-1], term_bounds[1:]):
        lo, hi = int(pos_off[lo_term]), int(pos_off[hi_term])
        if lo == hi:
            continue
        taken = order[lo:hi]
        chunk_terms, chunk_doc = term_ids[taken], docs[taken]
        starts = np.flatnonzero(np.concatenate(
            ([True], (chunk_terms[1:] != chunk_terms[:-1]) | (chunk_doc[1:] != chunk_doc[:-1]))))
        chunk_tfs.append(np.diff(np.append(starts, hi - lo)))
        chunk_docs.append(chunk_doc[starts].astype(np.uint32))
        post_counts[lo_term:hi_term] = np.bincount(chunk_terms[starts] - lo_term, minlength=hi_term - lo_term)
        del taken, chunk_terms, chunk_doc, starts
    post_off = np.zeros(term_count + 1, dtype=np.int64)
    np.cumsum(post_counts, out=post_off[1:])
    del post_counts
    postings = int(post_off[-1])
    max_tf = max((int(tf.max()) for tf in chunk_tfs), default=0)
    writer.add(f"{field}.post_off", post_off, offset_dtype(post_off))
    writer.reserve(f"{field}.docs", np.uint32, postings)
    writer.reserve(f"{field}.tf", np.uint16 if max_tf <= _MAX_TF else np.uint32, postings)
    writer.add(f"{field}.pos_off", pos_off, offset_dtype(pos_off))
    writer.reserve(f"{field}.pos", position_dtype(positions), n)
    start = 0
    for chunk_doc, tf in zip(chunk_docs, chunk_tfs):
        writer.write(f"{field}.docs", chunk_doc, start)
        writer.write(f"{field}.tf", tf, start)
        start += tf.size
    del chunk_docs, chunk_tfs
    for start in range(0, n, chunk):
        writer.write(f"{field}.pos", positions[order[start:start + chunk]], start)


def offset_dtype(offsets: np.ndarray[Any, Any]) -> type[np.unsignedinteger[Any]]:
    return np.uint32 if offsets.size == 0 or offsets[-1] < 2**32 else np.uint64


def position_dtype(positions: np.ndarray[Any, Any]) -> type[np.unsignedinteger[Any]]:
    return np.uint16 if positions.size == 0 or int(positions.max()) < 2**16 else np.uint32


def write_fingerprints(writer: SegmentFileWriter, slots: Array, counts: Array) -> None:
    """The ``fingerprint`` (uint16, :data:`~.fingerprint.SLOTS` per document) and
    ``shingles`` (uint32) columns."""
    writer.add("fingerprint", slots.reshape(-1), np.uint16)
    writer.add("shingles", counts, np.uint32)


def write_strings(writer: SegmentFileWriter, name: str, strings: Sequence[str]) -> None:
    """Strings as one UTF-8 blob plus offsets."""
    write_blobs(writer, name, [s.encode("utf-8") for s in strings])


def write_blobs(writer: SegmentFileWriter, name: str, blobs: Sequence[bytes]) -> None:
    lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs))
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    writer.add(f"{name}.off", offsets, offset_dtype(offsets))
    writer.add_bytes(f"{name}.data", b"".join(blobs))


class FieldPostings(NamedTuple):
    """One text field's inverted index as a segment stores it (see the module docstring)."""

    post_off: Array
    docs: Array
    tf: Array
    pos_off: Array
    pos: Array


class StringTable(Sequence[str]):
    """A read-only sequence of strings over a blob and its offsets (sorted for terms)."""

    def __init__(self, reader: SegmentFileReader, name: str):
        self._offsets = reader.array(f"{name}.off")
        self._data = reader.array(f"{name}.data")
        # Memoryviews over the same arrays: indexing one gives a Python int and slicing one
        # costs a fraction of a numpy scalar or view, which counts in a bisect over the terms.
        self._bounds = self._offsets.data
        self._bytes = self._data.data
        self._list: list[str] | None = None

    def __len__(self) -> int:
        return int(self._offsets.size) - 1

    @property
    def offsets(self) -> Array:
        """Where each string starts in :attr:`data` (one more than there are strings)."""
        return self._offsets

    @property
    def data(self) -> Array:
        """The strings' UTF-8 bytes, one after another."""
        return self._data

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        if self._list is not None:
            return self._list[index]
        if index < 0:
            index += len(self)
        bounds = self._bounds
        return str(self._bytes[bounds[index]:bounds[index + 1]], "utf-8")

    def blob(self, index: int) -> bytes:
        bounds = self._bounds
        return bytes(self._bytes[bounds[index]:bounds[index + 1]])

    def as_list(self) -> list[str]:
        """All strings, decoded once and kept (for scans such as prefix and fuzzy)."""
        if self._list is None:
            self._list = self.decode_all()
        return self._list

    def decode_all(self) -> list[str]:
        """All strings, decoded now and not kept."""
        data = bytes(self._data)
        bounds = self._offsets.astype(np.int64).tolist()
        if data.isascii():
            text = data.decode("ascii")
            return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        return [data[a:b].decode("utf-8") for a, b in zip(bounds[:-1], bounds[1:])]


_TERM_IDS_KEPT = 10_000  # terms whose numbers a reader keeps (a few hundred KB)


class SegmentReader:
    """Read access to one segment file."""

    def __init__(self, path: Path, *, name: str):
        self.name = name
        self.file = SegmentFileReader(path)
        meta = self.file.meta
        self.doc_count: int = meta["doc_count"]
        self.source_names: list[str] = meta["sources"]
        self.terms = StringTable(self.file, "terms")
        self.ids = StringTable(self.file, "ids")
        self._stored = StringTable(self.file, "stored")
        self.source = self.file.array("source")
        self.day = self.file.array("day")
        self.lengths = {field: self.file.array(f"{field}.len") for field in FIELDS}
        self._post_off = {field: self.file.array(f"{field}.post_off") for field in FIELDS}
        self._docs = {field: self.file.array(f"{field}.docs") for field in FIELDS}
        self._tf = {field: self.file.array(f"{field}.tf") for field in FIELDS}
        self._pos_off = {field: self.file.array(f"{field}.pos_off") for field in FIELDS}
        self._pos = {field: self.file.array(f"{field}.pos") for field in FIELDS}
        self._id_map: dict[str, int] | None = None
        self._term_ids: dict[str, int] = {}  # term -> number or -1, up to _TERM_IDS_KEPT
        self._letter_counts: np.ndarray[Any, Any] | None = None
        self._fingerprints: tuple[Array, Array] | None = None
        self.token_map = TokenMap.of(self.file)  # None: written before token maps (:mod:`.tokenmap`)

    def fingerprints(self) -> tuple[Array, Array]:
        """Every document's near-duplicate fingerprint (:mod:`.fingerprint`): the slots
        (documents x SLOTS, uint16) and shingle counts.

        A segment written before searchkit stored fingerprints has no such columns: they
        are computed here from its stored articles, once per reader (about the cost of
        indexing them again), and a merge writes them into the merged segment for good.
        """
        if self._fingerprints is None:
            if "fingerprint" in self.file:
                slots = self.file.array("fingerprint").reshape(-1, SLOTS)
                self._fingerprints = (slots, self.file.array("shingles"))
            else:
                from ..models import Article  # (not at the top: a worker process imports this module without pydantic)

                builder = SegmentBuilder()
                for docnum in range(self.doc_count):
                    builder.add(Article.model_validate(self.stored(docnum)))
                self._fingerprints = builder.fingerprints()
        return self._fingerprints

    def letter_counts(self) -> np.ndarray[Any, Any]:
        """Per term, its a-z and 0-9 counts (computed once, for finding close terms)."""
        if self._letter_counts is None:
            self._letter_counts = letter_counts(self.terms.offsets, self.terms.data)
        return self._letter_counts

    def close_terms(self, word: str, limit: int) -> list[int]:
        """Numbers of the terms that share ``word``'s first letter and lie within ``limit`` edits."""
        lo, hi = self.term_range(word[0])
        return close_terms(word, limit, lo, hi, self.terms.as_list(), self.letter_counts())

    def term_id(self, term: str) -> int:
        """The term's number in this segment's vocabulary, or -1 (kept for the next look-up:
        a search's snippets ask for the terms its execution just found)."""
        number = self._term_ids.get(term)
        if number is None:
            terms = self.terms
            index = bisect.bisect_left(terms, term)
            number = index if index < len(terms) and terms[index] == term else -1
            if len(self._term_ids) >= _TERM_IDS_KEPT:
                self._term_ids.clear()
            self._term_ids[term] = number
        return number

    def term_range(self, prefix: str) -> tuple[int, int]:
        """Term numbers ``[lo, hi)`` of the terms starting with ``prefix``."""
        terms = self.terms
        lo = bisect.bisect_left(terms, prefix)
        hi = bisect.bisect_left(terms, prefix + "\U0010ffff", lo)
        return lo, hi

    def field_postings(self, field: str) -> FieldPostings:
        """The whole inverted index of ``field`` (for checking and merging segments)."""
        return FieldPostings(
            self._post_off[field], self._docs[field], self._tf[field], self._pos_off[field], self._pos[field]
        )

    @property
    def stored_table(self) -> StringTable:
        """The stored articles: compressed JSON (:mod:`.storedblob`), one blob per document."""
        return self._stored

    def postings(self, field: str, term: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Doc numbers and term frequencies of ``term`` in ``field``."""
        off = self._post_off[field]
        start, end = int(off[term]), int(off[term + 1])
        return self._docs[field][start:end], self._tf[field][start:end]

    def doc_frequency(self, field: str, term: int) -> int:
        off = self._post_off[field]
        return int(off[term + 1]) - int(off[term])

    def document_frequencies(self, field: str) -> np.ndarray[Any, Any]:
        """Every term's document frequency in ``field`` (0 where the field lacks the term)."""
        return np.diff(self._post_off[field].astype(np.int64))

    def doc_frequencies(self, term: int) -> tuple[int, ...]:
        """The term's document frequency in each field, in :data:`FIELDS` order."""
        return tuple(self.doc_frequency(field, term) for field in FIELDS)

    def positions(self, field: str, term: int) -> tuple[np.ndarray[Any, Any], Int64Array]:
        """All positions of ``term`` in ``field`` and, per posting, where its run starts."""
        off = self._pos_off[field]
        start, end = int(off[term]), int(off[term + 1])
        _, tf = self.postings(field, term)
        starts = np.zeros(tf.size + 1, dtype=np.int64)
        np.cumsum(tf, out=starts[1:])
        return self._pos[field][start:end], starts

    def doc_number(self, article_id: str) -> int:
        """The document number of ``article_id`` in this segment, or -1 (deleted or not)."""
        if self._id_map is None:
            self._id_map = {doc_id: number for number, doc_id in enumerate(self.ids.as_list())}
        return self._id_map.get(article_id, -1)

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored article data of a document."""
        data: dict[str, Any] = orjson.loads(storedblob.decompress(self._stored.blob(docnum)))
        return data

    def stored_blob(self, docnum: int) -> bytes:
        return self._stored.blob(docnum)

    def close(self) -> None:
        """Unmap the segment file now; the reader cannot be used afterwards.

        Every array this reader holds is a view into the map, and a map with views alive
        cannot be closed: drop them all first, so the pages and the file descriptor are
        released at once instead of when the garbage collector gets to them.
        """
        file, name = self.file, self.name
        self.__dict__.clear()
        self.name, self.file, self._closed = name, file, True
        file.close()

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise type every misspelt attribute as Any

        def __getattr__(self, attribute: str) -> Any:
            # Reached for the attributes :meth:`close` dropped: a search or an iteration
            # still running on a closed index gets a clear error.
            if attribute.startswith("__") or not self.__dict__.get("_closed"):
                raise AttributeError(attribute)
            raise IndexClosedError(self.file.path.parent)
