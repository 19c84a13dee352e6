"""Type stubs of the optional C kernel (searchkit/_speedups.c)."""

from collections.abc import Mapping

class ChunkCodes:
    """The codes of a token-code table's chunks, found in C."""

    def __init__(self, codes: Mapping[str, int]) -> None: ...
    def encode(self, text: str) -> bytes:
        """The code of each whitespace-separated chunk of ``text``, as native int32 bytes."""
    def kept(self) -> int:
        """How many chunks are kept."""
