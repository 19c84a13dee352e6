"""The names of the input formats, in a module of their own so that the command line's parser
can offer them (``searchkit index --format``) without loading the readers; see
:mod:`searchkit.ingest` for what each format reads."""

from __future__ import annotations

from typing import Literal

__all__ = ["FileFormat", "Format"]

Format = Literal["auto", "text", "json", "jsonl", "csv", "tsv", "html", "feed", "sgml"]
FileFormat = Literal["text", "json", "jsonl", "csv", "tsv", "html", "feed", "sgml"]
