""":func:`create_app`: the API, the search page at ``/``, and the middleware around them."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .._version import __version__
from ..protocol import SearchIndex
from .errors import error_response, install_error_handlers
from .routes import router
from .settings import ServerSettings

__all__ = ["create_app"]

_STATIC = resources.files("searchkit.server") / "static"
_TYPES = {"html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
          "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"}
_PAGE_HEADERS = {
    # The page runs only its own script and style, so article text can never run as code.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _BoundedURL:
    """Answers 414 to a request whose path and query string are longer than the bound."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            if size > self.limit:
                response = error_response(414, "URLTooLong", f"the URL is {size:,} bytes; this server takes up to "
                                          f"{self.limit:,}")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _static(name: str) -> Response:
    suffix = name.rsplit(".", 1)[-1]
    data = (_STATIC / name).read_bytes()
    return Response(data, media_type=_TYPES[suffix], headers={**_PAGE_HEADERS, "Cache-Control": "no-cache"})


def create_app(index: SearchIndex, settings: ServerSettings | None = None) -> FastAPI:
    """An ASGI app serving ``index``: a :class:`~searchkit.Index` or any other
    :class:`~searchkit.protocol.SearchIndex` (it calls ``search``, ``add_many``, ``get``,
    ``delete``, ``stats`` and ``len()``).

    Open a folder index with a short ``lock_timeout`` (``ServerSettings.lock_timeout``, 2 s
    by default, is what ``searchkit serve`` uses): a write that cannot get the lock in that
    time answers 503 with ``Retry-After`` instead of holding a worker.
    """
    settings = settings or ServerSettings()
    app = FastAPI(title="searchkit", version=__version__,
                  description="Full-text search over news articles: the searchkit library over HTTP.",
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.index = index
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return _static("index.html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(request: Request, name: str) -> Response:
        if name not in _ASSETS:
            return error_response(404, "NotFound", f"no such file: /static/{name}")
        return _static(name)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"],
                           max_age=600)
    app.add_middleware(_BoundedURL, limit=settings.max_url_bytes)
    return app


_ASSETS = frozenset({"app.js", "style.css", "favicon.svg"})
