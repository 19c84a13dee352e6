"""JSON and JSON Lines articles (parsed with orjson).

A ``.json`` file holds one article object or an array of them; a ``.jsonl`` / ``.ndjson``
file holds one object per line (blank lines are skipped). Keys are the
:class:`~searchkit.models.Article` field names, or the aliases common in scraped news
listed in :data:`DEFAULT_FIELD_MAP`:

* For each field the keys are tried in the order given; the first one present with a
  non-empty value wins and the others are dropped. So ``source`` beats ``source_domain``,
  and in AllSides data ``content_original`` (the real body) beats ``content`` (a
  tokenized copy of it).
* ``description`` and ``summary`` are not mapped: they are teasers that repeat the lede,
  not the article, so they stay in ``meta`` like every other unknown key (kept as given).
  An explicit ``meta`` object is merged over them.
* A ``source`` object (NewsAPI's ``{"id": ..., "name": ...}``) gives its ``name``.

``field_map=`` replaces the key list of the fields it names and keeps the defaults for
the others, e.g. ``{"headline": ("headline", "title", "heading")}``.

Problems are reported with where they are: ``feed.jsonl:17`` for a line, ``dump.json
record 3`` (1-based) for an element of an array, ``dump.json:4`` for invalid JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

from ..errors import ArticleError, ReadError
from ..models import Article

__all__ = [
    "DEFAULT_FIELD_MAP",
    "FieldMap",
    "article_from_record",
    "parse_json",
    "parse_json_line",
    "resolve_field_map",
]

FieldMap = Mapping[str, Sequence[str]]
"""Article field name → the record keys that hold it, in priority order."""

DEFAULT_FIELD_MAP: dict[str, tuple[str, ...]] = {
    "id": ("id", "ID"),
    "headline": ("headline", "title"),
    "body": ("body", "content_original", "maintext", "article", "text", "content"),
    "background": ("background", "bullets", "key_points"),
    "source": ("source", "outlet", "publisher", "publication", "site_name", "source_domain"),
    "date": ("date", "published", "published_at", "publishedAt", "date_publish", "pubDate"),
    "url": ("url", "link"),
    "attribution": ("attribution",),
}

_MAPPABLE = frozenset(DEFAULT_FIELD_MAP)


def resolve_field_map(field_map: FieldMap | None = None) -> dict[str, tuple[str, ...]]:
    """:data:`DEFAULT_FIELD_MAP` with ``field_map``'s fields replaced; checked for clashes."""
    merged = dict(DEFAULT_FIELD_MAP)
    for field, keys in (field_map or {}).items():
        if field not in _MAPPABLE:
            raise ValueError(
                f"field_map names {field!r}, which is not a mappable Article field; "
                f"use one of {sorted(_MAPPABLE)}"
            )
        if isinstance(keys, str):
            raise ValueError(f"field_map[{field!r}] must be a sequence of keys, not the string {keys!r}")
        merged[field] = tuple(keys)
    owner: dict[str, str] = {}
    for field, keys in merged.items():
        for key in keys:
            if key in owner:
                raise ValueError(f"field_map maps key {key!r} to both {owner[key]!r} and {field!r}")
            owner[key] = field
    return merged


def article_from_record(record: object, *, location: str, field_map: FieldMap = DEFAULT_FIELD_MAP) -> Article:
    """Map one decoded JSON value to an Article; raises :class:`ArticleError`."""
    if not isinstance(record, dict):
        raise ArticleError(
            f"is a JSON {_kind(record)}, not an object; each article must be a JSON object",
            location=location,
        )
    fields: dict[str, Any] = {}
    known: set[str] = {"meta"}
    for field, keys in field_map.items():
        known.update(keys)
        for key in keys:
            value = record.get(key)
            if field == "source" and isinstance(value, dict):
                value = _source_name(value, location=location)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                fields[field] = value
                break
    meta = record.get("meta")
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        raise ArticleError(
            f"must be a JSON object; found a JSON {_kind(meta)}", location=location, field="meta"
        )
    extra = {key: value for key, value in record.items() if key not in known}
    if extra or meta:
        fields["meta"] = {**extra, **meta}
    return Article.from_dict(fields, location=location)


def _source_name(value: dict[str, Any], *, location: str) -> str | None:
    """The ``name`` of a NewsAPI-style source object (``{"id": ..., "name": ...}``)."""
    name = value.get("name")
    if name is None and value.get("id") is None and set(value) <= {"id", "name"}:
        return None  # {"id": null, "name": null}: no source given
    if not isinstance(name, str):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ArticleError(
            f'must be a string, or an object with a "name" string (as NewsAPI writes it); found {shown}',
            location=location,
            field="source",
        )
    return name


def parse_json(
    text: str, *, path: str, field_map: FieldMap = DEFAULT_FIELD_MAP
) -> Iterator[Article | ArticleError | ReadError]:
    """The articles of a whole ``.json`` document, and the problems met, in order."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        yield ReadError(f"is not valid JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno)
        return
    if isinstance(document, dict):
        yield _outcome(document, location=path, field_map=field_map)
    elif isinstance(document, list):
        for number, record in enumerate(document, start=1):
            yield _outcome(record, location=f"{path} record {number}", field_map=field_map)
    else:
        yield ReadError(
            f"holds a JSON {_kind(document)}; a .json file must hold an article object or an array of them",
            path=path,
        )


def parse_json_line(line: str, *, location: str, field_map: FieldMap = DEFAULT_FIELD_MAP) -> Article | None:
    """The article on one JSON Lines line; None for a blank line; raises :class:`ArticleError`."""
    if not line.strip():
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ArticleError(f"is not valid JSON: {exc.msg} (column {exc.colno})", location=location) from None
    if isinstance(record, list):
        raise ArticleError(
            "is a JSON array; JSON Lines holds one article object per line (use a .json file for an array)",
            location=location,
        )
    return article_from_record(record, location=location, field_map=field_map)


def _outcome(record: object, *, location: str, field_map: FieldMap) -> Article | ArticleError:
    try:
        return article_from_record(record, location=location, field_map=field_map)
    except ArticleError as exc:
        return exc


def _kind(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
