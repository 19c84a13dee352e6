"""Reading the dates news files really use.

``Article.date`` is a calendar date (:class:`datetime.date`), not a timestamp: the day the
publisher printed. When the input carries a time:

* with a zone or offset (``2024-11-30T23:30:00-05:00``), the date is the calendar day *in that
  offset*, as the publisher's readers saw it; it is not converted to UTC;
* without one (``2024-11-30 23:30``), the date part is taken as written.

Either way the full timestamp is kept (see :func:`parse_published`) so nothing is lost.
Accepted forms, tried in this order:

====================================  ==============================
``11/30/2024``                        MM/DD/YYYY (US order, as in the plain-text format)
``2024-11-30``                        ISO date
``2024-11-30T23:30:00Z`` and variants ISO 8601 with time, optional fraction and zone
``2024/11/30``                        year first with slashes
``20241130``                          basic ISO date
``Sat, 30 Nov 2024 10:00:00 +0000``   RFC 2822 (RSS feeds)
``30 November 2024``, ``Nov 30, 2024``  day-month-year and month-day-year in words
====================================  ==============================

Anything else is an error (:class:`ValueError` with the text), never a silent ``None``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["parse_date", "parse_published"]

_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_WEEKDAY_PREFIX = re.compile(r"^[A-Za-z]+,\s*")


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    from datetime import timedelta

    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_published(text: str) -> date | datetime:
    """Parse ``text`` into a date, or a datetime when it carries a time.

    The datetime is timezone-aware when the text gives a zone, naive otherwise.
    Raises :class:`ValueError` naming the text when no accepted form matches.
    """
    value = text.strip().replace("\u00a0", " ")
    try:
        if m := _ISO_TIME.fullmatch(value):
            year, month, day, hour, minute, second, fraction, zone = m.groups()
            micro = int((fraction or "0")[:6].ljust(6, "0"))
            return datetime(
                int(year), int(month), int(day), int(hour), int(minute),
                int(second or 0), micro, tzinfo=_offset(zone),
            )
        if m := _US.fullmatch(value):
            month, day, year = (int(g) for g in m.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if m := _YMD_SLASH.fullmatch(value):
            year, month, day = (int(g) for g in m.groups())
            return date(year, month, day)
        if m := _BASIC.fullmatch(value):
            year, month, day = (int(g) for g in m.groups())
            return date(year, month, day)
        if re.match(r"^[A-Za-z]{3},\s*\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", value):
            return parsedate_to_datetime(value)
        words = _WEEKDAY_PREFIX.sub("", value) if "," in value[:10] else value
        if m := _DAY_MONTH_YEAR.fullmatch(words):
            day_s, month_s, year_s = m.groups()
            if month_s.lower() in _MONTHS:
                return date(int(year_s), _MONTHS[month_s.lower()], int(day_s))
        if m := _MONTH_DAY_YEAR.fullmatch(words):
            month_s, day_s, year_s = m.groups()
            if month_s.lower() in _MONTHS:
                return date(int(year_s), _MONTHS[month_s.lower()], int(day_s))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"{text!r} is not a valid date: {exc}") from exc
    raise ValueError(
        f"{text!r} is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601"
    )


def parse_date(text: str) -> date:
    """The calendar date of ``text`` (see the module docstring for the time-zone rule)."""
    value = parse_published(text)
    return value.date() if isinstance(value, datetime) else value
