"""Type stubs of the optional C kernel of phrase matching (searchkit/_phrases.c)."""

from typing import Any

def phrase_matches(docs: list[Any], tfs: list[Any], positions: list[Any], offsets: list[int], out_docs: Any,
                   out_counts: Any, /) -> int:
    """The documents (uint32 arrays) where the terms stand at their offsets, into ``out_docs``
    (int64) with their counts in ``out_counts`` (float64); how many, or -1 when a run of
    positions is out of order."""
