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
from .models import Article, Recency, SearchResults
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
        """Add (or replace) one article when the batch ends."""

    def add_many(self, articles: Iterable[Article | Mapping[str, Any]]) -> AddReport:
        """Add articles when the batch ends; the report counts as the index's ``add_many``."""

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id when the batch ends; returns how many there are."""


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
        """Search the index; the options are :meth:`searchkit.Index.search`'s on every backend."""
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


    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article; durable when it returns."""

    def add_many(
        self,
        articles: Iterable[Article | Mapping[str, Any]],
        *,
        progress: Callable[[Progress], object] | None = None,
    ) -> AddReport:
        """Add articles, replacing any with the same id; invalid ones are reported, the rest indexed."""

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id; returns how many were in the index."""

    def batch(self) -> WriteBatch:
        """Several writes published together at the end of a ``with`` block, none on an
        exception; another batch or a direct write in the same thread is refused with
        :class:`~searchkit.errors.BatchError`."""

    def __len__(self) -> int: ...

    def __contains__(self, article_id: object) -> bool: ...

    def articles(self) -> Iterator[Article]:
        """Every article in the index."""

    def stats(self) -> IndexStats:
        """Counts, date span and size of the index."""

    def check(self) -> CheckReport:
        """Verify the index and report what is wrong."""

    def refresh(self) -> None:
        """See the latest commit now."""

    def close(self) -> None:
        """Release what the index holds (maps, files, connections); it cannot be used afterwards."""


def open_index(target: str | os.PathLike[str], **options: Any) -> SearchIndex:
    """Open an existing index: an ``http(s)://`` URL is an OpenSearch index
    (:meth:`OpenSearchIndex.open <searchkit.opensearch.OpenSearchIndex.open>`), anything else
    a folder path or a bare name under ``indexes/`` (:meth:`Index.open`, after
    :func:`~searchkit.index.resolve_index_path`). ``options`` go to that ``open``."""
    from .opensearch.connection import is_index_url

    if is_index_url(target):
        from .opensearch import OpenSearchIndex

        return OpenSearchIndex.open(str(target), **options)
    return Index.open(resolve_index_path(target), **options)
