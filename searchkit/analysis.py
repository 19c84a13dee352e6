"""Text analysis for English news: from text to index terms.

One analyzer serves indexing, queries and highlighting, so the three always agree:

1. **Tokenize** with one regular expression into raw tokens with character offsets: runs
   of word characters joined by inner apostrophes, hyphens, dots or commas, so words
   (``O'Brien``, ``Novo-Karsk``), numbers with thousands separators (``7,400``), decimals
   (``1.5``) and dotted acronyms (``U.S.``) each come out whole.
2. **Normalize** each raw token: lower-case, fold accents (``Núñez`` → ``nunez``; a query
   without diacritics finds the word with them, and back), drop a possessive ``'s``, remove
   other apostrophes (``O'Brien`` → ``obrien``), thousands separators (``7,400`` → ``7400``)
   and acronym dots (``U.S.`` → ``us``).
3. **Split compounds** on hyphens: ``Novo-Karsk`` is indexed as ``novo``, ``karsk`` *and* the
   joined ``novokarsk`` (at the first part's position), so ``Novo-Karsk``, ``Novokarsk``
   and the phrase ``"novo karsk"`` all find it. In a query a hyphenated word means the
   joined term.
4. **Drop stop words** (:data:`STOP_WORDS`, 126 common English function words; ``us`` is
   kept because in news it is mostly "U.S."). Stop words still take a position, so phrase
   queries keep their gaps.
5. **Stem** with the Snowball English stemmer (PyStemmer, C). Numbers are not stemmed.

The result of steps 2–5 for each distinct raw token is cached, which makes indexing
throughput mostly a matter of the regular expression. Highlighting re-tokenizes the
stored text, so highlights always cover the original words, never stems.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import NamedTuple, Union

import Stemmer

__all__ = [
    "STOP_WORDS",
    "Token",
    "analyze_query_word",
    "field_terms",
    "iter_tokens",
    "normalize",
    "phrase_terms",
]

# One fast pattern; the cached per-token analysis sorts out what a match is.
TOKEN_PATTERN = re.compile(r"\w+(?:['’‐‑.,-]\w+)*")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?[^\W\d_]*|\d+(?:\.\d+)+[^\W\d_]*")
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_SEPARATORS = re.compile(r"[.,]+")
_HYPHENS = re.compile(r"[‐‑-]+")
_APOSTROPHES = re.compile(r"['’]")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_SPECIAL_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "_": ""}
)

# The classic 127-word English stop list (NLTK's original), without "us".
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now
    """.split()
)

_STEMMER = Stemmer.Stemmer("english")
_STEMMER.maxCacheSize = 0  # the analyzer keeps its own cache of whole results
# The Snowball English stem of a lower-case word (no stop-word or digit rule: see analyze()).
stem_word: Callable[[str], str] = _STEMMER.stemWord

# An analyzed raw token: "" for a stop word, a term, or a compound: its parts, one
# position each, and the joined term ("" when the parts were not hyphenated).
Analyzed = Union[str, tuple[tuple[str, ...], str]]

_CACHE: dict[str, Analyzed] = {}
_CACHE_LIMIT = 300_000


class Token(NamedTuple):
    """A raw token of the original text and the terms it stands for."""

    start: int
    end: int
    position: int
    terms: tuple[str, ...]


def normalize(word: str) -> str:
    """Lower-case and fold accents; the form terms are stemmed from."""
    word = word.lower().translate(_SPECIAL_FOLDS)
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    if not word or word in STOP_WORDS:
        return ""
    if word[0].isdigit():
        return word
    stem: str = _STEMMER.stemWord(word)
    return stem


def plain_term(word: str) -> str | None:
    """The term of ``word``, lower-case ASCII text without white space or punctuation
    around it, where it is one token with nothing to normalize: a word of letters and
    digits (``flood``, ``19th``: ``""`` for a stop word, a number as it is, else its stem)
    or a number with thousands separators or decimals (``7,400`` is ``7400``); None for
    anything else, which needs the tokenizer. What :func:`analyze` gives, without its cache."""
    if word.isalnum():
        return _stem(word)
    if _NUMBER.fullmatch(word):
        return word.replace(",", "")
    return None


def stem_letters(words: list[str]) -> list[str]:
    """The terms of words of lower-case a-z letters only, at once: what :func:`analyze`
    gives each of them (``""`` for a stop word), stemmed in one call."""
    return [stem if word not in STOP_WORDS else "" for word, stem in zip(words, _STEMMER.stemWords(words))]


def _analyze(raw: str) -> Analyzed:
    word = normalize(raw)
    if "." in word or "," in word:
        if _NUMBER.fullmatch(word):
            return word.replace(",", "")
        if _ACRONYM.fullmatch(word):
            return _stem(word.replace(".", ""))
        # Words run together by a missing space ("end.Next"): one position each.
        parts: list[str] = []
        for piece in _SEPARATORS.split(word):
            result = _analyze(piece) if piece else ""
            parts.extend([result] if isinstance(result, str) else result[0])
        return tuple(parts), ""
    word = _POSSESSIVE.sub("", word)
    word = _APOSTROPHES.sub("", word)
    if not _HYPHENS.search(word):
        return _stem(word)
    pieces = tuple(piece for piece in _HYPHENS.split(word) if piece)
    if len(pieces) == 1:
        return _stem(pieces[0])
    return tuple(_stem(piece) for piece in pieces), _stem("".join(pieces))


def analyze(raw: str) -> Analyzed:
    """The cached analysis of one raw token."""
    result = _CACHE.get(raw)
    if result is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        result = _CACHE[raw] = _analyze(raw)
    return result


def field_terms(text: str) -> tuple[list[str], list[int], int]:
    """Index terms of ``text`` with their positions, and the field's length in terms.

    Stop words take a position but emit no term; a compound's joined term shares the
    position of its first part and does not count towards the length.
    """
    terms: list[str] = []
    positions: list[int] = []
    add_term = terms.append
    add_position = positions.append
    cache = _CACHE
    position = 0
    length = 0
    for raw in TOKEN_PATTERN.findall(text):
        result = cache.get(raw)
        if result is None:
            result = analyze(raw)
        if isinstance(result, str):
            if result:
                add_term(result)
                add_position(position)
                length += 1
            position += 1
        else:
            parts, joined = result
            if joined:
                add_term(joined)
                add_position(position)
            for part in parts:
                if part:
                    add_term(part)
                    add_position(position)
                    length += 1
                position += 1
    return terms, positions, length


def iter_tokens(text: str) -> Iterator[Token]:
    """Raw tokens of ``text`` with offsets, positions (as :func:`field_terms` counts
    them) and the terms each stands for; used for highlighting."""
    position = 0
    for match in TOKEN_PATTERN.finditer(text):
        result = analyze(match.group())
        if isinstance(result, str):
            yield Token(match.start(), match.end(), position, (result,) if result else ())
            position += 1
        else:
            parts, joined = result
            terms = tuple(t for t in (joined, *parts) if t)
            yield Token(match.start(), match.end(), position, terms)
            position += len(parts)


def phrase_terms(text: str) -> list[tuple[str, int]]:
    """The terms of a phrase with their positions relative to its first term.

    Compounds contribute their parts (``"Novo-Karsk plan"`` is novo, karsk, plan), so a
    phrase matches hyphenated and spaced spellings alike; stop words leave gaps.
    """
    found: list[tuple[str, int]] = []
    position = 0
    for raw in TOKEN_PATTERN.findall(text):
        result = analyze(raw)
        parts = (result,) if isinstance(result, str) else result[0]
        for part in parts:
            if part:
                found.append((part, position))
            position += 1
    if not found:
        return []
    first = found[0][1]
    return [(term, at - first) for term, at in found]


def analyze_query_word(word: str) -> list[str]:
    """The terms a word typed in a query stands for, in order.

    A hyphenated word means its joined term; a word that is only stop words means nothing.
    Text with several raw tokens (``"7,400 troops"``) gives several terms.
    """
    terms: list[str] = []
    for raw in TOKEN_PATTERN.findall(word):
        result = analyze(raw)
        if isinstance(result, str):
            if result:
                terms.append(result)
        elif result[1]:
            terms.append(result[1])
    return terms
