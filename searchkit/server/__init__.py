"""``searchkit serve``: the library over HTTP, and a search page for people.

An ASGI app (FastAPI) over any searchkit index (anything with the methods of
:class:`~searchkit.protocol.SearchIndex` that it uses: ``search``, ``add_many``, ``get``,
``delete``, ``stats`` and ``len()``)::

    from searchkit import Index
    from searchkit.server import ServerSettings, create_app

    app = create_app(Index.open("indexes/news", lock_timeout=2), ServerSettings(token="s3cret"))

Mount it in another ASGI app, or run it with uvicorn (``searchkit serve`` does that). The
modules, one idea each:

- :mod:`.settings`: :class:`ServerSettings` (tokens, CORS origins, size and time bounds)
- :mod:`.app`: :func:`create_app`, the page at ``/`` and the middleware
- :mod:`.routes`: the ``/api`` endpoints
- :mod:`.auth`: bearer tokens for writes (and optionally reads)
- :mod:`.errors`: every error as JSON ``{"type", "message", "status"}``, never a traceback

Needs the ``searchkit[server]`` extra (FastAPI and uvicorn).
"""

from __future__ import annotations

from ..errors import MissingExtraError

try:
    import fastapi  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise MissingExtraError(
        "searchkit serve needs FastAPI and uvicorn; install them with: pip install 'searchkit[server]'"
    ) from exc

from .app import create_app
from .settings import ServerSettings, read_token

__all__ = ["ServerSettings", "create_app", "read_token"]
