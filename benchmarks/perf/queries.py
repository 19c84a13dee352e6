"""A fixed, seeded query mix drawn from the vocabulary of the corpus being benchmarked.

Document frequencies are counted over a seeded sample of the corpus (6,000 articles), with a
plain lowercase ``[a-z]+`` tokenizer and no stemming, and the mix (about 200 queries) is:

=============  ====  ==================================================================
kind           n     what
=============  ====  ==================================================================
term-low       25    one word in 0.05%-0.2% of the sample's articles
term-mid       25    one word in 1%-4%
term-high      20    one word in 8%-50% (stop words excluded)
and2 / and3    20/15 2 or 3 words taken from one real article (so the AND matches)
or2 / or3      15/10 2 or 3 low/mid-frequency words
phrase         30    a two-word phrase that occurs in at least 3 sampled articles
source         15    a mid/high word restricted to one or two outlets of the corpus
date           15    a mid/high word restricted to a 1-12 month window of the corpus
source+date    10    an AND of two words with both filters
=============  ====  ==================================================================

Each query is a :class:`Query`; every engine translates it into its own syntax, so the
work is the same. Stop words are never chosen as terms (Whoosh drops them at query time,
SQLite FTS5 does not), so differences in hit counts point at stemming or tokenizing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before
being below between both but by can cannot could did do does doing don down during each few for
from further had has have having he her here hers herself him himself his how i if in into is it
its itself just let me might more most mr mrs ms must my myself no nor not now of off on once only
or other ought our ours ourselves out over own said same say says shall she should so some such
than that the their theirs them themselves then there these they this those through to too under
until up upon us very was we were what when where which while who whom why will with would yet
you your yours yourself yourselves one two three new also its it's tbd may per
""".split())

_TOKEN = re.compile(r"[a-z]+|[^a-z\s]")

MIX = [("term-low", 25), ("term-mid", 25), ("term-high", 20), ("and2", 20), ("and3", 15),
       ("or2", 15), ("or3", 10), ("phrase", 30), ("source", 15), ("date", 15), ("source+date", 10)]


@dataclass(frozen=True)
class Query:
    """One benchmark query, engine-neutral."""

    qid: int
    kind: str
    terms: tuple[str, ...]
    phrase: bool = False            # terms form one phrase (in that order)
    op: str = "AND"                 # "AND" or "OR" between terms (ignored for a phrase)
    sources: tuple[str, ...] | None = None   # restrict to these outlets
    since: dt.date | None = None    # inclusive
    until: dt.date | None = None    # inclusive

    def text(self) -> str:
        """The query in the common ``a AND b`` / ``a OR b`` / ``"a b"`` syntax."""
        if self.phrase:
            return '"' + " ".join(self.terms) + '"'
        return f" {self.op} ".join(self.terms)

    def describe(self) -> str:
        parts = [self.text()]
        if self.sources:
            parts.append("source=" + "|".join(self.sources))
        if self.since or self.until:
            parts.append(f"date={self.since or ''}..{self.until or ''}")
        return " ".join(parts)

    def to_json(self) -> dict:
        d = asdict(self)
        d["since"] = self.since.isoformat() if self.since else None
        d["until"] = self.until.isoformat() if self.until else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> Query:
        return cls(qid=d["qid"], kind=d["kind"], terms=tuple(d["terms"]), phrase=d["phrase"],
                   op=d["op"], sources=tuple(d["sources"]) if d["sources"] else None,
                   since=dt.date.fromisoformat(d["since"]) if d["since"] else None,
                   until=dt.date.fromisoformat(d["until"]) if d["until"] else None)


@dataclass
class _Stats:
    n: int = 0
    df: Counter = field(default_factory=Counter)
    bigram_df: Counter = field(default_factory=Counter)
    docs: list[list[str]] = field(default_factory=list)  # distinct good words per doc
    sources: Counter = field(default_factory=Counter)
    dates: list[dt.date] = field(default_factory=list)


def _good(word: str) -> bool:
    return len(word) >= 3 and word not in STOP_WORDS


def _sample_stats(articles: Iterable[dict]) -> _Stats:
    st = _Stats()
    for art in articles:
        text = " ".join([art["headline"], art["body"], *art["background"]]).lower()
        toks = _TOKEN.findall(text)
        words = {t for t in toks if t[0].isalpha() and _good(t)}
        bigrams = {(a, b) for a, b in zip(toks, toks[1:])
                   if a[0].isalpha() and b[0].isalpha() and _good(a) and _good(b)}
        st.df.update(words)
        st.bigram_df.update(bigrams)
        st.docs.append(sorted(words))
        st.sources[art["source"]] += 1
        if art["date"]:
            st.dates.append(art["date"])
        st.n += 1
    return st


def sample(articles: Iterator[dict] | list[dict], size: int = 6000, seed: int = 7) -> list[dict]:
    """A seeded sample: random ``size`` of a list, or the first ``size`` of a (random) iterator."""
    if isinstance(articles, list):
        return random.Random(seed).sample(articles, min(size, len(articles)))
    out = []
    for art in articles:
        out.append(art)
        if len(out) >= size:
            break
    return out


def build_queries(sample_articles: list[dict], seed: int = 11) -> list[Query]:
    """The fixed query mix for a corpus, from a sample of its articles (see module doc)."""
    st = _sample_stats(sample_articles)
    rng = random.Random(seed)
    n = st.n

    def band(lo: float, hi: float) -> list[str]:  # at least 3 articles, at most 6 when the sample is small
        return sorted(w for w, c in st.df.items() if max(3, lo * n) <= c <= max(6, hi * n))

    low, mid, high = band(0.0005, 0.002), band(0.01, 0.04), band(0.08, 0.5)
    common = band(0.005, 0.3)
    common_set = set(common)
    phrases = sorted(bg for bg, c in st.bigram_df.items() if c >= 3)
    sources = sorted(st.sources)
    source_weights = [st.sources[s] ** 0.5 for s in sources]  # sqrt: more outlets get picked
    dates = sorted(st.dates)

    def and_terms(k: int) -> tuple[str, ...]:
        while True:
            words = [w for w in rng.choice(st.docs) if w in common_set]
            if len(words) >= k:
                return tuple(rng.sample(words, k))

    def one_source() -> tuple[str, ...]:
        k = 1 if rng.random() < 0.7 or len(sources) < 2 else 2
        picked: list[str] = []
        while len(picked) < k:
            s = rng.choices(sources, weights=source_weights)[0]
            if s not in picked:
                picked.append(s)
        return tuple(picked)

    def window() -> tuple[dt.date, dt.date]:
        start = rng.choice(dates).replace(day=1)
        months = rng.randint(1, 12)
        y, m = divmod(start.month - 1 + months, 12)
        end = dt.date(start.year + y, m + 1, 1) - dt.timedelta(days=1)
        return start, end

    queries: list[Query] = []
    for kind, count in MIX:
        for _ in range(count):
            q: dict = {"kind": kind}
            if kind == "term-low":
                q["terms"] = (rng.choice(low),)
            elif kind == "term-mid":
                q["terms"] = (rng.choice(mid),)
            elif kind == "term-high":
                q["terms"] = (rng.choice(high),)
            elif kind in ("and2", "and3"):
                q["terms"] = and_terms(int(kind[-1]))
            elif kind in ("or2", "or3"):
                q["terms"] = tuple(rng.sample(low + mid, int(kind[-1])))
                q["op"] = "OR"
            elif kind == "phrase":
                q["terms"] = rng.choice(phrases)
                q["phrase"] = True
            elif kind == "source":
                q["terms"] = (rng.choice(mid + high),)
                q["sources"] = one_source()
            elif kind == "date":
                q["terms"] = (rng.choice(mid + high),)
                q["since"], q["until"] = window()
            elif kind == "source+date":
                q["terms"] = and_terms(2)
                q["sources"] = one_source()
                q["since"], q["until"] = window()
            queries.append(Query(qid=len(queries), **q))
    return queries


def save(queries: list[Query], path: Path) -> None:
    Path(path).write_text(json.dumps([q.to_json() for q in queries], indent=1))


def load(path: Path) -> list[Query]:
    return [Query.from_json(d) for d in json.loads(Path(path).read_text())]
