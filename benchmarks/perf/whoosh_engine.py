"""Plain Whoosh 2.7, used the way its tutorial and docs show; no tuning beyond ``limitmb``.

* Schema: ``headline``/``body`` ``TEXT(analyzer=StemmingAnalyzer(), stored=True)`` (stored
  because highlighting re-reads the text), ``background`` TEXT, ``id`` and ``source`` ``ID``,
  ``date`` ``DATETIME``, ``url`` ``STORED``. StemmingAnalyzer = regex tokenizer, lowercase,
  Whoosh's small English stop list, Porter stemmer.
* Writer: ``ix.writer(limitmb=256)`` (default 128; more memory per pool run means fewer
  temporary runs to merge), one process, one ``commit()`` at the end.
* Query: ``MultifieldParser(["headline", "body", "background"], fieldboosts={"headline": 3})``
  on the common syntax; the source and date restrictions go in ``filter=``.
* Search: ``searcher.search(q, limit=10, filter=..., groupedby={"source": FieldFacet("source"),
  "month": DateRangeFacet("date", start, end, gap=relativedelta(months=1))})`` with
  ``maptype=Count`` so the groups hold counts, not docnum lists; ``hit.highlights("body")``.
  ``start``/``end`` are the corpus's first and last month, saved beside the index at build
  time. The month facet is a range facet: Whoosh runs one range query per month bucket.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from dateutil.relativedelta import relativedelta
from whoosh import index, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser
from whoosh.query import And, DateRange, Or, Term

from .base import Result, dir_size
from .queries import Query

LIMITMB = 256


def schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        headline=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        background=TEXT(analyzer=StemmingAnalyzer()),
        source=ID(stored=True),
        date=DATETIME(stored=True),
        url=STORED,
    )


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


class WhooshEngine:
    name = "whoosh"

    def __init__(self) -> None:
        self.ix = None
        self.searcher = None

    def build(self, articles: Iterable[dict], path: Path) -> dict:
        Path(path).mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(path), schema())
        writer = ix.writer(limitmb=LIMITMB)
        first = last = None
        n = 0
        for art in articles:
            fields = {"id": art["id"], "headline": art["headline"], "body": art["body"],
                      "background": "\n".join(art["background"]), "source": art["source"]}
            if art["url"]:
                fields["url"] = art["url"]
            if (day := art["date"]) is not None:
                fields["date"] = _datetime(day)
                first = day if first is None or day < first else first
                last = day if last is None or day > last else last
            writer.add_document(**fields)
            n += 1
        writer.commit()
        (Path(path) / "bench-meta.json").write_text(json.dumps(
            {"first": first.isoformat() if first else None, "last": last.isoformat() if last else None}))
        return {"docs": n, "bytes": dir_size(path)}

    def open(self, path: Path) -> None:
        self.ix = index.open_dir(str(path))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["headline", "body", "background"], self.ix.schema,
                                       fieldboosts={"headline": 3.0})
        meta = json.loads((Path(path) / "bench-meta.json").read_text())
        facets = {"source": sorting.FieldFacet("source", maptype=sorting.Count)}
        if meta["first"]:
            start = dt.date.fromisoformat(meta["first"]).replace(day=1)
            end = dt.date.fromisoformat(meta["last"]).replace(day=1) + relativedelta(months=1)
            facets["month"] = sorting.DateRangeFacet(
                "date", _datetime(start), _datetime(end), gap=relativedelta(months=1),
                maptype=sorting.Count)
        self.facets = facets

    @staticmethod
    def filter(q: Query):
        parts = []
        if q.sources:
            parts.append(Or([Term("source", s) for s in q.sources]))
        if q.since or q.until:
            parts.append(DateRange("date", _datetime(q.since) if q.since else None,
                                   dt.datetime.combine(q.until, dt.time.max) if q.until else None))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(parts)

    def search(self, q: Query) -> Result:
        query = self.parser.parse(q.text())
        results = self.searcher.search(query, limit=10, filter=self.filter(q), groupedby=self.facets)
        ids, snippets = [], []
        for hit in results:
            ids.append(hit["id"])
            snippets.append(hit.highlights("body"))
        sources = {k: v for k, v in results.groups("source").items() if k is not None}
        months = {}
        if "month" in self.facets:
            for key, count in results.groups("month").items():
                if key is not None and count:
                    months[key[0].strftime("%Y-%m")] = count
        return Result(len(results), ids, snippets, sources, months)

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.ix = self.searcher = None
