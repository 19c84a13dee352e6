"""Loaders for the six classic IR test collections in ``../shared/data/ir``.

Each loader returns a :class:`Collection` with string ids (zero padding removed, so
CACM's ``01`` in the qrels is query ``1``), and :func:`load` checks the document,
query and judgment counts against the figures in each collection's PROVENANCE.md,
raising :class:`CountMismatch` when they differ. Line endings are mixed (CRLF and
LF), so every file is read with universal newlines.

What goes into the (title, text) of a document and into a query:

- ADI, CACM, CISI, Cranfield (SMART format): title = ``.T``, text = ``.W``; authors,
  bibliography, keywords and citations are left out. A field that occurs twice in a
  record is joined, identical repeats once (ADI 67 repeats its ``.T``); a marker seen
  before that recurs after ``.W`` is a stray line inside the abstract (Cranfield 240
  has ``.A`` and ``.B`` there) and does not end it. Queries are
  ``.W``, plus ``.T`` where CISI has one (its queries 58+ are whole abstracts).
- LISA: the 14 document files concatenated in name order; title = lines up to the
  first blank line, text = the rest. The original has a defect in ``LISA1.501``:
  ids 1998-2001 occur twice (identical, kept once; a differing repeat fails) and a
  headerless fragment sits between the runs (dropped). 5,999 distinct documents.
  Qrels come from ``LISARJ.NUM`` (``LISA.REL`` is garbled).
- NPL: no titles (title = ""); records end with a ``/`` line.

Grades: binary collections give 1 to every judged pair. Cranfield codes 1..4 (1 is
"a complete answer") become gains 4..1 (``5 - code``). Code -1 occurs exactly once per
query and marks a document whose title restates the question: the query's *source
document* (Cranfield II questions were written by the authors of papers in the
collection), which Cleverdon's 1-5 scale never graded. It is kept as judged with
grade 0, i.e. not relevant, which is also what trec_eval does with a negative code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXPECTED", "NAMES", "Collection", "CountMismatch", "Counts", "data_root", "load"]

REPO = Path(__file__).resolve().parents[2]
NAMES = ("adi", "cacm", "cisi", "cran", "lisa", "npl")

Docs = dict[str, tuple[str, str]]
Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Counts:
    """Sizes of a collection: judgments are (query, doc) pairs, Cranfield's -1 included."""

    docs: int
    queries: int
    judgments: int
    judged_queries: int


# From each PROVENANCE.md, "Verification".
EXPECTED: dict[str, Counts] = {
    "adi": Counts(docs=82, queries=35, judgments=170, judged_queries=35),
    "cacm": Counts(docs=3204, queries=64, judgments=796, judged_queries=52),
    "cisi": Counts(docs=1460, queries=112, judgments=3114, judged_queries=76),
    "cran": Counts(docs=1400, queries=225, judgments=1837, judged_queries=225),
    "lisa": Counts(docs=5999, queries=35, judgments=379, judged_queries=35),
    "npl": Counts(docs=11429, queries=93, judgments=2083, judged_queries=93),
}


@dataclass(frozen=True)
class Collection:
    """A test collection: docs id -> (title, text), queries id -> text, qrels id -> doc -> grade."""

    name: str
    docs: Docs
    queries: dict[str, str]
    qrels: Qrels

    def counts(self) -> Counts:
        """The sizes as loaded, to compare with :data:`EXPECTED`."""
        return Counts(
            docs=len(self.docs),
            queries=len(self.queries),
            judgments=sum(len(judged) for judged in self.qrels.values()),
            judged_queries=len(self.qrels),
        )


class CountMismatch(RuntimeError):
    """A collection loaded with other counts than its PROVENANCE.md states."""


def data_root() -> Path:
    """``$SEARCHKIT_SHARED/data/ir``, by default ``../shared/data/ir`` beside the checkout."""
    shared = Path(os.environ.get("SEARCHKIT_SHARED", REPO.parent / "shared"))
    return shared / "data" / "ir"


def load(name: str, *, root: Path | None = None) -> Collection:
    """Load collection ``name`` (one of :data:`NAMES`) and check its counts."""
    if name not in _LOADERS:
        raise ValueError(f"unknown collection {name!r}; choose from {', '.join(NAMES)}")
    folder = (root or data_root()) / name
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is absent (the collections live in ../shared/data/ir)")
    docs, queries, qrels = _LOADERS[name](folder)
    collection = Collection(name, docs, queries, qrels)
    found, expected = collection.counts(), EXPECTED[name]
    if found != expected:
        raise CountMismatch(f"{name}: loaded {found}, but {folder / 'PROVENANCE.md'} states {expected}")
    unknown = {d for judged in qrels.values() for d in judged} - docs.keys()
    if unknown:
        raise CountMismatch(f"{name}: judged doc ids absent from the documents: {sorted(unknown)[:10]}")
    return collection


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii")  # universal newlines: CRLF and LF both become "\n"


def _norm(raw: str) -> str:
    """An id without zero padding: ``"001"`` -> ``"1"``."""
    return str(int(raw))


def _clean(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def _smart(path: Path) -> dict[str, dict[str, str]]:
    """SMART records (``.I id`` then field markers such as ``.T``): id -> marker -> text."""
    records: dict[str, dict[str, list[list[str]]]] = {}
    fields: dict[str, list[list[str]]] = {}
    section: list[str] = []  # lines before the first marker of a record are dropped
    for line in _read(path).split("\n"):
        if line.startswith(".I "):
            fields, section = records.setdefault(_norm(line[3:]), {}), []
        elif re.fullmatch(r"\.[A-Z]\s*", line):
            if line.strip() in fields and ".W" in fields:
                continue  # a stray marker inside the abstract (Cranfield 240)
            section = []
            fields.setdefault(line.strip(), []).append(section)
        else:
            section.append(line)
    return {
        rid: {marker: " ".join(dict.fromkeys(_clean(s) for s in sections)) for marker, sections in fields.items()}
        for rid, fields in records.items()
    }


def _smart_docs(path: Path) -> Docs:
    return {rid: (f.get(".T", ""), f.get(".W", "")) for rid, f in _smart(path).items()}


def _smart_queries(path: Path, markers: tuple[str, ...] = (".W",)) -> dict[str, str]:
    return {rid: " ".join(f[m] for m in markers if f.get(m)) for rid, f in _smart(path).items()}


def _pairs(path: Path) -> Qrels:
    """Lines ``qid docid ...`` (binary judgments)."""
    qrels: Qrels = {}
    for line in _read(path).split("\n"):
        if line.strip():
            qid, docid = line.split()[:2]
            qrels.setdefault(_norm(qid), {})[_norm(docid)] = 1
    return qrels


def _adi(folder: Path) -> tuple[Docs, dict[str, str], Qrels]:
    return _smart_docs(folder / "ADI.ALL"), _smart_queries(folder / "ADI.QRY"), _pairs(folder / "ADI.REL")


def _cacm(folder: Path) -> tuple[Docs, dict[str, str], Qrels]:
    return _smart_docs(folder / "cacm.all"), _smart_queries(folder / "query.text"), _pairs(folder / "qrels.text")


def _cisi(folder: Path) -> tuple[Docs, dict[str, str], Qrels]:
    queries = _smart_queries(folder / "CISI.QRY", (".T", ".W"))
    return _smart_docs(folder / "CISI.ALL"), queries, _pairs(folder / "CISI.REL")


def _cran(folder: Path) -> tuple[Docs, dict[str, str], Qrels]:
    # The qrels number queries by position in cran.qry (1..225), not by their .I labels.
    by_label = _smart_queries(folder / "cran.qry")
    queries = {str(position): text for position, text in enumerate(by_label.values(), start=1)}
    qrels: Qrels = {}
    for line in _read(folder / "cranqrel").split("\n"):
        if line.strip():
            qid, docid, code = line.split()
            if int(code) not in (-1, 1, 2, 3, 4):
                raise ValueError(f"cranqrel: unknown relevance code {code} in {line!r}")
            qrels.setdefault(_norm(qid), {})[_norm(docid)] = 0 if code == "-1" else 5 - int(code)
    return _smart_docs(folder / "cran.all.1400"), queries, qrels


def _lisa(folder: Path) -> tuple[Docs, dict[str, str], Qrels]:
    files = sorted(p for p in folder.glob("LISA[0-9]*") if p.is_file())
    records = "".join(_read(p) for p in files).split("*" * 44 + "\n")
    docs: Docs = {}
    fragments = 0
    for record in records:
        header = re.match(r"Document\s+(\d+)\s*\n", record)
        if header is None:
            fragments += bool(record.strip())
            continue
        title, text = (re.split(r"\n[ \t]*\n", record[header.end() :], maxsplit=1) + [""])[:2]
        doc = (_clean([title]), _clean([text]))
        previous = docs.setdefault(_norm(header.group(1)), doc)
        if previous != doc:
            raise ValueError(f"LISA document {header.group(1)} occurs twice with different text")
    if fragments != 1:
        raise CountMismatch(f"lisa: expected the one documented headerless fragment, found {fragments}")
    queries: dict[str, str] = {}
    for block in _read(folder / "LISA.QUE").split("#"):
        if block.strip():
            qid, _, text = block.strip().partition("\n")
            queries[_norm(qid)] = _clean([text])
    numbers = iter(_read(folder / "LISARJ.NUM").split())  # qid, count, then count doc ids; repeated
    qrels: Qrels = {}
    for query in numbers:
        count = int(next(numbers))
        qrels[_norm(query)] = {_norm(next(numbers)): 1 for _ in range(count)}
    return docs, queries, qrels


def _slash_records(path: Path) -> list[tuple[str, str]]:
    """NPL records: an id line, body lines, then a line holding only ``/``."""
    records = []
    for block in re.split(r"\n[ \t]*/[ \t]*(?:\n|$)", _read(path)):
        if block.strip():
            rid, _, body = block.strip().partition("\n")
            records.append((_norm(rid), body))
    return records


def _npl(folder: Path) -> tuple[Docs, dict[str, str], Qrels]:
    docs = {rid: ("", _clean([body])) for rid, body in _slash_records(folder / "doc-text")}
    queries = {rid: _clean([body]) for rid, body in _slash_records(folder / "query-text")}
    qrels = {rid: {_norm(d): 1 for d in body.split()} for rid, body in _slash_records(folder / "rlv-ass")}
    return docs, queries, qrels


_LOADERS = {"adi": _adi, "cacm": _cacm, "cisi": _cisi, "cran": _cran, "lisa": _lisa, "npl": _npl}
