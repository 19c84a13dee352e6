"""Type stubs of the optional C kernels of posting lists (searchkit/_scoring.c)."""

from typing import Any

def weighted_sum(docs: Any, part_docs: list[Any], part_freqs: list[Any], weights: list[float], norms: list[Any],
                 out: Any, /) -> int:
    """Each of ``docs``'s sum of ``weight * freq / norm[doc]`` over the parts holding it, into ``out``;
    0, or -1 when an array has a type the kernel does not take."""

def doc_positions(docs: Any, freqs: Any, positions: Any, ends: Any, doc: int, /) -> list[int] | None | int:
    """The positions of ``doc`` in a posting list (``ends``: the running sum of ``freqs``, or None);
    None when the list lacks it; -1 when an array has a type the kernel does not take."""

def page_positions(docs: Any, freqs: Any, positions: Any, wanted: list[int], /) -> list[list[int] | None] | int:
    """``doc_positions`` of each of the ascending ``wanted`` documents, in one walk of the list;
    -1 when an array has a type the kernel does not take."""
