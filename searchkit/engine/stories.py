"""Stories: articles about the same news story, grouped incrementally as they are added.

Each added article gets a vector: the TF-IDF weights of its headline terms (counted
:data:`HEADLINE_WEIGHT` times) and the terms of its lead (the first :data:`LEAD_CHARS`
characters of the body; from :func:`searchkit.analysis.field_terms`),
``(1 + log tf) * (log((N + 1) / (df + 1)) + 1)`` (scikit-learn's smoothed IDF, so a tiny index
still has weights) with ``N`` and ``df`` from the index (the committed segments plus the
articles this writer added), keeping its
:data:`TERMS_PER_ARTICLE` heaviest terms, scaled to length 1. A story's centroid is the
sum of its members' vectors.

The article joins the story whose centroid is the most similar (cosine) if that is at least
:data:`JOIN_SIMILARITY`, else it starts a new story. Candidate stories are found through
shared rare terms, never by scanning all: each term lists the stories whose centroid has
it; the stories under the article's :data:`CANDIDATE_TERMS` heaviest terms (the
:data:`STORIES_PER_TERM` most recently started of each list) are ranked by what those
terms share, and the best :data:`RESCORED` are compared in full, so the cost of an article
does not grow with the index. Time: a dated article only joins a story whose dated members
span days within :data:`WINDOW_DAYS` of its own day, so two articles on one subject months
apart stay in two stories. An undated article, or a story with no dated member, is matched
by content alone, and then needs :data:`UNDATED_SIMILARITY`: without dates to confirm a
match, more shared content must.

Deleting an article subtracts its vector from its story's centroid and recomputes the
story's days and representative (the member closest to the centroid); a replaced article
is deleted, then added again. The state is written with each commit (:mod:`.storyfile`).

At indexing time (issue 16) the work is split so that it costs the writer little: the
worker processes that analyse a chunk of articles also count its story terms
(:func:`story_counts`, through their table of token codes, in :mod:`.parallel`); the
writer computes the vectors of a run of articles at once with numpy
(:meth:`StoryClusterer.vectors`: the same formula, with ``math.log`` values from a table
and the squared weights summed in order, so every weight is the very float the one-article
arithmetic gives) and then places each article in order (:meth:`StoryClusterer.place_many`:
a run's articles in one call of the C loop where it is built, ``searchkit/_storykernel.c``,
whose floats are those of the Python loop here, its ``sum()`` included). The stories are
therefore exactly those of clustering one article at a time, whatever the number of
workers.

How the defaults were chosen, on the AllSides roundups (``benchmarks/news/stories.py``,
B-cubed F1; one pass over a coarse grid, not a search): headline weight 1-3, 30 terms or
all, window none/3/7 days and similarity 0.15-0.35 give 0.80-0.85 wherever the window is
3 days and the similarity 0.2-0.25 (without a window, at most 0.75); the defaults sit in
the middle of that plateau, and 3 days is how long a story's coverage mostly runs. The
content-only threshold came from 0.2/0.25/0.3/0.35 with the articles left undated (0.65,
0.71, 0.75, 0.74). The lead's length and the candidate limits were set for speed and
checked not to change the figure (within 0.005).
"""

from __future__ import annotations

import heapq
import math
import threading
from array import array
from pathlib import Path
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, islice, repeat
from operator import mul
from typing import Any, NamedTuple, Protocol, overload

import numpy as np

from .._kernels import pure_python
from ..analysis import field_terms
from .segment import ChunkAnalyser, CodeNumbers, TextTerms, Vocabulary
from .storyrows import CHUNK_ROWS, RowChunk, RowIndex, VectorRows

_native: Any
try:
    from .. import _storykernel as _native
except ImportError:  # not built: the same loops run in Python
    _native = None

__all__ = [
    "HEADLINE_WEIGHT",
    "JOIN_SIMILARITY",
    "UNDATED_SIMILARITY",
    "STORIES_PER_TERM",
    "TERMS_PER_ARTICLE",
    "WINDOW_DAYS",
    "Member",
    "StoryClusterer",
    "StoryColumns",
    "StoryCounts",
    "StoryOptions",
    "StoryState",
    "article_counts",
    "story_counts",
]

HEADLINE_WEIGHT = 2
TERMS_PER_ARTICLE = 30
JOIN_SIMILARITY = 0.2
UNDATED_SIMILARITY = 0.3
WINDOW_DAYS = 3
STORIES_PER_TERM = 8
CANDIDATE_TERMS = 8
RESCORED = 5
LEAD_CHARS = 600
MISSING_DAY = -(2**31)  # the same sentinel as the segments' day column
BATCH = 256  # articles whose vectors are computed together
Array = np.ndarray[Any, Any]
_ZEROS = repeat(0.0)  # the default of every centroid look-up (map(centroid.get, terms, _ZEROS))
_GROWTH = 8  # the story and term arrays grow by an eighth (doubling left up to half of them unused)


class CentroidMap(Protocol):
    """A story's centroid: term number -> summed weight, in the order the terms came (a
    dict, or the kernel's ``Centroid``: the same in two flat arrays, about 12 bytes an
    entry instead of a dict's ~100; ``searchkit/_centroid.h``)."""

    @overload
    def get(self, term: int, /) -> float | None: ...
    @overload
    def get(self, term: int, default: float, /) -> float: ...
    def __setitem__(self, term: int, weight: float, /) -> None: ...
    def pop(self, term: int, default: None, /) -> float | None: ...
    def values(self) -> Iterable[float]: ...
    def items(self) -> Iterable[tuple[int, float]]: ...
    def update(self, pairs: Iterable[tuple[int, float]], /) -> None: ...
    def __len__(self) -> int: ...


def _dict_centroid(terms: Iterable[int], weights: Iterable[float]) -> CentroidMap:
    return dict(zip(terms, weights))


def story_kernel() -> Any:
    """The optional C loops of placing an article (``searchkit/_storykernel.c``, built by
    ``pip install`` where a compiler and the Python headers exist), or None: not built, or
    switched off by ``SEARCHKIT_PURE_PYTHON=1``. The stories are the same either way."""
    if _native is None or pure_python():
        return None
    return _native


@dataclass(frozen=True)
class StoryOptions:
    """The clustering's settings; searchkit uses the defaults (the module docstring says
    how they were chosen). ``window_days=None`` turns the time window off."""

    headline_weight: int = HEADLINE_WEIGHT
    terms_per_article: int = TERMS_PER_ARTICLE
    join_similarity: float = JOIN_SIMILARITY
    undated_similarity: float = UNDATED_SIMILARITY
    window_days: int | None = WINDOW_DAYS
    stories_per_term: int = STORIES_PER_TERM
    candidate_terms: int = CANDIDATE_TERMS
    rescored: int = RESCORED
    lead_chars: int = LEAD_CHARS


DEFAULT_OPTIONS = StoryOptions()


@dataclass
class Member:
    """One clustered article: its story, day, source, headline and vector."""

    story: int
    day: int
    source: str | None
    headline: str
    terms: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass
class StoryState:
    """What is persisted: the members by article id, and the next story number."""

    members: Mapping[str, Member] = field(default_factory=dict)
    next_story: int = 1
    representatives: dict[int, str] = field(default_factory=dict)


class StoryCounts(NamedTuple):
    """The term counts of a run of articles (:func:`story_counts`), made where the articles
    are analysed (a worker process, :mod:`.parallel`, or the writer's). ``terms`` is sorted
    and each article's ids go down, so its terms come in descending order."""

    terms: list[str]  # the run's vocabulary: ids index it
    offsets: Array  # article i's counts are ids/counts[offsets[i]:offsets[i + 1]]
    ids: Array
    counts: Array
    # Each of ``terms``' number in the analysing process's table; ``numbering`` set (by the
    # writer, for a worker's counts: :class:`~.segment.CodeNumbers`) reads them instead.
    codes: Array | None = None
    numbering: CodeNumbers | None = None

    @property
    def articles(self) -> int:
        return len(self.offsets) - 1


class RunVectors(NamedTuple):
    """The vectors of a run of articles (:meth:`StoryClusterer.vectors`), one after another:
    article i's term numbers and weights are ``terms``/``weights[offsets[i]:offsets[i + 1]]``."""

    terms: Array  # int32
    weights: Array  # float64
    offsets: Array  # int64, one more than the articles

    @property
    def articles(self) -> int:
        return len(self.offsets) - 1

    def vector(self, i: int) -> tuple[list[int], list[float]]:
        """Article i's term numbers and weights."""
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.terms[start:end].tolist(), self.weights[start:end].tolist()

    def part(self, start: int, stop: int) -> RunVectors:
        """Articles ``start:stop``."""
        first, last = int(self.offsets[start]), int(self.offsets[stop])
        return RunVectors(self.terms[first:last], self.weights[first:last], self.offsets[start:stop + 1] - first)

    @classmethod
    def of(cls, vectors: Sequence[tuple[Sequence[int], Sequence[float]]]) -> RunVectors:
        """The run of ``(term numbers, weights)`` pairs."""
        lengths = [min(len(terms), len(weights)) for terms, weights in vectors]
        return cls(np.fromiter(chain.from_iterable(terms[:n] for (terms, _), n in zip(vectors, lengths)), np.int32),
                   np.fromiter(chain.from_iterable(weights[:n] for (_, weights), n in zip(vectors, lengths)),
                               np.float64),
                   np.fromiter(accumulate(lengths, initial=0), np.int64, count=len(lengths) + 1))


def article_counts(headline: str, body: str, headline_weight: int) -> dict[str, int]:
    """Term counts of an article, its headline's terms counted ``headline_weight`` times
    (the definition; :func:`story_counts` gives the same counts for many articles at once)."""
    counts = Counter(field_terms(body)[0])
    for term in field_terms(headline)[0]:
        counts[term] += headline_weight
    return counts


# The story counts made in this process (no worker had the articles); writers of other
# indexes may count in other threads, and the table's entries are made in several steps.
_WRITERS = ChunkAnalyser(limit=50_000)
_WRITERS_LOCK = threading.Lock()


def story_counts(articles: Iterable[tuple[str, str]], options: StoryOptions = DEFAULT_OPTIONS) -> StoryCounts:
    """The :func:`article_counts` of ``(headline, body)`` pairs, of the headline and the lead
    (the first ``options.lead_chars`` characters of the body), numbered compactly, through
    this process's table of token codes (a worker counts from its analysis of the articles:
    :meth:`.segment.ChunkAnalyser.analyse_leads`, :func:`counts_of_terms`)."""
    lead = options.lead_chars
    texts: list[str] = []
    for headline, body in articles:
        texts += (body[:lead], headline)
    with _WRITERS_LOCK:
        _WRITERS.renew()
        text_terms = _WRITERS.text_terms(texts)
    return counts_of_terms(text_terms, len(texts) // 2, options)


def counts_of_terms(text_terms: TextTerms, articles: int, options: StoryOptions = DEFAULT_OPTIONS) -> StoryCounts:
    """:func:`story_counts` from the terms of the articles' leads and headlines (texts ``2 * i``
    and ``2 * i + 1``: :meth:`.segment.ChunkAnalyser.text_terms` of them, or
    :meth:`~.segment.ChunkAnalyser.analyse_leads`' from the articles' own analysis)."""
    weight = options.headline_weight
    vocabulary, terms, owner = text_terms
    used, local = np.unique(terms, return_inverse=True)
    names = [vocabulary[t] for t in used.tolist()]
    order = sorted(range(len(names)), key=names.__getitem__)
    width = max(len(names), 1)
    down = np.empty(len(names), dtype=np.int64)  # a term's place in descending order
    down[order] = np.arange(len(names) - 1, -1, -1)
    keys, inverse = np.unique((owner >> 1) * width + down[local], return_inverse=True)
    counts = np.bincount(inverse, weights=np.where(owner & 1, weight, 1), minlength=keys.size).astype(np.int64)
    offsets = np.searchsorted(keys // width, np.arange(articles + 1)).astype(np.int64)
    return StoryCounts([names[n] for n in order], offsets, len(names) - 1 - keys % width, counts,
                       used[np.array(order, dtype=np.int64)].astype(np.int32))


class StoryClusterer:
    """Assigns articles to stories one at a time (see the module docstring).

    ``committed_df(term)`` is the term's document frequency in the committed index and
    ``committed_docs`` its article count; the clusterer adds what it sees itself.
    An article is added in two steps: :meth:`vectors` turns a run of articles' counts into
    their vectors (with the document frequencies as each article arrives), then
    :meth:`place` puts each in a story; :meth:`add` does both for one article.

    The state is kept in flat arrays (issue 16: a dict, tuples and a centroid dict per
    article took 4-6 KB an article): per clustered article (a *row*, never reused; a
    removed or replaced article's row is left dead) its story, day, source ordinal, the
    next row of its story and its vector's place in two flat arrays of term numbers and
    weights; per story number its size, first and last rows, days, squared length and
    representative row (its length and time window are computed from these). A story of
    one article has no centroid of its own: its member's vector is its centroid; a centroid
    (:class:`CentroidMap`: term number -> summed weight, in the order terms came, as the
    arithmetic needs) is made when a second article joins. The stories listed under a term
    are a ring of its :data:`STORIES_PER_TERM` latest (only those are ever looked at), each
    with the term's weight in the story when it was listed (the centroid's own for a story
    of one article).
    """

    def __init__(self, state: StoryState, *, committed_df: Callable[[str], int], committed_docs: int,
                 options: StoryOptions | None = None, spill_folder: Path | None = None):
        self.options = options or DEFAULT_OPTIONS
        self._committed_df = committed_df
        self._term_numbers = Vocabulary()  # every term seen: its number in _df
        self._df = np.zeros(0, dtype=np.int64)  # -1: not looked up in the committed index yet
        self._logs = np.zeros(2, dtype=np.float64)  # _logs[i] == math.log(i) for i >= 1 (numpy's path only)
        self._docs = committed_docs
        self.next_story = state.next_story
        # Rows (clustered articles).
        self._vectors = VectorRows(spill_folder)  # each row's vector, headline and id (:mod:`.storyrows`)
        self._row_index: RowIndex | None = None  # a live article's row, made when first asked (:attr:`_row_of`)
        self._story = array("i")  # -1: removed
        self._day = array("i")
        self._source = array("i")  # ordinal in _sources, -1 for none
        self._next = array("i")  # the story's next row, -1 for its last
        self._sources: list[str] = []
        self._source_numbers: dict[str, int] = {}
        # Stories, by number.
        size = max(self.next_story, 1)
        self._size = array("i", bytes(4 * size))
        self._head = array("i", bytes(4 * size))
        self._tail = array("i", bytes(4 * size))
        self._first = array("i", [MISSING_DAY]) * size
        self._last = array("i", [MISSING_DAY]) * size
        self._norm2 = array("d", bytes(8 * size))
        self._rep = array("i", bytes(4 * size))
        self._centroids: dict[int, CentroidMap] = {}  # of stories that had two members or more
        self._live = 0
        # The ring of each term's latest stories: _listed/_listed_weight[term * width + k].
        self._width = self.options.stories_per_term
        self._listed = array("i")
        self._listed_weight = array("d")
        self._listings = array("q")  # how many times each term was listed
        self._changed = bytearray(size)  # 1: a story changed since its representative was chosen
        kernel = story_kernel()
        self._place = getattr(kernel, "place", None)  # place_many's loop in C, or None
        self._weigh = getattr(kernel, "vectors", None)  # the arithmetic of vectors in C, or None
        # _update_representatives' loop in C, or None (it needs the kernel's centroids)
        self._representatives = getattr(kernel, "representatives", None)
        self._new_centroid: Callable[[Iterable[int], Iterable[float]], CentroidMap] = getattr(
            kernel, "Centroid", _dict_centroid)  # the kernel's compact one (place_many's loop needs it), or a dict
        for article_id, member in state.members.items():
            terms = self._term_ids(member.terms)
            row = self._new_row(article_id, member.headline, member.day, member.source, terms, member.weights)
            number = member.story
            self._grow_stories(number)
            self.next_story = max(self.next_story, number + 1)
            if self._size[number] == 0:
                self._live += 1
            self._join(number, row, terms, member.weights)
        for number, article_id in state.representatives.items():
            row = self._row_of.get(article_id)
            if row >= 0 and self._story[row] == number:
                self._rep[number] = row

    @property
    def state(self) -> StoryState:
        """The members by article id (a view made on demand), the next story number and
        each story's representative as of the last :meth:`representatives`."""
        reps = {n: self._vectors.article_id(self._rep[n]) for n in range(1, self.next_story) if self._size[n]}
        return StoryState(_Members(self), self.next_story, reps)

    # Growing the arrays

    def _grow_stories(self, upto: int) -> None:
        more = upto + 1 - len(self._size)
        if more > 0:
            more = max(more, len(self._size) // _GROWTH)
            for column in (self._size, self._head, self._tail, self._rep):
                column.frombytes(bytes(4 * more))
            self._first.extend(repeat(MISSING_DAY, more))
            self._last.extend(repeat(MISSING_DAY, more))
            self._norm2.frombytes(bytes(8 * more))
            self._changed += bytes(more)

    def _grow_terms(self) -> None:
        """Room for every numbered term in _df (-1 for the new ones) and the rings."""
        count = len(self._term_numbers)
        if self._df.size < count:
            grown = np.full(max(count, 2 * self._df.size, 1024), -1, dtype=np.int64)
            grown[:self._df.size] = self._df
            self._df = grown
        more = count - len(self._listings)
        if more > 0:
            more = max(more, len(self._listings) // _GROWTH, 1024)
            self._listings.frombytes(bytes(8 * more))
            self._listed.frombytes(bytes(4 * self._width * more))
            self._listed_weight.frombytes(bytes(8 * self._width * more))

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        numbers = self._term_numbers
        found = list(map(numbers.__getitem__, terms))
        self._grow_terms()
        return found

    @property
    def _row_of(self) -> RowIndex:
        """Each live article's row by id, made from the rows the first time it is needed
        (an article taken out or looked up): a writer adding new articles never needs it,
        which spares 24 bytes an article while a big index is built (issue 16)."""
        if self._row_index is None:
            index = RowIndex(self._vectors.article_id)
            rows = self._live_rows()
            for at, ids in zip(range(0, rows.size, CHUNK_ROWS), self._vectors.ids(rows, CHUNK_ROWS)):
                for row, article_id in zip(rows[at:at + CHUNK_ROWS].tolist(), ids):
                    index.add(article_id, row)
            self._row_index = index
        return self._row_index

    def story_of(self, article_id: str) -> int | None:
        """The story number of a clustered article, or None."""
        row = self._row_of.get(article_id)
        return None if row < 0 else self._story[row]

    # Adding and removing

    def add(self, article_id: str, headline: str, body: str, *, day: int, source: str | None) -> int:
        """Cluster one article (not already a member); returns its story number."""
        vectors = self.vectors(story_counts([(headline, body)], self.options))
        return self.place_many([(article_id, headline, day, source)], vectors)[0]

    def add_many(self, items: Iterable[tuple[str, str, str, int, str | None]]) -> list[int]:
        """Cluster ``(id, headline, body, day, source)`` in order; returns their story numbers."""
        numbers: list[int] = []
        items = iter(items)
        while batch := list(islice(items, BATCH)):
            vectors = self.vectors(story_counts(((item[1], item[2]) for item in batch), self.options))
            numbers += self.place_many([(article_id, headline, day, source) for article_id, headline, _, day, source
                                        in batch], vectors)
        return numbers

    def _log(self, upto: int) -> Array:
        """The table of ``math.log`` (the very values the formula in the module docstring
        takes, so the weights do not depend on numpy's log) up to ``upto``."""
        logs = self._logs
        if logs.size <= upto:
            size = max(upto + 1, 2 * logs.size)
            logs = self._logs = np.concatenate((logs, np.array([math.log(i) for i in range(logs.size, size)])))
        return logs

    def _numbers(self, counts: StoryCounts) -> Array:
        """The clusterer's numbers of ``counts``' terms, numbering new ones (their document
        frequency starts at the committed one)."""
        numbers = self._term_numbers
        if counts.numbering is not None and counts.codes is not None:
            found = counts.numbering.numbers(numbers, counts.codes).astype(np.int64)
        else:
            terms = counts.terms
            found = np.fromiter(map(numbers.__getitem__, terms), dtype=np.int64, count=len(terms))
        self._grow_terms()
        unknown = np.unique(found[self._df[found] < 0])
        if unknown.size:
            committed = self._committed_df
            self._df[unknown] = [committed(numbers.terms[t]) for t in unknown.tolist()]
        return found

    def vectors(self, counts: StoryCounts) -> RunVectors:
        """The vectors (term numbers, weights) of a run of articles, in order, each as the
        module docstring says: the document frequencies and the article count include the
        articles before it. This counts them as added (call :meth:`place_many` with them)."""
        n = counts.articles
        if n == 0:
            return RunVectors(np.zeros(0, np.int32), np.zeros(0, np.float64), np.zeros(1, np.int64))
        lengths = np.diff(counts.offsets)
        article = np.repeat(np.arange(n, dtype=np.int64), lengths)
        term = self._numbers(counts)[counts.ids]
        keep = self.options.terms_per_article
        if self._weigh is not None:  # the rest in one loop in C (the same floats)
            tf = np.ascontiguousarray(counts.counts, dtype=np.int64)
            size = int(np.minimum(lengths, max(keep, 0)).sum())
            found = RunVectors(np.empty(size, np.int32), np.empty(size, np.float64), np.empty(n + 1, np.int64))
            self._weigh(term, tf, np.ascontiguousarray(counts.offsets, dtype=np.int64), self._df, self._docs, keep,
                        *found)
            self._docs += n
            return found
        # Document frequency of each (article, term): the term's count so far plus its
        # articles earlier in the run, plus this one.
        order = np.argsort(term, kind="stable")
        grouped = term[order]
        first = np.ones(grouped.size, dtype=bool)
        first[1:] = grouped[1:] != grouped[:-1]
        starts = np.flatnonzero(first)
        position = np.arange(grouped.size, dtype=np.int64)
        earlier = position - np.repeat(starts, np.diff(np.append(starts, grouped.size)))
        df = np.empty(grouped.size, dtype=np.int64)
        df[order] = self._df[grouped] + earlier + 1
        self._df[grouped[starts]] += np.diff(np.append(starts, grouped.size))
        docs = self._docs + np.arange(1, n + 1, dtype=np.int64)
        self._docs += n
        # (a term's document frequency may pass the article count: the committed one
        # counts deleted articles too)
        logs = self._log(max(int(docs[-1]) + 1, int(counts.counts.max(initial=1)), int(df.max(initial=0)) + 1))
        most = logs[docs + 1] + 1.0  # the idf of a term no other article has had
        weight = (1.0 + logs[counts.counts]) * (most[article] - logs[df + 1])
        # The heaviest terms of each article, ties to the later term (as heapq.nlargest
        # over (weight, term) pairs): order by article, weight down, then as given (terms down).
        ranked = np.lexsort((-weight, article))
        place = np.arange(ranked.size, dtype=np.int64) - counts.offsets[article]
        keep_them = place < keep
        chosen = ranked[keep_them]
        kept_article, kept_place, kept_weight = article[keep_them], place[keep_them], weight[chosen]
        # Each article's length: the squares summed in order (a row's cumulative sum).
        squares = np.zeros((n, max(int(kept_place.max(initial=0)) + 1, 1)), dtype=np.float64)
        squares[kept_article, kept_place] = kept_weight * kept_weight
        norm = np.sqrt(np.cumsum(squares, axis=1)[:, -1])
        norm[norm == 0.0] = 1.0
        bounds = np.concatenate(([0], np.cumsum(np.minimum(lengths, max(keep, 0))))).astype(np.int64)
        return RunVectors(term[chosen].astype(np.int32), kept_weight / norm[kept_article], bounds)

    def _new_row(self, article_id: str, headline: str, day: int, source: str | None, terms: Sequence[int],
                 weights: Sequence[float]) -> int:
        row = self._vectors.append(terms, weights, headline, article_id)
        if self._row_index is not None:
            self._row_index.add(article_id, row)
        self._story.append(-1)
        self._day.append(day)
        self._source.append(self._source_ordinal(source))
        self._next.append(-1)
        return row

    def _new_rows(self, articles: Sequence[tuple[str, str, int, str | None]], vectors: RunVectors) -> None:
        """:meth:`_new_row` of each, column by column."""
        first = len(self._story)
        ids = [article[0] for article in articles]
        self._vectors.extend(vectors.terms, vectors.weights, np.diff(vectors.offsets).tolist(),
                             [article[1] for article in articles], ids)
        if self._row_index is not None:
            for row, article_id in enumerate(ids, first):
                self._row_index.add(article_id, row)
        self._story.extend(repeat(-1, len(ids)))
        self._next.extend(repeat(-1, len(ids)))
        self._day.fromlist([article[2] for article in articles])
        self._source.fromlist([self._source_ordinal(article[3]) for article in articles])

    def _source_ordinal(self, source: str | None) -> int:
        """The source's ordinal in _sources (numbered as it first comes), -1 for none."""
        if source is None:
            return -1
        ordinal = self._source_numbers.get(source)
        if ordinal is None:
            ordinal = self._source_numbers[source] = len(self._sources)
            self._sources.append(source)
        return ordinal

    def _vector(self, row: int) -> tuple[array[int], array[float]]:
        return self._vectors.vector(row)

    def place(self, article_id: str, headline: str, terms: Sequence[int], vector: Sequence[float], *,
              day: int, source: str | None) -> int:
        """Put an article (not already a member) with its vector from :meth:`vectors` in
        the best story, or a new one; returns the story's number."""
        if self._place is not None:
            return self.place_many([(article_id, headline, day, source)], RunVectors.of([(terms, vector)]))[0]
        number = self._best_story(terms, vector, day)
        if number is None:
            number = self.next_story
            self.next_story += 1
            self._grow_stories(number)
            self._live += 1
        row = self._new_row(article_id, headline, day, source, terms, vector)
        self._join(number, row, terms, vector)
        self._changed[number] = 1
        return number

    def place_many(self, articles: Sequence[tuple[str, str, int, str | None]], vectors: RunVectors) -> list[int]:
        """:meth:`place` each ``(id, headline, day, source)`` with its vector, in order (in
        C where built: the rows are appended first, then placed one after another there,
        with the same arithmetic); returns their story numbers."""
        if len(articles) != vectors.articles:
            raise ValueError(f"{len(articles)} articles and {vectors.articles} vectors")
        if self._place is None:
            return [self.place(article_id, headline, *vectors.vector(i), day=day, source=source)
                    for i, (article_id, headline, day, source) in enumerate(articles)]
        first = len(self._story)
        self._new_rows(articles, vectors)
        self._grow_stories(self.next_story + len(articles))  # room for a new story each
        options = self.options
        settings = (options.candidate_terms, options.rescored, self._width, options.join_similarity,
                    options.undated_similarity, options.window_days, MISSING_DAY)
        story_arrays = (self._size, self._head, self._tail, self._rep, self._first, self._last, self._norm2,
                        self._changed)
        row_arrays = (self._story, self._next, self._day, *self._vectors.held())
        numbers: list[int]
        numbers, next_story = self._place(
            np.ascontiguousarray(vectors.terms, np.int32), np.ascontiguousarray(vectors.weights, np.float64),
            np.ascontiguousarray(vectors.offsets, np.int64), first, self.next_story, settings, story_arrays,
            row_arrays, (self._listings, self._listed, self._listed_weight), self._centroids, self._vector)
        self._live += next_story - self.next_story
        self.next_story = next_story
        return numbers

    def remove(self, article_id: str) -> bool:
        """Take an article out of its story; False if it was not a member."""
        row = self._row_of.pop(article_id)
        if row < 0:
            return False
        number = self._story[row]
        self._story[row] = -1
        nexts = self._next
        if self._head[number] == row:
            self._head[number] = nexts[row]
            if self._tail[number] == row:
                self._tail[number] = -1
        else:
            before = self._head[number]
            while nexts[before] != row:
                before = nexts[before]
            nexts[before] = nexts[row]
            if self._tail[number] == row:
                self._tail[number] = before
        self._size[number] -= 1
        self._changed[number] = 1
        if not self._size[number]:
            self._centroids.pop(number, None)
            self._live -= 1
            return True
        centroid = self._centroids[number]  # (a story of two members or more has one)
        terms, weights = self._vector(row)
        for term, weight in zip(terms, weights):
            left = centroid.get(term, 0.0) - weight
            if left > 1e-9:
                centroid[term] = left
            else:
                centroid.pop(term, None)
        self._norm2[number] = sum(w * w for w in centroid.values())
        days = [d for d in map(self._day.__getitem__, self._rows(number)) if d != MISSING_DAY]
        self._first[number], self._last[number] = (min(days), max(days)) if days else (MISSING_DAY, MISSING_DAY)
        return True

    def _rows(self, number: int) -> list[int]:
        """The rows of a story's members, in the order they joined."""
        rows, row, nexts = [], self._head[number], self._next
        for _ in range(self._size[number]):
            rows.append(row)
            row = nexts[row]
        return rows

    def _in_window(self, number: int, day: int) -> bool:
        """Whether a dated article's day is within the time window of story ``number``'s
        dated members (any day where it has none, or without a window)."""
        first, window = self._first[number], self.options.window_days
        return first == MISSING_DAY or window is None or first - window <= day <= self._last[number] + window

    def _list(self, number: int, term: int, weight: float) -> None:
        """List the story under ``term`` (the latest of its ring)."""
        count = self._listings[term]
        at = term * self._width + count % self._width
        self._listed[at] = number
        self._listed_weight[at] = weight
        self._listings[term] = count + 1

    def _join(self, number: int, row: int, terms: Sequence[int], weights: Sequence[float]) -> None:
        self._story[row] = number
        size = self._size[number]
        if size:
            self._next[self._tail[number]] = row
        else:
            self._head[number] = self._rep[number] = row
        self._tail[number] = row
        self._size[number] = size + 1
        centroid = self._centroids.get(number)
        if centroid is None and size:  # a second member: the first's vector becomes a centroid
            centroid = self._centroids[number] = self._new_centroid(*self._vector(self._head[number]))
        if not centroid:  # each term new: the loop below in one step (0.0 + w is w)
            if centroid is not None:
                centroid.update(zip(terms, weights))
            self._norm2[number] += sum(map(mul, weights, weights))
            self._join_terms(number, None, terms, weights)
        else:
            self._norm2[number] = self._join_terms(number, centroid, terms, weights)
        day = self._day[row]
        if day != MISSING_DAY:
            first = self._first[number]
            if first == MISSING_DAY or day < first:
                self._first[number] = day
            if first == MISSING_DAY or day > self._last[number]:
                self._last[number] = day

    def _join_terms(self, number: int, centroid: CentroidMap | None, terms: Sequence[int],
                    weights: Sequence[float]) -> float:
        """Add an article's terms to the story's centroid (None: its first member, whose
        vector is the centroid), listing the story under each term new to it; returns the
        centroid's squared length, updated term by term."""
        norm2 = self._norm2[number]
        if centroid is None:
            for term, weight in zip(terms, weights):
                self._list(number, term, weight)
            return norm2
        for term, weight in zip(terms, weights):
            old = centroid.get(term)
            if old is None:
                old = 0.0
                self._list(number, term, weight)
            centroid[term] = old + weight
            norm2 += 2 * old * weight + weight * weight
        return norm2

    def _centroid(self, number: int) -> CentroidMap:
        centroid = self._centroids.get(number)
        return _dict_centroid(*self._vector(self._head[number])) if centroid is None else centroid

    def _candidates(self, terms: Sequence[int], vector: Sequence[float], day: int) -> list[int]:
        """The stories :meth:`_best_story` compares in full, the best first."""
        options = self.options
        width = self._width
        partial: dict[int, float] = {}
        so_far = partial.get
        listings, listed, listed_weight = self._listings, self._listed, self._listed_weight
        centroids, sizes, in_window = self._centroids.get, self._size, self._in_window
        dated = day != MISSING_DAY
        for term, weight in zip(terms[:options.candidate_terms], vector):
            count = listings[term]
            if not count:
                continue
            base = term * width
            if count <= width:
                ring: Iterable[int] = range(base, base + count)
            else:  # oldest first, as they were listed
                turn = base + count % width
                ring = chain(range(turn, base + width), range(base, turn))
            for at in ring:
                story = listed[at]
                if dated and not in_window(story, day):
                    continue  # (outside the time window: never ranked)
                centroid = centroids(story)
                if centroid is None:
                    if not sizes[story]:
                        continue  # removed
                    shared = listed_weight[at]  # a story of one article: its own weight
                else:
                    found = centroid.get(term)
                    if found is None:
                        continue
                    shared = found
                partial[story] = so_far(story, 0.0) + weight * shared
        norm2, sqrt = self._norm2, math.sqrt
        ranked = [(dot / sqrt(norm2[story]), -story, story) for story, dot in partial.items()]
        return [story for _, _, story in heapq.nlargest(options.rescored, ranked)]

    def _best_story(self, terms: Sequence[int], vector: Sequence[float], day: int) -> int | None:
        """The most similar story the article may join, or None. Candidates are the
        stories listed under the article's :data:`CANDIDATE_TERMS` heaviest terms (the
        most recent :data:`STORIES_PER_TERM` of each), ranked by what those terms share;
        the best :data:`RESCORED` within the time window are compared in full."""
        options = self.options
        dated = day != MISSING_DAY
        best, best_similarity = None, 0.0
        for story in self._candidates(terms, vector, day):
            length = math.sqrt(self._norm2[story])
            similarity = sum(map(mul, vector, map(self._centroid(story).get, terms, _ZEROS))) / length
            by_content_alone = not dated or self._first[story] == MISSING_DAY
            needed = options.undated_similarity if by_content_alone else options.join_similarity
            if similarity >= needed and (best is None or similarity > best_similarity):
                best, best_similarity = story, similarity
        return best

    # What the state file keeps

    def representatives(self) -> dict[int, str]:
        """Each story's representative article (the member closest to the centroid, the
        earliest of equals), recomputed for the stories changed since the last call."""
        self._update_representatives()
        return {n: self._vectors.article_id(self._rep[n]) for n in range(1, self.next_story) if self._size[n]}

    def _update_representatives(self) -> None:
        changed = np.flatnonzero(np.frombuffer(self._changed, dtype=np.uint8))
        self._changed[:] = bytes(len(self._changed))
        if self._representatives is not None:
            self._representatives(changed, self._size, self._head, self._next, self._rep, *self._vectors.held(),
                                  self._centroids, self._vector)
            return
        # A part at a time: a list of every changed story's number is ~36 MB at a million.
        for number in chain.from_iterable(changed[at:at + 4096].tolist() for at in range(0, changed.size, 4096)):
            if not self._size[number]:
                continue
            rows = self._rows(number)
            best, best_dot = rows[0], -math.inf
            if len(rows) > 1:
                closeness = self._centroids[number].get
                for row in rows:
                    terms, weights = self._vector(row)
                    dot = sum(map(mul, weights, map(closeness, terms, _ZEROS)))
                    if dot > best_dot:
                        best, best_dot = row, dot
            self._rep[number] = best

    def story_count(self) -> int:
        return self._live

    def columns(self) -> StoryColumns:
        """The live articles' columns, in the order they were placed (representatives
        brought up to date), as the story file and :class:`.storyfile.StoryTable` take them;
        their vectors and headlines come from :meth:`chunks`."""
        self._update_representatives()
        rows = self._live_rows()
        numbers = np.flatnonzero(np.frombuffer(self._size, dtype=np.int32)).astype(np.int64)
        rep_rows = np.searchsorted(rows, np.frombuffer(self._rep, dtype=np.int32)[numbers])
        return StoryColumns(
            rows=rows, story=np.frombuffer(self._story, dtype=np.int32)[rows].astype(np.int64),
            day=np.frombuffer(self._day, dtype=np.int32)[rows], source=np.frombuffer(self._source, dtype=np.int32)[rows],
            source_names=list(self._sources), rep_numbers=numbers, rep_rows=rep_rows)

    def _live_rows(self) -> Array:
        """The rows of the clustered articles, in the order they were placed."""
        return np.flatnonzero(np.frombuffer(self._story, dtype=np.int32) >= 0)

    def ids(self, rows: Array) -> list[str]:
        """The ids of ``rows`` (ascending)."""
        return list(chain.from_iterable(self._vectors.ids(rows)))

    def chunks(self, rows: Array) -> Iterator[RowChunk]:
        """The vectors (term numbers as :meth:`term_names` names them) and headlines of
        ``rows`` (from :meth:`columns`), a part at a time."""
        return self._vectors.chunks(rows)

    @property
    def term_names(self) -> list[str]:
        return self._term_numbers.terms

    def headlines(self, rows: Array) -> list[str]:
        """The headlines of ``rows`` (ascending)."""
        return list(chain.from_iterable(self._vectors.headlines(rows)))

    def close(self) -> None:
        """Remove the temporary files of older vectors (:mod:`.storyrows`)."""
        self._vectors.close()


class StoryColumns(NamedTuple):
    """The live articles of a :class:`StoryClusterer` as columns (:meth:`StoryClusterer.columns`)."""

    rows: Array  # the clusterer's row of each
    story: Array
    day: Array
    source: Array  # ordinal in source_names, -1 for none
    source_names: list[str]
    rep_numbers: Array  # each story's number and its representative's place in ids
    rep_rows: Array


class _Members(Mapping[str, Member]):
    """The members of a :class:`StoryClusterer` by article id, made as they are asked for."""

    def __init__(self, clusterer: StoryClusterer):
        self._clusterer = clusterer

    def __getitem__(self, article_id: str) -> Member:
        c = self._clusterer
        row = c._row_of.get(article_id)
        if row < 0:
            raise KeyError(article_id)
        terms, weights = c._vector(row)
        source = c._source[row]
        return Member(c._story[row], c._day[row], None if source < 0 else c._sources[source], c._vectors.headline(row),
                      tuple(c._term_numbers.terms[t] for t in terms), tuple(weights))

    def __iter__(self) -> Iterator[str]:
        return iter(self._clusterer.ids(self._clusterer._live_rows()))

    def __len__(self) -> int:
        return int(self._clusterer._live_rows().size)


def cluster_all(items: Iterable[tuple[str, str, str, int, str | None]], *,
                options: StoryOptions | None = None, spill_folder: Path | None = None) -> StoryClusterer:
    """Cluster ``(id, headline, body, day, source)`` from scratch, oldest first (undated
    last), as an index without a story file is clustered on its first write or read."""
    ordered = sorted(items, key=lambda item: (item[3] == MISSING_DAY, item[3], item[0]))
    clusterer = StoryClusterer(StoryState(), committed_df=_none, committed_docs=0, options=options,
                               spill_folder=spill_folder)
    clusterer.add_many(ordered)
    return clusterer


def _none(term: str) -> int:
    return 0
