"""SQLite FTS5 (the standard library's sqlite3), set up the way a careful engineer would.

Layout, in one file ``index.sqlite``:

* ``docs(rowid, headline, body, background)``: the text, once. The FTS5 table is an
  **external-content** table over it (``content='docs'``), so the text is not stored twice
  and ``snippet()`` reads it from ``docs``. (A contentless table could not make snippets;
  a plain FTS5 table would store the same text in its own ``_content`` shadow table and
  need a second table for metadata anyway.)
* ``meta(rowid, id, source, day, month)``: a narrow table for filters and facets, so the
  GROUP BY over the whole match set reads a few bytes per article, not the article text.
* ``fts(headline, body, background)`` with ``tokenize='porter unicode61'`` (no stop words)
  and full detail (phrases need positions). Ranking is ``bm25(fts, 3, 1, 1)``.

Build: ``journal_mode=OFF``, ``synchronous=OFF``, a 256 MB page cache, batched
``executemany`` in one transaction, then ``'optimize'`` (merges the b-trees into one) and the
two metadata indexes. Per query: one statement for the top 10 with ``snippet()`` of the
body, one ``GROUP BY source, month`` over every match (the total is its sum).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from .base import Result, dir_size
from .queries import Query

SCHEMA = """
CREATE TABLE docs(rowid INTEGER PRIMARY KEY, headline TEXT, body TEXT, background TEXT);
CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, source TEXT, day TEXT, month TEXT);
CREATE VIRTUAL TABLE fts USING fts5(headline, body, background,
    content='docs', content_rowid='rowid', tokenize='porter unicode61');
"""
BATCH = 2000


class Fts5Engine:
    name = "fts5"

    def __init__(self) -> None:
        self.con: sqlite3.Connection | None = None

    @staticmethod
    def _file(path: Path) -> Path:
        return Path(path) / "index.sqlite"

    def build(self, articles: Iterable[dict], path: Path) -> dict:
        Path(path).mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self._file(path), isolation_level=None)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")
        con.executescript(SCHEMA)
        con.execute("BEGIN")
        rowid = 0
        it = iter(articles)
        while batch := list(islice(it, BATCH)):
            docs, meta = [], []
            for art in batch:
                rowid += 1
                day = art["date"]
                docs.append((rowid, art["headline"], art["body"], "\n".join(art["background"])))
                meta.append((rowid, art["id"], art["source"], day.isoformat() if day else None,
                             day.strftime("%Y-%m") if day else None))
            con.executemany("INSERT INTO docs VALUES (?,?,?,?)", docs)
            con.executemany("INSERT INTO meta VALUES (?,?,?,?,?)", meta)
            con.executemany("INSERT INTO fts(rowid, headline, body, background) VALUES (?,?,?,?)", docs)
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        con.execute("CREATE INDEX meta_source ON meta(source)")
        con.execute("CREATE INDEX meta_day ON meta(day)")
        con.execute("COMMIT")
        con.close()
        return {"docs": rowid, "bytes": dir_size(path)}

    def open(self, path: Path) -> None:
        self.con = sqlite3.connect(f"file:{self._file(path)}?mode=ro", uri=True)
        self.con.execute("PRAGMA cache_size=-262144")
        self.con.execute("PRAGMA mmap_size=1073741824")

    @staticmethod
    def translate(q: Query) -> tuple[str, str, list]:
        """(MATCH expression, extra WHERE clause, its parameters)."""
        quoted = ['"' + t.replace('"', '""') + '"' for t in q.terms]
        if q.phrase:
            match = '"' + " ".join(t.replace('"', '""') for t in q.terms) + '"'
        else:
            match = f" {q.op} ".join(quoted)
        where, params = "", []
        if q.sources:
            where += f" AND m.source IN ({','.join('?' * len(q.sources))})"
            params += list(q.sources)
        if q.since:
            where += " AND m.day >= ?"
            params.append(q.since.isoformat())
        if q.until:
            where += " AND m.day <= ?"
            params.append(q.until.isoformat())
        return match, where, params

    def search(self, q: Query) -> Result:
        assert self.con is not None
        match, where, params = self.translate(q)
        join = "FROM fts JOIN meta m ON m.rowid = fts.rowid WHERE fts MATCH ?" + where
        top = self.con.execute(
            f"SELECT m.id, snippet(fts, 1, '[', ']', '…', 16) {join}"
            " ORDER BY bm25(fts, 3.0, 1.0, 1.0) LIMIT 10", [match, *params]).fetchall()
        sources: dict[str, int] = {}
        months: dict[str, int] = {}
        total = 0
        for source, month, count in self.con.execute(
                f"SELECT m.source, m.month, count(*) {join} GROUP BY m.source, m.month",
                [match, *params]):
            total += count
            sources[source] = sources.get(source, 0) + count
            if month:
                months[month] = months.get(month, 0) + count
        return Result(total, [r[0] for r in top], [r[1] for r in top], sources, months)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
