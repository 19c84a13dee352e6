"""The articles the performance benchmark indexes: the real corpus and seeded scaled ones.

Every article is a plain dict, the same for every engine::

    {"id": str, "headline": str, "body": str, "background": [str, ...],
     "source": str, "date": datetime.date | None, "url": str | None}

Real corpus (read from ``../shared/data`` at run time; nothing is copied into the repo):

* **BBC News** (2,225): headline = line 1, body = the rest, source ``"BBC News"``. The data
  carries no per-article date (README.TXT only says 2004-2005), so ``date`` is ``None``;
  nothing is derived. No URL either.
* **Reuters-21578** (about 19,000): every ``<REUTERS>`` record with both ``<TITLE>`` and
  ``<BODY>``; date from ``<DATE>`` (``26-FEB-1987 15:01:01.79``, tolerant of the double
  spaces and trailing noise some records have); HTML entities unescaped, control characters
  and the closing "Reuter" sign-off removed; source ``"Reuters"``; no URL.
* **AllSides article-bias** (3,094): ``title``, ``content_original`` as body (``content`` is
  the tokenized copy and is not used), ``date`` (``YYYY-MM-DD`` or empty = ``None``),
  ``source``, ``url``.

Scaled corpus (:func:`scaled_corpus`): a lazy, deterministic generator of any size built from
the real text: real headlines (a third lightly varied), bodies made of runs of 1-4
consecutive real sentences taken from random places of the real corpus, with the number of
sentences drawn from the real per-article distribution, 0-4 background bullets from real
sentences, 25 outlets with a Zipf-like skew, dates spread uniformly over 2019-2024, unique ids
and URLs. The sentence pool (about 450,000 sentences) is built once per process in a few
seconds; after that generation runs at tens of thousands of articles per second, far above
any engine's indexing rate.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"

Article = dict  # {"id", "headline", "body", "background", "source", "date", "url"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t]+")
_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


def _article(id: str, headline: str, body: str, source: str, date: dt.date | None,
             url: str | None, background: list[str] | None = None) -> Article:
    return {"id": id, "headline": headline, "body": body, "background": background or [],
            "source": source, "date": date, "url": url}


# ---------------------------------------------------------------- BBC News

def load_bbc(data: Path = DEFAULT_DATA) -> list[Article]:
    """BBC News: 2,225 articles, source "BBC News", no date, no URL."""
    root = Path(data) / "bbc-news"
    articles = []
    for path in sorted(root.glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # sport/199.txt has one latin-1 pound sign
            text = raw.decode("latin-1")
        headline, _, body = text.partition("\n")
        articles.append(_article(f"bbc/{path.parent.name}/{path.stem}", headline.strip(),
                                 body.strip(), "BBC News", None, None))
    return articles


# ---------------------------------------------------------------- Reuters-21578

_RECORD = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="?(\d+)')
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_SIGNOFF = re.compile(r"\s*\bReuter\s*$")


def _sgml_text(raw: str) -> str:
    """Unescape, drop control characters, unwrap lines; an indented line starts a paragraph."""
    text = _CONTROL.sub("", html.unescape(raw)).strip()
    paras = re.split(r"\n[ \t]+", text)
    return "\n\n".join(" ".join(p.split()) for p in paras if p.strip())


def load_reuters(data: Path = DEFAULT_DATA) -> list[Article]:
    """Reuters-21578: every record with both TITLE and BODY (about 19,000), source "Reuters"."""
    root = Path(data) / "reuters21578"
    articles = []
    for path in sorted(root.glob("reut2-*.sgm")):
        text = path.read_text(encoding="latin-1")
        for m in _RECORD.finditer(text):
            attrs, record = m.groups()
            title, body = _TITLE.search(record), _BODY.search(record)
            if not title or not body:
                continue
            newid = _NEWID.search(attrs)
            date = None
            if d := _DATE.search(record):
                day, mon, year = d.groups()
                try:
                    date = dt.date(int(year), _MONTHS[mon.upper()], int(day))
                except (KeyError, ValueError):
                    date = None
            headline = " ".join(_sgml_text(title.group(1)).split())
            body_text = _SIGNOFF.sub("", _sgml_text(body.group(1)))
            if headline and body_text:
                articles.append(_article(f"reuters/{newid.group(1) if newid else m.start()}",
                                         headline, body_text, "Reuters", date, None))
    return articles


# ---------------------------------------------------------------- AllSides

def load_allsides(data: Path = DEFAULT_DATA) -> list[Article]:
    """AllSides article-bias, world/security subset (3,094): content_original as body."""
    root = Path(data) / "allsides-article-bias" / "jsons"
    articles = []
    for path in sorted(root.glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        raw_date = (rec.get("date") or "").strip()
        date = dt.date.fromisoformat(raw_date) if raw_date else None
        articles.append(_article(f"allsides/{rec['ID']}", " ".join(rec["title"].split()),
                                 rec["content_original"].strip(), rec["source"].strip(), date,
                                 rec.get("url") or None))
    return articles


LOADERS = {"bbc": load_bbc, "reuters": load_reuters, "allsides": load_allsides}


def real_corpus(data: Path = DEFAULT_DATA, counts: dict[str, int] | None = None) -> list[Article]:
    """All three corpora, in a fixed order. ``counts`` (if given) receives the count per corpus."""
    out: list[Article] = []
    for name, loader in LOADERS.items():
        part = loader(data)
        if counts is not None:
            counts[name] = len(part)
        out.extend(part)
    return out


# ---------------------------------------------------------------- scaled corpus

OUTLETS = [
    ("Reuters", "www.reuters.com"), ("Associated Press", "apnews.com"),
    ("BBC News", "www.bbc.co.uk"), ("The Guardian", "www.theguardian.com"),
    ("New York Times", "www.nytimes.com"), ("Washington Post", "www.washingtonpost.com"),
    ("CNN", "www.cnn.com"), ("Fox News", "www.foxnews.com"), ("NPR", "www.npr.org"),
    ("Bloomberg", "www.bloomberg.com"), ("Financial Times", "www.ft.com"),
    ("Wall Street Journal", "www.wsj.com"), ("Al Jazeera", "www.aljazeera.com"),
    ("Politico", "www.politico.com"), ("The Hill", "thehill.com"), ("USA Today", "www.usatoday.com"),
    ("Christian Science Monitor", "www.csmonitor.com"), ("Deutsche Welle", "www.dw.com"),
    ("France 24", "www.france24.com"), ("The Independent", "www.independent.co.uk"),
    ("Vox", "www.vox.com"), ("Axios", "www.axios.com"), ("The Times of India", "timesofindia.com"),
    ("Sydney Morning Herald", "www.smh.com.au"), ("Irish Times", "www.irishtimes.com"),
]
SCALED_START = dt.date(2019, 1, 1)
SCALED_DAYS = (dt.date(2024, 12, 31) - SCALED_START).days + 1
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@dataclass
class _Pool:
    headlines: list[str]
    sentences: list[str]        # in corpus order, so neighbours mostly come from one article
    sentence_counts: list[int]  # sentences per real article (the length distribution)
    headline_words: list[str]


_POOLS: dict[str, _Pool] = {}


def _split_sentences(body: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n|\n(?=\s)", body):
        para = " ".join(para.split())
        out.extend(s for s in _SENTENCE_END.split(para) if len(s) >= 20)
    return out


def _pool(data: Path) -> _Pool:
    key = str(Path(data).resolve())
    if key not in _POOLS:
        headlines, sentences, counts, words = [], [], [], set()
        for art in real_corpus(data):
            headlines.append(art["headline"])
            words.update(w for w in _WORD.findall(art["headline"]) if len(w) > 3)
            sents = _split_sentences(art["body"])
            if sents:
                sentences.extend(sents)
                counts.append(len(sents))
        _POOLS[key] = _Pool(headlines, sentences, counts, sorted(words))
    return _POOLS[key]


def _slug(text: str) -> str:
    return "-".join(_WORD.findall(text.lower())[:8]) or "article"


def scaled_corpus(n: int, seed: int = 20240601, data: Path = DEFAULT_DATA) -> Iterator[Article]:
    """Yield ``n`` synthetic articles made of real text, the same ones for the same seed.

    Lazy: memory stays at the size of the sentence pool whatever ``n`` is.
    """
    pool = _pool(data)
    rng = random.Random(seed)
    sentences, n_sent = pool.sentences, len(pool.sentences)
    weights = [1.0 / (rank ** 1.1) for rank in range(1, len(OUTLETS) + 1)]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    outlet_idx = rng.choices(range(len(OUTLETS)), cum_weights=cum, k=n)  # one draw, cheap
    for i in range(n):
        headline = rng.choice(pool.headlines)
        if rng.random() < 0.33:  # light variation: swap one word for another headline word
            words = headline.split()
            words[rng.randrange(len(words))] = rng.choice(pool.headline_words)
            headline = " ".join(words)
        want = rng.choice(pool.sentence_counts)
        paras, para = [], []
        while want > 0:
            run = min(want, rng.randint(1, 4))
            start = rng.randrange(n_sent - run)
            para.extend(sentences[start:start + run])
            want -= run
            if len(para) >= 3 or want == 0:
                paras.append(" ".join(para))
                para = []
        k = rng.choices((0, 1, 2, 3, 4), weights=(40, 15, 20, 15, 10))[0]
        background = [sentences[rng.randrange(n_sent)] for _ in range(k)]
        source, domain = OUTLETS[outlet_idx[i]]
        date = SCALED_START + dt.timedelta(days=rng.randrange(SCALED_DAYS))
        yield _article(
            f"gen{seed}-{i:07d}", headline, "\n\n".join(paras), source, date,
            f"https://{domain}/{date:%Y/%m/%d}/{_slug(headline)}-{i}", background)


# ---------------------------------------------------------------- names used by the runner

def parse_size(name: str) -> int:
    """"100k" -> 100000, "1.5m" -> 1500000, "2500" -> 2500."""
    name = name.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(name[-1:], 1)
    return int(float(name[:-1] if scale > 1 else name) * scale)


def corpus_iter(name: str, data: Path = DEFAULT_DATA, seed: int = 20240601) -> Iterator[Article]:
    """``"real"`` or a size such as ``"100k"`` -> an iterator of articles."""
    if name == "real":
        return iter(real_corpus(data))
    return scaled_corpus(parse_size(name), seed=seed, data=data)


def main() -> None:
    import time

    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    counts: dict[str, int] = {}
    t = time.perf_counter()
    real = real_corpus(data, counts)
    print(f"real corpus: {len(real):,} articles {counts} in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    pool = _pool(data)
    print(f"pool: {len(pool.sentences):,} sentences in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    chars = sum(len(a["body"]) for a in scaled_corpus(20_000, data=data))
    el = time.perf_counter() - t
    print(f"scaled: 20,000 articles in {el:.2f}s ({20_000 / el:,.0f}/s), mean body {chars / 20_000:,.0f} chars;"
          f" real mean body {sum(len(a['body']) for a in real) / len(real):,.0f} chars")


if __name__ == "__main__":
    main()
