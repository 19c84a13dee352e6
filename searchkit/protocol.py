"""The one typed interface of a searchkit index, whichever backend holds it.

:class:`~searchkit.index.Index` (a folder) and
:class:`~searchkit.opensearch.OpenSearchIndex` (a cluster) both implement
:class:`SearchIndex`, so application code written against it runs on either::

    def latest(index: searchkit.SearchIndex) -> list[str]:
        return [hit.id for hit in index.search("*", sort="newest").hits]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Literal, Protocol, runtime_checkable

from .engine.facets import DateInterval
from .engine.related import RelatedMode
from .engine.search import SortOrder
from .index import AddReport, CheckReport, Index, IndexStats, Progress, resolve_index_path
from .models import Article, Recency, SearchResults, Story
from .query import QueryMode

__all__ = ["SearchIndex", "WriteBatch", "open_index"]


@runtime_checkable
class WriteBatch(Protocol):
    """Writes published together: what :meth:`SearchIndex.batch` gives, to use in a ``with``
    block (:class:`~searchkit.index.Batch` on a folder,
    :class:`~searchkit.opensearch.batch.OpenSearchBatch` on a cluster). Everything on a
    clean exit, nothing on an exception."""

    def __enter__(self) -> WriteBatch: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None: ...

    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article when the batch ends.

        Args:
            article: An article, or a mapping of its fields.

        Returns:
            What this call did.
        """

    def add_many(self, articles: Iterable[Article | Mapping[str, Any]]) -> AddReport:
        """Add articles when the batch ends; the report counts as the index's ``add_many``.

        Args:
            articles: Articles, or mappings of their fields.

        Returns:
            What this call did.
        """

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id when the batch ends.

        Args:
            article_ids: The ids to delete.

        Returns:
            How many of them there are.
        """


@runtime_checkable
class SearchIndex(Protocol):
    """What every searchkit index offers: add, read, delete, search, describe."""

    def search(
        self,
        query: str = "",
        *,
        sources: Sequence[str] | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sort: SortOrder = "relevance",
        limit: int = 10,
        page: int = 1,
        cursor: str | None = None,
        date_interval: DateInterval | Literal["auto"] = "auto",
        mode: QueryMode = "auto",
        strict: bool = False,
        snippets: bool = True,
        facets: bool = True,
        source_facet_limit: int | None = 20,
        snippet_chars: int = 240,
        suggest_spelling: bool = True,
        time_limit: float | None = 10.0,
        feedback: bool = False,
        recency: str | Recency | None = None,
        diversify: Literal["source"] | None = None,
        explain: bool = False,
        collapse: Literal["duplicates", "story"] | None = None,
        facet_counts: Literal["articles", "groups"] = "groups",
    ) -> SearchResults:
        """Search the index; the options are :meth:`searchkit.Index.search`'s on every backend
        (a backend refuses by name, with :class:`~searchkit.errors.QueryError`, an option it
        does not have).

        Args:
            query: The query, in searchkit's query syntax.
            sources: Only articles from these sources.
            since: Only articles dated on or after this day.
            until: Only articles dated on or before this day.
            sort: ``"relevance"``, ``"newest"`` or ``"oldest"``.
            limit: Hits per page.
            page: The page, from 1.
            cursor: A previous page's ``next_cursor``, to continue after it.
            date_interval: The date facet's bucket, or ``"auto"``.
            mode: How plain words combine: ``"all"``, ``"any"`` or ``"auto"``.
            strict: Refuse a malformed query instead of skipping its bad parts.
            snippets: Give each hit highlighted snippets.
            facets: Count the matches by source and date.
            source_facet_limit: Most sources in the source facet.
            snippet_chars: About how long a snippet is.
            suggest_spelling: Suggest a respelled query when few articles match.
            time_limit: Seconds the search may run.
            feedback: Re-rank with pseudo-relevance feedback.
            recency: A half-life (``"30d"``) or a :class:`~searchkit.Recency`.
            diversify: ``"source"``: outlets take turns at the top.
            explain: Give each hit an explanation of its score.
            collapse: ``"duplicates"``: one hit per group of near-duplicates.
            facet_counts: With ``collapse``: count groups (default) or articles in the facets.

        Returns:
            One page of results.

        Raises:
            QueryError: An argument is wrong, or names an option the backend lacks.
        """

    def related(
        self,
        article_id: str,
        *,
        mode: RelatedMode = "coverage",
        limit: int = 10,
        sources: Sequence[str] | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
    ) -> SearchResults:
        """Articles related to one (:meth:`searchkit.Index.related`); an OpenSearch index
        refuses it with a :class:`~searchkit.errors.QueryError` naming it.

        Args:
            article_id: The id of an article in the index.
            mode: ``"coverage"`` or ``"background"``.
            limit: How many hits.
            sources: Only articles from these sources.
            since: Only articles dated on or after this day.
            until: Only articles dated on or before this day.

        Returns:
            A page of related articles.

        Raises:
            ArticleNotFoundError: No article has this id.
            QueryError: A wrong argument, or a backend without it.
        """

    def story(self, article_id: str) -> Story:
        """The news story of an article (:meth:`searchkit.Index.story`); an OpenSearch
        index refuses it with a :class:`~searchkit.errors.QueryError` naming it.

        Args:
            article_id: The id of an article in the index.

        Returns:
            Its story.

        Raises:
            ArticleNotFoundError: No article has this id.
            QueryError: A backend without stories.
        """

    def stories(self, query: str = "", *, since: date | str | None = None, until: date | str | None = None,
                sources: Sequence[str] | str | None = None, limit: int = 20) -> list[Story]:
        """The news stories, largest and most recent first (:meth:`searchkit.Index.stories`);
        an OpenSearch index refuses it with a :class:`~searchkit.errors.QueryError` naming it.

        Args:
            query: Only stories with an article matching it; ``""``: all.
            since: Only stories with an article dated on or after this day.
            until: Only stories with an article dated on or before this day.
            sources: Only stories with an article from these outlets.
            limit: How many stories.

        Returns:
            The stories.

        Raises:
            QueryError: A wrong argument, or a backend without stories.
        """

    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article; durable when it returns.

        Args:
            article: An article, or a mapping of its fields.

        Returns:
            What was done; an invalid article is in ``rejected``.
        """

    def add_many(
        self,
        articles: Iterable[Article | Mapping[str, Any]],
        *,
        progress: Callable[[Progress], object] | None = None,
    ) -> AddReport:
        """Add articles, replacing any with the same id; invalid ones are reported, the rest indexed.

        Args:
            articles: Articles, or mappings of their fields.
            progress: Called with a :class:`~searchkit.Progress` now and then and at the end.

        Returns:
            Counts of added, replaced and unchanged articles, and every rejection.
        """

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None.

        Args:
            article_id: The article's id.

        Returns:
            The article, or None.
        """

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id.

        Args:
            article_ids: The ids to delete.

        Returns:
            How many of them were in the index.
        """

    def batch(self) -> WriteBatch:
        """Several writes published together at the end of a ``with`` block, none on an
        exception; another batch or a direct write in the same thread is refused with
        :class:`~searchkit.errors.BatchError`.

        Returns:
            A batch, to use in a ``with`` block.
        """

    def __len__(self) -> int: ...

    def __contains__(self, article_id: object) -> bool: ...

    def articles(self) -> Iterator[Article]:
        """Every article in the index.

        Yields:
            Each article once.
        """

    def stats(self) -> IndexStats:
        """Counts, date span and size of the index.

        Returns:
            The figures.
        """

    def check(self) -> CheckReport:
        """Verify the index and report what is wrong.

        Returns:
            The report; ``ok`` is False when something is wrong.
        """

    def refresh(self) -> None:
        """See the latest commit now."""

    def close(self) -> None:
        """Release what the index holds (maps, files, connections); it cannot be used afterwards."""


def open_index(target: str | os.PathLike[str], **options: Any) -> SearchIndex:
    """Open an existing index: an ``http(s)://`` URL is an OpenSearch index
    (:meth:`OpenSearchIndex.open <searchkit.opensearch.OpenSearchIndex.open>`), anything else
    a folder path or a bare name under ``indexes/`` (:meth:`Index.open`, after
    :func:`~searchkit.index.resolve_index_path`).

    Args:
        target: An index URL, a folder path, or a bare name under ``indexes/``.
        **options: Keyword options of that ``open``.

    Returns:
        The index, as the :class:`SearchIndex` both backends are.

    Raises:
        IndexNotFoundError: There is no index there.
        UnsafePathError: A bare name that is not a valid index name.

    Examples:
        >>> open_index("news").stats().articles
        30
    """
    from .opensearch.connection import is_index_url

    if is_index_url(target):
        from .opensearch import OpenSearchIndex

        return OpenSearchIndex.open(str(target), **options)
    return Index.open(resolve_index_path(target), **options)
