"""Where an OpenSearch index lives and how to reach it: the URL, credentials, TLS, timeouts.

An index is named by a URL, ``http(s)://[user:password@]host[:port]/index-name``. Credentials
come from the URL, the keyword arguments, or the environment (the first that has them):

=================================  ===============================================
``SEARCHKIT_OPENSEARCH_USER``      user name for HTTP basic authentication
``SEARCHKIT_OPENSEARCH_PASSWORD``  its password
``SEARCHKIT_OPENSEARCH_API_KEY``   an API key (sent as ``Authorization: ApiKey ...``)
``SEARCHKIT_OPENSEARCH_CA_FILE``   a CA bundle to verify the cluster's certificate
=================================  ===============================================

TLS certificates are verified unless ``verify_certs=False`` is passed. Credentials are kept
out of :attr:`ClusterTarget.display`, ``repr`` and every error message.

Errors from opensearch-py are translated here (:func:`translated_errors`) into searchkit's
own: :class:`~searchkit.errors.ClusterError` (refused, timed out, failed),
:class:`~searchkit.errors.ClusterAuthError` (401/403) and
:class:`~searchkit.errors.IndexNotFoundError` (no such index).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..errors import ClusterAuthError, ClusterError, IndexNotFoundError, IndexURLError, MissingExtraError

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

__all__ = ["ClusterTarget", "import_client", "is_index_url", "make_client", "parse_index_url", "translated_errors"]

ENV_USER = "SEARCHKIT_OPENSEARCH_USER"
ENV_PASSWORD = "SEARCHKIT_OPENSEARCH_PASSWORD"
ENV_API_KEY = "SEARCHKIT_OPENSEARCH_API_KEY"
ENV_CA_FILE = "SEARCHKIT_OPENSEARCH_CA_FILE"
DEFAULT_TIMEOUT = 30.0
# OpenSearch's rules for index names, minus the ones that cannot occur in a URL path anyway.
_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,254}$")


def is_index_url(value: object) -> bool:
    """True for ``http://`` and ``https://`` strings: an OpenSearch index rather than a folder."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def import_client() -> Any:
    """The ``opensearchpy`` module, or one clear error saying which extra to install."""
    try:
        import opensearchpy
    except ImportError:
        raise MissingExtraError(
            'searchkit needs opensearch-py for OpenSearch indexes: pip install "searchkit[opensearch]"'
        ) from None
    return opensearchpy


@dataclass(frozen=True)
class ClusterTarget:
    """One index on one cluster, with how to connect. Secrets never show in ``repr``."""

    host: str  # scheme://host:port, no credentials
    index: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    verify_certs: bool = True
    ca_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def display(self) -> str:
        """The index URL without credentials, for messages and stats."""
        return f"{self.host}/{self.index}"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.username, self.password, self.api_key) if s)


def parse_index_url(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    api_key: str | None = None,
    verify_certs: bool = True,
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> ClusterTarget:
    """Read ``http(s)://[user:password@]host[:port]/index`` and the connection settings."""
    env = os.environ if environ is None else environ
    if not is_index_url(url):
        raise IndexURLError(f"{_redact_url(url)!r} is not an OpenSearch index URL; use http(s)://host:port/index-name")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise IndexURLError(f"{_redact_url(url)!r} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise IndexURLError(f"{_redact_url(url)!r} names no host; use http(s)://host:port/index-name")
    if parts.query or parts.fragment:
        raise IndexURLError(f"{_redact_url(url)!r}: an index URL takes no query string or fragment")
    index = unquote(parts.path.strip("/"))
    if not index:
        raise IndexURLError(f"{_redact_url(url)!r} names no index; add it as the path: http(s)://host:port/index-name")
    if not _INDEX_NAME.match(index) or index in (".", ".."):
        raise IndexURLError(
            f"{index!r} in {_redact_url(url)!r} is not a valid OpenSearch index name; use lower-case letters, "
            "digits, '_', '-', '.', '+', starting with a letter or digit"
        )
    if not (timeout > 0):
        raise IndexURLError(f"timeout={timeout!r} must be a positive number of seconds")
    hostname = parts.hostname
    if ":" in hostname:
        hostname = f"[{hostname}]"
    host = f"{parts.scheme.lower()}://{hostname}" + (f":{port}" if port else "")
    user = unquote(parts.username) if parts.username else username or env.get(ENV_USER) or None
    secret = unquote(parts.password) if parts.password else password or env.get(ENV_PASSWORD) or None
    key = api_key or env.get(ENV_API_KEY) or None
    if secret and not user:
        raise IndexURLError(f"a password was given for {host}/{index} without a user name; set {ENV_USER}")
    return ClusterTarget(
        host=host, index=index, username=user, password=secret, api_key=key, verify_certs=verify_certs,
        ca_file=ca_file or env.get(ENV_CA_FILE) or None, timeout=float(timeout),
    )


def _redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` part replaced by ``***@``."""
    return re.sub(r"(?<=://)[^/@]*@", "***@", url)


def make_client(target: ClusterTarget) -> OpenSearch:
    """An opensearch-py client for ``target``: it retries 429/502/503/504, timeouts and refused
    connections 3 times, waiting 0.5 s, 1 s and 2 s before them (:mod:`.transport`)."""
    opensearchpy = import_client()
    from .transport import BackoffTransport

    options: dict[str, Any] = {
        "hosts": [target.host],
        "transport_class": BackoffTransport,
        "where": target.display,
        "timeout": target.timeout,
        "max_retries": 3,
        "retry_on_timeout": True,
        "retry_on_status": (429, 502, 503, 504),
        "verify_certs": target.verify_certs,
        "ssl_show_warn": target.verify_certs,
    }
    if target.ca_file:
        options["ca_certs"] = target.ca_file
    if target.api_key:
        options["headers"] = {"Authorization": f"ApiKey {target.api_key}"}
    elif target.username:
        options["http_auth"] = (target.username, target.password or "")
    client: OpenSearch = opensearchpy.OpenSearch(**options)
    return client


def _scrub(text: str, target: ClusterTarget) -> str:
    for secret in target.secrets():
        text = text.replace(secret, "***")
    return text


@contextlib.contextmanager
def translated_errors(target: ClusterTarget, action: str) -> Iterator[None]:
    """Turn opensearch-py's exceptions raised while ``action`` into searchkit errors."""
    opensearchpy = import_client()
    where = target.display
    try:
        yield
    except opensearchpy.ConnectionTimeout:
        raise ClusterError(
            f"{where}: timed out after {target.timeout:g} s while {action}; the cluster may be overloaded "
            "or unreachable: check it, or raise timeout="
        ) from None
    except opensearchpy.SSLError as exc:
        raise ClusterError(
            f"{where}: TLS failed while {action} ({_scrub(type(exc.info).__name__ if exc.info else 'SSL error', target)}); "
            f"pass the cluster's CA with ca_file= or {ENV_CA_FILE}"
        ) from None
    except opensearchpy.ConnectionError:
        raise ClusterError(
            f"cannot connect to {where} while {action}: connection refused or host unreachable; "
            "is the cluster running and is the URL right?"
        ) from None
    except (opensearchpy.AuthenticationException, opensearchpy.AuthorizationException) as exc:
        what = "refused the credentials" if exc.status_code == 401 else "denied the permission"
        raise ClusterAuthError(
            f"{where}: the cluster {what} (HTTP {exc.status_code}) while {action}; check the user and password "
            f"or API key ({ENV_USER}, {ENV_PASSWORD}, {ENV_API_KEY})"
        ) from None
    except opensearchpy.NotFoundError as exc:
        if exc.error == "index_not_found_exception":
            raise IndexNotFoundError(where, "create it with OpenSearchIndex.create") from None
        raise ClusterError(f"{where}: not found while {action}: {_scrub(_reason(exc), target)}") from None
    except opensearchpy.TransportError as exc:
        status = exc.status_code
        raise ClusterError(
            f"{where}: the cluster failed while {action} (HTTP {status}: {_scrub(_reason(exc), target)})"
        ) from None


def _reason(exc: Any) -> str:
    """The error type and reason OpenSearch gave, in one line."""
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            root = (error.get("root_cause") or [error])[0]
            if isinstance(root, dict):
                return f"{root.get('type', 'error')}: {str(root.get('reason', ''))[:300]}"
        if isinstance(error, str):
            return error[:300]
    return str(getattr(exc, "error", "") or type(exc).__name__)[:300]
