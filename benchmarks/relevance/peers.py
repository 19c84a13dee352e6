"""BM25 peers that searchkit is measured against, each used the way its docs show.

Every engine has one interface: :meth:`index` a ``{id: (title, text)}`` mapping once,
then :meth:`search` raw query text for up to ``k`` doc ids, best first. Only docs that
match at least one query term come back (a zero score is not a hit).

- ``bm25s``: ``bm25s.BM25(method="lucene")`` with its defaults (k1=1.5, b=0.75) over
  ``bm25s.tokenize(title + " " + text, stopwords="en", stemmer=Stemmer("english"))``:
  lowercase, tokens ``\\b\\w\\w+\\b``, bm25s' English stop list, Snowball English stems.
- ``rank-bm25``: ``BM25Okapi`` with its defaults (k1=1.5, b=0.75, epsilon=0.25) over
  ``title + " " + text`` lowercased, split on ``\\w+``, each token Snowball-stemmed
  (PyStemmer ``english``); no stop list.
- ``sqlite-fts5``: an FTS5 table with two columns (title, text), ``tokenize='porter
  unicode61'``, ranked by ``bm25()`` (k1=1.2, b=0.75, both columns weight 1). The query
  is the ``\\w+`` words of the text, each double-quoted, joined with ``OR``.
- ``whoosh``: a schema of ``title`` and ``text`` TEXT fields with ``StemmingAnalyzer``,
  the default BM25F weighting, and a ``MultifieldParser`` over both fields with
  ``group=OrGroup``. The query is the ``\\w+`` words of the text, lowercased so that
  upper-case queries (LISA, NPL) cannot produce ``AND``/``OR``/``NOT`` operators and no
  syntax character reaches the parser.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Mapping
from typing import Protocol, cast

import bm25s
import numpy as np
import Stemmer
from rank_bm25 import BM25Okapi
from whoosh import fields, index, qparser
from whoosh.analysis import StemmingAnalyzer

__all__ = ["PEERS", "Bm25sEngine", "Engine", "Fts5Engine", "RankBm25Engine", "WhooshEngine"]

Docs = Mapping[str, tuple[str, str]]
_WORD = re.compile(r"\w+")


class Engine(Protocol):
    """What the benchmark runs: index once, then search raw query text."""

    name: str

    def index(self, docs: Docs) -> None:
        """Index every doc; called once."""

    def search(self, text: str, k: int = 1000) -> list[str]:
        """Up to ``k`` matching doc ids, best first."""


def _joined(title: str, text: str) -> str:
    return f"{title} {text}" if title else text


class Bm25sEngine:
    """bm25s, Lucene's BM25 variant, English stop words and stemmer."""

    name = "bm25s"

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._ids: list[str] = []
        self._retriever = bm25s.BM25(method="lucene")

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False)
        return cast("list[list[str]]", tokens)

    def index(self, docs: Docs) -> None:
        self._ids = list(docs)
        texts = [_joined(title, text) for title, text in docs.values()]
        self._retriever.index(self._tokens(texts), show_progress=False)

    def search(self, text: str, k: int = 1000) -> list[str]:
        query = [t for t in self._tokens([text])[0] if t in self._retriever.vocab_dict]
        if not query:
            return []
        found, scores = self._retriever.retrieve([query], k=min(k, len(self._ids)), show_progress=False)
        return [self._ids[i] for i, score in zip(found[0], scores[0]) if score > 0]


class RankBm25Engine:
    """rank-bm25's BM25Okapi over lowercase ``\\w+`` tokens, Snowball-stemmed."""

    name = "rank-bm25"

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._ids: list[str] = []
        self._bm25: BM25Okapi | None = None

    def _tokens(self, text: str) -> list[str]:
        return list(self._stemmer.stemWords(_WORD.findall(text.lower())))

    def index(self, docs: Docs) -> None:
        self._ids = list(docs)
        self._bm25 = BM25Okapi([self._tokens(_joined(title, text)) for title, text in docs.values()])

    def search(self, text: str, k: int = 1000) -> list[str]:
        assert self._bm25 is not None, "index() first"
        scores = self._bm25.get_scores(self._tokens(text))
        best = np.argsort(-scores, kind="stable")[:k]
        return [self._ids[i] for i in best if scores[i] > 0]


class Fts5Engine:
    """SQLite FTS5 (stdlib sqlite3), porter + unicode61, ranked by bm25()."""

    name = "sqlite-fts5"

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, text, tokenize='porter unicode61')")
        self._ids: list[str] = []

    def index(self, docs: Docs) -> None:
        self._ids = list(docs)
        rows = ((rowid, title, text) for rowid, (title, text) in enumerate(docs.values()))
        with self._db:
            self._db.executemany("INSERT INTO docs(rowid, title, text) VALUES (?, ?, ?)", rows)

    def search(self, text: str, k: int = 1000) -> list[str]:
        words = _WORD.findall(text)
        if not words:
            return []
        match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        sql = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?"
        return [self._ids[rowid] for (rowid,) in self._db.execute(sql, (match, k))]


class WhooshEngine:
    """Whoosh used plainly: StemmingAnalyzer, BM25F defaults, OR of the query words."""

    name = "whoosh"

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="relevance-whoosh-")
        analyzer = StemmingAnalyzer()
        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=analyzer),
            text=fields.TEXT(analyzer=analyzer),
        )
        self._index = index.create_in(self._dir.name, schema)
        self._parser = qparser.MultifieldParser(["title", "text"], schema, group=qparser.OrGroup)

    def index(self, docs: Docs) -> None:
        with self._index.writer() as writer:
            for docid, (title, text) in docs.items():
                writer.add_document(id=docid, title=title, text=text)
        self._searcher = self._index.searcher()

    def search(self, text: str, k: int = 1000) -> list[str]:
        query = self._parser.parse(" ".join(_WORD.findall(text.lower())))
        return [hit["id"] for hit in self._searcher.search(query, limit=k)]

    def close(self) -> None:
        """Close the searcher and remove the index directory."""
        self._searcher.close()
        self._dir.cleanup()


PEERS = {engine.name: engine for engine in (Bm25sEngine, RankBm25Engine, Fts5Engine, WhooshEngine)}
