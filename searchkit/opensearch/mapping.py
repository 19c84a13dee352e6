"""searchkit's fields and analysis in OpenSearch's terms: index settings, mapping, documents.

The fields are those of :mod:`searchkit.engine.schema`: the text fields
:data:`~searchkit.engine.segment.FIELDS`, ``source`` as an exact case-insensitive key
(``source_key``), ``date`` as a day, ``id`` unique, the rest kept in ``_source`` only.

**Searchkit analyzes, OpenSearch indexes.** Each text field is indexed from searchkit's own
analysis (:func:`searchkit.analysis.field_terms`), sent as one slot per position
(:func:`term_slots`): the terms at that position joined by ``/`` (a compound's joined term
shares its first part's position), or :data:`GAP` where a stop word stood. The index
analyzer ``searchkit_terms_index`` (``whitespace``, ``pattern_capture`` on ``/``, ``stop``
on :data:`GAP`) turns that back into exactly searchkit's terms and positions, and Lucene's
BM25 ignores the overlapping joined terms and the gaps in a field's length, as searchkit
does. Queries are analyzed by searchkit too (:mod:`searchkit.opensearch.translate`). So both
backends index and search the very same terms: stemming, accent folding, possessives,
compounds (``Novo-Karsk``, ``Novokarsk``, ``"novo karsk"``), ``7,400`` = ``7400``, stop
words and phrase gaps are one implementation, not two.

Why not OpenSearch's own filters: :data:`BUILTIN_ANALYZER` reproduces searchkit's analyzer
with built-in char filters, tokenizer and token filters (kept in the index settings as
``searchkit_text`` for tools that analyze text themselves), and on the usual cases it
agrees term for term; but Lucene 9's Snowball English is an older release than
PyStemmer's (``international`` → ``intern``, not ``internat``; ``added`` → ``ad``), which
changed the terms of about one paragraph in ten of the BBC news corpus, and a query
analyzed one way would miss documents indexed the other way. :data:`BUILTIN_DIFFERENCES`
lists what differs between the two.

**Ranking.** searchkit scores a term once over all text fields (BM25F: the fields'
weighted frequencies are summed, then saturated). OpenSearch 2.x has no BM25F query, and
summing per-field BM25 scores rewards a word found in several fields too much. So each
document also has :data:`ALL_FIELD`: its text fields, each repeated as many times as its
weight (headline 3, body 1, background 1; see :func:`field_repeats`), and unscoped queries
search that one field, so a term saturates once, as in searchkit. What remains different is
the length normalization (one over the weighted total, not one per field) and Lucene's
one-byte field lengths. BM25's ``k1`` and ``b`` are searchkit's (index similarity
``searchkit_bm25``). Queries scoped to one field (``headline:flood``) search that field.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .._version import __version__
from ..analysis import STOP_WORDS, TOKEN_PATTERN, field_terms
from ..engine.execute import Ranking
from ..engine.segment import FIELDS, source_key
from ..models import Article

__all__ = [
    "ALL_FIELD",
    "BUILTIN_ANALYZER",
    "BUILTIN_DIFFERENCES",
    "GAP",
    "MAPPING_VERSION",
    "TERM_FIELDS",
    "article_from_source",
    "content_hash",
    "document",
    "field_repeats",
    "index_body",
    "term_slots",
]

MAPPING_VERSION = 1  # raise when the mapping or analysis changes incompatibly
GAP = "_"  # never an index term: searchkit folds "_" away
TERM_FIELDS = {name: f"{name}_terms" for name in FIELDS}  # the indexed form of each text field
ALL_FIELD = "all_terms"
INTERNAL_FIELDS = ("source_key", "source_display", "content_hash", ALL_FIELD, *TERM_FIELDS.values())

BUILTIN_DIFFERENCES = (
    "Stemming: Lucene 9's Snowball English is an older release than PyStemmer's: international -> intern "
    "(searchkit internat), emergency -> emerg (emergenc), added -> ad (add), and the like.",
    "Java's Unicode \\w also takes combining marks, Python's does not: text in decomposed form (NFD) "
    "tokenizes differently (composed text, the usual form, does not).",
    "Thousands separators are joined wherever a comma stands between a digit and three digits "
    "(searchkit: only in a whole token that is a number): 1,234abc,5 and 3,000-strong differ.",
    "Acronym dots are removed between single letters anywhere in a token (searchkit: only when the whole "
    "token is an acronym): end.a.b differs.",
    "A hyphen next to a decimal (1.5-2) joins and splits differently.",
    "A lone underscore takes no position in OpenSearch, one in searchkit.",
    "asciifolding does not decompose compatibility characters that searchkit's NFKD does (roman numeral XII).",
)

# searchkit's analyzer from OpenSearch's built-in filters, step for step:
# 1. char filters on the whole text: drop "_"; join thousands (7,400 -> 7400); join dotted
#    acronyms (U.S. -> US); every other "." or "," between word characters becomes a break,
#    except between digits (1.5);
# 2. the pattern tokenizer with searchkit's own token pattern (Java, Unicode classes);
# 3. lowercase, asciifolding, possessive 's and other apostrophes removed;
# 4. word_delimiter_graph on hyphens: novo, karsk and the joined novokarsk (then flatten_graph);
# 5. stop with searchkit's STOP_WORDS (gaps kept), numbers marked as keywords, snowball English.
BUILTIN_ANALYZER: dict[str, Any] = {
    "char_filter": {
        "searchkit_underscore": {"type": "pattern_replace", "pattern": "_", "replacement": ""},
        "searchkit_thousands": {"type": "pattern_replace", "pattern": r"(?<=\d),(?=\d{3}(?!\d))", "replacement": ""},
        "searchkit_acronym": {"type": "pattern_replace", "pattern": r"(?U)\b(\p{L})\.(?=\p{L}\b)", "replacement": "$1"},
        "searchkit_breaks": {"type": "pattern_replace", "pattern": r"(?U)(?<!\d)[.,](?=\w)|(?<=\w)[.,](?!\d)",
                             "replacement": " "},
    },
    "tokenizer": {
        "searchkit_tokens": {"type": "pattern", "pattern": "(?U)" + TOKEN_PATTERN.pattern, "group": 0},
    },
    "filter": {
        "searchkit_possessive": {"type": "pattern_replace", "pattern": "['’]s$", "replacement": ""},
        "searchkit_apostrophe": {"type": "pattern_replace", "pattern": "['’]", "replacement": "", "all": True},
        "searchkit_compound": {
            "type": "word_delimiter_graph",
            "generate_word_parts": True,
            "generate_number_parts": True,
            "catenate_all": True,
            "split_on_case_change": False,
            "split_on_numerics": False,
            "preserve_original": False,
            "stem_english_possessive": False,
            "type_table": [". => DIGIT", ", => DIGIT"],
        },
        "searchkit_stop": {"type": "stop", "stopwords": sorted(STOP_WORDS), "ignore_case": False},
        "searchkit_numbers": {"type": "keyword_marker", "keywords_pattern": "^[0-9].*"},
        "searchkit_stemmer": {"type": "snowball", "language": "English"},
    },
    "analyzer": {
        "searchkit_text": {
            "type": "custom",
            "char_filter": ["searchkit_underscore", "searchkit_thousands", "searchkit_acronym", "searchkit_breaks"],
            "tokenizer": "searchkit_tokens",
            "filter": [
                "lowercase", "asciifolding", "searchkit_possessive", "searchkit_apostrophe", "searchkit_compound",
                "flatten_graph", "searchkit_stop", "searchkit_numbers", "searchkit_stemmer",
            ],
        },
    },
}


def analysis_settings() -> dict[str, Any]:
    return {
        "char_filter": dict(BUILTIN_ANALYZER["char_filter"]),
        "tokenizer": dict(BUILTIN_ANALYZER["tokenizer"]),
        "filter": {
            **BUILTIN_ANALYZER["filter"],
            "searchkit_slot_terms": {"type": "pattern_capture", "patterns": ["([^/]+)"], "preserve_original": False},
            "searchkit_gap": {"type": "stop", "stopwords": [GAP], "ignore_case": False},
        },
        "analyzer": {
            **BUILTIN_ANALYZER["analyzer"],
            # Documents: one whitespace-separated slot per position (see term_slots).
            "searchkit_terms_index": {"type": "custom", "tokenizer": "whitespace",
                                      "filter": ["searchkit_slot_terms", "searchkit_gap"]},
            # Queries: index terms separated by spaces, GAP for a stop word inside a phrase.
            "searchkit_terms": {"type": "custom", "tokenizer": "whitespace", "filter": ["searchkit_gap"]},
        },
    }


def field_repeats(ranking: Ranking | None = None) -> tuple[tuple[str, int], ...]:
    """How many times each text field goes into :data:`ALL_FIELD`: its weight, rounded."""
    weights = dict((ranking or Ranking()).weights)
    return tuple((name, max(1, round(weights[name]))) for name in FIELDS)


def mappings(ranking: Ranking | None = None) -> dict[str, Any]:
    terms = {
        "type": "text",
        "analyzer": "searchkit_terms_index",
        "search_analyzer": "searchkit_terms",
        "similarity": "searchkit_bm25",
        "position_increment_gap": 100,  # no phrase across two copies in all_terms
    }
    properties: dict[str, Any] = {name: {"type": "text", "index": False} for name in FIELDS}
    properties.update({indexed: dict(terms) for indexed in TERM_FIELDS.values()})
    properties[ALL_FIELD] = dict(terms)
    properties.update({
        "id": {"type": "keyword"},
        "source": {"type": "keyword", "index": False, "doc_values": False},
        "source_key": {"type": "keyword"},
        "source_display": {"type": "keyword", "index": False},
        "date": {"type": "date", "format": "strict_date"},
        "url": {"type": "keyword", "index": False, "doc_values": False},
        "attribution": {"type": "keyword", "index": False, "doc_values": False},
        "meta": {"type": "object", "enabled": False},
        "content_hash": {"type": "keyword", "index": False, "doc_values": False},
    })
    return {
        "dynamic": "strict",
        "_meta": {"searchkit_mapping_version": MAPPING_VERSION, "searchkit_version": __version__,
                  "field_repeats": dict(field_repeats(ranking))},
        "_source": {"excludes": [ALL_FIELD, *TERM_FIELDS.values()]},
        "properties": properties,
    }


def index_body(*, shards: int, replicas: int, ranking: Ranking | None = None) -> dict[str, Any]:
    """The body of the create-index request."""
    ranking = ranking or Ranking()
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Each write is fsynced to the translog of the primary and of every in-sync
                # replica before the cluster answers (OpenSearch's default, set here so that an
                # index template cannot make writes "async").
                "translog": {"durability": "request"},
                "similarity": {"searchkit_bm25": {"type": "BM25", "k1": ranking.k1, "b": ranking.b}},
            },
            "analysis": analysis_settings(),
        },
        "mappings": mappings(ranking),
    }


def term_slots(text: str) -> str:
    """searchkit's terms of ``text`` as the index analyzer reads them: one slot per position,
    its terms joined by ``/``, :data:`GAP` for a position with none (a stop word)."""
    terms, positions, _ = field_terms(text)
    if not terms:
        return ""
    slots = [GAP] * (positions[-1] + 1)  # GAP is never a term, so it marks an empty slot
    for term, at in zip(terms, positions):
        slots[at] = term if slots[at] == GAP else f"{slots[at]}/{term}"
    return " ".join(slots)


def content_hash(article: Article) -> str:
    """What makes a re-added article "unchanged": its JSON form, as the embedded index compares."""
    return hashlib.sha256(article.to_json()).hexdigest()


def document(article: Article, *, display: str | None, repeats: tuple[tuple[str, int], ...]) -> dict[str, Any]:
    """The OpenSearch document of an article: its JSON form plus the indexed and internal
    fields: ``display`` is its source's display name (the spelling first indexed), ``repeats``
    as the index's ``_meta`` has them (:func:`field_repeats` at creation)."""
    doc = article.to_dict()
    slots = {
        "headline": term_slots(article.headline),
        "body": term_slots(article.body),
        "background": term_slots("\n".join(article.background)),
    }
    for name, indexed in TERM_FIELDS.items():
        doc[indexed] = slots[name]
    doc[ALL_FIELD] = [slots[name] for name, times in repeats for _ in range(times) if slots[name]]
    doc["source_key"] = source_key(article.source) if article.source else None
    doc["source_display"] = display
    doc["content_hash"] = content_hash(article)
    return doc


def article_from_source(source: dict[str, Any]) -> Article:
    data = {key: value for key, value in source.items() if key not in INTERNAL_FIELDS}
    return Article.model_validate(data)
