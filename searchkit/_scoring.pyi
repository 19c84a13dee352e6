"""Type stubs of the optional C kernel of a leaf's weighted frequencies (searchkit/_scoring.c)."""

from typing import Any

def weighted_sum(docs: Any, part_docs: list[Any], part_freqs: list[Any], weights: list[float], norms: list[Any],
                 out: Any, /) -> int:
    """Each of ``docs``'s sum of ``weight * freq / norm[doc]`` over the parts holding it, into ``out``;
    0, or -1 when an array has a type the kernel does not take."""
