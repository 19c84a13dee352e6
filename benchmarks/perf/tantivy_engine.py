"""tantivy-py (Rust, Lucene-like) as a fast reference point; optional.

Schema: ``headline``/``body`` stored text with the ``en_stem`` tokenizer, ``background``
indexed only, ``id`` stored raw, ``source`` and ``month`` raw fast fields (for the terms
aggregations), ``day`` an indexed fast date. Writer: 256 MB heap, tantivy's own threads.
Per query: the parsed query (headline boosted 3x) AND the filters, top 10 with
``SnippetGenerator`` over the body, and one ``aggregate`` call with two ``terms``
aggregations (source, month) over every match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import tantivy

from .base import Result, dir_size
from .queries import Query

FIELDS = ["headline", "body", "background"]


def schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("id", stored=True, tokenizer_name="raw")
    b.add_text_field("headline", stored=True, tokenizer_name="en_stem")
    b.add_text_field("body", stored=True, tokenizer_name="en_stem")
    b.add_text_field("background", tokenizer_name="en_stem")
    b.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
    b.add_text_field("month", fast=True, tokenizer_name="raw")
    b.add_date_field("day", indexed=True, fast=True)
    return b.build()


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


class TantivyEngine:
    name = "tantivy"

    def __init__(self) -> None:
        self.ix: tantivy.Index | None = None

    def build(self, articles: Iterable[dict], path: Path) -> dict:
        Path(path).mkdir(parents=True, exist_ok=True)
        ix = tantivy.Index(schema(), path=str(path))
        writer = ix.writer(heap_size=256_000_000)
        n = 0
        for art in articles:
            doc = tantivy.Document(id=art["id"], headline=art["headline"], body=art["body"],
                                   background="\n".join(art["background"]), source=art["source"])
            if (day := art["date"]) is not None:
                doc.add_date("day", _datetime(day))
                doc.add_text("month", day.strftime("%Y-%m"))
            writer.add_document(doc)
            n += 1
        writer.commit()
        writer.wait_merging_threads()
        return {"docs": n, "bytes": dir_size(path)}

    def open(self, path: Path) -> None:
        self.ix = tantivy.Index.open(str(path))
        self.schema = self.ix.schema
        self.searcher = self.ix.searcher()

    def _query(self, q: Query) -> tantivy.Query:
        text = self.ix.parse_query(q.text(), FIELDS, field_boosts={"headline": 3.0})
        parts = [(tantivy.Occur.Must, text)]
        if q.sources:
            parts.append((tantivy.Occur.Must,
                          tantivy.Query.term_set_query(self.schema, "source", list(q.sources))))
        if q.since or q.until:
            parts.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "day", tantivy.FieldType.Date,
                _datetime(q.since) if q.since else None, _datetime(q.until) if q.until else None)))
        return text if len(parts) == 1 else tantivy.Query.boolean_query(parts)

    def search(self, q: Query) -> Result:
        query = self._query(q)
        found = self.searcher.search(query, 10)
        gen = tantivy.SnippetGenerator.create(self.searcher, query, self.schema, "body")
        ids, snippets = [], []
        for _score, addr in found.hits:
            doc = self.searcher.doc(addr)
            ids.append(doc["id"][0])
            snippets.append(gen.snippet_from_doc(doc).to_html())
        aggs = self.searcher.aggregate(query, {
            "source": {"terms": {"field": "source", "size": 10000}},
            "month": {"terms": {"field": "month", "size": 10000}}})
        sources = {b["key"]: b["doc_count"] for b in aggs["source"]["buckets"]}
        months = {b["key"]: b["doc_count"] for b in aggs["month"]["buckets"]}
        return Result(found.count, ids, snippets, sources, months)

    def close(self) -> None:
        self.ix = None
