"""Bearer tokens: every write needs the write token; reads need the read token if one is set.

Tokens are compared with :func:`hmac.compare_digest` (constant time). Without a write
token configured, writes are off: they answer 403 and say how to turn them on.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from .errors import ApiError
from .settings import READ_TOKEN_ENV, TOKEN_ENV, ServerSettings

__all__ = ["require_read", "require_write"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="searchkit"'}


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _matches(presented: str, expected: str | None) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def require_write(request: Request) -> None:
    """A dependency of every write route."""
    settings: ServerSettings = request.app.state.settings
    if not settings.writes_enabled:
        raise ApiError(403, "WritesDisabled",
                       "writes are off on this server: start it with --token-file FILE "
                       f"(or ${TOKEN_ENV} set) and send 'Authorization: Bearer TOKEN'")
    presented = _presented(request)
    if presented is None:
        raise ApiError(401, "Unauthorized", "this write needs 'Authorization: Bearer TOKEN'", headers=_CHALLENGE)
    if not _matches(presented, settings.token):
        raise ApiError(401, "Unauthorized", "the bearer token is not the write token", headers=_CHALLENGE)


def require_read(request: Request) -> None:
    """A dependency of every read route: open unless a read token is set."""
    settings: ServerSettings = request.app.state.settings
    if not settings.read_token:
        return
    presented = _presented(request)
    if presented is None:
        raise ApiError(401, "Unauthorized",
                       f"reads on this server need 'Authorization: Bearer TOKEN' (the ${READ_TOKEN_ENV} token)",
                       headers=_CHALLENGE)
    if not (_matches(presented, settings.read_token) or _matches(presented, settings.token)):
        raise ApiError(401, "Unauthorized", "the bearer token is not a read token", headers=_CHALLENGE)
