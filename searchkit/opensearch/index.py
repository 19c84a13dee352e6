""":class:`OpenSearchIndex`: searchkit's index API on an OpenSearch cluster.

The same :class:`~searchkit.models.Article` in, the same :class:`~searchkit.models.SearchResults`,
:class:`~searchkit.index.AddReport` and :class:`~searchkit.index.IndexStats` out, as
:class:`~searchkit.index.Index`; only the target is a URL (``http://host:9200/news``).

Writes go in bulk requests of :data:`BULK_CHUNK` articles, up to :data:`BULK_IN_FLIGHT`
sent at once while the next chunk is analysed. An article already in the
index with the same content (the SHA-256 of its JSON form, kept in ``content_hash``) is
left alone and counted ``unchanged``; one with the same id and other content is
``replaced``; an id written earlier in the same call counts ``replaced`` again, as in the
embedded index. An article the cluster refuses is reported in ``rejected`` with the
cluster's reason and the rest of the batch lands; items refused with 429 (busy) or 503 (a shard
unavailable, e.g. while a node is lost) are
retried with backoff. Bulk requests return once the primary and the in-sync replicas have
indexed and written the articles to their translogs (OpenSearch's default
``index.translog.durability: request``), so a call is durable when it returns; the index is
refreshed once at the end of every call, so what it added is searchable when it returns.

Searches are translated by :mod:`searchkit.opensearch.translate`; facets use a
``post_filter`` with filtered aggregations (the multi-select rule of the embedded index);
snippets are made by searchkit's own :func:`searchkit.snippets.make_snippets` from the
stored text, so they are the embedded index's, offsets included.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import orjson

from ..analysis import field_terms
from ..arguments import check_search_arguments
from ..engine.execute import Ranking
from ..engine.facets import DateInterval, _all_starts, _bucket_starts, choose_interval
from ..engine.fuzzy import within_distance
from ..engine.notes import search_notes
from ..engine.related import RelatedMode
from ..engine.search import MAX_HIT_HEADLINE_CHARS, SortOrder
from ..engine.segment import FIELDS, source_key
from ..engine.snapshot import Snapshot
from ..errors import (
    BatchError,
    ClusterError,
    IndexExistsError,
    IndexURLError,
    IndexVersionError,
    QueryError,
    QueryTooComplexError,
)
from ..index import AddReport, CheckReport, IndexStats, Progress, Rejection, article_or_rejection, reader_rejections
from ..models import Article, FacetValue, Facets, Hit, Recency, SearchResults, Story
from ..query import Query, QueryMode, parse_query
from ..snippets import HighlightSpec, make_snippets
from .connection import DEFAULT_TIMEOUT, ClusterTarget, make_client, parse_index_url, translated_errors
from .mapping import MAPPING_VERSION, article_from_source, content_hash, document, field_repeats, index_body
from .translate import Translation, date_filter, decayed, translate

if TYPE_CHECKING:
    from concurrent.futures import Future

    from opensearchpy import OpenSearch

    from .batch import OpenSearchBatch

__all__ = ["BULK_CHUNK", "MAX_RESULT_WINDOW", "OpenSearchIndex"]

BULK_CHUNK = 500  # articles per bulk request
# Bulk requests add_many has sent and not settled, at the most, while it reads and analyses
# the next chunk (0: none, each chunk is sent and settled before the next is read). On the
# 2-core test machine 1 was fastest: 2 made the cluster's JVMs compete for the same cores.
BULK_IN_FLIGHT = 1
MAX_ID_BYTES = 512  # OpenSearch's limit on _id
MAX_RESULT_WINDOW = 10_000  # OpenSearch's index.max_result_window: deeper pages need a cursor
SOURCE_SHARD_SIZE = 10_000  # source facet counts are exact while an index has fewer sources
_BULK_RETRIES = 5
_RETRIED_STATUSES = frozenset((429, 503))  # a bulk item refused as busy or unavailable is sent again
_EPOCH = date(1970, 1, 1)
_DAY_MS = 86_400_000
_UNDATED_LAST = "_last"
Action = tuple[int, Article, str]  # record number, article, "added" or "replaced"


def _sort_spec(sort: SortOrder) -> list[dict[str, Any]]:
    """The embedded index's order: relevance is score, newer, id; newest/oldest are date
    (undated last), score, id."""
    by_id = {"id": {"order": "asc"}}
    if sort == "relevance":
        return [{"_score": {"order": "desc"}}, {"date": {"order": "desc", "missing": _UNDATED_LAST}}, by_id]
    order = "desc" if sort == "newest" else "asc"
    return [{"date": {"order": order, "missing": _UNDATED_LAST}}, {"_score": {"order": "desc"}}, by_id]


class OpenSearchIndex:
    """A searchkit index on an OpenSearch cluster. Use :meth:`create` or :meth:`open`.

    It offers what :class:`~searchkit.SearchIndex` describes, as :class:`~searchkit.Index`
    does on a folder; needs ``pip install "searchkit[opensearch]"``.

    Args:
        target: The parsed index URL and connection settings.
        client: The opensearch-py client.
        ranking: The BM25F parameters the index was created with.
        repeats: How many times each field is indexed, to weigh it (from the mapping).

    Attributes:
        ranking: The BM25F parameters the index was created with.
    """

    def __init__(self, target: ClusterTarget, client: OpenSearch, *, ranking: Ranking,
                 repeats: tuple[tuple[str, int], ...]):
        self._target = target
        self._client = client
        self.ranking = ranking
        self._repeats = repeats
        self._source_names: dict[str, str] = {}
        self._batch_thread: int | None = None  # the thread with a batch open, if any

    # Opening

    @classmethod
    def create(cls, url: str, *, shards: int = 3, replicas: int = 1, ranking: Ranking | None = None,
               username: str | None = None, password: str | None = None, api_key: str | None = None,
               verify_certs: bool = True, ca_file: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> OpenSearchIndex:
        """Create an empty index at ``url``; :class:`IndexExistsError` if the cluster has one by that name.

        Args:
            url: ``http(s)://host:port/name``, credentials in it or given below.
            shards: Primary shards (1 or more).
            replicas: Copies of each shard (0 or more).
            ranking: BM25F parameters, fixed in the index's settings (default :class:`Ranking()`).
            username: For HTTP basic authentication (else ``$SEARCHKIT_OPENSEARCH_USER``).
            password: For HTTP basic authentication (else ``$SEARCHKIT_OPENSEARCH_PASSWORD``).
            api_key: An API key instead of a username and password.
            verify_certs: Check the cluster's TLS certificate.
            ca_file: A CA bundle to check it with.
            timeout: Seconds a request may take.

        Returns:
            The new, empty index.

        Raises:
            IndexExistsError: The cluster already has an index by that name.
            IndexURLError: The URL or a setting is malformed (``shards=0``...).
            ClusterError: The cluster refused or could not be reached.
            MissingExtraError: opensearch-py is not installed.
        """
        for name, value, low in (("shards", shards, 1), ("replicas", replicas, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise IndexURLError(f"{name}={value!r} must be a whole number of at least {low}")
        target = parse_index_url(url, username=username, password=password, api_key=api_key,
                                 verify_certs=verify_certs, ca_file=ca_file, timeout=timeout)
        client = make_client(target)
        ranking = ranking or Ranking()
        index = cls(target, client, ranking=ranking, repeats=field_repeats(ranking))
        opensearchpy = _opensearchpy()
        with translated_errors(target, "creating the index"):
            if client.indices.exists(index=target.index):  # an index or an alias by that name
                raise IndexExistsError(target.display)
            try:
                body = index_body(shards=shards, replicas=replicas, ranking=index.ranking)
                client.indices.create(index=_concrete_name(target.index), body={**body, "aliases": {target.index: {}}})
            except opensearchpy.RequestError as exc:
                if exc.error in ("resource_already_exists_exception", "invalid_alias_name_exception"):
                    raise IndexExistsError(target.display) from None
                raise
        return index

    @classmethod
    def open(cls, url: str, *, ranking: Ranking | None = None, username: str | None = None,
             password: str | None = None, api_key: str | None = None, verify_certs: bool = True,
             ca_file: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> OpenSearchIndex:
        """Open the index at ``url``: :class:`IndexNotFoundError` if the cluster has none by that name,
        :class:`IndexVersionError` if another searchkit version made it.

        BM25's ``k1`` and ``b`` and the field weights are fixed when the index is created
        (its similarity settings and ``_meta.field_repeats``); ``ranking`` here changes nothing
        that the cluster scores.

        Args:
            url: ``http(s)://host:port/name`` (an alias works too).
            ranking: Kept as the object's ``ranking``; the cluster scores with its own.
            username: For HTTP basic authentication, as :meth:`create` takes it.
            password: For HTTP basic authentication, as :meth:`create` takes it.
            api_key: An API key instead of a username and password.
            verify_certs: Check the cluster's TLS certificate.
            ca_file: A CA bundle to check it with.
            timeout: Seconds a request may take.

        Returns:
            The index.

        Raises:
            IndexNotFoundError: The cluster has no index by that name.
            IndexVersionError: Another searchkit version (or not searchkit) made it.
            ClusterError: The cluster refused or could not be reached.
        """
        target = parse_index_url(url, username=username, password=password, api_key=api_key,
                                 verify_certs=verify_certs, ca_file=ca_file, timeout=timeout)
        client = make_client(target)
        with translated_errors(target, "opening the index"):
            found = client.indices.get_mapping(index=target.index)
        metas = [(name, (body.get("mappings") or {}).get("_meta") or {}) for name, body in found.items()]
        for name, meta in metas:
            version = meta.get("searchkit_mapping_version")
            if version != MAPPING_VERSION:
                made_by = f"searchkit mapping version {version}" if version is not None else "something other than searchkit"
                raise IndexVersionError(
                    f"{target.display} (index {name}) was made by {made_by}; this searchkit reads version "
                    f"{MAPPING_VERSION}. Rebuild it with this searchkit: searchkit reindex {target.display} "
                    f"{target.display} (or OpenSearchIndex.rebuild(url)) copies its articles into a new index and "
                    f"points the name {target.index!r} at it in one step; searches keep working meanwhile"
                )
        repeats = metas[0][1].get("field_repeats") if metas else None
        if not isinstance(repeats, dict) or set(repeats) != set(FIELDS):
            raise IndexVersionError(f"{target.display} has no valid field_repeats in its mapping's _meta; rebuild it")
        return cls(target, client, ranking=ranking or Ranking(),
                   repeats=tuple((name, int(repeats[name])) for name in FIELDS))

    @property
    def url(self) -> str:
        """The index URL, without credentials."""
        return self._target.display

    def __repr__(self) -> str:
        return f"OpenSearchIndex({self.url!r})"

    def __enter__(self) -> OpenSearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections to the cluster (the index stays)."""
        with translated_errors(self._target, "closing the connection"):
            self._client.close()

    def drop(self) -> None:
        """Delete the whole index from the cluster, articles and all (the index behind its
        name, and the name). There is no undo."""
        with translated_errors(self._target, "deleting the index"):
            concrete = sorted(self._client.indices.get(index=self._target.index))
            self._client.indices.delete(index=",".join(concrete))

    @classmethod
    def rebuild(cls, url: str, *, shards: int | None = None, replicas: int | None = None,
                progress: Callable[[Progress], object] | None = None, **connection: Any) -> AddReport:
        """Rebuild the index at ``url`` with this searchkit, under the same name, while it serves.

        Every article is copied into a new index (``<name>__v<version>_<time>``) made with
        this searchkit's mapping; then, in one atomic request, the name ``url`` gives becomes
        an alias of the new index, and the old index is dropped (an old plain index of that
        name is removed in the same request, which is what frees the name). Searches through
        the name see the old index until that moment and the new one after it. If the copy
        fails, the new index is dropped and the old one is left as it was. Writes made to
        the old index during the copy are not carried over: pause writers while it runs.

        Args:
            url: ``http(s)://host:port/name``: an alias made by :meth:`create`, or an index
                made by an earlier searchkit.
            shards: Primary shards of the new index (default: the old one's).
            replicas: Replicas of the new index (default: the old one's).
            progress: Called with the copy's progress, as by :meth:`add_many`.
            connection: ``username``, ``password``, ``api_key``, ``verify_certs``, ``ca_file``,
                ``timeout``, as for :meth:`open`.

        Returns:
            The :class:`~searchkit.index.AddReport` of the copy.

        Raises:
            IndexNotFoundError: The cluster has no index by that name.
            IndexURLError: The URL or a setting is malformed.
            ClusterError: The cluster failed; the old index is still in place.
        """
        target = parse_index_url(url, **connection)
        client = make_client(target)
        with translated_errors(target, "reading the index to rebuild"):
            found = client.indices.get(index=target.index)
        old = sorted(found)
        settings = found[old[0]]["settings"]["index"]
        shards = int(settings["number_of_shards"]) if shards is None else shards
        replicas = int(settings["number_of_replicas"]) if replicas is None else replicas
        for name, value, low in (("shards", shards, 1), ("replicas", replicas, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise IndexURLError(f"{name}={value!r} must be a whole number of at least {low}")
        ranking = Ranking()
        source = cls(target, client, ranking=ranking, repeats=field_repeats(ranking))
        fresh = cls(replace(target, index=_concrete_name(target.index)), client, ranking=ranking,
                    repeats=field_repeats(ranking))
        with translated_errors(target, "creating the new index"):
            client.indices.create(index=fresh._target.index,
                                  body=index_body(shards=shards, replicas=replicas, ranking=ranking))
        try:
            report = fresh.add_many(source.articles(), progress=progress)
        except BaseException:
            with translated_errors(target, "dropping the unfinished new index"):
                client.indices.delete(index=fresh._target.index)
            raise
        if target.index in found:  # a plain index from an earlier searchkit: removed as the alias appears
            swaps: list[dict[str, Any]] = [{"remove_index": {"index": target.index}}]
        else:
            swaps = [{"remove": {"index": name, "alias": target.index}} for name in old]
        swaps.append({"add": {"index": fresh._target.index, "alias": target.index}})
        with translated_errors(target, "pointing the name at the new index"):
            client.indices.update_aliases(body={"actions": swaps})
            if target.index not in found:
                client.indices.delete(index=",".join(old))
        client.close()
        return report

    def _call(self, action: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        with translated_errors(self._target, action):
            return method(index=self._target.index, **kwargs)

    # Reading

    def refresh(self) -> None:
        """Make everything written so far searchable now."""
        self._call("refreshing", self._client.indices.refresh)

    def __len__(self) -> int:
        return int(self._call("counting articles", self._client.count)["count"])

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None.

        Args:
            article_id: The article's id.

        Returns:
            The article, or None when the index has none with that id.

        Raises:
            ClusterError: The cluster could not answer.
        """
        opensearchpy = _opensearchpy()
        if not isinstance(article_id, str) or not article_id or len(article_id.encode("utf-8")) > MAX_ID_BYTES:
            return None
        with translated_errors(self._target, f"getting article {article_id[:80]!r}"):
            try:
                found = self._client.get(index=self._target.index, id=article_id)
            except opensearchpy.NotFoundError as exc:
                if exc.error == "index_not_found_exception":
                    raise
                return None
        return article_from_source(found["_source"]) if found.get("found") else None

    def __contains__(self, article_id: object) -> bool:
        if not isinstance(article_id, str) or not article_id or len(article_id.encode("utf-8")) > MAX_ID_BYTES:
            return False
        with translated_errors(self._target, "looking up an article"):
            return bool(self._client.exists(index=self._target.index, id=article_id))

    def articles(self) -> Iterator[Article]:
        """Every article in the index, in id order (for export and rebuilds).

        Yields:
            Each article once, a thousand per request.
        """
        batch = 1000
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": {"match_all": {}}, "sort": [{"id": "asc"}], "size": batch}
            if after is not None:
                body["search_after"] = after
            hits = self._call("reading articles", self._client.search, body=body)["hits"]["hits"]
            for hit in hits:
                yield article_from_source(hit["_source"])
            if len(hits) < batch:
                return
            after = hits[-1]["sort"]

    # Searching

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
        """Search the index, with the options and results of :meth:`searchkit.Index.search`.

        Not available here yet, each refused with a :class:`QueryError` naming it:
        ``feedback=True``, ``diversify``, ``explain=True`` and ``collapse``. Spelling
        suggestions follow the embedded rule (:mod:`searchkit.opensearch.suggest`). Pages deeper than
        :data:`MAX_RESULT_WINDOW` results need a cursor.

        Args:
            query: The query, in searchkit's syntax (translated to OpenSearch's DSL).
            sources: Only these sources.
            since: Only articles dated on or after this day.
            until: Only articles dated on or before this day.
            sort: ``"relevance"``, ``"newest"`` or ``"oldest"``.
            limit: Hits per page.
            page: The page, from 1.
            cursor: A previous page's ``next_cursor``.
            date_interval: The date facet's bucket, or ``"auto"``.
            mode: How plain words combine.
            strict: Refuse a malformed query instead of skipping its bad parts.
            snippets: Highlight the matches (OpenSearch's highlighter).
            facets: Count the matches by source and date.
            source_facet_limit: Most sources in the source facet.
            snippet_chars: About how long a snippet is.
            suggest_spelling: Suggest a respelled query when few articles match.
            time_limit: Seconds the cluster may spend (its ``timeout``).
            feedback: Refused when True.
            recency: Multiply each score by a decay of the article's age, as a folder index does
                (a ``function_score`` decay on the cluster).
            diversify: Refused when given.
            explain: Refused when True.
            collapse: Refused when given.
            facet_counts: Checked; without ``collapse`` both count articles.

        Returns:
            One page of results, shaped as a folder index's.

        Raises:
            QueryError: An argument has a wrong value, or asks for an option this backend
                does not have.
            QuerySyntaxError: With ``strict=True``, the query is malformed.
            QueryTooComplexError: The query is too large, or the cluster ran past ``time_limit``.
            ClusterError: The cluster could not answer.
        """
        started = time.perf_counter()
        checked = check_search_arguments(
            query=query, sources=sources, since=since, until=until, sort=sort, limit=limit, page=page,
            cursor=cursor, date_interval=date_interval, mode=mode, strict=strict, snippets=snippets,
            facets=facets, source_facet_limit=source_facet_limit, snippet_chars=snippet_chars,
            suggest_spelling=suggest_spelling, time_limit=time_limit, feedback=feedback,
            recency=recency, diversify=diversify, explain=explain, collapse=collapse, facet_counts=facet_counts,
        )
        for name, value, given in (("feedback", feedback, feedback),
                                   ("diversify", diversify, diversify is not None), ("explain", explain, explain),
                                   ("collapse", collapse, collapse is not None)):
            if given:
                raise QueryError(f"{name}={value!r} is not available on OpenSearch indexes yet; search without it")
        wanted_sources, since, until, limit, page = checked.sources, checked.since, checked.until, checked.limit, checked.page
        offset = (page - 1) * limit if cursor is None else 0
        if offset + limit + 1 > MAX_RESULT_WINDOW:
            raise QueryError(f"page={page} with limit={limit} reaches past result {MAX_RESULT_WINDOW:,}, the deepest "
                             "an OpenSearch index pages to; follow next_cursor instead")
        parsed = parse_query(query, mode=mode, strict=strict)
        dsl, translation = translate(parsed.query, self.ranking)
        decay = checked.recency
        if decay is not None:
            decay = dataclasses.replace(decay, origin=decay.origin or date.today())
            dsl = decayed(dsl, decay)
        source_keys = sorted({source_key(name) for name in wanted_sources})
        fingerprint = _fingerprint(parsed.query if decay is None else (parsed.query, decay), source_keys, since, until,
                                   sort)
        source_filter = {"terms": {"source_key": source_keys}} if wanted_sources else None
        day_filter = date_filter(since, until) if since is not None or until is not None else None
        body: dict[str, Any] = {
            "query": dsl,
            "sort": _sort_spec(sort),
            "track_scores": True,
            "track_total_hits": True,
            "size": limit + 1,
            "from": offset,
            "_source": {"excludes": ["content_hash", "meta"]},
        }
        post = [f for f in (source_filter, day_filter) if f is not None]
        if post:
            body["post_filter"] = {"bool": {"filter": post}}
        if cursor is not None:
            body["search_after"] = _decode_cursor(cursor, fingerprint)
        if facets:
            body["aggs"] = {
                "for_sources": {
                    "filter": day_filter or {"match_all": {}},
                    "aggs": {
                        "keys": {"terms": {"field": "source_key", "size": source_facet_limit or SOURCE_SHARD_SIZE,
                                           "shard_size": SOURCE_SHARD_SIZE,
                                           "order": [{"_count": "desc"}, {"_key": "asc"}]},
                                 "aggs": {"display": {"terms": {"field": "source_display", "size": 1}}}},
                        "missing": {"missing": {"field": "source_key"}},
                    },
                },
                "for_dates": {
                    "filter": source_filter or {"match_all": {}},
                    "aggs": {
                        "days": {"date_histogram": {"field": "date", "calendar_interval": "day", "min_doc_count": 1}},
                        "missing": {"missing": {"field": "date"}},
                    },
                },
            }
        # Term statistics from all shards, as one index has them: without this each of the
        # shards scores with its own document frequencies and lengths.
        if wanted_sources:  # every source of the index, for the note on a source it does not have
            body.setdefault("aggs", {})["all_sources"] = {
                "global": {},
                "aggs": {"keys": {"terms": {"field": "source_key", "size": SOURCE_SHARD_SIZE},
                                  "aggs": {"display": {"terms": {"field": "source_display", "size": 1}}}}},
            }
        params: dict[str, Any] = {"search_type": "dfs_query_then_fetch"}
        if time_limit is not None:
            body["timeout"] = f"{max(int(time_limit * 1000), 1)}ms"
            params["request_timeout"] = time_limit + self._target.timeout
        response = self._call("searching", self._client.search, body=body, params=params)
        if response.get("timed_out"):
            raise QueryTooComplexError(
                f"the query ran longer than its time limit of {time_limit:g} s; make it more specific "
                "(fewer words, longer prefixes) or raise time_limit"
            )
        hits_found = response["hits"]["hits"]
        next_cursor = None
        if len(hits_found) > limit:
            hits_found = hits_found[:limit]
            next_cursor = _encode_cursor(fingerprint, hits_found[-1]["sort"])
        hits = [self._hit(found, translation, snippets, snippet_chars) for found in hits_found]
        total = int(response["hits"]["total"]["value"])
        suggestion = None
        if suggest_spelling and cursor is None and page == 1:
            from .suggest import suggest

            deadline = None if time_limit is None else started + time_limit
            suggestion = suggest(self, query, total, mode=mode, deadline=deadline,
                                 filters=(tuple(wanted_sources), since, until))
        return SearchResults(
            query=query,
            total=total,
            hits=hits,
            facets=self._facets(response.get("aggregations") or {}, date_interval, source_facet_limit) if facets else Facets(),
            took_ms=round((time.perf_counter() - started) * 1000, 3),
            suggestion=suggestion,
            page=page,
            limit=limit,
            next_cursor=next_cursor,
            warnings=[e.args[0] if e.args else str(e) for e in parsed.errors]
            + _notes(parsed.query, wanted_sources, response.get("aggregations") or {}),
        )

    def related(self, article_id: str, *, mode: RelatedMode = "coverage", limit: int = 10,
                sources: Sequence[str] | None = None, since: date | str | None = None,
                until: date | str | None = None) -> SearchResults:
        """Not available on OpenSearch indexes yet: raises :class:`QueryError` naming it
        (:meth:`searchkit.Index.related` on a folder index; ``searchkit reindex`` copies one).

        Args:
            article_id: The article's id.
            mode: As :meth:`searchkit.Index.related` takes it.
            limit: How many hits.
            sources: Only these sources.
            since: Only articles dated on or after this day.
            until: Only articles dated on or before this day.

        Returns:
            Nothing yet: it always raises.

        Raises:
            QueryError: Always, for now.
        """
        raise QueryError(f"related() is not available on OpenSearch indexes yet (asked for {article_id!r}, "
                         f"mode={mode!r}); copy the index into a folder with `searchkit reindex` and ask it there")

    def story(self, article_id: str) -> Story:
        """Not available on OpenSearch indexes yet: raises :class:`QueryError` naming it
        (:meth:`searchkit.Index.story` on a folder index; ``searchkit reindex`` copies one).

        Args:
            article_id: The article's id.

        Returns:
            Nothing yet: it always raises.

        Raises:
            QueryError: Always, for now.
        """
        raise QueryError(f"story() is not available on OpenSearch indexes yet (asked for {article_id!r}); "
                         "copy the index into a folder with `searchkit reindex` and ask it there")

    def stories(self, query: str = "", *, since: date | str | None = None, until: date | str | None = None,
                sources: Sequence[str] | str | None = None, limit: int = 20) -> list[Story]:
        """Not available on OpenSearch indexes yet: raises :class:`QueryError` naming it
        (:meth:`searchkit.Index.stories` on a folder index; ``searchkit reindex`` copies one).

        Args:
            query: As :meth:`searchkit.Index.stories` takes it.
            since: Only stories with an article dated on or after this day.
            until: Only stories with an article dated on or before this day.
            sources: Only stories with an article from these outlets.
            limit: How many stories.

        Returns:
            Nothing yet: it always raises.

        Raises:
            QueryError: Always, for now.
        """
        raise QueryError("stories() is not available on OpenSearch indexes yet; copy the index into a folder "
                         "with `searchkit reindex` and list its stories there")

    def _hit(self, found: dict[str, Any], translation: Translation, snippets: bool, snippet_chars: int) -> Hit:
        stored = found["_source"]
        headline = stored.get("headline", "")
        body = stored.get("body", "")
        background = stored.get("background", [])
        made = []
        if snippets:
            made = make_snippets(headline, body, background, _hit_spec(translation, headline, body, background),
                                 max_chars=snippet_chars)
        if len(headline) > MAX_HIT_HEADLINE_CHARS:
            headline = headline[: MAX_HIT_HEADLINE_CHARS - 1] + "…"
        day = stored.get("date")
        return Hit(
            id=stored["id"],
            score=round(float(found.get("_score") or 0.0), 6),
            headline=headline,
            source=stored.get("source"),
            date=date.fromisoformat(day) if day else None,
            url=stored.get("url"),
            snippets=made,
        )

    def _facets(self, aggs: dict[str, Any], interval: DateInterval | Literal["auto"], limit: int | None) -> Facets:
        buckets = aggs["for_sources"]["keys"]["buckets"]
        pairs = [(_display(b), int(b["doc_count"])) for b in buckets]
        pairs.sort(key=lambda pair: (-pair[1], pair[0].casefold()))
        days_buckets = aggs["for_dates"]["days"]["buckets"]
        days = np.array([int(b["key"]) // _DAY_MS for b in days_buckets], dtype=np.int64)
        counts = np.array([int(b["doc_count"]) for b in days_buckets], dtype=np.int64)
        histogram: list[FacetValue] = []
        if days.size:
            chosen: DateInterval = choose_interval(int(days.min()), int(days.max())) if interval == "auto" else interval
            starts_of = _bucket_starts(days, chosen)
            starts = _all_starts(int(starts_of.min()), int(starts_of.max()), chosen)
            totals = np.bincount(np.searchsorted(starts, starts_of), weights=counts, minlength=starts.size)
            histogram = [FacetValue((_EPOCH + timedelta(days=int(s))).isoformat(), int(c))
                         for s, c in zip(starts.tolist(), totals.tolist())]
        else:
            chosen = "month" if interval == "auto" else interval
        return Facets(
            source=[FacetValue(name, count) for name, count in (pairs if limit is None else pairs[:limit])],
            date=histogram,
            date_interval=chosen,
            missing_source=int(aggs["for_sources"]["missing"]["doc_count"]),
            missing_date=int(aggs["for_dates"]["missing"]["doc_count"]),
        )

    # Writing

    def add(self, article: Article | Mapping[str, Any]) -> AddReport:
        """Add (or replace) one article; durable and searchable when it returns.

        Args:
            article: An :class:`~searchkit.Article`, or a mapping of its fields.

        Returns:
            What was done; an article the cluster refuses is in ``rejected``.

        Raises:
            BatchError: A batch is open on this index in this thread.
            ClusterError: The cluster could not take the write.
        """
        return self.add_many([article])

    def add_many(
        self,
        articles: Iterable[Article | Mapping[str, Any]],
        *,
        progress: Callable[[Progress], object] | None = None,
    ) -> AddReport:
        """Add articles, replacing any with the same id; durable and searchable when it returns.

        The report counts exactly as :meth:`searchkit.Index.add_many` does; articles the
        cluster refuses are in ``rejected`` with its reason, and the rest land. Articles go
        in bulk requests of :data:`BULK_CHUNK`, up to :data:`BULK_IN_FLIGHT` of them sent
        while the next chunk is analysed.

        Parameters:
            articles: Articles, or mappings of their fields (invalid ones are rejected).
            progress: Called with a :class:`~searchkit.index.Progress` now and then and at the end;
                its counts are what the cluster has acknowledged so far.

        Returns:
            The :class:`~searchkit.index.AddReport`: added, replaced, unchanged, rejected.

        Raises:
            ClusterError: the cluster failed mid-call (a node lost, refused, timed out). The
                message says how many articles it had acknowledged, which are durable; nothing
                more is sent after the failure. Adding the same articles again completes the call.
            BatchError: a batch is open on this index in this thread.
        """
        self._no_batch_here()
        started = time.perf_counter()
        counts = {"added": 0, "replaced": 0, "unchanged": 0}
        rejected: list[Rejection] = []
        written: set[str] = set()
        done = 0
        last_report = started

        def report(finished: bool = False) -> None:
            pending = 0 if finished else len(getattr(articles, "errors", ()))
            if progress is not None:
                progress(Progress(done, counts["added"], counts["replaced"], counts["unchanged"],
                                  len(rejected) + pending, time.perf_counter() - started, finished))

        from concurrent.futures import ThreadPoolExecutor

        # Up to BULK_IN_FLIGHT bulk requests are sent from a thread while this one reads and
        # analyses the next chunk; each is settled (counted) here, oldest first.
        flying: list[tuple[list[Action], Future[list[dict[str, Any]]]]] = []

        def land(every: bool) -> None:
            while flying and (every or len(flying) >= BULK_IN_FLIGHT):
                actions, answer = flying.pop(0)
                self._settle(actions, answer.result(), written, counts, rejected)

        def write(chunk: list[tuple[int, Article]]) -> None:
            ids = {article.id for _, article in chunk}
            if any(ids.intersection(article.id for _, article, _ in actions) for actions, _ in flying):
                land(every=True)  # an id in flight: its outcome decides this one's
            actions = self._classify(chunk, written, counts, rejected)
            if actions:
                lines = self._bulk_lines(actions)
                land(every=False)
                flying.append((actions, pool.submit(self._post, lines)))
                land(every=BULK_IN_FLIGHT == 0)

        chunk: list[tuple[int, Article]] = []
        with ThreadPoolExecutor(max_workers=max(1, BULK_IN_FLIGHT), thread_name_prefix="searchkit-bulk") as pool:
            try:
                for number, item in enumerate(articles, start=1):
                    done += 1
                    article = article_or_rejection(item, number)
                    if isinstance(article, Rejection):
                        rejected.append(article)
                        continue
                    chunk.append((number, article))
                    if len(chunk) >= BULK_CHUNK:
                        write(chunk)
                        chunk = []
                        if progress is not None and time.perf_counter() - last_report >= 0.2:
                            last_report = time.perf_counter()
                            report()
                if chunk:
                    write(chunk)
                land(every=True)
            except ClusterError as exc:
                for actions, answer in flying:  # wait for every request in flight, count what landed
                    if answer.exception() is None:
                        self._settle(actions, answer.result(), written, counts, rejected)
                raise type(exc)(
                    f"{exc} (adding articles, after {done:,} read: the cluster acknowledged {counts['added']:,} added "
                    f"and {counts['replaced']:,} replaced before the failure, and those are durable; the articles of "
                    "the failed request may or may not have landed; the rest were not sent. Add the same articles "
                    "again once the cluster is back: those already written count as unchanged)"
                ) from None
        if counts["added"] or counts["replaced"]:
            self.refresh()
        rejected.extend(reader_rejections(articles))
        report(finished=True)
        return AddReport(added=counts["added"], replaced=counts["replaced"], unchanged=counts["unchanged"],
                         rejected=rejected, seconds=round(time.perf_counter() - started, 3))

    def _classify(self, chunk: list[tuple[int, Article]], written: set[str], counts: dict[str, int],
                  rejected: list[Rejection], known: Mapping[str, str | None] | None = None) -> list[Action]:
        """What writing ``chunk`` does to each article: ``added``, ``replaced`` (also an id in
        ``written``, written earlier in the call) or ``unchanged`` (counted here, not sent); ids
        too long for the cluster go to ``rejected``. ``known`` maps ids whose state the cluster
        does not have yet to their content hash, or None for absent (a batch's buffer)."""
        fitting = []
        for number, article in chunk:
            size = len(article.id.encode("utf-8"))
            if size > MAX_ID_BYTES:  # the cluster would refuse the whole bulk request
                rejected.append(Rejection(location=f"record {number}", field="id",
                                          reason=f"is {size} bytes long in UTF-8; an OpenSearch index takes ids of "
                                                 f"up to {MAX_ID_BYTES} bytes"))
            else:
                fitting.append((number, article))
        chunk = fitting
        self._learn_display_names(article for _, article in chunk)
        known = known or {}
        ids = sorted({article.id for _, article in chunk} - set(known))
        existing: dict[str, str | None] = {key: value for key, value in known.items() if value is not None}
        if ids:
            with translated_errors(self._target, "looking up existing articles"):
                found = self._client.mget(index=self._target.index, body={"ids": ids},
                                          params={"_source_includes": "content_hash"})
            existing.update({doc["_id"]: doc["_source"].get("content_hash") for doc in found["docs"] if doc.get("found")})
        actions: list[Action] = []
        for number, article in chunk:
            digest = content_hash(article)
            if article.id in written:
                outcome = "replaced"
            elif article.id in existing:
                if existing[article.id] == digest:
                    counts["unchanged"] += 1
                    continue
                outcome = "replaced"
            else:
                outcome = "added"
            written.add(article.id)
            existing[article.id] = digest
            actions.append((number, article, outcome))
        return actions

    def _send(self, actions: list[Action], written: set[str], counts: dict[str, int],
              rejected: list[Rejection]) -> None:
        """Bulk-index ``actions`` in one request and count each article by its outcome
        (:meth:`_bulk_lines`, :meth:`_post`, :meth:`_settle`)."""
        self._settle(actions, self._post(self._bulk_lines(actions)), written, counts, rejected)

    def _bulk_lines(self, actions: list[Action]) -> list[bytes]:
        """Each action's two lines of a bulk request (the action, the document), as JSON bytes."""
        lines = []
        for _, article, _ in actions:
            display = self._source_names[source_key(article.source)] if article.source else None
            head = orjson.dumps({"index": {"_index": self._target.index, "_id": article.id}})
            doc = orjson.dumps(document(article, display=display, repeats=self._repeats))
            lines.append(b"%s\n%s\n" % (head, doc))
        return lines

    def _post(self, lines: list[bytes]) -> list[dict[str, Any]]:
        """Send ``lines`` (see :meth:`_bulk_lines`) as one bulk request and return each item's
        result; items refused as busy or unavailable (429, 503) are sent again with backoff.
        It reads and changes no state of the call, so :meth:`add_many` runs it in a thread."""
        results: list[dict[str, Any]] = [{} for _ in lines]
        pending = list(range(len(lines)))
        for attempt in range(_BULK_RETRIES + 1):
            with translated_errors(self._target, f"adding {len(pending)} articles"):
                answer = self._client.bulk(body=b"".join(lines[at] for at in pending))
            busy = []
            for at, item in zip(pending, answer["items"]):
                results[at] = item.get("index") or {}
                if int(results[at].get("status", 500)) in _RETRIED_STATUSES and attempt < _BULK_RETRIES:
                    busy.append(at)
            if not busy:
                break
            pending = busy
            time.sleep(min(0.5 * 2**attempt, 8.0))
        return results

    @staticmethod
    def _settle(actions: list[Action], results: list[dict[str, Any]], written: set[str], counts: dict[str, int],
                rejected: list[Rejection]) -> None:
        """Count each article the cluster acknowledged by its outcome; reject the others with
        the cluster's reason."""
        for (number, article, outcome), result in zip(actions, results):
            if int(result.get("status", 500)) < 300:
                counts[outcome] += 1
                continue
            error = result.get("error") or {}
            reason = error.get("reason", "refused") if isinstance(error, dict) else str(error)
            kind = error.get("type", "error") if isinstance(error, dict) else "error"
            written.discard(article.id)
            rejected.append(Rejection(location=f"record {number}",
                                      reason=f"the cluster refused article {article.id[:80]!r}: {kind}: "
                                             f"{str(reason)[:300]}"))

    def _learn_display_names(self, articles: Iterable[Article]) -> None:
        """The display name of each source of ``articles``: the one its articles in the index
        carry, or else the spelling of the first of ``articles`` that has it."""
        spellings: dict[str, str] = {}
        for article in articles:
            if article.source:
                spellings.setdefault(source_key(article.source), article.source)
        unknown = sorted(key for key in spellings if key not in self._source_names)
        if unknown:
            body = {
                "size": 0,
                "query": {"terms": {"source_key": unknown}},
                "aggs": {"keys": {"terms": {"field": "source_key", "size": len(unknown)},
                                  "aggs": {"display": {"terms": {"field": "source_display", "size": 1}}}}},
            }
            answer = self._call("looking up source names", self._client.search, body=body)
            for bucket in answer["aggregations"]["keys"]["buckets"]:
                self._source_names[str(bucket["key"])] = _display(bucket)
        for key, spelling in spellings.items():
            self._source_names.setdefault(key, spelling)

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id; durable and searchable when it returns.

        Args:
            article_ids: The ids to delete.

        Returns:
            How many of them were in the index.

        Raises:
            BatchError: A batch is open on this index in this thread.
            ClusterError: The cluster could not take the write.
        """
        self._no_batch_here()
        if isinstance(article_ids, str):
            article_ids = [article_ids]
        deleted = 0
        batch: list[str] = []
        for article_id in article_ids:
            if isinstance(article_id, str) and article_id and len(article_id.encode("utf-8")) <= MAX_ID_BYTES:
                batch.append(article_id)
            if len(batch) >= BULK_CHUNK:
                deleted += self._bulk_delete(batch)
                batch = []
        if batch:
            deleted += self._bulk_delete(batch)
        if deleted:
            self.refresh()
        return deleted

    def _bulk_delete(self, article_ids: Sequence[str]) -> int:
        """Delete ``article_ids`` in one bulk request; how many were there."""
        lines = [{"delete": {"_index": self._target.index, "_id": article_id}} for article_id in article_ids]
        with translated_errors(self._target, f"deleting {len(article_ids)} articles"):
            answer = self._client.bulk(body=lines)
        return sum(1 for item in answer["items"] if (item.get("delete") or {}).get("result") == "deleted")

    def _present(self, article_ids: Sequence[str]) -> list[str]:
        """Which of ``article_ids`` the index holds."""
        if not article_ids:
            return []
        with translated_errors(self._target, "looking up existing articles"):
            found = self._client.mget(index=self._target.index, body={"ids": list(article_ids)},
                                      params={"_source": "false"})
        return [doc["_id"] for doc in found["docs"] if doc.get("found")]

    def batch(self) -> OpenSearchBatch:
        """Several writes sent together at the end of a ``with`` block, none on an exception::

            with index.batch() as batch:
                batch.add(article)
                batch.add_many(more_articles)
                batch.delete(["old-id"])

        The writes are kept in memory until the block ends cleanly, then sent in bulk
        requests and made searchable at once; searches keep seeing the index as it was
        until then. A bulk request is not a transaction: see
        :mod:`searchkit.opensearch.batch` for what happens if the cluster fails while the
        batch is sent, and :attr:`OpenSearchBatch.report` for what it did.

        Returns:
            An :class:`~searchkit.opensearch.batch.OpenSearchBatch` to use in a ``with`` block.

        Raises:
            BatchError: (on entering the block) another batch is open on this index object,
                in this thread or another; in the thread that has a batch open, ``add``,
                ``add_many`` and ``delete`` on the index raise it too. Other clients of the
                cluster are not held off: their writes land when they are made, and the
                batch's at its end (the last write of an article wins).
        """
        from .batch import OpenSearchBatch

        return OpenSearchBatch(self)

    def _begin_batch(self, batch: OpenSearchBatch) -> None:
        self._no_batch_here()
        if self._batch_thread is not None:
            raise BatchError(f"a batch is open on the index {self.url} in another thread: one batch at a time per "
                             "OpenSearchIndex; wait for it to end, or open the index again for a batch of its own")
        self._batch_thread = threading.get_ident()

    def _end_batch(self, batch: OpenSearchBatch) -> None:
        self._batch_thread = None

    def _no_batch_here(self) -> None:
        if self._batch_thread == threading.get_ident():
            raise BatchError(f"a batch is open on the index {self.url} in this thread: write through the batch "
                             "(batch.add, batch.add_many, batch.delete) or end its with block first")

    # Information

    def stats(self) -> IndexStats:
        """Counts, sources, dates and size. ``segments`` counts Lucene segments of the
        primaries; ``generation`` is always 0 (OpenSearch has no generations).

        Returns:
            The figures, with the URL (without credentials) as ``path``.
        """
        body = {
            "size": 0,
            "track_total_hits": True,
            "aggs": {
                "sources": {"cardinality": {"field": "source_key", "precision_threshold": 40000}},
                "first": {"min": {"field": "date", "format": "strict_date"}},
                "last": {"max": {"field": "date", "format": "strict_date"}},
                "undated": {"missing": {"field": "date"}},
            },
        }
        answer = self._call("reading statistics", self._client.search, body=body)
        aggs = answer["aggregations"]
        with translated_errors(self._target, "reading index statistics"):
            numbers = self._client.indices.stats(index=self._target.index, metric="segments,store")
        totals = numbers["_all"]
        first = aggs["first"].get("value_as_string")
        last = aggs["last"].get("value_as_string")
        return IndexStats(
            path=self.url,
            articles=int(answer["hits"]["total"]["value"]),
            sources=int(aggs["sources"]["value"]),
            first_date=date.fromisoformat(first) if first else None,
            last_date=date.fromisoformat(last) if last else None,
            undated=int(aggs["undated"]["doc_count"]),
            segments=int(totals["primaries"]["segments"]["count"]),
            size_bytes=int(totals["total"]["store"]["size_in_bytes"]),
            generation=0,
            schema_version=MAPPING_VERSION,
        )

    def check(self) -> CheckReport:
        """The index's health on the cluster: red or missing shards are problems.

        Returns:
            ``ok`` when the index's shards are all assigned.
        """
        with translated_errors(self._target, "checking the index's health"):
            health = self._client.cluster.health(index=self._target.index)
        problems = []
        if health.get("status") == "red":
            problems.append(f"{self.url}: the index is red: {health.get('unassigned_shards')} shards are unassigned")
        return CheckReport(path=self.url, ok=not problems, articles=len(self),
                           segments=self.stats().segments, problems=problems)


def _concrete_name(name: str) -> str:
    """The name of a new index behind the alias ``name``: its mapping version and the time."""
    return f"{name}__v{MAPPING_VERSION}_{datetime.now(timezone.utc).strftime('%Y%m%d%H%M%S%f')}"


def _display(bucket: dict[str, Any]) -> str:
    """A source facet bucket's display name (every article of a source carries the same one)."""
    names = bucket.get("display", {}).get("buckets") or []
    return str(names[0]["key"]) if names else str(bucket["key"])


def _notes(query: Query, sources: Sequence[str], aggs: dict[str, Any]) -> list[str]:
    """The embedded index's notes (:mod:`searchkit.engine.notes`): a source the index does not
    have, a query of stop words only. They read only the index's source names."""
    buckets = (aggs.get("all_sources") or {}).get("keys", {}).get("buckets", [])
    names = sorted((_display(b) for b in buckets), key=str.casefold)
    view = SimpleNamespace(source_names=names, source_ordinals={source_key(n): i for i, n in enumerate(names)})
    return search_notes(cast(Snapshot, view), query, sources)


def _opensearchpy() -> Any:
    from .connection import import_client

    return import_client()


def _hit_spec(translation: Translation, headline: str, body: str, background: Sequence[str]) -> HighlightSpec:
    """What to highlight in one hit: the query's terms and phrases, plus this hit's own
    words that a prefix or fuzzy word matched (the embedded index highlights the expansions
    it searched; these are the ones present in the hit)."""
    terms = set(translation.highlight_terms)
    if translation.prefixes or translation.fuzzy:
        present: set[str] = set()
        for text in (headline, body, "\n".join(background)):
            present.update(field_terms(text)[0])
        for prefix, stems in translation.prefixes:
            terms.update(t for t in present if t.startswith(prefix) or t in stems)
        for word, distance in translation.fuzzy:
            terms.update(t for t in present if t[:1] == word[:1] and within_distance(t, word, distance))
    return HighlightSpec(terms, translation.highlight_phrases)


def _fingerprint(query: object, source_keys: list[str], since: date | None, until: date | None, sort: str) -> str:
    key = repr((query, source_keys, since, until, sort))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _encode_cursor(fingerprint: str, sort_values: list[Any]) -> str:
    raw = orjson.dumps(["os", fingerprint, sort_values])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        marker, found, values = orjson.loads(raw)
        valid = marker == "os" and isinstance(values, list) and len(values) == 3
    except (ValueError, TypeError, orjson.JSONDecodeError):
        valid = False
    if not valid:
        raise QueryError(f"invalid cursor {cursor[:40]!r}; pass the next_cursor of a previous page")
    if found != fingerprint:
        raise QueryError("the cursor belongs to another query, filter or sort; pass the same ones as for its page")
    return list(values)
