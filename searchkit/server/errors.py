"""Every error as JSON: ``{"type": ..., "message": ..., "status": ...}``, never a traceback.

Library errors keep their class name as ``type`` and their message, with the index's
folder replaced by ``<index>`` so no path of the server's disk leaves it; a
:class:`~searchkit.errors.QuerySyntaxError` adds the ``position`` (0-based character) of
the problem in the query. Anything unexpected is logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..errors import (
    ArticleError,
    ClusterAuthError,
    ClusterError,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    IndexOptionError,
    IndexReadOnlyError,
    IndexWriteError,
    QueryError,
    QuerySyntaxError,
    QueryTooComplexError,
    ReadError,
    SearchkitError,
)

__all__ = ["ApiError", "error_response", "install_error_handlers"]

log = logging.getLogger("searchkit.server")


class ApiError(SearchkitError):
    """An error the server answers on purpose, with its HTTP status and a JSON type."""

    def __init__(self, status: int, type: str, message: str, *, headers: Mapping[str, str] | None = None,
                 **fields: Any):
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.headers = dict(headers or {})
        self.fields = fields


def error_response(status: int, type: str, message: str, *, headers: Mapping[str, str] | None = None,
                   **fields: Any) -> Response:
    body = {"type": type, "message": message, "status": status, **fields}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


_STATUS: tuple[tuple[type[SearchkitError], int], ...] = (
    (QueryTooComplexError, 400),
    (QueryError, 400),
    (ArticleError, 400),
    (ReadError, 400),
    (IndexOptionError, 400),
    (IndexLockedError, 503),
    (ClusterAuthError, 502),
    (ClusterError, 503),
    (IndexNotFoundError, 503),
    (IndexCorruptError, 500),
    (IndexReadOnlyError, 503),
    (IndexWriteError, 507),
)


def _hide_paths(message: str, request: Request) -> str:
    index = getattr(request.app.state, "index", None)
    path = getattr(index, "path", None)
    if path is not None and str(path):
        message = message.replace(str(path), "<index>")
        try:
            message = message.replace(str(path.resolve()), "<index>")
        except (OSError, AttributeError):
            pass
    return message


def _searchkit_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.type, exc.message, headers=exc.headers, **exc.fields)
    assert isinstance(exc, SearchkitError)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    settings = request.app.state.settings
    if isinstance(exc, IndexLockedError):
        return error_response(
            503, "IndexLockedError",
            f"another writer holds the index's write lock; waited {exc.timeout:g}s. Retry after "
            f"{settings.retry_after}s", headers={"Retry-After": str(settings.retry_after)},
        )
    if status >= 500 and not isinstance(exc, ClusterError):
        log.error("%s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    if isinstance(exc, QuerySyntaxError):
        return error_response(400, "QuerySyntaxError", f"{exc.reason} at position {exc.position}",
                              position=exc.position, query=exc.query)
    message = " ".join(line.strip() for line in str(exc).splitlines())
    headers = {"Retry-After": str(settings.retry_after)} if status == 503 else None
    return error_response(status, type(exc).__name__, _hide_paths(message, request), headers=headers)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    names = {404: "NotFound", 405: "MethodNotAllowed", 413: "BodyTooLarge", 414: "URLTooLong"}
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}; see /docs"
    return error_response(exc.status_code, names.get(exc.status_code, "HTTPError"), message,
                          headers=getattr(exc, "headers", None))


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body"))
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return error_response(400, "InvalidParameter", "; ".join(problems) or "invalid request")


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "InternalError", "the server failed to answer; the error is in its log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SearchkitError, _searchkit_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
