"""Reuters-21578 SGML (``.sgm``): each ``<REUTERS>`` element is an article.

The collection's files are SGML, not XML: there is no root element, some attributes are
unquoted, the text carries character references such as ``&#2;`` and ``&#3;`` (control
characters, dropped) and ``&lt;``, and one byte is not UTF-8 (the reader decodes such a
file as Windows-1252 and warns). So this is a tolerant scanner, not an XML parser: it
finds each ``<REUTERS ...> ... </REUTERS>`` and reads the elements inside by name.

Mapping (see the collection's README.txt and ``lewis.dtd``):

* ``id`` is ``reuters-<NEWID>`` (``NEWID`` is the collection's own id, 1..21578);
* ``headline`` is ``<TITLE>``, ``body`` is ``<BODY>`` without the closing ``Reuter``
  sign-off line; ``source`` is ``Reuters``;
* ``date`` from ``<DATE>`` (``26-FEB-1987 15:02:20.00``; extra spaces and trailing noise
  such as ``&#5;&#5;&#5;RM`` are tolerated; a garbled time such as ``605:12:19.12`` keeps the
  day), the full timestamp in ``meta["published_at"]``;
* ``meta``: ``newid``, ``oldid``, ``lewissplit``, ``cgisplit``, ``topics_attribute`` (the
  ``TOPICS="YES"`` attribute), ``text_type`` (``NORM``, ``BRIEF``, ``UNPROC``), the
  category lists ``topics``, ``places``, ``people``, ``orgs``, ``exchanges`` (each a list,
  possibly empty), and ``dateline`` and ``author`` when present.

A record with neither a title nor a body (``TYPE="UNPROC"``: unstructured tables) is an
:class:`~searchkit.errors.ArticleError` located ``file.sgm:LINE NEWID n``; records with a
title but no body (``TYPE="BRIEF"`` flashes) are indexed with the headline only, and one
warning per file lists their NEWIDs. A ``<REUTERS>`` never closed is a
:class:`~searchkit.errors.ReadError` at its line.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ArticleError, ReadError
from ..models import Article

__all__ = ["SOURCE", "parse_sgml", "parse_reuters_date"]

SOURCE = "Reuters"
CATEGORIES = ("topics", "places", "people", "orgs", "exchanges")

_RECORD = re.compile(r"<REUTERS\b([^>]*)>(.*?)(?:</REUTERS\s*>|(?=<REUTERS\b)|\Z)", re.S | re.I)
_CLOSED = re.compile(r"</REUTERS\s*>\Z", re.I)
_ATTRIBUTE = re.compile(r"""([A-Za-z][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_D = re.compile(r"<D>(.*?)</D>", re.S | re.I)
_SIGN_OFF = re.compile(r"\n\s*REUTER\s*\Z", re.I)
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_TIME = re.compile(r"\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?")
_ELEMENTS: dict[str, re.Pattern[str]] = {}


def _element(name: str, content: str) -> tuple[str | None, str]:
    """The raw content and the attributes of the first ``<name ...>...</name>``; None if absent."""
    pattern = _ELEMENTS.get(name)
    if pattern is None:
        pattern = _ELEMENTS[name] = re.compile(rf"<{name}\b([^>]*)>(.*?)</{name}\s*>", re.S | re.I)
    match = pattern.search(content)
    if match is None:
        return None, ""
    return match.group(2), match.group(1)


def _text(raw: str) -> str:
    """Element content as text: nested tags dropped, references resolved, controls removed."""
    return html.unescape(re.sub(r"<[^>]*>", "", raw))


def _attributes(raw: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTRIBUTE.finditer(raw)}


def parse_reuters_date(text: str) -> dt.datetime | dt.date | None:
    """``26-FEB-1987 15:02:20.00`` as a datetime, tolerating extra spaces and trailing noise;
    the day alone when the time is garbled (``31-MAR-1987 605:12:19.12``); None if no day."""
    match = _DATE.search(text)
    if match is None:
        return None
    day, month_name, year = match.groups()
    month = _MONTHS.get(month_name.upper())
    if month is None:
        return None
    try:
        date = dt.date(int(year), month, int(day))
    except ValueError:
        return None
    time = _TIME.match(text, match.end())
    if time is None:
        return date
    hour, minute, second, fraction = time.groups()
    try:
        return dt.datetime.combine(
            date, dt.time(int(hour), int(minute), int(second), int((fraction or "0").ljust(6, "0")))
        )
    except ValueError:
        return date


def parse_sgml(
    text: str, *, path: str, warn: Callable[[str], object] = lambda message: None
) -> Iterator[Article | ArticleError | ReadError]:
    """The articles of one Reuters-21578 ``.sgm`` document, and the problems met, in order."""
    line, scanned = 1, 0
    brief: list[str] = []
    records = 0
    for match in _RECORD.finditer(text):
        line += text.count("\n", scanned, match.start())
        scanned = match.start()
        records += 1
        if not _CLOSED.search(match.group(0)[-64:]):
            yield ReadError(
                "a <REUTERS> record is not closed by </REUTERS>; it was not read", path=path, line=line
            )
            continue
        attributes = _attributes(match.group(1))
        newid = attributes.get("newid", "")
        location = f"{path}:{line} NEWID {newid}" if newid else f"{path}:{line}"
        try:
            article, has_body = _article(match.group(2), attributes, location=location)
        except ArticleError as exc:
            yield exc
            continue
        if not has_body:
            brief.append(newid or f"line {line}")
        yield article
    if brief:
        warn(
            f"{path}: {len(brief)} record(s) have a title but no body (TYPE=\"BRIEF\" flashes), "
            f"indexed with the headline only: NEWID {', '.join(brief)}"
        )
    if records == 0:
        yield ReadError("holds no <REUTERS> records; is it a Reuters-21578 .sgm file?", path=path)


def _article(content: str, attributes: dict[str, str], *, location: str) -> tuple[Article, bool]:
    newid = attributes.get("newid")
    if not newid or not newid.isdigit():
        raise ArticleError(
            f"the <REUTERS> tag has no numeric NEWID attribute (found {newid!r}); "
            "each record needs its NEWID as its id",
            location=location,
        )
    text_raw, text_attributes = _element("TEXT", content)
    text_type = _attributes(text_attributes).get("type", "NORM").upper()
    title_raw, _ = _element("TITLE", text_raw or "")
    body_raw, _ = _element("BODY", text_raw or "")
    headline = _text(title_raw or "").strip()
    body = _SIGN_OFF.sub("", _text(body_raw or "")).strip()
    if not headline and not body:
        kind = f' (TEXT TYPE="{text_type}": unstructured text)' if text_type == "UNPROC" else ""
        raise ArticleError(f"has no TITLE and no BODY{kind}; not indexed", location=location)
    meta: dict[str, Any] = {
        "newid": int(newid),
        "text_type": text_type,
    }
    for name in ("oldid", "lewissplit", "cgisplit"):
        if name in attributes:
            meta[name] = int(attributes[name]) if name == "oldid" and attributes[name].isdigit() else attributes[name]
    if "topics" in attributes:
        meta["topics_attribute"] = attributes["topics"]
    for name in CATEGORIES:
        raw, _ = _element(name, content)
        meta[name] = [_text(item).strip() for item in _D.findall(raw or "") if _text(item).strip()]
    for name in ("dateline", "author"):
        raw, _ = _element(name, text_raw or "")
        value = " ".join(_text(raw or "").split()).strip(" -")
        if value:
            meta[name] = value
    date_raw, _ = _element("DATE", content)
    fields: dict[str, Any] = {
        "id": f"reuters-{newid}",
        "headline": headline,
        "body": body,
        "source": SOURCE,
        "meta": meta,
    }
    if date_raw is not None:
        stamp = parse_reuters_date(_text(date_raw))
        if stamp is None:
            raise ArticleError(
                f"is not a date in the form 26-FEB-1987 15:02:20.00: {_text(date_raw).strip()!r}",
                location=location, field="date",
            )
        fields["date"] = stamp
    return Article.from_dict(fields, location=location), bool(body)
