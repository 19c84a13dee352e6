"""Type stubs of the optional C kernel (searchkit/_speedups.c)."""

from collections.abc import Callable, Set
from typing import Protocol

class _Codes(Protocol):
    """A chunk key's code (``searchkit.engine.segment._KernelMisses``)."""

    def __getitem__(self, key: str, /) -> int: ...

class ChunkCodes:
    """The codes of a token-code table's chunks, found in C."""

    def __init__(self, codes: _Codes) -> None: ...
    def encode(self, text: str) -> bytes:
        """The code of each whitespace-separated chunk of ``text``, as native int32 bytes."""
    def encode_lead(self, text: str, lead: int, /) -> tuple[bytes, int, int]:
        """:meth:`encode`, how many of the chunks end at or before character ``lead``, and where
        the chunk ``lead`` cuts starts (-1: none)."""
    def kept(self) -> int:
        """How many chunks are kept."""

def token_spans(text: str, start: int, end: int, limit: int, /) -> list[tuple[int, int]]:
    """The spans of TOKEN_PATTERN's matches in ``text[start:end]``, at most ``limit`` (negative: all)."""
def sentence_spans(text: str, lo: int, hi: int, /) -> list[tuple[int, int]]:
    """The spans of the sentences of ``text[lo:hi]`` (searchkit/textspans.py)."""
def hash_strings(data: bytes | memoryview, offsets: bytes | memoryview, /) -> bytes:
    """Each string's 64-bit FNV-1a hash (native int64 bytes) of a string table's UTF-8 ``data``
    and int64 ``offsets`` (searchkit/engine/idhash.py)."""
def token_bounds(text: str, /) -> tuple[bytes, bytes, bytes]:
    """A token map's raw tokens of ``text``: their starts, ends, and the tokens that may take other
    than one position, as native int64 bytes (searchkit/engine/tokenmap.py)."""
def fingerprint_slots(hashes: bytes | memoryview, docs: bytes | memoryview, doc_count: int, /) -> tuple[bytes, bytes]:
    """The near-duplicate fingerprints of ``doc_count`` documents from their terms' uint64 ``hashes``
    in reading order and int64 ``docs`` (ascending): uint16 slots (doc_count x 128) and uint32
    shingle counts (searchkit/engine/fingerprint.py)."""
def analyze_chunk(chunk: str, stop_words: Set[str], stem: Callable[[str], str], /
                  ) -> str | tuple[int, tuple[tuple[str, int, bool], ...]] | None:
    """An ASCII whitespace-separated chunk's analysis (searchkit/engine/segment.py): a term, or its
    width and entries; None for a chunk that is not ASCII."""
