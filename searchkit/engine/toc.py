"""Reading Whoosh's table of contents without running code from it.

A ``_MAIN_<n>.toc`` file is a short binary header followed by two pickles: the Whoosh
schema and the list of segments. Whoosh reads them with :func:`pickle.load`, which calls
any function a crafted file names, so opening a folder from someone else could run code.
:func:`read_toc` parses the header itself and unpickles with an unpickler that resolves
only the classes searchkit and Whoosh write there (:data:`ALLOWED_GLOBALS`, the complete
list, found by disassembling the files searchkit writes with :mod:`pickletools`). A pickle
that names anything else, a file that is cut short, larger than :data:`MAX_TOC_BYTES`, or
whose segments do not look like searchkit's, raises :class:`IndexCorruptError` naming the
file, before anything it describes is used. The segment list is either searchkit segments
or, for an index without segments, one guard segment alone (``store.GuardSegment``, which
refuses Whoosh's writer); a table of contents written before the guard existed lists none.

:func:`toc_bytes` writes the table of contents byte for byte as Whoosh's ``TOC.write``
does, so the folder stays a Whoosh index that Whoosh's own ``open_dir`` can read.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import struct
from pathlib import Path
from typing import Any

from whoosh import __version__ as whoosh_version
from whoosh.fields import Schema

from ..errors import IndexCorruptError

__all__ = [
    "ALLOWED_GLOBALS",
    "MAX_TOC_BYTES",
    "TableOfContentsError",
    "latest_generation",
    "read_toc",
    "toc_bytes",
    "toc_name",
    "toc_pattern",
]

#: Every global a searchkit table of contents refers to: the schema's field, format,
#: column and analyzer classes (``re._compile`` rebuilds a tokenizer's compiled pattern),
#: searchkit's analyzer and segment classes, and the builtins pickle uses for them.
ALLOWED_GLOBALS = frozenset({
    ("whoosh.fields", "Schema"),
    ("whoosh.fields", "ID"),
    ("whoosh.fields", "TEXT"),
    ("whoosh.fields", "KEYWORD"),
    ("whoosh.fields", "DATETIME"),
    ("whoosh.fields", "STORED"),
    ("whoosh.formats", "Existence"),
    ("whoosh.formats", "Frequency"),
    ("whoosh.formats", "Positions"),
    ("whoosh.columns", "NumericColumn"),
    ("whoosh.analysis.analyzers", "CompositeAnalyzer"),
    ("whoosh.analysis.tokenizers", "IDTokenizer"),
    ("whoosh.analysis.tokenizers", "RegexTokenizer"),
    ("whoosh.analysis.filters", "LowercaseFilter"),
    ("whoosh.analysis.filters", "StripFilter"),
    ("re", "_compile"),
    ("searchkit.engine.schema", "NewsAnalyzer"),
    ("searchkit.engine.store", "SearchkitSegment"),
    ("searchkit.engine.store", "GuardSegment"),
    ("__builtin__", "long"),
    ("__builtin__", "set"),
    ("__builtin__", "frozenset"),
    ("builtins", "int"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
})

#: The largest table of contents searchkit reads. It holds one small record per segment
#: plus the numbers of deleted documents (at most 30% of a segment before it is merged
#: away), so 64 MiB covers indexes of tens of millions of articles.
MAX_TOC_BYTES = 64 << 20

_HEADER_SIZES = (4, 8, 4)  # int, long and float sizes Whoosh records (and checks)
_BYTE_ORDER_MARK = -12345
_TOC_VERSION = -111
_INT = struct.Struct("!i")
_SEGMENT_ID = re.compile(r"^[0-9a-z]{1,64}$")
_SEGMENT_FIELDS = {"indexname", "segid", "compound", "_doccount", "_deleted"}
_GUARD_FIELDS = {"indexname": "MAIN", "segid": "empty", "compound": False}
_UNTRUSTWORTHY = "the index folder is not trustworthy: do not use it; rebuild the index from your articles"


class TableOfContentsError(IndexCorruptError):
    """A table of contents that is not one searchkit wrote. Never transient: tables of
    contents are written under a temporary name and renamed into place whole, so reading
    the file again gives the same answer (readers do not retry it)."""


class _Refused(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _pattern_text(pattern: Any, flags: Any = 0) -> str:
    if not isinstance(pattern, str) or not isinstance(flags, int):
        raise ValueError("a tokenizer pattern is malformed")
    return pattern


class _TocUnpickler(pickle.Unpickler):
    """Resolves only :data:`ALLOWED_GLOBALS`; everything else is refused before it exists."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise _Refused(f"{module}.{name}")
        if (module, name) == ("re", "_compile"):
            return _pattern_text  # the schema is only checked, never used: compile nothing from the file
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused(f"a persistent id {str(pid)[:40]!r}")


class _Cursor:
    """Reads Whoosh's header fields from bytes, raising on a short read."""

    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.at + count > len(self.data):
            raise ValueError("the file ends early (it is truncated)")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("a length in the header is malformed")

    def int(self) -> int:
        value: int = _INT.unpack(self.take(4))[0]
        return value


def toc_name(index_name: str, generation: int) -> str:
    """The file name of a generation's table of contents, as Whoosh names it (``_MAIN_3.toc``)."""
    return f"_{index_name}_{generation}.toc"


def toc_pattern(index_name: str) -> re.Pattern[str]:
    """Matches the names of ``index_name``'s tables of contents; group 1 is the generation."""
    return re.compile(rf"^_{re.escape(index_name)}_([0-9]+)\.toc$")


def latest_generation(folder: Path, index_name: str) -> int:
    """The newest generation whose table of contents is in ``folder``, or -1 when there is
    none (or the folder cannot be listed), as Whoosh finds it."""
    pattern = toc_pattern(index_name)
    try:
        names = os.listdir(folder)
    except OSError:
        return -1
    return max((int(m.group(1)) for name in names if (m := pattern.match(name))), default=-1)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def toc_bytes(schema: Schema, segments: list[Any], generation: int) -> bytes:
    """A table of contents exactly as Whoosh's ``TOC.write`` lays it out (so Whoosh's
    ``open_dir`` reads it), built in memory so that the caller writes it in one piece."""
    schema_pickle = pickle.dumps(schema, 2)
    header = b"".join(_varint(size) for size in _HEADER_SIZES)
    header += _INT.pack(_BYTE_ORDER_MARK) + _INT.pack(_TOC_VERSION)
    header += b"".join(_varint(number) for number in whoosh_version[:3])
    return b"".join([
        header, _varint(len(schema_pickle)), schema_pickle, _INT.pack(generation), _INT.pack(0),
        pickle.dumps(segments, -1),
    ])


def _unpickle(data: bytes, what: str) -> Any:
    stream = io.BytesIO(data)
    value = _TocUnpickler(stream).load()
    if stream.tell() != len(data):
        raise ValueError(f"{len(data) - stream.tell()} stray bytes follow the {what}")
    return value


def _check_segments(segments: Any, segment_type: type[Any], guard_type: type[Any], doc_limit: int) -> list[Any]:
    if not isinstance(segments, list):
        raise ValueError(f"the segment list is a {type(segments).__name__}, not a list")
    if len(segments) == 1 and type(segments[0]) is guard_type:
        if vars(segments[0]) != _GUARD_FIELDS:
            raise ValueError(f"its guard segment is malformed: {vars(segments[0])!r:.200}")
        return segments
    for number, segment in enumerate(segments):
        where = f"segment {number}"
        if type(segment) is not segment_type:
            raise ValueError(f"{where} is a {type(segment).__name__}, not a searchkit segment")
        state = vars(segment)
        if set(state) != _SEGMENT_FIELDS:
            raise ValueError(f"{where} has the attributes {sorted(state)}, not {sorted(_SEGMENT_FIELDS)}")
        if state["indexname"] != "MAIN" or not isinstance(state["segid"], str) or not _SEGMENT_ID.match(state["segid"]):
            raise ValueError(f"{where} has a malformed name {state['indexname']!r}/{state['segid']!r}")
        count = state["_doccount"]
        if type(count) is not int or not 0 <= count <= doc_limit:
            raise ValueError(f"{where} has a malformed document count {count!r}")
        deleted = state["_deleted"]
        if deleted is not None and (
            type(deleted) is not set or any(type(d) is not int or not 0 <= d < count for d in deleted)
        ):
            raise ValueError(f"{where} lists deleted documents that it does not hold")
    return segments


def read_toc(path: Path, generation: int, segment_type: type[Any], guard_type: type[Any]) -> list[Any]:
    """The segments recorded in the table of contents at ``path`` (generation ``generation``),
    each checked to be a well-formed ``segment_type`` (searchkit's segment class), or a
    well-formed ``guard_type`` alone (the guard segment of an index without segments).

    Raises :class:`FileNotFoundError` when the file is gone (a writer replaced it) and
    :class:`IndexCorruptError` for anything that is not a table of contents searchkit wrote.
    """
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_TOC_BYTES:
            raise TableOfContentsError(
                f"{path} is {size:,} bytes; a searchkit table of contents is at most "
                f"{MAX_TOC_BYTES:,}, so it is not one searchkit wrote. {_UNTRUSTWORTHY}"
            )
        data = file.read(MAX_TOC_BYTES + 1)
    if len(data) > MAX_TOC_BYTES:
        raise TableOfContentsError(f"{path} grew past {MAX_TOC_BYTES:,} bytes while being read. {_UNTRUSTWORTHY}")
    cursor = _Cursor(data)
    try:
        if tuple(cursor.varint() for _ in _HEADER_SIZES) != _HEADER_SIZES or cursor.int() != _BYTE_ORDER_MARK:
            raise ValueError("the header is not a Whoosh table of contents header")
        version = cursor.int()
        if version != _TOC_VERSION:
            raise ValueError(f"table of contents format {version}, not the {_TOC_VERSION} searchkit writes")
        for _ in range(3):
            cursor.varint()  # the Whoosh release that wrote it
        schema = _unpickle(cursor.take(cursor.varint()), "schema")
        if not isinstance(schema, Schema):
            raise ValueError(f"the schema is a {type(schema).__name__}, not a Whoosh schema")
        recorded = cursor.int()
        if recorded != generation:
            raise ValueError(f"it records generation {recorded}, but its name says {generation}")
        cursor.int()  # unused by Whoosh
        return _check_segments(_unpickle(data[cursor.at :], "segment list"), segment_type, guard_type, doc_limit=1 << 32)
    except _Refused as refused:
        raise TableOfContentsError(
            f"{path} holds a pickle that refers to {refused.what}, which searchkit never writes; {_UNTRUSTWORTHY}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any failure to parse is damage, reported with the file
        raise TableOfContentsError(
            f"{path} is not a table of contents searchkit can read ({exc}); restore the folder "
            "from a backup, or rebuild the index from your articles"
        ) from exc
