"""What a server allows: tokens, CORS origins, and the bounds on every request."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import SearchkitError

__all__ = ["ServerSettings", "TokenError", "read_token"]

TOKEN_ENV = "SEARCHKIT_TOKEN"
READ_TOKEN_ENV = "SEARCHKIT_READ_TOKEN"
MIN_TOKEN_CHARS = 16


class TokenError(SearchkitError, ValueError):
    """A token file is missing, unreadable, empty or too short."""


@dataclass(frozen=True)
class ServerSettings:
    """How a server behaves. The defaults are the safe ones: no token, so writes are off;
    reads open; no CORS; bodies up to 10 MB; queries up to 2,000 characters; every search
    stopped after ``time_limit`` seconds, whatever the client asks for.

    ``token`` guards writes (``POST``/``DELETE``); ``read_token``, when set, is needed for
    every read under ``/api`` except ``/api/health`` (the write token works for reads too).
    ``lock_timeout`` is how long a write waits for the index's lock before answering 503;
    the index itself is opened with it by ``searchkit serve``, and ``retry_after`` is the
    ``Retry-After`` header sent then.
    """

    token: str | None = None
    read_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 10 * 1024 * 1024
    max_query_chars: int = 2_000
    max_url_bytes: int = 8 * 1024
    max_sources: int = 100
    max_limit: int = 100
    time_limit: float = 5.0
    lock_timeout: float = 2.0
    retry_after: int = 2

    @property
    def writes_enabled(self) -> bool:
        return bool(self.token)


def read_token(path: str | os.PathLike[str] | None, *, env: str = TOKEN_ENV) -> str | None:
    """The token in the file at ``path`` (surrounding whitespace removed), else the
    environment variable ``env``, else None. A token shorter than 16 characters is refused."""
    if path is not None:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(f"cannot read the token file {path}: {exc}; write the token in it as one line") from exc
        where = f"the token file {path}"
    else:
        token = os.environ.get(env, "").strip()
        where = f"${env}"
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS:
        raise TokenError(
            f"{where} holds a token of {len(token)} characters; use {MIN_TOKEN_CHARS} or more, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token
