"""The query language: parsing a query string into searchkit's own query tree.

Syntax (see the README for examples)::

    desertion courts            words; how they combine depends on the mode (below)
    "donetsk oblast"            a phrase: the words next to each other, in order
    headline:flood              a word, phrase, prefix or group scoped to one field:
    body:"river olm"              headline, body, background (title: means headline)
    source:"Harbor Daily"       only articles from this source (exact, any case)
    flood AND budget            both;  flood OR fire: either;  NOT / -word: not this
    +flood fire                 flood is required, fire only adds to the score
    evacuat*                    words starting with "evacuat" (matched against index terms)
    ukrane~  ukrane~2           words within 1 (or 2, the most) edits, same first letter
                                (a swap of two adjacent letters is one edit)
    date:2024-04  date:2024     a month, a year, or a day (date:2024-04-24)
    date:[2024-01-01 TO 2024-03-31]   an inclusive range; {..} excludes ends; * is open
    ( ... )                     grouping

**The mode** decides how words without an operator combine: ``"all"`` requires every
word, ``"any"`` requires at least one and ranks by how many match (BM25), and the
default ``"auto"`` uses ``"all"`` when the whole query has at most
:data:`AUTO_ALL_MAX_WORDS` words and phrases, not counting stop words, operators and
filters (short queries want precision), and ``"any"`` for longer ones (pasted questions
would match nothing otherwise; see the README's ranking section for the evidence). A
query that marks words required with ``+`` is read in ``"any"`` mode, so its other words
stay optional. Explicit ``AND``/``OR``/``NOT``, ``+`` and ``-`` always win. The
operators must be written in capitals, and a query with no lower-case letter at all
(``EFFECT OF FLOODS AND FIRES``) is read as words, operators included.

**Lenient by default.** Any string runs: a stray quote, parenthesis or operator, an
unknown field (``url:reuters``, ``topic:isis``: the name is dropped and the value searched
as plain words in every field, ``reuters``, ``isis``, so a query cannot reach fields that
are not searchable) or a bad date is skipped and reported in the parse result's
``errors`` (the first :data:`MAX_REPORTED_ERRORS`, then a count). ``strict=True`` raises :class:`~searchkit.errors.QuerySyntaxError` at the first
problem instead, naming its character position.

**Bounds.** A query may hold at most :data:`MAX_CLAUSES` clauses and nest
:data:`MAX_DEPTH` levels; fuzzy distances above 2 are refused. Past these the query is
refused with :class:`~searchkit.errors.QueryTooComplexError` in both modes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Union

from .analysis import analyze_query_word
from .errors import QueryError, QuerySyntaxError, QueryTooComplexError

__all__ = [
    "AUTO_ALL_MAX_WORDS",
    "And",
    "DateRange",
    "Fuzzy",
    "MatchAll",
    "Not",
    "Or",
    "ParsedQuery",
    "Phrase",
    "Prefix",
    "Query",
    "QueryMode",
    "SourceIs",
    "Term",
    "parse_query",
]

TextField = Literal["headline", "body", "background"]
QueryMode = Literal["auto", "all", "any"]
AUTO_ALL_MAX_WORDS = 3
MAX_CLAUSES = 1024
MAX_DEPTH = 32
MAX_FUZZY_DISTANCE = 2
MAX_REPORTED_ERRORS = 20
FIELD_NAMES: dict[str, str] = {
    "headline": "headline", "title": "headline", "body": "body", "text": "body",
    "background": "background", "source": "source", "date": "date",
}
_FIELD_LIST = "headline (or title), body (or text), background, source, date"


@dataclass(frozen=True)
class Term:
    """A word as typed; analyzed into index terms when the query runs."""

    word: str
    field: TextField | None = None


@dataclass(frozen=True)
class Phrase:
    words: str
    field: TextField | None = None


@dataclass(frozen=True)
class Prefix:
    prefix: str
    field: TextField | None = None


@dataclass(frozen=True)
class Fuzzy:
    word: str
    distance: int
    field: TextField | None = None


@dataclass(frozen=True)
class SourceIs:
    name: str


@dataclass(frozen=True)
class DateRange:
    """Days from ``start`` to ``end``, both inclusive; ``None`` is open."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Not:
    child: Query


@dataclass(frozen=True)
class And:
    children: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    """At least ``minimum`` of ``children`` must match; each match adds to the score."""

    children: tuple[Query, ...]
    minimum: int = 1


Query = Union[Term, Phrase, Prefix, Fuzzy, SourceIs, DateRange, MatchAll, Not, And, Or]


@dataclass(frozen=True)
class ParsedQuery:
    query: Query
    errors: list[QuerySyntaxError] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Lexing

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<phrase>"[^"]*"?)
      | (?P<word>[^\s()"]+)""",
    re.VERBOSE,
)
_FUZZY = re.compile(r"^(?P<word>.+?)~(?P<distance>\d*)$")
_DATE_VALUE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass
class _Tok:
    kind: str
    text: str
    at: int


def _lex(text: str) -> list[_Tok]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "word"
        if kind != "space":
            tokens.append(_Tok(kind, match.group(), match.start()))
    return tokens


# ---------------------------------------------------------------------------------------
# Parsing


class _Parser:
    def __init__(self, text: str, *, mode: QueryMode, strict: bool):
        self.text = text
        self.tokens = _lex(text)
        if not any(ch.islower() for ch in text):
            # An all-capitals query is shouting, not syntax: AND/OR/NOT are words there.
            for tok in self.tokens:
                if tok.kind == "word" and tok.text in ("AND", "OR", "NOT"):
                    tok.text = tok.text.lower()
        self.i = 0
        self.strict = strict
        if mode == "auto":
            # "+word" asks for required-versus-optional semantics: the other words are optional.
            required_marks = any(t.kind == "word" and len(t.text) > 1 and t.text[0] == "+" for t in self.tokens)
            short = self.content_words() <= AUTO_ALL_MAX_WORDS
            mode = "all" if short and not required_marks else "any"
        self.mode = mode
        self.errors: list[QuerySyntaxError] = []
        self.skipped_errors = 0
        self.clauses = 0
        self.drop_unmatched_parentheses()

    # helpers

    def content_words(self) -> int:
        """Words and phrases that will be searched for: not operators, filters or stop words."""
        count = 0
        for tok in self.tokens:
            if tok.kind == "phrase":
                count += 1
            elif tok.kind == "word" and tok.text not in ("AND", "OR", "NOT"):
                name, colon, rest = tok.text.partition(":")
                if colon and FIELD_NAMES.get(name.lower()) in ("source", "date"):
                    continue
                known = name.lower() in FIELD_NAMES or (name.isidentifier() and rest)
                count += bool(analyze_query_word(rest if colon and known else tok.text))
        return count

    def error(self, reason: str, at: int) -> None:
        if not self.strict and len(self.errors) >= MAX_REPORTED_ERRORS:
            self.skipped_errors += 1
            return
        problem = QuerySyntaxError(reason, query=self.text, position=at)
        if self.strict:
            raise problem
        self.errors.append(problem)

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def count_clause(self, at: int) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryTooComplexError(
                f"the query has more than {MAX_CLAUSES} clauses (at position {at}); shorten it"
            )

    # grammar: or_expr := and_expr (OR and_expr)*

    def drop_unmatched_parentheses(self) -> None:
        """Report and drop every ')' that closes nothing, before parsing."""
        depth = 0
        kept = []
        for tok in self.tokens:
            if tok.kind == "lparen":
                depth += 1
            elif tok.kind == "rparen":
                if depth == 0:
                    self.error("unexpected ')'", tok.at)
                    continue
                depth -= 1
            kept.append(tok)
        self.tokens = kept

    def parse(self) -> Query:
        parts = [self.or_expr(0)]
        while (tok := self.peek()) is not None:
            # Whatever the grammar could not place: report it, skip it, read on (flat, never deeper).
            self.error(f"unexpected {tok.text!r}", tok.at)
            self.i += 1
            if self.peek() is not None:
                parts.append(self.or_expr(0))
        query = _combine_or(parts)
        if self.skipped_errors:
            self.errors.append(QuerySyntaxError(
                f"and {self.skipped_errors} more problems like these, skipped", query=self.text, position=len(self.text)
            ))
        return query

    def or_expr(self, depth: int) -> Query:
        parts = [self.and_expr(depth)]
        while (tok := self.peek()) is not None and tok.kind == "word" and tok.text == "OR":
            self.i += 1
            if self.at_clause_end():
                self.error("OR needs something after it", tok.at)
                continue
            parts.append(self.and_expr(depth))
        return _combine_or(parts)

    def at_clause_end(self) -> bool:
        tok = self.peek()
        return tok is None or tok.kind == "rparen" or (tok.kind == "word" and tok.text == "OR")

    def and_expr(self, depth: int) -> Query:
        # A sequence of clauses: explicit AND binds neighbours; plain neighbours follow the mode.
        must: list[Query] = []
        should: list[Query] = []
        must_not: list[Query] = []
        explicit_and = False
        while not self.at_clause_end():
            tok = self.peek()
            assert tok is not None
            if tok.kind == "word" and tok.text == "AND":
                self.i += 1
                if self.at_clause_end() or not (must or should or must_not):
                    self.error("AND needs something on both sides", tok.at)
                    continue
                explicit_and = True
                if should:
                    must.append(should.pop())
                continue
            sign = ""
            if tok.kind == "word" and tok.text == "NOT":
                self.i += 1
                if self.at_clause_end():
                    self.error("NOT needs something after it", tok.at)
                    continue
                sign = "-"
            clause, sign2 = self.unary(depth)
            sign = sign or sign2
            if clause is None:
                continue
            if sign == "-":
                must_not.append(clause)
            elif sign == "+" or explicit_and or isinstance(clause, (SourceIs, DateRange)):
                must.append(clause)
            else:
                should.append(clause)
            explicit_and = False
        if should and self.mode == "all":
            must.extend(should)
            should = []
        return _combine_and(must, should, must_not)

    def unary(self, depth: int) -> tuple[Query | None, str]:
        tok = self.peek()
        assert tok is not None
        sign = ""
        if tok.kind == "word" and len(tok.text) > 1 and tok.text[0] in "+-":
            sign = tok.text[0]
            tok.text = tok.text[1:]
            tok.at += 1
        return self.primary(depth), sign

    def primary(self, depth: int, scope: str | None = None) -> Query | None:
        tok = self.peek()
        assert tok is not None
        if depth > MAX_DEPTH:
            raise QueryTooComplexError(f"the query nests deeper than {MAX_DEPTH} levels (at position {tok.at})")
        if tok.kind == "lparen":
            self.i += 1
            inner = self.or_expr(depth + 1)
            close = self.peek()
            closed = close is not None and close.kind == "rparen"
            if closed:
                self.i += 1
            else:
                self.error("missing ')'", close.at if close else len(self.text))
            if isinstance(inner, And) and not inner.children:
                if closed:
                    self.error("empty parentheses", tok.at)
                return None
            return _scoped(inner, scope)
        if tok.kind == "rparen":
            self.i += 1
            self.error("unmatched ')'", tok.at)
            return None
        self.i += 1
        if tok.kind == "phrase":
            closed = len(tok.text) > 1 and tok.text.endswith('"')
            if not closed:
                self.error("missing closing quote", tok.at)
            words = tok.text[1:-1] if closed else tok.text[1:]
            if not words.strip():
                return None
            self.count_clause(tok.at)
            return Phrase(words, _text_field(scope))
        return self.word(tok, depth, scope)

    def word(self, tok: _Tok, depth: int, scope: str | None) -> Query | None:
        text = tok.text
        name, colon, rest = text.partition(":")
        if colon and scope is None and name.lower() in FIELD_NAMES:
            target = FIELD_NAMES[name.lower()]
            if target == "date":
                return self.date_clause(rest, tok.at + len(name) + 1)
            if not rest:
                follow = self.peek()
                if follow is None or follow.kind == "rparen":
                    self.error(f"{name}: needs a value", tok.at)
                    return None
                if target == "source":
                    self.i += 1
                    value = follow.text.strip('"') if follow.kind == "phrase" else follow.text
                    self.count_clause(follow.at)
                    return SourceIs(value) if value.strip() else None
                return self.primary(depth, target)
            if target == "source":
                self.count_clause(tok.at)
                return SourceIs(rest)
            return self.word(_Tok("word", rest, tok.at + len(name) + 1), depth, target)
        if colon and scope is None and name and name.isidentifier() and rest:
            # Not a field a query can reach: drop the name, search the value as plain words.
            self.error(
                f"unknown field {name!r}: searched {rest!r} as plain words in every field; "
                f"fields are {_FIELD_LIST}", tok.at,
            )
            text = rest
        self.count_clause(tok.at)
        field = _text_field(scope)
        if text.endswith("*") and len(text) > 1 and not text[:-1].endswith("*"):
            return Prefix(text[:-1], field)
        if text == "*":
            return MatchAll()
        fuzzy = _FUZZY.match(text)
        if fuzzy:
            digits = fuzzy.group("distance")
            distance = int(digits) if 0 < len(digits) <= 3 else (-1 if not digits else MAX_FUZZY_DISTANCE + 1)
            if distance > MAX_FUZZY_DISTANCE:
                shown = digits if len(digits) <= 3 else f"of {len(digits)} digits"
                raise QueryTooComplexError(
                    f"fuzzy distance {shown} at position {tok.at} is above the limit of {MAX_FUZZY_DISTANCE}"
                )
            return Fuzzy(fuzzy.group("word"), distance, field)
        return Term(text, field)

    def date_clause(self, value: str, at: int) -> Query | None:
        if not value:
            follow = self.peek()
            if follow is not None and follow.kind == "word" and follow.text[:1] in "[{":
                self.i += 1
                value, at = follow.text, follow.at
            else:
                self.error("date: needs a value such as 2024-04 or [2024-01-01 TO 2024-03-31]", at)
                return None
        if value[:1] in "[{":
            return self.date_range(value, at)
        try:
            start, end = _date_span(value)
        except ValueError as exc:
            self.error(f"bad date {value!r}: {exc}", at)
            return None
        self.count_clause(at)
        return DateRange(start, end)

    def date_range(self, first: str, at: int) -> Query | None:
        # Gather "[a", "TO", "b]" from separate tokens.
        parts = [first]
        while not parts[-1].endswith(("]", "}")) and (tok := self.peek()) is not None and tok.kind == "word":
            parts.append(tok.text)
            self.i += 1
        text = " ".join(parts)
        match = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+?)\s*([\]}])", text)
        if not match:
            self.error("a date range looks like [2024-01-01 TO 2024-03-31]", at)
            return None
        open_bracket, low, high, close_bracket = match.groups()
        try:
            start = None if low == "*" else _date_span(low)[0 if open_bracket == "[" else 1]
            end = None if high == "*" else _date_span(high)[1 if close_bracket == "]" else 0]
        except ValueError as exc:
            self.error(f"bad date in range: {exc}", at)
            return None
        if open_bracket == "{" and start is not None:
            start = date.fromordinal(start.toordinal() + 1)
        if close_bracket == "}" and end is not None:
            end = date.fromordinal(end.toordinal() - 1)
        self.count_clause(at)
        return DateRange(start, end)


def _text_field(scope: str | None) -> TextField | None:
    if scope in ("headline", "body", "background"):
        return scope  # type: ignore[return-value]
    return None


def _scoped(query: Query, scope: str | None) -> Query:
    """Apply a field scope to every text clause of a group (``headline:(a OR b)``)."""
    field = _text_field(scope)
    if field is None:
        return query
    if isinstance(query, (Term, Phrase, Prefix, Fuzzy)):
        return type(query)(**{**query.__dict__, "field": field})
    if isinstance(query, Not):
        return Not(_scoped(query.child, scope))
    if isinstance(query, And):
        return And(tuple(_scoped(c, scope) for c in query.children))
    if isinstance(query, Or):
        return Or(tuple(_scoped(c, scope) for c in query.children), query.minimum)
    return query


def _date_span(value: str) -> tuple[date, date]:
    match = _DATE_VALUE.match(value)
    if not match:
        raise ValueError("use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    if match.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(match.group(2))
    if match.group(3) is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    day = date(year, month, int(match.group(3)))
    return day, day


def _combine_or(parts: list[Query]) -> Query:
    parts = [p for p in parts if not (isinstance(p, And) and not p.children)]
    if not parts:
        return And(())
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def _combine_and(must: list[Query], should: list[Query], must_not: list[Query]) -> Query:
    nots = [Not(q) for q in must_not]
    if should:
        optional: Query = should[0] if len(should) == 1 else Or(tuple(should))
        if must or nots:
            # Required clauses filter; optional ones only add to the score.
            return And((*must, *nots, Or((optional,), minimum=0)))
        return optional
    items = [*must, *nots]
    if len(items) == 1 and not nots:
        return items[0]
    return And(tuple(items))


def parse_query(text: str, *, mode: QueryMode = "auto", strict: bool = False) -> ParsedQuery:
    """Parse ``text`` into a query tree (see the module docstring for the syntax).

    An empty query, or ``*``, matches every article. ``Index.search`` parses its query with
    this; call it to check a query, or to show what it means.

    Args:
        text: The query as typed.
        mode: How plain words combine: ``"all"``, ``"any"`` or ``"auto"``.
        strict: Raise at the first malformed part instead of skipping it.

    Returns:
        The tree (``.query``) and the parts skipped, each a :class:`QuerySyntaxError`
        (``.errors``).

    Raises:
        QueryError: An unknown ``mode``.
        QuerySyntaxError: With ``strict=True``, the query is malformed (says where).

    Examples:
        >>> parse_query('"river olm" flood -bridge').query
        And(children=(Phrase(words='river olm', field=None), Term(word='flood', field=None), Not(child=Term(word='bridge', field=None))))
        >>> parsed = parse_query("flood AND (")
        >>> parsed.query, [error.reason for error in parsed.errors]
        (Term(word='flood', field=None), ["missing ')'"])
    """
    if mode not in ("auto", "all", "any"):
        raise QueryError(f"unknown query mode {mode!r}; use 'auto', 'all' or 'any'")
    parser = _Parser(text, mode=mode, strict=strict)
    if parser.tokens:
        query = parser.parse()
    else:
        # Nothing typed matches everything; nothing left after skipping errors matches nothing.
        query = And(()) if parser.errors else MatchAll()
    if isinstance(query, And) and not query.children and not parser.errors:
        query = MatchAll()
    return ParsedQuery(query, parser.errors)
