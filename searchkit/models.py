"""searchkit's data: the Article that goes in, and the results that come out.

An :class:`Article` is validated when it is made; any problem raises
:class:`~searchkit.errors.ArticleError` naming the field. Results (:class:`Hit`,
:class:`Snippet`, :class:`Facets`, :class:`SearchResults`) are frozen, and
:meth:`SearchResults.to_json` is the one JSON form shared by the library and the CLI.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Mapping
import dataclasses
import datetime as dt
from typing import Any, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from .dates import parse_published
from .errors import ArgumentError, ArticleError, QueryError
from .urls import canonical_url, is_web_url

__all__ = [
    "Article",
    "DuplicateRef",
    "Explanation",
    "FacetValue",
    "Facets",
    "Hit",
    "Recency",
    "RenderFormat",
    "SearchResults",
    "Snippet",
    "SnippetField",
    "Story",
]

SnippetField = Literal["headline", "body", "background"]
RenderFormat = Literal["text", "html", "ansi"]

# C0/C1 control characters other than tab and newline carry nothing a reader sees.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
MAX_ID_LENGTH = 512


_ASCII_CONTROL = bytes([*range(0x09), *range(0x0b, 0x20), 0x7f])  # _CONTROL's ASCII characters
_ASCII_BREAKS = _ASCII_CONTROL + b"\t\n"  # with the other ASCII whitespace than a space (\r is a control)


def _ascii_without(value: str, characters: bytes) -> bool:
    """True when ``value`` is ASCII text without any of ``characters``: confirmed by
    deleting them from its bytes in C, in about half the time of a regular expression's
    scan (indexing cleans every article's text)."""
    if not value.isascii():
        return False
    data = value.encode("ascii")
    return len(data.translate(None, characters)) == len(data)


def _without_control(value: str) -> str:
    """``value`` without :data:`_CONTROL`'s characters (most text is ASCII with none)."""
    return value if _ascii_without(value, _ASCII_CONTROL) else _CONTROL.sub("", value)


def _clean_text(value: str) -> str:
    if _ascii_without(value, _ASCII_CONTROL):  # no control, so no \r: nothing to replace
        return value.strip()
    return _without_control(value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _one_line(value: str) -> str:
    if "  " not in value and _ascii_without(value, _ASCII_BREAKS):  # no run of whitespace to fold
        return value.strip()
    return _SPACES.sub(" ", _without_control(value)).strip()


def derive_id(*, url: str | None, source: str | None, day: dt.date | None, headline: str, body: str) -> str:
    """The stable id of an article that came without one.

    From the canonical URL when there is one; else from the source, the date, the headline
    and the whole body, each with its whitespace runs folded to one space (so line ends,
    re-wrapped lines and trailing spaces do not matter). So two different articles with
    the same headline get different ids, and the same article read twice gets the same
    one. 16 hex characters of SHA-256.
    """
    if url:
        key = "url\x1f" + canonical_url(url)
    else:
        key = "\x1f".join(
            ("doc2", (source or "").casefold(), day.isoformat() if day else "", _one_line(headline), _one_line(body))
        )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class Article(BaseModel):
    """One news article.

    ``id`` is optional on input: when absent it is derived from the canonical ``url``,
    else from ``source`` + ``date`` + ``headline`` + ``body`` (see :func:`derive_id`), so
    the same article read twice gets the same id and different articles never share one.
    ``date`` is a calendar date; when the input carried a time, the full timestamp is kept
    in ``meta["published_at"]``. Extra
    metadata (authors, tags, language, ...) lives in ``meta`` and is kept as given.

    Attributes:
        id: The stable id (derived when the input had none).
        headline: The title, one line.
        body: The text; an article needs a headline or a body.
        background: Paragraphs of context that came with the article (an "about" box...).
        source: The outlet's name, as the source facet shows it.
        date: The publication date.
        url: The canonical address (``http`` or ``https``).
        attribution: Who the article credits (a byline, "Source: ..." line).
        meta: Any other metadata, kept as given.

    Raises:
        ArticleError: A field has the wrong type or value, or there is neither headline nor
            body; the message names the field.

    Examples:
        >>> article = Article(headline="River Olm floods", body="The river rose.", source="Harbor Daily")
        >>> article.id == Article(headline="River Olm floods", body="The river rose.", source="Harbor Daily").id
        True
        >>> article.to_dict()["source"]
        'Harbor Daily'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    id: str
    headline: str = ""
    body: str = ""
    background: list[str] = Field(default_factory=list)
    source: str | None = None
    date: dt.date | None = None
    url: str | None = None
    attribution: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _article_error(exc, location=None) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, location: str | None = None) -> Article:
        """Validate ``data`` (field names as in the model) into an Article.

        Args:
            data: The fields, named as in the model; ``date`` may be an ISO 8601 string.
            location: Where the record came from (``file.jsonl:12``), put in the error.

        Returns:
            The article.

        Raises:
            ArticleError: A field is wrong; the error has ``location`` and the ``field``.

        Examples:
            >>> Article.from_dict({"headline": "Fares rise", "date": "2024-01-02"}).date
            datetime.date(2024, 1, 2)
        """
        record = dict(data)
        article = _ordinary_article(record)
        if article is not None:
            return article
        try:
            return cls.model_validate(record)
        except ValidationError as exc:
            raise _article_error(exc, location=location) from None
        except ArticleError as exc:
            raise ArticleError(exc.reason, location=location, field=exc.field) from None

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {key: value for key, value in data.items() if value is not None}  # None means absent
        _check_types(data)
        raw_date = data.get("date")
        if isinstance(raw_date, str):
            if raw_date.strip():
                try:
                    parsed = parse_published(raw_date)
                except ValueError as exc:
                    raise ArticleError(str(exc), field="date") from None
                data["date"] = parsed
            else:
                data["date"] = None
        if isinstance(data.get("date"), dt.datetime):
            stamp: dt.datetime = data["date"]
            meta = data.get("meta")
            if meta is None or isinstance(meta, Mapping):  # else the meta validator says why
                data["meta"] = {**(meta or {}), "published_at": stamp.isoformat()}
            data["date"] = stamp.date()
        if data.get("id") in (None, ""):
            headline = _one_line(str(data.get("headline") or ""))
            body = _clean_text(str(data.get("body") or ""))
            url = data.get("url") or None
            source = data.get("source")
            day = data.get("date")
            data["id"] = derive_id(
                url=url if isinstance(url, str) and is_web_url(url) else None,
                source=source if isinstance(source, str) else None,
                day=day if isinstance(day, dt.date) else None,
                headline=headline,
                body=body,
            )
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _check_id(cls, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("must be a string")
        text: str = value.strip()
        if not text:
            raise ValueError("must not be empty")
        if len(text) > MAX_ID_LENGTH:
            raise ValueError(f"is {len(text)} characters long; the limit is {MAX_ID_LENGTH}")
        if _CONTROL.search(text) or "\n" in text or "\t" in text:
            raise ValueError("must not contain control characters")
        return text

    @field_validator("headline", mode="after")
    @classmethod
    def _check_headline(cls, value: str) -> str:
        return _one_line(value)

    @field_validator("body", mode="after")
    @classmethod
    def _check_body(cls, value: str) -> str:
        return _clean_text(value)

    @field_validator("background", mode="before")
    @classmethod
    def _check_background(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("background", mode="after")
    @classmethod
    def _clean_background(cls, value: list[str]) -> list[str]:
        return [item for item in (_one_line(v) for v in value) if item]

    @field_validator("source", "attribution", mode="after")
    @classmethod
    def _check_optional_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _one_line(value) or None

    @field_validator("url", mode="after")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not is_web_url(value):
            raise ValueError(f"{value[:200]!r} is not an absolute http(s) URL")
        return value

    @field_validator("meta", mode="after")
    @classmethod
    def _check_meta(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            orjson.dumps(value)
        except TypeError as exc:
            raise ValueError(f"must hold JSON values only: {exc}") from None
        return value

    @model_validator(mode="after")
    def _needs_text(self) -> Article:
        if not self.headline and not self.body:
            raise ValueError("an article needs a headline or a body; both are empty")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The article as JSON-ready data (dates as ISO strings, empty fields omitted).

        Returns:
            A dict that :meth:`from_dict` reads back.
        """
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["id"] = self.id
        return data

    def to_json(self) -> bytes:
        """The article as one line of JSON (orjson), readable back by the JSON reader.

        Returns:
            UTF-8 JSON without a newline.
        """
        return orjson.dumps(self.to_dict())


_TEXT_FIELDS = ("headline", "body", "source", "url", "attribution")
_FIELD_NAMES = frozenset(Article.model_fields)
_set = object.__setattr__


def _ordinary_article(record: dict[str, Any]) -> Article | None:
    """The Article pydantic's validation would make of ``record``, made directly, where
    the record is ordinary: an id, text fields of type ``str``, a list of strings as
    background, a date as ``datetime.date`` or text naming a day, no ``meta``, some
    headline or body. None for anything else (no id, a time in the date, a bad value...):
    :meth:`Article.from_dict` then validates it the full way, with its errors. The text
    cleaning is the same; pydantic's machinery around it is skipped."""
    values = {key: value for key, value in record.items() if value is not None}  # None means absent
    if not values.keys() <= _FIELD_NAMES or "meta" in values:
        return None
    article_id, headline, body = values.get("id"), values.get("headline", ""), values.get("body", "")
    if type(article_id) is not str or type(headline) is not str or type(body) is not str:
        return None
    article_id = article_id.strip()
    if not article_id or len(article_id) > MAX_ID_LENGTH or "\n" in article_id or "\t" in article_id \
            or _CONTROL.search(article_id):
        return None
    headline, body = _one_line(headline), _clean_text(body)
    if not headline and not body:
        return None
    lines: list[str | None] = []
    for name in ("source", "attribution"):
        value = values.get(name)
        if value is not None and type(value) is not str:
            return None
        lines.append(None if value is None else _one_line(value) or None)
    url = values.get("url")
    if url is not None:
        if type(url) is not str:
            return None
        url = url.strip() or None
        if url is not None and not is_web_url(url):
            return None
    background = values.get("background", [])
    if type(background) is not list or any(type(item) is not str for item in background):
        return None
    day = values.get("date")
    if type(day) is str:
        try:
            day = parse_published(day) if day.strip() else None
        except ValueError:
            return None
    if day is not None and type(day) is not dt.date:
        return None
    return trusted_article({
        "id": article_id, "headline": headline, "body": body,
        "background": [item for item in map(_one_line, background) if item],
        "source": lines[0], "date": day, "url": url, "attribution": lines[1], "meta": {},
    }, set(values))


def trusted_article(fields: dict[str, Any], fields_set: set[str]) -> Article:
    """The Article whose validated field values (every field, in the model's order) are
    ``fields``, made without validating them again: for values an Article already had
    (sent to a worker process, :mod:`.engine.parallel`) or :func:`_ordinary_article`'s."""
    article = object.__new__(Article)
    _set(article, "__dict__", fields)
    _set(article, "__pydantic_fields_set__", fields_set)
    _set(article, "__pydantic_extra__", None)
    _set(article, "__pydantic_private__", None)
    return article


def _check_types(data: Mapping[str, Any]) -> None:
    """Refuse a value of the wrong type with the field, what it must be and what it was.

    Nothing is coerced: a number is not a date (``0`` is not 1970-01-01) nor a headline.
    """
    for field in _TEXT_FIELDS:
        if field in data and not isinstance(data[field], str):
            raise ArticleError(f"must be a string; found {_found(data[field])}", field=field)
    if "date" in data and not isinstance(data["date"], (str, dt.date)):
        raise ArticleError(
            "must be a date written as a string, such as '2024-11-30' (numbers are not read as dates); "
            f"found {_found(data['date'])}",
            field="date",
        )
    background = data.get("background")
    if background is not None and not isinstance(background, str):
        if not isinstance(background, (list, tuple)):
            raise ArticleError(f"must be a list of strings; found {_found(background)}", field="background")
        for number, item in enumerate(background, start=1):
            if not isinstance(item, str):
                raise ArticleError(f"item {number} must be a string; found {_found(item)}", field="background")
    if "meta" in data and not isinstance(data["meta"], Mapping):
        raise ArticleError(f"must be an object (a mapping); found {_found(data['meta'])}", field="meta")
    article_id = data.get("id")
    if article_id is not None and (isinstance(article_id, bool) or not isinstance(article_id, (str, int))):
        raise ArticleError(f"must be a string or a whole number; found {_found(article_id)}", field="id")


def _found(value: Any) -> str:
    """``value`` named by its JSON type, then shown (shortened): ``a number (0)``."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, (int, float)):
        kind = "a number"
    elif isinstance(value, (list, tuple)):
        kind = "an array"
    elif isinstance(value, Mapping):
        kind = "an object"
    elif isinstance(value, str):
        kind = "a string"
    else:
        kind = f"a {type(value).__name__}"
    shown = repr(value)
    return f"{kind} ({shown if len(shown) <= 60 else shown[:57] + '...'})"


def _article_error(exc: ValidationError, *, location: str | None) -> ArticleError:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = str(first["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if first["type"] == "extra_forbidden":
        message = "is not an Article field; put extra metadata under 'meta'"
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, ArticleError):
        return ArticleError(ctx_error.reason, location=location, field=ctx_error.field or field)
    return ArticleError(message, location=location, field=field)


# ---------------------------------------------------------------------------------------
# Results


_ANSI_MARK = ("\x1b[1;33m", "\x1b[0m")


class Snippet(BaseModel):
    """A fragment of one field of a hit, with the matched spans as character offsets.

    ``highlights`` are ``[start, end)`` offsets into ``text``; :meth:`render` draws them.
    ``text`` is a verbatim slice of the field, so offsets hold for the stored field too
    after adding ``offset``.

    Attributes:
        field: The field it comes from: ``headline``, ``body`` or ``background``.
        text: The fragment, verbatim.
        highlights: The matched spans, ``(start, end)`` offsets into ``text``.
        offset: Where ``text`` starts in the field.
        truncated_start: True when the field goes on before ``text``.
        truncated_end: True when the field goes on after ``text``.
    """

    model_config = ConfigDict(frozen=True)

    field: SnippetField
    text: str
    highlights: list[tuple[int, int]] = Field(default_factory=list)
    offset: int = 0
    truncated_start: bool = False
    truncated_end: bool = False

    def render(self, format: RenderFormat = "text", *, ellipsis: str = "…") -> str:
        """The snippet as plain ``text``, ``html`` (escaped, matches in ``<mark>``) or ``ansi``.

        Args:
            format: ``"text"``, ``"html"`` or ``"ansi"`` (matches in bold yellow).
            ellipsis: Put where the field was cut.

        Returns:
            The fragment, with the matches marked and an ellipsis at each cut end.

        Raises:
            ArgumentError: An unknown ``format``.

        Examples:
            >>> Snippet(field="body", text="the River Olm floods", highlights=[(14, 20)], truncated_start=True).render("html")
            '…the River Olm <mark>floods</mark>'
        """
        escape: Callable[[str], str]
        if format == "html":
            escape = html.escape
            open_mark, close_mark = "<mark>", "</mark>"
        elif format == "ansi":
            escape = _identity
            open_mark, close_mark = _ANSI_MARK
        elif format == "text":
            escape = _identity
            open_mark = close_mark = ""
        else:
            raise ArgumentError(f"unknown render format {format!r}; use 'text', 'html' or 'ansi'")
        pieces: list[str] = [ellipsis] if self.truncated_start else []
        at = 0
        for start, end in self.highlights:
            pieces.append(escape(self.text[at:start]))
            pieces.append(open_mark + escape(self.text[start:end]) + close_mark)
            at = end
        pieces.append(escape(self.text[at:]))
        if self.truncated_end:
            pieces.append(ellipsis)
        return "".join(pieces)


def _identity(text: str) -> str:
    return text


DecayShape = Literal["exp", "gauss", "linear"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dwy])\s*$")
_DAYS_PER = {"d": 1.0, "w": 7.0, "y": 365.25}


@dataclasses.dataclass(frozen=True)
class Recency:
    """Freshness for ``search(recency=...)``: the score is multiplied by a decay of the age.

    The age is the number of days between the article's date and ``origin`` (today when
    None), either way. Past ``offset_days`` it decays as Elasticsearch's decay functions do
    with ``decay=0.5`` and ``scale=half_life_days``: the factor is 0.5 at
    ``offset_days + half_life_days``. ``exp``: ``0.5 ** (d / h)``; ``gauss``:
    ``0.5 ** ((d / h) ** 2)``; ``linear``: ``max(0, 1 - d / (2 h))``, with ``d`` the age
    past the offset and ``h`` the half-life. Undated articles get the factor ``undated``
    (0.5 by default: as if one half-life old). ``Recency.parse("30d")`` is
    ``Recency(half_life_days=30)``; ``w`` counts weeks and ``y`` years of 365.25 days.

    Attributes:
        half_life_days: Days past ``offset_days`` at which the factor is 0.5 (above 0).
        origin: The date ages are counted from (None: today, when the search runs).
        undated: The factor of an article without a date, from 0 to 1.
        shape: ``"exp"``, ``"gauss"`` or ``"linear"``.
        offset_days: Ages up to this many days are not decayed (0 or more).

    Raises:
        QueryError: A value out of range or of the wrong type, named in the message.

    Examples:
        >>> Recency(half_life_days=30).factor(30)
        0.5
        >>> Recency(half_life_days=10, shape="linear").factor(10)
        0.5
    """

    half_life_days: float
    origin: dt.date | None = None
    undated: float = 0.5
    shape: DecayShape = "exp"
    offset_days: float = 0.0

    def __post_init__(self) -> None:
        for name in ("half_life_days", "undated", "offset_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise QueryError(f"Recency({name}={value!r}) must be a number")
        if not 0 < self.half_life_days < math.inf:
            raise QueryError(f"Recency(half_life_days={self.half_life_days!r}) must be a number of days above 0")
        if not 0 <= self.undated <= 1:
            raise QueryError(f"Recency(undated={self.undated!r}) must be a factor from 0 to 1")
        if not 0 <= self.offset_days < math.inf:
            raise QueryError(f"Recency(offset_days={self.offset_days!r}) must be 0 or more days")
        if self.shape not in ("exp", "gauss", "linear"):
            raise QueryError(f"Recency(shape={self.shape!r}) is unknown; use 'exp', 'gauss' or 'linear'")
        if self.origin is not None and (isinstance(self.origin, dt.datetime) or not isinstance(self.origin, dt.date)):
            raise QueryError(f"Recency(origin={self.origin!r}) must be a date or None (today)")

    @classmethod
    def parse(cls, text: str) -> Recency:
        """``"30d"``, ``"2w"``, ``"1y"``, ``"0.5d"``: a half-life; the other settings default.

        Args:
            text: A number and ``d`` (days), ``w`` (weeks) or ``y`` (years of 365.25 days).

        Returns:
            A :class:`Recency` with that half-life.

        Raises:
            QueryError: ``text`` is not such a half-life.

        Examples:
            >>> Recency.parse("2w").half_life_days
            14.0
        """
        found = _DURATION.match(text)
        if not found:
            raise QueryError(f"recency={text!r} is not a half-life; write a number and d, w or y, such as '30d' or '2w'")
        return cls(half_life_days=float(found.group(1)) * _DAYS_PER[found.group(2)])

    def factor(self, age_days: float | None) -> float:
        """The decay of one age in days (None: undated).

        Args:
            age_days: Days between the article's date and the origin, either way; None for
                an undated article.

        Returns:
            The factor the score is multiplied by, from 0 to 1.
        """
        if age_days is None:
            return self.undated
        past = max(0.0, abs(age_days) - self.offset_days) / self.half_life_days
        if self.shape == "exp":
            return float(0.5 ** past)
        if self.shape == "gauss":
            return float(0.5 ** (past * past))
        return max(0.0, 1.0 - past / 2.0)

    def describe(self) -> str:
        """The decay in words, as explanations and notes show it.

        Returns:
            For example ``exp decay, half-life 30 d from today``.
        """
        origin = self.origin.isoformat() if self.origin else "today"
        offset = f", offset {self.offset_days:g} d" if self.offset_days else ""
        return f"{self.shape} decay, half-life {self.half_life_days:g} d from {origin}{offset}"


@dataclasses.dataclass(frozen=True, slots=True)
class Explanation:
    """Why a hit has its score (``search(explain=True)``): a tree like Elasticsearch's explain.

    ``value`` is what this node contributes, ``description`` says how it was computed from
    its ``children``; the root's value is the hit's score (within 1e-6: the score is rounded).
    A plain frozen dataclass rather than a model, as :class:`FacetValue`: a page of hits
    has hundreds of nodes, all made from trusted values.

    Attributes:
        value: What this node contributes.
        description: How ``value`` was computed from the children.
        children: The nodes it was computed from.
    """

    value: float
    description: str
    children: list[Explanation] = dataclasses.field(default_factory=list)

    def lines(self, indent: str = "  ") -> list[str]:
        """The tree as text, one node a line, children indented under their parent.

        Args:
            indent: Put once per level before a node.

        Returns:
            One ``value = description`` line a node, the root first.

        Examples:
            >>> tree = Explanation(1.5, "sum of", [Explanation(1.0, "olm"), Explanation(0.5, "flood")])
            >>> tree.lines()
            ['1.5 = sum of', '  1 = olm', '  0.5 = flood']
        """
        out: list[str] = []
        stack: list[tuple[Explanation, int]] = [(self, 0)]
        while stack:
            node, depth = stack.pop()
            out.append(f"{indent * depth}{node.value:.6g} = {node.description}")
            stack.extend((child, depth + 1) for child in reversed(node.children))
        return out


def _drop_when_none(data: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if data.get(name, 0) is None:
            del data[name]
    return data


class DuplicateRef(BaseModel):
    """A near-duplicate of a hit (another copy of the same wire text) that
    ``search(collapse="duplicates")`` folded into it: enough to say "also ran in ...".

    Attributes:
        id: The copy's article id (:meth:`Index.get` returns it whole).
        source: Its outlet.
        date: Its publication date.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    source: str | None
    date: dt.date | None


class Hit(BaseModel):
    """One ranked article on a page of results.

    ``explanation`` is there only with ``search(explain=True)``; left out of dumps otherwise.

    Attributes:
        id: The article's id (:meth:`Index.get` returns the whole article).
        score: The relevance score (BM25F, times any recency factor).
        headline: The article's headline.
        source: The outlet's name.
        date: The publication date.
        url: The article's address.
        snippets: Fragments with the query's words highlighted, best first.
        explanation: How ``score`` was computed, with ``search(explain=True)``.
        story_id: The id of the article's story (:meth:`Index.story`); None where the
            index has no stories (an OpenSearch-backed index).
        story_size: With ``search(collapse="story")``: how many articles its story has.
        story_sources: With ``search(collapse="story")``: the outlets of its story.
        duplicates: With ``search(collapse="duplicates")``: the other articles of its group
            of near-duplicates (oldest first, undated last, then by id), whether or not they
            match the query; ``[]`` for an article without any.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    score: float
    headline: str
    source: str | None
    date: dt.date | None
    url: str | None
    snippets: list[Snippet] = Field(default_factory=list)
    explanation: Explanation | None = None
    story_id: str | None = None
    story_size: int | None = None
    story_sources: list[str | None] | None = None
    duplicates: list[DuplicateRef] | None = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_when_none(handler(self), "explanation", "story_id", "story_size", "story_sources",
                               "duplicates")


class Story(BaseModel):
    """A news story: the articles about it, across outlets and days (:meth:`Index.story`).

    Stories are made as articles are added (see the README's "Stories"): each article
    joins the most similar recent story or starts one.

    Attributes:
        id: The story's id (stable while the story has articles).
        article_ids: Its articles, oldest first (undated ones last).
        sources: Its outlets, in the order of their first article (None: an article
            without a source).
        first_date: Its oldest article's date (None when no article has one).
        last_date: Its newest article's date.
        headline: A representative headline: that of the article closest to the story's
            centre.
        size: How many articles it has.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    article_ids: list[str]
    sources: list[str | None]
    first_date: dt.date | None
    last_date: dt.date | None
    headline: str
    size: int


@dataclasses.dataclass(frozen=True, slots=True)
class FacetValue:
    """One facet bucket: a source's display name or a date bucket's first day, and a count.

    A plain frozen dataclass rather than a model: a date histogram can have hundreds of
    buckets per search, and these are made from trusted values.

    Attributes:
        value: The source's name, or the bucket's first day as ``YYYY-MM-DD``.
        count: How many matching articles it holds.
    """

    value: str | None
    count: int


class Facets(BaseModel):
    """Counts over all matching articles (not just the page).

    ``source`` is sorted by count (then name); ``date`` is the histogram in time order with
    empty buckets inside the span as zero. Articles without a source or date are counted
    in ``missing_source`` / ``missing_date``, not in the lists.

    Attributes:
        source: One bucket per source, most articles first.
        date: The date histogram, oldest bucket first.
        date_interval: The width of a date bucket: ``day``, ``week``, ``month`` or ``year``.
        missing_source: Matching articles without a source.
        missing_date: Matching articles without a date.
        stories: How many stories the matching articles belong to ("N stories"; an article
            without a story counts as one); None where the index has no stories.
    """

    model_config = ConfigDict(frozen=True)

    source: list[FacetValue] = Field(default_factory=list)
    date: list[FacetValue] = Field(default_factory=list)
    date_interval: Literal["day", "week", "month", "year"] = "month"
    missing_source: int = 0
    missing_date: int = 0
    stories: int | None = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_when_none(handler(self), "stories")


class SearchResults(BaseModel):
    """One page of results with the total, the facets and timing.

    ``more_from`` is there only with ``search(diversify="source")``: for each outlet on the
    page, how many more of its matching articles come after this page ("N more from X").

    Attributes:
        query: The query as given.
        total: How many articles match (all pages).
        hits: This page's hits, best first.
        facets: Counts by source and date over all matching articles.
        took_ms: How long the search took, in milliseconds.
        suggestion: A respelled query when few articles matched ("did you mean").
        page: The page number, from 1.
        limit: Hits per page.
        next_cursor: Pass as ``cursor=`` to get the next page; None on the last one.
        warnings: Parts of the query that were skipped or adjusted, and why.
        more_from: With ``diversify="source"``: per outlet, its matches after this page.
        total_articles: With ``collapse``: how many articles match; ``total`` then counts
            the groups (the hits there are to page through).
    """

    model_config = ConfigDict(frozen=True)

    query: str
    total: int
    hits: list[Hit]
    facets: Facets
    took_ms: float
    suggestion: str | None = None
    page: int = 1
    limit: int = 10
    next_cursor: str | None = None
    warnings: list[str] = Field(default_factory=list)
    more_from: dict[str, int] | None = None
    total_articles: int | None = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_when_none(handler(self), "more_from", "total_articles")

    def to_json(self, *, indent: bool = False) -> str:
        """The results as JSON (orjson): the form the CLI prints with ``--json``.

        Args:
            indent: Indent by two spaces instead of one line.

        Returns:
            The JSON text.
        """
        option = orjson.OPT_INDENT_2 if indent else 0
        return orjson.dumps(self.model_dump(mode="json"), option=option).decode("utf-8")
