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
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..analysis import field_terms

__all__ = [
    "HEADLINE_WEIGHT",
    "JOIN_SIMILARITY",
    "UNDATED_SIMILARITY",
    "STORIES_PER_TERM",
    "TERMS_PER_ARTICLE",
    "WINDOW_DAYS",
    "Member",
    "StoryClusterer",
    "StoryOptions",
    "StoryState",
    "article_counts",
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
class _Story:
    number: int
    members: list[str] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    norm2: float = 0.0
    first: int = MISSING_DAY
    last: int = MISSING_DAY
    representative: str = ""


@dataclass
class StoryState:
    """What is persisted: the members by article id, and the next story number."""

    members: dict[str, Member] = field(default_factory=dict)
    next_story: int = 1
    representatives: dict[int, str] = field(default_factory=dict)


def article_counts(headline: str, body: str, headline_weight: int) -> dict[str, int]:
    """Term counts of an article, its headline's terms counted ``headline_weight`` times."""
    counts = Counter(field_terms(body)[0])
    for term in field_terms(headline)[0]:
        counts[term] += headline_weight
    return counts


class StoryClusterer:
    """Assigns articles to stories one at a time (see the module docstring).

    ``committed_df(term)`` is the term's document frequency in the committed index and
    ``committed_docs`` its article count; the clusterer adds what it sees itself.
    """

    def __init__(self, state: StoryState, *, committed_df: Callable[[str], int], committed_docs: int,
                 options: StoryOptions | None = None):
        self.options = options or StoryOptions()
        self.state = state
        self._committed_df = committed_df
        self._df_cache: dict[str, int] = {}
        self._docs = committed_docs
        self._stories: dict[int, _Story] = {}
        self._postings: dict[str, list[_Story]] = {}
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
        options = self.options
        counts = article_counts(headline, body[:options.lead_chars], options.headline_weight)
        self._docs += 1
        docs = self._docs
        cache, committed, log = self._df_cache, self._committed_df, math.log
        most = log(docs + 1) + 1.0  # the idf of a term no other article has had
        weights: list[tuple[float, str]] = []
        for term, count in counts.items():
            df = cache.get(term)
            if df is None:
                df = committed(term)
            df += 1
            cache[term] = df
            weights.append(((1.0 + log(count)) * (most - log(df + 1)), term))
        top = heapq.nlargest(options.terms_per_article, weights)  # ties: the later term, so always the same
        norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
        terms = tuple(t for _, t in top)
        vector = tuple(w / norm for w, _ in top)
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
        members = self.state.members
        days = [members[m].day for m in story.members if members[m].day != MISSING_DAY]
        story.first, story.last = (min(days), max(days)) if days else (MISSING_DAY, MISSING_DAY)
        return True

    def _join(self, story: _Story, article_id: str, member: Member) -> None:
        story.members.append(article_id)
        centroid, postings = story.centroid, self._postings
        norm2 = story.norm2
        for term, weight in zip(member.terms, member.weights):
            old = centroid.get(term)
            if old is None:
                old = 0.0
                listed = postings.get(term)
                if listed is None:
                    postings[term] = [story]
                else:
                    listed.append(story)
            centroid[term] = old + weight
            norm2 += 2 * old * weight + weight * weight
        story.norm2 = norm2
        if member.day != MISSING_DAY:
            story.first = member.day if story.first == MISSING_DAY else min(story.first, member.day)
            story.last = member.day if story.last == MISSING_DAY else max(story.last, member.day)

    def _best_story(self, terms: tuple[str, ...], vector: tuple[float, ...], day: int) -> _Story | None:
        """The most similar story the article may join, or None. Candidates are the
        stories listed under the article's :data:`CANDIDATE_TERMS` heaviest terms (the
        most recent :data:`STORIES_PER_TERM` of each), ranked by what those terms share;
        the best :data:`RESCORED` within the time window are compared in full."""
        options = self.options
        limit = options.stories_per_term
        partial: dict[int, float] = {}
        found: dict[int, _Story] = {}
        postings = self._postings
        for term, weight in zip(terms[:options.candidate_terms], vector):
            listed = postings.get(term)
            if listed:
                for story in listed[-limit:]:
                    shared = story.centroid.get(term)
                    if shared is not None:
                        number = story.number
                        partial[number] = partial.get(number, 0.0) + weight * shared
                        found[number] = story
        if not partial:
            return None
        window = options.window_days
        ranked = []
        for number, dot in partial.items():
            story = found[number]
            if window is not None and day != MISSING_DAY and story.first != MISSING_DAY and (
                    day < story.first - window or day > story.last + window):
                continue
            ranked.append((dot / math.sqrt(story.norm2), -number))
        best, best_similarity = None, 0.0
        for _, negative in heapq.nlargest(options.rescored, ranked):
            story = found[-negative]
            centroid = story.centroid
            similarity = sum(w * centroid.get(t, 0.0) for t, w in zip(terms, vector)) / math.sqrt(story.norm2)
            by_content_alone = day == MISSING_DAY or story.first == MISSING_DAY
            needed = options.undated_similarity if by_content_alone else options.join_similarity
            if similarity >= needed and (best is None or similarity > best_similarity):
                best, best_similarity = story, similarity
        return best

    # What the state file keeps

    def representatives(self) -> dict[int, str]:
        """Each story's representative article (the member closest to the centroid),
        recomputed for the stories changed since the last call."""
        members = self.state.members
        for number in self.dirty:
            story = self._stories.get(number)
            if story is None:
                continue
            centroid = story.centroid

            def closeness(article_id: str) -> tuple[float, int]:
                member = members[article_id]
                dot = sum(w * centroid.get(t, 0.0) for t, w in zip(member.terms, member.weights))
                return dot, -story.members.index(article_id)

            story.representative = max(story.members, key=closeness)
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
    for article_id, headline, body, day, source in ordered:
        clusterer.add(article_id, headline, body, day=day, source=source)
    return clusterer


def _none(term: str) -> int:
    return 0
