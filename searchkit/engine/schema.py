"""The one mapping from :class:`~searchkit.models.Article` to the index's fields.

Searchable text fields, in the order the engine stores them: ``headline``, ``body`` and
``background`` (the bullets, one per line). ``source`` is an exact, case-insensitive
keyword used for filters and facets (facets show the display name as first indexed);
``date`` is a day number for sorting, ranges and the date histogram; ``id`` is unique;
``url``, ``attribution`` and ``meta`` are stored only.

:func:`whoosh_schema` describes the same fields to Whoosh, so the table of contents of a
searchkit index states its schema in Whoosh's own terms.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Analyzer, Token
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from ..analysis import iter_tokens

__all__ = ["NewsAnalyzer", "whoosh_schema"]


class NewsAnalyzer(Analyzer):  # type: ignore[misc]
    """searchkit's analysis (:mod:`searchkit.analysis`) as a Whoosh analyzer."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, **kwargs: Any) -> Iterator[Token]:
        token = Token(positions=positions, chars=chars, **kwargs)
        for raw in iter_tokens(value):
            for term in raw.terms:
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = raw.position
                if chars:
                    token.startchar, token.endchar = raw.start, raw.end
                yield token


def whoosh_schema() -> Schema:
    analyzer = NewsAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        headline=TEXT(analyzer=analyzer, stored=True),
        body=TEXT(analyzer=analyzer, stored=True),
        background=TEXT(analyzer=analyzer, stored=True),
        source=KEYWORD(stored=True, lowercase=True, commas=True),
        date=DATETIME(stored=True, sortable=True),
        url=STORED(),
    )
