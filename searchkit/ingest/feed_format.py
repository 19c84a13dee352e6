"""RSS and Atom feeds (``.rss``, ``.atom``, and ``.xml`` files that hold a feed), read with
feedparser (the ``searchkit[feeds]`` extra). Each item (RSS ``<item>``, Atom ``<entry>``)
is an article:

* ``headline``: the item's title; ``body``: its full content (``content:encoded``, Atom
  ``<content>``), else its summary / description, with HTML turned into text (paragraphs
  and line breaks kept, tags, scripts and styles dropped, entities resolved);
* ``date``: published, else updated (the full timestamp in ``meta["published_at"]``);
* ``url``: the item's link, so the id is stable and the same item read again is unchanged;
* ``source``: the feed's title;
* ``meta``: ``categories`` (the item's categories / tags), ``author``, ``guid``, ``feed_url``
  (the feed's own link) when present.

An item with neither a title nor any text is an :class:`~searchkit.errors.ArticleError`
located ``feed.xml item N``. A file that is not a feed at all is a
:class:`~searchkit.errors.ReadError`; a feed that is malformed but still yields items is read
and warned about.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

from ..errors import ArticleError, MissingExtraError, ReadError
from ..models import Article

__all__ = ["EXTRA", "html_to_text", "looks_like_feed", "parse_feed", "require"]

EXTRA = "pip install 'searchkit[feeds]'"
_FEED_START = re.compile(rb"<(?:rss|feed|rdf:RDF)\b", re.I)


def require() -> Any:
    """The feedparser module; :class:`MissingExtraError` with the install line if absent."""
    try:
        import feedparser  # type: ignore[import-untyped]
    except ImportError as exc:
        raise MissingExtraError(f"reading RSS and Atom feeds needs feedparser, which is not installed ({exc}); {EXTRA}") from None
    return feedparser


def looks_like_feed(start: bytes) -> bool:
    """Whether the first bytes of a file open an RSS, RDF or Atom document."""
    return _FEED_START.search(start[:4096]) is not None


_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "table", "tr", "section", "article", "figure", "hr"})
_WHITESPACE = re.compile(r"[ \t\r\n\f]+")
_HIDDEN = frozenset({"script", "style", "template", "noscript"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS and tag != "br":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(_WHITESPACE.sub(" ", data))


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment: blocks become paragraphs, ``<br>`` a line break, other
    whitespace folded to single spaces."""
    if "<" not in markup:
        return html.unescape(markup).strip()
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    paragraphs = ("\n".join(" ".join(line.split()) for line in chunk.split("\n") if line.strip())
                  for chunk in re.split(r"\n[ ]*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def parse_feed(
    data: bytes, *, path: str, warn: Callable[[str], object] = lambda message: None
) -> Iterator[Article | ArticleError | ReadError]:
    """The articles of one RSS or Atom document, and the problems met, in order."""
    feedparser = require()
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        problem = parsed.get("bozo_exception")
        why = f" ({problem})" if problem else ""
        yield ReadError(f"is not an RSS or Atom feed{why}", path=path)
        return
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warn(f"{path}: the feed is not well-formed ({parsed['bozo_exception']}); read what could be read")
    feed = parsed.get("feed") or {}
    source = (feed.get("title") or "").strip() or None
    for number, entry in enumerate(entries, start=1):
        location = f"{path} item {number}"
        try:
            yield _article(entry, source=source, feed_link=feed.get("link"), location=location)
        except ArticleError as exc:
            yield exc


def _article(entry: Any, *, source: str | None, feed_link: Any, location: str) -> Article:
    headline = html_to_text(entry.get("title") or "")
    content = entry.get("content") or []
    bodies = [part.get("value") or "" for part in content if isinstance(part, dict)]
    body = html_to_text(max(bodies, key=len)) if any(bodies) else html_to_text(entry.get("summary") or "")
    if not headline and not body:
        raise ArticleError("has no title and no content or summary; not indexed", location=location)
    meta: dict[str, Any] = {}
    categories = [str(tag.get("term")).strip() for tag in entry.get("tags") or [] if tag.get("term")]
    if categories:
        meta["categories"] = categories
    for key, name in (("author", "author"), ("id", "guid")):
        if entry.get(key):
            meta[name] = str(entry[key])
    if isinstance(feed_link, str) and feed_link:
        meta["feed_url"] = feed_link
    fields: dict[str, Any] = {"headline": headline, "body": body, "source": source, "meta": meta}
    link = entry.get("link")
    if isinstance(link, str) and link.startswith(("http://", "https://")):
        fields["url"] = link
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if stamp is not None:
        try:
            fields["date"] = dt.datetime.fromtimestamp(calendar.timegm(stamp), tz=dt.timezone.utc)
        except (OverflowError, ValueError, OSError):
            pass
    elif entry.get("published") or entry.get("updated"):
        raw = entry.get("published") or entry.get("updated")
        raise ArticleError(f"is not a date feedparser can read: {raw!r}", location=location, field="date")
    return Article.from_dict(fields, location=location)
