"""Web pages (``.html``, ``.htm``, and the same gzipped: ``.html.gz``, ``.htm.gz``).

The article is extracted with trafilatura (the ``searchkit[html]`` extra), the strongest
Python extractor on public benchmarks, not with hand-written rules: navigation, ads,
comments and related links are left out. One page is one article:

* ``headline``: the page's title as trafilatura finds it (``og:title``, ``<h1>``, ``<title>``);
* ``body``: the extracted main text, paragraphs separated by a blank line;
* ``date``: the publication date found in the page (metadata, URL, visible text);
* ``source``: the site name (``og:site_name``...), else the host name of the page's URL;
* ``url``: the canonical URL (``<link rel=canonical>``, ``og:url``), so the id is stable;
* ``meta``: ``author``, ``description``, ``categories``, ``tags`` when found.

A page where no article is found (an index page, an error page, an empty shell) is an
:class:`~searchkit.errors.ArticleError` ("no article found"), not an article made of
noise. The page's bytes go to trafilatura undecoded, so it honours the encoding the page
declares. Measured on 90 real pages (``benchmarks/extraction.py``; README: Web pages).
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

from ..errors import ArticleError, MissingExtraError, ReadError
from ..models import Article

__all__ = ["EXTRA", "MIN_WORDS", "extract_page", "parse_html", "require"]

EXTRA = "pip install 'searchkit[html]'"
MIN_WORDS = 1
"""An extracted body with fewer words than this is "no article found", headline or not."""


def require() -> Any:
    """The trafilatura module; :class:`MissingExtraError` with the install line if absent."""
    try:
        import trafilatura
    except ImportError as exc:
        raise MissingExtraError(
            f"reading web pages needs trafilatura, which is not installed ({exc}); {EXTRA}"
        ) from None
    return trafilatura


def extract_page(data: bytes, *, url: str | None = None) -> dict[str, Any] | None:
    """trafilatura's findings for one page as plain values; None when it finds no article."""
    trafilatura = require()
    document = trafilatura.bare_extraction(
        data,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    if document is None:
        return None
    found = {name: getattr(document, name, None) for name in
             ("title", "text", "date", "sitename", "hostname", "url", "author", "description", "categories", "tags")}
    return found


def parse_html(data: bytes, *, path: str, gzipped: bool = False) -> Article | ArticleError | ReadError:
    """The article of one saved web page (``gzipped``: the bytes are a gzip stream)."""
    if gzipped:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            return ReadError(f"is not a valid gzip file: {exc}", path=path)
    if not data.strip():
        return ArticleError("no article found: the page is empty", location=path)
    try:
        found = extract_page(data)
    except MissingExtraError:
        raise
    except (ValueError, TypeError, AttributeError, LookupError, RecursionError) as exc:
        # lxml and trafilatura raise these on hostile markup; the page is reported, not fatal.
        return ArticleError(f"no article found: the page could not be parsed ({type(exc).__name__}: {exc})",
                            location=path)
    body = _paragraphs((found or {}).get("text") or "")
    if found is None or len(body.split()) < MIN_WORDS:
        return ArticleError(
            "no article found: the page holds no main text (an index, error or empty page?); not indexed",
            location=path,
        )
    headline = str(found.get("title") or "")
    if headline and body.startswith(headline):
        body = body[len(headline):].lstrip()  # trafilatura may repeat the <h1> as the first line
    meta: dict[str, Any] = {}
    for name in ("author", "description"):
        if found.get(name):
            meta[name] = str(found[name])
    for name in ("categories", "tags"):
        values = [str(value) for value in found.get(name) or [] if str(value).strip()]
        if values:
            meta[name] = values
    fields: dict[str, Any] = {
        "headline": headline,
        "body": body,
        "source": found.get("sitename") or found.get("hostname") or None,
        "meta": meta,
    }
    url = found.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        fields["url"] = url
    date = found.get("date")
    if isinstance(date, str) and date.strip():
        fields["date"] = date
    try:
        return Article.from_dict(fields, location=path)
    except ArticleError as exc:
        if exc.field not in ("date", "url"):
            return exc
        # A date or URL the page got wrong does not lose the article.
        fields.pop(exc.field)
        try:
            return Article.from_dict(fields, location=path)
        except ArticleError as second:
            return second


def _paragraphs(text: str) -> str:
    """trafilatura's one-line-per-paragraph text with blank lines between paragraphs."""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
