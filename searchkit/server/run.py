"""Running the app with uvicorn: what ``searchkit serve`` calls."""

from __future__ import annotations

import ipaddress
from typing import TextIO

import orjson

from ..errors import MissingExtraError

try:
    import uvicorn
except ImportError as exc:  # pragma: no cover - depends on the install
    raise MissingExtraError(
        "searchkit serve needs uvicorn; install it with: pip install 'searchkit[server]'"
    ) from exc

from ..protocol import SearchIndex
from .app import create_app
from .settings import READ_TOKEN_ENV, TOKEN_ENV, ServerSettings

__all__ = ["is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(index: SearchIndex, settings: ServerSettings, *, host: str = "127.0.0.1", port: int = 8000,
          err: TextIO, out: TextIO | None = None, access_log: bool = False) -> None:
    """Serve ``index`` until interrupted, telling ``err`` where and with which defaults (and
    ``out``, if given, the same as one JSON line: ``url``, ``articles``, ``writes``, ``reads``)."""
    writes = "on (bearer token)" if settings.writes_enabled else f"off (no token: pass --token-file or set ${TOKEN_ENV})"
    reads = "need a token" if settings.read_token else "open"
    shown = f"[{host}]" if ":" in host else host
    err.write(f"searchkit serve: http://{shown}:{port}/ (index {len(index):,} articles; writes {writes}; reads {reads})\n")
    if not is_loopback(host):
        warning = "" if settings.read_token else f"; anyone who can reach it can search (set ${READ_TOKEN_ENV} to need a token)"
        err.write(f"searchkit serve: warning: listening on {host}, not only this machine{warning}\n")
    err.flush()
    if out is not None:
        out.write(orjson.dumps({"url": f"http://{shown}:{port}/", "articles": len(index),
                                "writes": settings.writes_enabled, "reads": "token" if settings.read_token else "open"}
                               ).decode() + "\n")
        out.flush()
    uvicorn.run(create_app(index, settings), host=host, port=port, log_level="warning", access_log=access_log,
                server_header=False, limit_concurrency=512, timeout_graceful_shutdown=5)
