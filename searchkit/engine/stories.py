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
arithmetic gives) and then places each article in order (:meth:`StoryClusterer.place`).
The stories are therefore exactly those of clustering one article at a time, whatever
the number of workers.

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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import mul
from typing import Any, NamedTuple

import numpy as np

from ..analysis import field_terms
from .segment import ChunkAnalyser, Vocabulary

__all__ = [
    "HEADLINE_WEIGHT",
    "JOIN_SIMILARITY",
    "UNDATED_SIMILARITY",
    "STORIES_PER_TERM",
    "TERMS_PER_ARTICLE",
    "WINDOW_DAYS",
    "Member",
    "StoryClusterer",
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


class _Story:
    """A story being clustered: its members, centroid (term -> summed weight), squared
    length and length, its dated members' first and last day, and the days ``lo``..``hi``
    a dated article may have to join it (any day when it has no dated member or there is
    no window)."""

    __slots__ = ("number", "members", "centroid", "norm2", "length", "first", "last", "lo", "hi", "representative")

    def __init__(self, number: int):
        self.number = number
        self.members: list[str] = []
        self.centroid: dict[str, float] = {}
        self.norm2 = 0.0
        self.length = 0.0
        self.first = self.last = MISSING_DAY
        self.lo, self.hi = -math.inf, math.inf
        self.representative = ""


@dataclass
class StoryState:
    """What is persisted: the members by article id, and the next story number."""

    members: dict[str, Member] = field(default_factory=dict)
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

    @property
    def articles(self) -> int:
        return len(self.offsets) - 1


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


def story_counts(articles: Iterable[tuple[str, str]], options: StoryOptions = DEFAULT_OPTIONS, *,
                 analyser: ChunkAnalyser | None = None) -> StoryCounts:
    """The :func:`article_counts` of ``(headline, body)`` pairs, of the headline and the lead
    (the first ``options.lead_chars`` characters of the body), numbered compactly, through
    ``analyser``'s table of token codes (a worker's, which knows the articles' text
    already; by default this process's own)."""
    lead, weight = options.lead_chars, options.headline_weight
    texts: list[str] = []
    for headline, body in articles:
        texts += (body[:lead], headline)
    if analyser is None:
        with _WRITERS_LOCK:
            vocabulary, terms, owner = _WRITERS.text_terms(texts)
    else:
        vocabulary, terms, owner = analyser.text_terms(texts)
    used, local = np.unique(terms, return_inverse=True)
    names = [vocabulary[t] for t in used.tolist()]
    order = sorted(range(len(names)), key=names.__getitem__)
    width = max(len(names), 1)
    down = np.empty(len(names), dtype=np.int64)  # a term's place in descending order
    down[order] = np.arange(len(names) - 1, -1, -1)
    keys, inverse = np.unique((owner >> 1) * width + down[local], return_inverse=True)
    counts = np.bincount(inverse, weights=np.where(owner & 1, weight, 1), minlength=keys.size).astype(np.int64)
    offsets = np.searchsorted(keys // width, np.arange(len(texts) // 2 + 1)).astype(np.int64)
    return StoryCounts([names[n] for n in order], offsets, len(names) - 1 - keys % width, counts)


class StoryClusterer:
    """Assigns articles to stories one at a time (see the module docstring).

    ``committed_df(term)`` is the term's document frequency in the committed index and
    ``committed_docs`` its article count; the clusterer adds what it sees itself.
    An article is added in two steps: :meth:`vectors` turns a run of articles' counts into
    their vectors (with the document frequencies as each article arrives), then
    :meth:`place` puts each in a story; :meth:`add` does both for one article.
    """

    def __init__(self, state: StoryState, *, committed_df: Callable[[str], int], committed_docs: int,
                 options: StoryOptions | None = None):
        self.options = options or DEFAULT_OPTIONS
        self.state = state
        self._committed_df = committed_df
        self._term_numbers = Vocabulary()  # every term seen: its number in _df
        self._df = np.zeros(1024, dtype=np.int64)
        self._logs = np.zeros(2, dtype=np.float64)  # _logs[i] == math.log(i) for i >= 1
        self._docs = committed_docs
        self._stories: dict[int, _Story] = {}
        self._postings: defaultdict[str, list[_Story]] = defaultdict(list)
        self.dirty: set[int] = set()
        for article_id, member in state.members.items():
            story = self._stories.get(member.story)
            if story is None:
                story = self._stories[member.story] = _Story(member.story)
            self._join(story, article_id, member)
        for number, story in self._stories.items():
            story.representative = state.representatives.get(number) or story.members[0]

    # Adding and removing

    def add(self, article_id: str, headline: str, body: str, *, day: int, source: str | None) -> int:
        """Cluster one article (not already a member); returns its story number."""
        (terms, vector), = self.vectors(story_counts([(headline, body)], self.options))
        return self.place(article_id, headline, terms, vector, day=day, source=source)

    def add_many(self, items: Iterable[tuple[str, str, str, int, str | None]]) -> list[int]:
        """Cluster ``(id, headline, body, day, source)`` in order; returns their story numbers."""
        numbers: list[int] = []
        items = iter(items)
        while batch := list(islice(items, BATCH)):
            vectors = self.vectors(story_counts(((item[1], item[2]) for item in batch), self.options))
            for (article_id, headline, _, day, source), (terms, vector) in zip(batch, vectors):
                numbers.append(self.place(article_id, headline, terms, vector, day=day, source=source))
        return numbers

    def _log(self, upto: int) -> Array:
        """The table of ``math.log`` (the very values the formula in the module docstring
        takes, so the weights do not depend on numpy's log) up to ``upto``."""
        logs = self._logs
        if logs.size <= upto:
            size = max(upto + 1, 2 * logs.size)
            logs = self._logs = np.concatenate((logs, np.array([math.log(i) for i in range(logs.size, size)])))
        return logs

    def _numbers(self, terms: list[str]) -> Array:
        """The clusterer's numbers of ``terms``, numbering new ones (their document
        frequency starts at the committed one)."""
        numbers = self._term_numbers
        start = len(numbers)
        found = np.fromiter(map(numbers.__getitem__, terms), dtype=np.int64, count=len(terms))
        if len(numbers) > start:
            if self._df.size < len(numbers):
                grown = np.zeros(max(len(numbers), 2 * self._df.size), dtype=np.int64)
                grown[:self._df.size] = self._df
                self._df = grown
            committed = self._committed_df
            self._df[start:len(numbers)] = [committed(term) for term in numbers.terms[start:]]
        return found

    def vectors(self, counts: StoryCounts) -> list[tuple[tuple[str, ...], tuple[float, ...]]]:
        """The vectors (terms, weights) of a run of articles, in order, each as the module
        docstring says: the document frequencies and the article count include the
        articles before it. This counts them as added (call :meth:`place` for each)."""
        n = counts.articles
        if n == 0:
            return []
        lengths = np.diff(counts.offsets)
        article = np.repeat(np.arange(n, dtype=np.int64), lengths)
        term = self._numbers(counts.terms)[counts.ids]
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
        keep = place < self.options.terms_per_article
        chosen = ranked[keep]
        kept_article, kept_place, kept_weight = article[keep], place[keep], weight[chosen]
        # Each article's length: the squares summed in order (a row's cumulative sum).
        squares = np.zeros((n, max(int(kept_place.max(initial=0)) + 1, 1)), dtype=np.float64)
        squares[kept_article, kept_place] = kept_weight * kept_weight
        norm = np.sqrt(np.cumsum(squares, axis=1)[:, -1])
        norm[norm == 0.0] = 1.0
        weights = (kept_weight / norm[kept_article]).tolist()
        names = list(map(self._term_numbers.terms.__getitem__, term[chosen].tolist()))
        bounds = np.concatenate(([0], np.cumsum(np.minimum(lengths, self.options.terms_per_article)))).tolist()
        return [(tuple(names[a:b]), tuple(weights[a:b])) for a, b in zip(bounds, bounds[1:])]

    def place(self, article_id: str, headline: str, terms: tuple[str, ...], vector: tuple[float, ...], *,
              day: int, source: str | None) -> int:
        """Put an article (not already a member) with its vector from :meth:`vectors` in
        the best story, or a new one; returns the story's number."""
        story = self._best_story(terms, vector, day)
        if story is None:
            story = self._stories[self.state.next_story] = _Story(self.state.next_story)
            self.state.next_story += 1
        member = Member(story.number, day, source, headline, terms, vector)
        self.state.members[article_id] = member
        self._join(story, article_id, member)
        self.dirty.add(story.number)
        return story.number

    def remove(self, article_id: str) -> bool:
        """Take an article out of its story; False if it was not a member."""
        member = self.state.members.pop(article_id, None)
        if member is None:
            return False
        story = self._stories[member.story]
        story.members.remove(article_id)
        self.dirty.add(story.number)
        if not story.members:
            story.centroid.clear()
            del self._stories[story.number]
            return True
        centroid = story.centroid
        for term, weight in zip(member.terms, member.weights):
            left = centroid.get(term, 0.0) - weight
            if left > 1e-9:
                centroid[term] = left
            else:
                centroid.pop(term, None)
        story.norm2 = sum(w * w for w in centroid.values())
        story.length = math.sqrt(story.norm2)
        members = self.state.members
        days = [members[m].day for m in story.members if members[m].day != MISSING_DAY]
        self._days(story, *((min(days), max(days)) if days else (MISSING_DAY, MISSING_DAY)))
        return True

    def _days(self, story: _Story, first: int, last: int) -> None:
        story.first, story.last = first, last
        window = self.options.window_days
        if window is None or first == MISSING_DAY:
            story.lo, story.hi = -math.inf, math.inf
        else:
            story.lo, story.hi = first - window, last + window

    def _join(self, story: _Story, article_id: str, member: Member) -> None:
        story.members.append(article_id)
        centroid, postings = story.centroid, self._postings
        if not centroid:  # each term new: the loop below in one step (0.0 + w is w)
            centroid.update(zip(member.terms, member.weights))
            story.norm2 += sum(map(mul, member.weights, member.weights))
            for term in member.terms:
                postings[term].append(story)
        else:
            norm2 = story.norm2
            for term, weight in zip(member.terms, member.weights):
                old = centroid.get(term)
                if old is None:
                    old = 0.0
                    postings[term].append(story)
                centroid[term] = old + weight
                norm2 += 2 * old * weight + weight * weight
            story.norm2 = norm2
        story.length = math.sqrt(story.norm2)
        day = member.day
        if day != MISSING_DAY:
            if story.first == MISSING_DAY:
                self._days(story, day, day)
            elif day < story.first or day > story.last:
                self._days(story, min(story.first, day), max(story.last, day))

    def _best_story(self, terms: tuple[str, ...], vector: tuple[float, ...], day: int) -> _Story | None:
        """The most similar story the article may join, or None. Candidates are the
        stories listed under the article's :data:`CANDIDATE_TERMS` heaviest terms (the
        most recent :data:`STORIES_PER_TERM` of each), ranked by what those terms share;
        the best :data:`RESCORED` within the time window are compared in full."""
        options = self.options
        limit = -options.stories_per_term
        partial: dict[_Story, float] = {}
        so_far = partial.get
        listings = self._postings.get
        for term, weight in zip(terms[:options.candidate_terms], vector):
            listed = listings(term)
            if listed:
                for story in listed[limit:]:
                    shared = story.centroid.get(term)
                    if shared is not None:
                        partial[story] = so_far(story, 0.0) + weight * shared
        if not partial:
            return None
        if day == MISSING_DAY:
            ranked = [(dot / story.length, -story.number, story) for story, dot in partial.items()]
        else:
            ranked = [(dot / story.length, -story.number, story) for story, dot in partial.items()
                      if story.lo <= day <= story.hi]
        best, best_similarity = None, 0.0
        for _, _, story in heapq.nlargest(options.rescored, ranked):
            similarity = sum(map(mul, vector, map(story.centroid.get, terms, _ZEROS))) / story.length
            by_content_alone = day == MISSING_DAY or story.first == MISSING_DAY
            needed = options.undated_similarity if by_content_alone else options.join_similarity
            if similarity >= needed and (best is None or similarity > best_similarity):
                best, best_similarity = story, similarity
        return best

    # What the state file keeps

    def representatives(self) -> dict[int, str]:
        """Each story's representative article (the member closest to the centroid, the
        earliest of equals), recomputed for the stories changed since the last call."""
        members = self.state.members
        for number in self.dirty:
            story = self._stories.get(number)
            if story is None:
                continue
            best, best_dot = story.members[0], -math.inf
            if len(story.members) > 1:
                closeness = story.centroid.get
                for article_id in story.members:
                    member = members[article_id]
                    dot = sum(map(mul, member.weights, map(closeness, member.terms, _ZEROS)))
                    if dot > best_dot:
                        best, best_dot = article_id, dot
            story.representative = best
        self.dirty.clear()
        self.state.representatives = {n: s.representative for n, s in self._stories.items()}
        return self.state.representatives

    def story_count(self) -> int:
        return len(self._stories)


def cluster_all(items: Iterable[tuple[str, str, str, int, str | None]], *,
                options: StoryOptions | None = None) -> StoryClusterer:
    """Cluster ``(id, headline, body, day, source)`` from scratch, oldest first (undated
    last), as an index without a story file is clustered on its first write or read."""
    ordered = sorted(items, key=lambda item: (item[3] == MISSING_DAY, item[3], item[0]))
    clusterer = StoryClusterer(StoryState(), committed_df=_none, committed_docs=0, options=options)
    clusterer.add_many(ordered)
    return clusterer


def _none(term: str) -> int:
    return 0
