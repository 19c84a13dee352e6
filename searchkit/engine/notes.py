"""Notes a search adds to ``SearchResults.warnings`` when 0 results would leave a user guessing.

* A ``sources=`` name that no article has: the note names it and suggests the index's
  sources that are close (same letters in any case, a prefix or a part of the name, or a
  few edits away), so ``bbc`` points at ``BBC News``.
* A query whose words are all stop words (``the of and``): those are not indexed, so the
  query can match nothing; the note lists the words it skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..analysis import STOP_WORDS, iter_tokens, normalize
from ..query import And, Not, Or, Phrase, Query, Term
from .fuzzy import edit_distance
from .segment import source_key
from .snapshot import Snapshot

__all__ = ["MAX_SOURCE_SUGGESTIONS", "close_sources", "search_notes"]

MAX_SOURCE_SUGGESTIONS = 3


def search_notes(snapshot: Snapshot, query: Query, sources: Sequence[str]) -> list[str]:
    """The notes for ``query`` filtered by ``sources`` on ``snapshot`` (see the module docstring)."""
    notes = [_unknown_source(snapshot, name) for name in dict.fromkeys(sources)
             if source_key(name) not in snapshot.source_ordinals]
    skipped = _unsearchable_words(query)
    if skipped is not None:
        first_seen: dict[str, str] = {}
        for word in skipped:
            if normalize(word) in STOP_WORDS:
                first_seen.setdefault(normalize(word), word)
        stop = list(first_seen.values())
        if stop:  # a query of only symbols ("-", "\\") is left alone: there is no word to name
            notes.append(
                "the query has only common words, which are not indexed, so it matches nothing "
                f"(skipped: {', '.join(stop)}); add a word that says what you are looking for"
            )
    return notes


def close_sources(snapshot: Snapshot, name: str) -> list[str]:
    """The index's source names closest to ``name``: containing it or contained in it
    (any case, spaces folded), then within an edit distance of about a third of its length."""
    wanted = source_key(name)
    if not wanted:
        return []
    limit = max(1, len(wanted) // 3)
    ranked: list[tuple[int, int, str]] = []
    for display in snapshot.source_names:
        key = source_key(display)
        if key.startswith(wanted) or any(word.startswith(wanted) for word in key.split()):
            rank = 0
        elif wanted in key or (len(wanted) >= 4 and key in wanted):
            rank = 1
        else:
            distance = min(edit_distance(wanted, part, limit) for part in (key, *key.split()))
            if distance > limit:
                continue
            rank = 1 + distance
        ranked.append((rank, len(key), display))
    return [display for _, _, display in sorted(ranked)[:MAX_SOURCE_SUGGESTIONS]]


def _unknown_source(snapshot: Snapshot, name: str) -> str:
    close = close_sources(snapshot, name)
    if close:
        hint = "did you mean " + " or ".join(f'"{display}"' for display in close) + "?"
    else:
        count = len(snapshot.source_names)
        hint = f"none of its {count} source{'' if count == 1 else 's'} is close (`searchkit stats` counts them)"
    return f'there is no source named "{name}" in this index, so the filter matches nothing; {hint}'


def _unsearchable_words(query: Query) -> list[str] | None:
    """The raw words of a query made only of words and phrases that analyze to no terms
    (stop words, punctuation); None when anything in it can match."""
    leaves = list(_leaves(query))
    if not leaves:
        return None
    words: list[str] = []
    for leaf in leaves:
        if isinstance(leaf, Term):
            text = leaf.word
        elif isinstance(leaf, Phrase):
            text = leaf.words
        else:
            return None
        tokens = list(iter_tokens(text))
        if any(token.terms for token in tokens):
            return None
        words += [text[token.start : token.end] for token in tokens] or [text]
    return words


def _leaves(query: Query) -> Iterator[Query]:
    if isinstance(query, (And, Or)):
        for child in query.children:
            yield from _leaves(child)
    elif isinstance(query, Not):
        yield from _leaves(query.child)
    else:
        yield query
