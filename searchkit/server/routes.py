"""The ``/api`` endpoints: the library's own calls, with its exact semantics.

``GET /api/search`` takes every option of ``search()`` as a query parameter (``sources``
repeated for several) and answers exactly ``SearchResults.to_json()``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from .._version import __version__
from ..errors import ArticleError, ArticleNotFoundError
from ..index import AddReport, Rejection
from ..models import Article, SearchResults, Story
from .auth import require_read, require_write
from .errors import ApiError
from .settings import ServerSettings

__all__ = ["router"]

router = APIRouter(prefix="/api")


def _json(data: Any, status: int = 200) -> Response:
    return Response(data if isinstance(data, (bytes, str)) else orjson.dumps(data), status_code=status,
                    media_type="application/json")


def _settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


@router.get("/health", summary="Is the server up, and how many articles does it hold")
def health(request: Request) -> Response:
    return _json({"status": "ok", "articles": len(request.app.state.index), "version": __version__,
                  "writes": _settings(request).writes_enabled})


@router.get("/search", response_model=SearchResults, dependencies=[Depends(require_read)],
            summary="Search: the body is exactly SearchResults.to_json()")
def search(
    request: Request,
    q: Annotated[str, Query(description="the query (README: Query syntax); empty: every article")] = "",
    sources: Annotated[list[str] | None, Query(description="only these sources (repeat the parameter)")] = None,
    since: Annotated[date | None, Query(description="first day, YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day, YYYY-MM-DD")] = None,
    sort: Literal["relevance", "newest", "oldest"] = "relevance",
    limit: Annotated[int, Query(ge=1)] = 10,
    page: Annotated[int, Query(ge=1)] = 1,
    cursor: Annotated[str | None, Query(max_length=4096, description="a previous page's next_cursor")] = None,
    date_interval: Literal["auto", "day", "week", "month", "year"] = "auto",
    mode: Literal["auto", "all", "any"] = "auto",
    strict: bool = False,
    snippets: bool = True,
    facets: Annotated[str, Query(max_length=100, description="true (every facet), false (none), or a comma list "
                                 "of source, date, stories")] = "true",
    source_facet_limit: Annotated[int, Query(ge=0)] = 20,
    snippet_chars: int = 240,
    suggest_spelling: bool = True,
    time_limit: Annotated[float | None, Query(gt=0, description="seconds; capped by the server's limit")] = None,
    feedback: bool = False,
    recency: Annotated[str | None, Query(max_length=40, description="a half-life such as 30d, 2w, 1y")] = None,
    diversify: Literal["source"] | None = None,
    explain: bool = False,
    collapse: Literal["duplicates", "story"] | None = None,
    facet_counts: Literal["articles", "groups"] = "groups",
) -> Response:
    settings = _settings(request)
    if len(q) > settings.max_query_chars:
        raise ApiError(400, "QueryTooLong", f"the query has {len(q)} characters; this server takes up to "
                       f"{settings.max_query_chars}")
    if sources is not None and len(sources) > settings.max_sources:
        raise ApiError(400, "InvalidParameter", f"{len(sources)} sources given; this server takes up to "
                       f"{settings.max_sources}")
    if limit > settings.max_limit:
        raise ApiError(400, "InvalidParameter", f"limit={limit} is out of range; this server returns up to "
                       f"{settings.max_limit} hits a page (use next_cursor for more)")
    limit_seconds = settings.time_limit if time_limit is None else min(time_limit, settings.time_limit)
    results = request.app.state.index.search(
        q, sources=sources, since=since, until=until, sort=sort, limit=limit, page=page, cursor=cursor,
        date_interval=date_interval, mode=mode, strict=strict, snippets=snippets, facets=_facet_choice(facets),
        source_facet_limit=source_facet_limit, snippet_chars=snippet_chars,
        suggest_spelling=suggest_spelling, time_limit=limit_seconds, feedback=feedback,
        recency=recency, diversify=diversify, explain=explain, collapse=collapse, facet_counts=facet_counts,
    )
    return _json(results.to_json())


def _facet_choice(text: str) -> bool | tuple[str, ...]:
    """The ``facets`` parameter as ``Index.search`` takes it: true/false (as FastAPI reads a
    bool) or facet names separated by commas (checked by the search: a QueryError, 400)."""
    word = text.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    return tuple(name.strip() for name in text.split(","))


@router.get("/articles/{article_id}", response_model=Article, dependencies=[Depends(require_read)],
            summary="One stored article")
def get_article(request: Request, article_id: str) -> Response:
    article = request.app.state.index.get(article_id)
    if article is None:
        raise ApiError(404, "ArticleNotFound", f"no article with id {article_id!r}")
    return _json(article.to_json())


@router.get("/articles/{article_id}/related", response_model=SearchResults, dependencies=[Depends(require_read)],
            summary="Articles related to one: the body is exactly Index.related(...).to_json()")
def related_articles(
    request: Request,
    article_id: str,
    mode: Literal["coverage", "background"] = "coverage",
    limit: Annotated[int, Query(ge=1)] = 10,
    sources: Annotated[list[str] | None, Query(description="only these sources (repeat the parameter)")] = None,
    since: Annotated[date | None, Query(description="first day, YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day, YYYY-MM-DD")] = None,
) -> Response:
    if limit > _settings(request).max_limit:
        raise ApiError(400, "InvalidParameter", f"limit={limit} is out of range; this server returns up to "
                       f"{_settings(request).max_limit} hits a page")
    try:
        results = request.app.state.index.related(article_id, mode=mode, limit=limit, sources=sources,
                                                  since=since, until=until)
    except ArticleNotFoundError as exc:
        raise ApiError(404, "ArticleNotFound", f"no article with id {article_id!r}") from exc
    return _json(results.to_json())


@router.get("/articles/{article_id}/story", response_model=Story, dependencies=[Depends(require_read)],
            summary="The news story of one article: the body is exactly Index.story(...) as JSON")
def article_story(request: Request, article_id: str) -> Response:
    try:
        story = request.app.state.index.story(article_id)
    except ArticleNotFoundError as exc:
        raise ApiError(404, "ArticleNotFound", f"no article with id {article_id!r}") from exc
    return _json(story.model_dump_json())


@router.get("/stories", dependencies=[Depends(require_read)],
            summary="News stories, the largest first: the body is `searchkit stories --json`")
def list_stories(
    request: Request,
    q: Annotated[str, Query(description="only stories with an article matching this query")] = "",
    since: Annotated[date | None, Query(description="first day, YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day, YYYY-MM-DD")] = None,
    sources: Annotated[list[str] | None, Query(description="only stories with an article from these sources")] = None,
    limit: Annotated[int, Query(ge=1)] = 20,
) -> Response:
    if limit > _settings(request).max_limit:
        raise ApiError(400, "InvalidParameter", f"limit={limit} is out of range; this server returns up to "
                       f"{_settings(request).max_limit} stories")
    stories = request.app.state.index.stories(q, since=since, until=until, sources=sources, limit=limit)
    return _json({"query": q, "stories": [story.model_dump(mode="json") for story in stories]})


@router.delete("/articles/{article_id}", dependencies=[Depends(require_write)],
               summary="Delete one article (needs the write token)")
def delete_article(request: Request, article_id: str) -> Response:
    deleted = request.app.state.index.delete([article_id])
    if not deleted:
        raise ApiError(404, "ArticleNotFound", f"no article with id {article_id!r}")
    return _json({"deleted": deleted, "id": article_id})


@router.get("/stats", dependencies=[Depends(require_read)], summary="Articles, sources, date span, size")
def stats(request: Request) -> Response:
    data = request.app.state.index.stats().model_dump(mode="json")
    data.pop("path", None)  # a path of the server's disk stays on the server
    return _json(data)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "BodyTooLarge", f"the body is {int(declared):,} bytes; this server takes up to "
                       f"{limit:,} (send the articles in several requests)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "BodyTooLarge", f"the body is over {limit:,} bytes, the most this server takes "
                           "(send the articles in several requests)")
        chunks.append(chunk)
    return b"".join(chunks)


def _records(body: bytes) -> list[tuple[str, Any]]:
    """(location, record) pairs: a JSON array's items are ``record N``, JSON Lines' ``line N``;
    a single (even pretty-printed) JSON object is ``record 1``."""
    text = body.lstrip()
    if not text:
        raise ApiError(400, "InvalidBody", "the body is empty; send a JSON array of articles or JSON Lines")
    if text.startswith(b"["):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "InvalidBody", f"the body is not a valid JSON array: {exc}") from None
        if not isinstance(data, list):
            raise ApiError(400, "InvalidBody", "the body must be a JSON array of articles or JSON Lines")
        return [(f"record {number}", item) for number, item in enumerate(data, start=1)]
    if text.startswith(b"{") and b"\n" in text.strip():
        try:  # one pretty-printed article rather than JSON Lines
            whole = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
        else:
            return [("record 1", whole)]
    records: list[tuple[str, Any]] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"line {number}", orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            records.append((f"line {number}", _BadJSON(str(exc))))
    return records


class _BadJSON:
    def __init__(self, reason: str):
        self.reason = reason


def _validate(records: list[tuple[str, Any]]) -> tuple[list[Article], list[Rejection]]:
    articles: list[Article] = []
    rejected: list[Rejection] = []
    for location, record in records:
        if isinstance(record, _BadJSON):
            rejected.append(Rejection(location=location, reason=f"not valid JSON: {record.reason}"))
        elif not isinstance(record, dict):
            rejected.append(Rejection(location=location, reason=f"not an article: a JSON {type(record).__name__}, "
                                      "not an object"))
        else:
            try:
                articles.append(Article.from_dict(record, location=location))
            except ArticleError as exc:
                rejected.append(Rejection(location=exc.location, reason=exc.reason, field=exc.field))
    return articles, rejected


@router.post("/articles", response_model=AddReport, dependencies=[Depends(require_write)],
             summary="Add or replace articles: a JSON array or JSON Lines (needs the write token)")
async def add_articles(request: Request) -> Response:
    body = await _read_body(request, _settings(request).max_body_bytes)
    articles, rejected = _validate(_records(body))
    report: AddReport = await run_in_threadpool(request.app.state.index.add_many, articles)
    report = report.model_copy(update={"rejected": rejected + list(report.rejected)})
    return _json(report.model_dump(mode="json"))

