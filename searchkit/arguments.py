"""Checking the arguments of :meth:`Index.search` before any work is done.

Every wrong value raises :class:`~searchkit.errors.QueryError` (a ``ValueError``) and
every wrong type :class:`~searchkit.errors.QueryArgumentTypeError` (a ``QueryError`` that
is also a ``TypeError``), naming the argument, the value given and what is accepted. Dates may
be given as :class:`datetime.date`, :class:`datetime.datetime` (its calendar day) or an
ISO 8601 string (``"2014-01-01"``, ``"2014-01-01T09:30:00+02:00"``: the day as written).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from numbers import Integral, Real
from typing import Any, TypeAlias

from .errors import QueryArgumentTypeError, QueryError
from .models import Recency

__all__ = ["FACETS", "MAX_LIMIT", "MAX_SNIPPET_CHARS", "MIN_SNIPPET_CHARS", "FacetChoice", "SearchArguments",
           "check_search_arguments"]

MAX_LIMIT = 1000
MIN_SNIPPET_CHARS = 20
MAX_SNIPPET_CHARS = 10_000
_SORTS = ("relevance", "newest", "oldest")
_INTERVALS = ("auto", "day", "week", "month", "year")
_MODES = ("auto", "all", "any")
_COLLAPSES = ("duplicates", "story")
FACETS = ("source", "date", "stories")  # the facets a search can be asked for, as Facets names them

# Which facets to count: True (all), False (none) or the names of some of :data:`FACETS`.
FacetChoice: TypeAlias = bool | frozenset[str]


@dataclass(frozen=True)
class SearchArguments:
    """The arguments that checking normalizes: sources as a tuple, dates as dates."""

    sources: tuple[str, ...]
    since: date | None
    until: date | None
    limit: int
    page: int
    recency: Recency | None = None  # the origin still None when it is today
    facets: FacetChoice = True  # a set of names only when some but not all are asked for


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_error(name: str, value: object, accepted: str) -> QueryArgumentTypeError:
    return QueryArgumentTypeError(f"{name}={_shown(value)} ({type(value).__name__}) is not accepted; {name} must be {accepted}")


def _integer(name: str, value: object, low: int, high: int | None) -> int:
    accepted = f"an integer from {low} to {high}" if high is not None else f"an integer of {low} or more"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _type_error(name, value, accepted)
    number = int(value)
    if number < low or (high is not None and number > high):
        raise QueryError(f"{name}={number} is out of range; {name} must be {accepted}")
    return number


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    accepted = "one of " + ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise _type_error(name, value, accepted)
    if value not in choices:
        raise QueryError(f"unknown {name} {value!r}; use {accepted}")


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise _type_error(name, value, "True or False")


def _day(name: str, value: object) -> date | None:
    accepted = "a date, a datetime, an ISO 8601 date string such as '2014-01-01', or None"
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _type_error(name, value, accepted)
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise QueryError(f"{name}={_shown(value)} is not a date; {name} must be {accepted}") from None


def check_search_arguments(
    *,
    query: object,
    sources: object,
    since: object,
    until: object,
    sort: object,
    limit: object,
    page: object,
    cursor: object,
    date_interval: object,
    mode: object,
    strict: object,
    snippets: object,
    facets: object,
    source_facet_limit: object,
    snippet_chars: object,
    suggest_spelling: object,
    time_limit: object,
    feedback: object,
    recency: object = None,
    diversify: object = None,
    explain: object = False,
    collapse: object = None,
    facet_counts: object = "groups",
) -> SearchArguments:
    """Check every argument of a search; return the normalized ones (see the module docstring)."""
    if not isinstance(query, str):
        raise _type_error("query", query, "a string ('' matches every article)")
    if sources is None:
        names: tuple[str, ...] = ()
    elif isinstance(sources, str):
        names = (sources,)
    elif isinstance(sources, Sequence) or isinstance(sources, (set, frozenset)):
        items: list[Any] = list(sources)
        for item in items:
            if not isinstance(item, str):
                raise _type_error("sources", sources, "a source name or a list of source names (strings)")
        names = tuple(items)
    else:
        raise _type_error("sources", sources, "a source name or a list of source names (strings)")
    first, last = _day("since", since), _day("until", until)
    if first is not None and last is not None and first > last:
        raise QueryError(f"since ({first}) is after until ({last})")
    _choice("sort", sort, _SORTS)
    number = _integer("limit", limit, 1, MAX_LIMIT)
    page_number = _integer("page", page, 1, None)
    if cursor is not None and not isinstance(cursor, str):
        raise _type_error("cursor", cursor, "None or the next_cursor string of a previous page")
    if cursor is not None and page_number != 1:
        raise QueryError("give either page or cursor: a cursor already says where the page starts")
    _choice("date_interval", date_interval, _INTERVALS)
    _choice("mode", mode, _MODES)
    for name, flag in (("strict", strict), ("snippets", snippets),
                       ("suggest_spelling", suggest_spelling), ("feedback", feedback)):
        _flag(name, flag)
    if source_facet_limit is not None:
        _integer("source_facet_limit", source_facet_limit, 0, None)
    _integer("snippet_chars", snippet_chars, MIN_SNIPPET_CHARS, MAX_SNIPPET_CHARS)
    if time_limit is not None:
        accepted = "a number of seconds above 0, or None for no limit"
        if isinstance(time_limit, bool) or not isinstance(time_limit, Real):
            raise _type_error("time_limit", time_limit, accepted)
        if math.isnan(float(time_limit)) or float(time_limit) <= 0:
            raise QueryError(f"time_limit={time_limit!r} is out of range; time_limit must be {accepted}")
    _collapse_options(collapse, facet_counts)
    return SearchArguments(names, first, last, number, page_number,
                           _news_options(recency, diversify, explain, sort=sort, cursor=cursor, feedback=feedback),
                           _facets(facets))


def _facets(facets: object) -> FacetChoice:
    """Check ``facets``: True, False, or facet names (one, or a list of them) from :data:`FACETS`."""
    if isinstance(facets, bool):
        return facets
    accepted = "True (every facet), False (none), or a list of facet names from " + ", ".join(map(repr, FACETS))
    if isinstance(facets, str):
        facets = (facets,)
    if not isinstance(facets, (Sequence, set, frozenset)):
        raise _type_error("facets", facets, accepted)
    names = list(facets)
    for name in names:
        if not isinstance(name, str):
            raise _type_error("facets", facets, accepted)
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r} in facets={_shown(facets)}; facets must be {accepted}")
    chosen = frozenset(names)
    return True if chosen == frozenset(FACETS) else (chosen or False)


def _collapse_options(collapse: object, facet_counts: object) -> None:
    """Check ``collapse`` (None, "duplicates" or "story") and ``facet_counts``."""
    if collapse is not None:
        _choice("collapse", collapse, _COLLAPSES)
    _choice("facet_counts", facet_counts, ("articles", "groups"))


def _news_options(recency: object, diversify: object, explain: object, *, sort: object, cursor: object,
                  feedback: object) -> Recency | None:
    """Check ``recency``, ``diversify`` and ``explain``; return the recency as a :class:`Recency`."""
    if diversify is not None:
        _choice("diversify", diversify, ("source",))
        if sort != "relevance":
            raise QueryError(f"diversify={diversify!r} re-orders the relevance order; it cannot be used with "
                             f"sort={sort!r} (use sort='relevance' or leave diversify out)")
        if cursor is not None:
            raise QueryError(f"diversify={diversify!r} pages by number: pass page=N, not a cursor")
    _flag("explain", explain)
    if explain and feedback:
        raise QueryError("explain=True cannot explain feedback=True (RM3 re-scoring) yet; drop one of them")
    if recency is None:
        return None
    if isinstance(recency, str):
        parsed = Recency.parse(recency)
    elif isinstance(recency, Recency):
        parsed = recency
    else:
        raise _type_error("recency", recency, "None, a half-life such as '30d', or a searchkit.Recency")
    if sort != "relevance":
        raise QueryError(f"recency={recency!r} weighs relevance by age; with sort={sort!r} the results are already "
                         "in date order (use sort='relevance' or leave recency out)")
    return parsed
