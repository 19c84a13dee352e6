"""An article as a worker process analyses it, without pydantic (issue 16).

A worker (:mod:`.parallel`) gets each article as the field values of a validated
:class:`~searchkit.models.Article` and needs only to read them and to make the stored
copy (:meth:`PlainArticle.to_json`). Making pydantic models there cost the import of
:mod:`searchkit.models` (about 0.15 s of each worker's start) and pydantic's serializer for
every article; :class:`PlainArticle` is a plain class of the same nine fields whose
``to_json`` gives the very bytes ``Article.to_json`` gives (the fields that differ from
their defaults, in the model's order, the date as ISO text), handing an article with
``meta`` to the model itself (its values are anything JSON-ready).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

__all__ = ["AnalysedArticle", "PlainArticle"]


class AnalysedArticle(Protocol):
    """What the analysis reads of an article: an :class:`~searchkit.models.Article` or a
    :class:`PlainArticle`."""

    @property
    def id(self) -> str: ...
    @property
    def headline(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def background(self) -> Sequence[str]: ...
    @property
    def source(self) -> str | None: ...
    @property
    def date(self) -> dt.date | None: ...

    def to_json(self) -> bytes: ...


class PlainArticle:
    """A validated article's fields (``fields``: every field of the model, as
    ``Article.__dict__`` holds them), read-only by convention."""

    __slots__ = ("id", "headline", "body", "background", "source", "date", "url", "attribution", "meta")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.id: str = fields["id"]
        self.headline: str = fields["headline"]
        self.body: str = fields["body"]
        self.background: list[str] = fields["background"]
        self.source: str | None = fields["source"]
        self.date: dt.date | None = fields["date"]
        self.url: str | None = fields["url"]
        self.attribution: str | None = fields["attribution"]
        self.meta: dict[str, Any] = fields["meta"]

    def to_json(self) -> bytes:
        """``Article.to_json()`` of the same fields."""
        if self.meta:
            from ..models import trusted_article

            fields = {name: getattr(self, name) for name in self.__slots__}
            return trusted_article(fields, set(fields)).to_json()
        data: dict[str, Any] = {"id": self.id}
        if self.headline:
            data["headline"] = self.headline
        if self.body:
            data["body"] = self.body
        if self.background:
            data["background"] = self.background
        if self.source is not None:
            data["source"] = self.source
        if self.date is not None:
            data["date"] = self.date.isoformat()
        if self.url is not None:
            data["url"] = self.url
        if self.attribution is not None:
            data["attribution"] = self.attribution
        return orjson.dumps(data)
