"""Canonical article URLs, the basis of ids derived from a URL.

Two spellings of one article's address give one canonical URL: scheme and host are
lower-cased, default ports, fragments and a trailing slash are dropped, tracking parameters
(``utm_*``, ``fbclid``, ``gclid`` and the others in :data:`TRACKING_PARAMETERS`) are removed
and the remaining query parameters are sorted.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMETERS", "canonical_url", "is_web_url"]

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "cmpid", "ocid", "ito", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname",
        "ns_fee", "_ga", "_gl", "ref", "ref_src", "smid", "smtyp", "cid", "sr_share",
        "taid", "xtor", "at_medium", "at_campaign", "guccounter", "soc_src", "soc_trk",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_web_url(text: str) -> bool:
    """True if ``text`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(text.strip())
        _ = parts.port  # raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        return False
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)


def canonical_url(text: str) -> str:
    """The canonical form of an absolute URL (see the module docstring)."""
    parts = urlsplit(text.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    params = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMETERS
    ]
    query = urlencode(sorted(params))
    return urlunsplit((scheme, netloc, path, query, ""))
