"""The plain-text article format: one article per ``.txt`` file.

The layout, top to bottom (blank lines separate the parts; extra blank lines are fine)::

    • 11/30/2024                      date line: optional bullet, then a date (optional line)
    Headline of the article           headline: the first paragraph, if at most 300 characters
    Outlet Name                       outlet: a short single line without end punctuation
    First body paragraph.             body paragraphs, in order
    Source: Agency report             attribution line, kept out of the body
    More body.
    Background:                       optional heading, then bullet items
      • First item, which may wrap
        onto a continuation line.
      • Second item.
    Support us: become our patron!    boilerplate lines anywhere are dropped
    https://example.com/2024/11/30/a  URL: the last non-blank line, when it is a web URL

How it is read:

* CRLF and CR line ends, a UTF-8, UTF-16 or UTF-32 byte order mark, non-breaking spaces
  (U+00A0, U+202F, read as plain spaces) are accepted; every line is stripped of surrounding
  whitespace.
* Bullets are any of ``• ◦ ▪ ‣ ● ○ ▸ ·``, or ``- * – —`` followed by a space, at any indent.
  A bulleted first line of digits (and month names) that is not a valid date is an error;
  any other first line that is not a date is the headline.
* A line of at most 200 characters matching a boilerplate pattern (:data:`DEFAULT_BOILERPLATE`,
  or the ``boilerplate`` argument, which replaces it) is dropped wherever it stands.
* The body is the paragraphs joined by a blank line; lines inside a paragraph keep their
  line breaks. ``Source: ...`` paragraphs go to ``Article.attribution`` (several are
  joined with ``"; "``).
* Everything after the ``Background:`` heading is background: a bulleted line starts an
  item, an unbulleted line right under an item continues it, any other line starts an item.
* A date in the URL path (``/2024/04/24/``) is kept as ``meta["url_date"]`` (ISO); it
  never replaces the date line.
* The outlet line is recognised by shape, and only when it is surely one (see
  :func:`_is_outlet`): a one-line paragraph under the headline, followed by more text,
  written as a name (``The Lantern Post``, ``USA TODAY``, ``CNN (Web News)``). A date, a
  time, a weekday, a label with a colon, a dateline (``Murrayfield, Edinburgh``,
  ``WASHINGTON``), a sentence missing its full stop, or a line followed by a date or time
  paragraph (a venue above a fixture's date) is left in the body and ``source`` stays empty.

A file with NUL bytes, or with no headline and no body, is an :class:`ArticleError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..dates import parse_published
from ..errors import ArticleError
from ..models import Article
from ..urls import is_web_url

__all__ = ["DEFAULT_BOILERPLATE", "compile_boilerplate", "parse_text"]

DEFAULT_BOILERPLATE: tuple[str, ...] = (
    r"\bbecome (?:our|a|an) (?:[\w’'-]+ ){0,3}(?:patron|member|supporter|subscriber)\b",
    r"^support (?:us|our|local|independent)\b",
    r"^(?:please )?(?:donate|make a donation)\b|\bdonate (?:today|now|here)\b",
    r"\b(?:subscribe|sign up)\b.*\b(?:today|now|newsletter|inbox)\b",
    r"\bjournalism needs you\b|\breaders[’']? fund\b",
    r"^enjoyed this (?:story|article)\b",
    r"^follow us (?:on|at)\b",
    r"^share this (?:article|story|post)\b",
    r"^read (?:more|also)\b",
    r"^(?:click|tap) here to\b",
    r"^advertisement$",
)
"""Regular expressions for lines that are not part of the article: donation and
membership appeals, subscribe and follow-us prompts, share buttons, "Read more" links,
advertisement markers. Each is tried with ``re.search``, case-insensitive, on every
stripped line of at most :data:`MAX_BOILERPLATE` characters (longer lines are prose)."""

MAX_BOILERPLATE = 200
MAX_HEADLINE = 300
MAX_OUTLET = 80

_BULLET = re.compile(r"^(?:[•◦▪‣●○▸·]\s*|[-*–—]\s+)")
_BACKGROUND = re.compile(r"^background\s*:?$", re.IGNORECASE)
_SOURCE = re.compile(r"^source\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_URL_DATE = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?=/|$)")
_END_PUNCTUATION = tuple(".!?…:;,\"”’')")
_DATE_WORDS = frozenset(
    "jan feb mar apr may jun jul aug sep oct nov dec mon tue wed thu fri sat sun st nd rd th t z gmt utc".split()
)
_NBSP = str.maketrans({"\u00a0": " ", "\u202f": " "})
_DASHES = ("-", "–", "—")
_TRAILING_NOTE = re.compile(r"\s+\([^()]*\)$")
_WEEKDAY = re.compile(r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)day\b", re.IGNORECASE)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY_AND_MONTH = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?!\w)|\b{_MONTH}\s+\d{{1,2}}\b", re.IGNORECASE)
_TIME = re.compile(
    r"\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}\s*[ap]\.?m\b|\b\d{3,4}\s*(?:gmt|utc|bst|cet|cest|est|edt|pst|pdt|et|pt)\b",
    re.IGNORECASE,
)
_JOINING_WORDS = frozenset(
    "a an and at by da de del della der des di do dos du e el en et for in la le les los of on "
    "the to und van von y".split()
)

Row = tuple[int, str]
"""A line of the file: its 1-based number and its stripped text ("" for a blank line)."""


def compile_boilerplate(patterns: Iterable[str | re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
    """Compile boilerplate patterns (case-insensitive); a bad one raises ValueError."""
    compiled = []
    for pattern in patterns:
        if isinstance(pattern, re.Pattern):
            compiled.append(pattern)
            continue
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"boilerplate pattern {pattern!r} is not a valid regex: {exc}") from None
    return tuple(compiled)


_DEFAULT_PATTERNS = compile_boilerplate(DEFAULT_BOILERPLATE)


def parse_text(
    text: str, *, location: str, boilerplate: Sequence[re.Pattern[str]] = _DEFAULT_PATTERNS
) -> Article:
    """Read one article from the text of a file; ``location`` names the file in errors."""
    if "\x00" in text:
        nul_line = text.count("\n", 0, text.index("\x00")) + 1
        raise ArticleError(
            "contains NUL bytes: a binary file, not a text article "
            "(UTF-16 or UTF-32 text needs a byte order mark; or save it as UTF-8)",
            location=f"{location}:{nul_line}",
        )
    rows = _rows(text, boilerplate)
    fields: dict[str, Any] = {}
    filled = [index for index, (_, line) in enumerate(rows) if line]
    if filled:
        number, line = rows[filled[0]]
        day = _date_line(line, location=f"{location}:{number}")
        if day is not None:
            fields["date"] = day
            rows[filled.pop(0)] = (number, "")
    if filled:
        number, line = rows[filled[-1]]
        if " " not in line and is_web_url(line):
            fields["url"] = line
            rows[filled.pop()] = (number, "")
            if url_day := _url_date(line):
                fields["meta"] = {"url_date": url_day}
    if not filled:
        what = "only a date or URL" if fields else "no headline or body"
        raise ArticleError(f"is not an article: it has {what}", location=location)

    heading = next((i for i in filled if _BACKGROUND.match(rows[i][1])), len(rows))
    paragraphs = _paragraphs(rows[:heading])
    if paragraphs and len(first := " ".join(paragraphs[0])) <= MAX_HEADLINE:
        fields["headline"] = first
        paragraphs.pop(0)
        more = len(paragraphs) > 1 or heading < len(rows)
        if paragraphs and more and _is_outlet(paragraphs[0], paragraphs[1] if len(paragraphs) > 1 else None):
            fields["source"] = paragraphs.pop(0)[0]
    body, attributions = [], []
    for paragraph in paragraphs:
        if source := _SOURCE.match("\n".join(paragraph)):
            attributions.append(" ".join(source.group(1).split()))
        else:
            body.append("\n".join(paragraph))
    fields["body"] = "\n\n".join(body)
    fields["attribution"] = "; ".join(a for a in attributions if a) or None
    fields["background"] = _items(rows[heading + 1 :])
    return Article.from_dict(fields, location=location)


def _rows(text: str, boilerplate: Sequence[re.Pattern[str]]) -> list[Row]:
    """The numbered, stripped lines of ``text``, boilerplate lines blanked."""
    text = text.removeprefix("\ufeff").translate(_NBSP).replace("\r\n", "\n").replace("\r", "\n")
    rows: list[Row] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if line and len(line) <= MAX_BOILERPLATE and any(p.search(line) for p in boilerplate):
            line = ""
        rows.append((number, line))
    return rows


def _date_line(line: str, *, location: str) -> dt.date | dt.datetime | None:
    """The date of a date line; None when ``line`` is not one (it is then the headline)."""
    bullet = _BULLET.match(line)
    value = line[bullet.end() :] if bullet else line
    try:
        return parse_published(value)
    except ValueError as exc:
        if bullet and _looks_like_date(value):
            raise ArticleError(str(exc), location=location, field="date") from None
        return None


def _looks_like_date(value: str) -> bool:
    """True for digits with at most month or weekday names: a date that failed to parse."""
    words = (word.lower() for word in re.findall(r"[^\W\d_]+", value))
    return any(c.isdigit() for c in value) and all(
        word in _DATE_WORDS or word[:3] in _DATE_WORDS for word in words
    )


def _url_date(url: str) -> str | None:
    match = _URL_DATE.search(url.split("?", 1)[0])
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def _paragraphs(rows: Sequence[Row]) -> list[list[str]]:
    """Group non-blank lines into paragraphs separated by blank lines."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for _, line in rows:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _is_outlet(paragraph: list[str], following: list[str] | None) -> bool:
    """True for a paragraph that is surely an outlet name; when in doubt, False.

    An outlet is one short line without end punctuation, written as a name (each word
    capitalised, bar short joining words such as "of" and "de"). A date, a time, a
    weekday, a label (``Result: ...``), a dateline (a comma, as in ``Murrayfield,
    Edinburgh``, or a capitalised place such as ``WASHINGTON``) is never one, nor is a
    line followed by a date or time paragraph (a venue above a fixture's date).
    """
    line = paragraph[0]
    named = _TRAILING_NOTE.sub("", line)  # "CNN (Web News)"
    return (
        len(paragraph) == 1
        and len(line) <= MAX_OUTLET
        and not named.endswith(_END_PUNCTUATION + _DASHES)
        and not _BULLET.match(line)
        and not _SOURCE.match(line)
        and not any(mark in line for mark in ",:;|")
        and not _is_dateish(line)
        and not _is_capital_place(line)
        and _is_name(line)
        and not (following is not None and _is_date_line(" ".join(following)))
    )


def _is_dateish(text: str) -> bool:
    """True for a date, a time or a weekday, alone or inside other words."""
    if len(text) > MAX_OUTLET:
        return False
    try:
        parse_published(text)
        return True
    except ValueError:
        pass
    return bool(_looks_like_date(text) or _WEEKDAY.search(text) or _TIME.search(text) or _DAY_AND_MONTH.search(text))


def _is_date_line(text: str) -> bool:
    """True for a short paragraph of only a date or time (``Tuesday, 1 March``, ``1945 GMT``)."""
    return len(text) <= 40 and _looks_like_date(text)


def _is_capital_place(line: str) -> bool:
    """True for a dateline in capitals (``WASHINGTON``, ``NEW YORK CITY``), which cannot be
    told from an outlet in capitals unless it is short: ``CNN``, ``USA TODAY`` stay outlets."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and any(
        len(word) >= 6 for word in re.findall(r"[^\W\d_]+", line)
    )


def _is_name(line: str) -> bool:
    """True when every word is capitalised (or has a capital, or is a domain), bar joining words."""
    for word in line.split():
        core = word.strip("()[]\"'“”‘’!&-–—")
        if not core or not any(c.isalpha() for c in core):
            continue
        if core[0].isupper() or any(c.isupper() for c in core) or "." in core or core.casefold() in _JOINING_WORDS:
            continue
        return False
    return True


def _items(rows: Sequence[Row]) -> list[str]:
    """The background items under the heading, bullets removed, wrapped lines joined."""
    items: list[str] = []
    after_item = False
    for _, line in rows:
        if not line:
            after_item = False
            continue
        bullet = _BULLET.match(line)
        if bullet or not after_item:
            items.append(line[bullet.end() :] if bullet else line)
        else:
            items[-1] = f"{items[-1]} {line}"
        after_item = True
    return items
