"""Verifying an index: every file readable, every count consistent.

:func:`check_index` reads the latest generation's segments in full (all arrays, every
stored article, the near-duplicate fingerprint columns, the bodies' token maps) and its story file, and lists what
is wrong, in words that say which file, what and what to do, apart from what interrupted
writes left behind (notes, not problems).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from ..errors import SearchkitError
from ..models import Article
from . import storedblob
from .fingerprint import SLOTS
from .segfile import SegmentFileReader
from .segment import FIELDS, SegmentReader, StringTable
from .store import IndexStore
from .storyfile import story_file_name
from .tokenmap import problems as token_map_problems

__all__ = ["check_index"]


def _check_segment(reader: SegmentReader, expected_docs: int, problems: list[str]) -> None:
    name = reader.file.path.name
    n = reader.doc_count
    if n != expected_docs:
        problems.append(f"{name}: holds {n} documents, the table of contents says {expected_docs}")
    terms = reader.terms.as_list()
    if terms != sorted(terms):
        problems.append(f"{name}: the vocabulary is not sorted")
    if len(set(terms)) != len(terms):
        problems.append(f"{name}: the vocabulary repeats terms")
    for field in FIELDS:
        arrays = reader.field_postings(field)
        post_off = arrays.post_off.astype(np.int64)
        pos_off = arrays.pos_off.astype(np.int64)
        docs, tf, pos = arrays.docs, arrays.tf, arrays.pos
        if post_off.size != len(terms) + 1 or pos_off.size != len(terms) + 1:
            problems.append(f"{name}: {field} offsets do not cover the vocabulary")
            continue
        if np.any(np.diff(post_off) < 0) or post_off[-1] != docs.size:
            problems.append(f"{name}: {field} posting offsets are inconsistent")
        if np.any(np.diff(pos_off) < 0) or pos_off[-1] != pos.size or int(tf.sum(dtype=np.int64)) != pos.size:
            problems.append(f"{name}: {field} position counts do not add up")
        if docs.size and int(docs.max()) >= n:
            problems.append(f"{name}: {field} postings point past the last document")
        if reader.lengths[field].size != n:
            problems.append(f"{name}: {field} lengths cover {reader.lengths[field].size} documents, not {n}")
    if reader.source.size != n or reader.day.size != n or len(reader.ids) != n:
        problems.append(f"{name}: per-document columns do not cover {n} documents")
    if reader.source.size and int(reader.source.max()) >= len(reader.source_names):
        problems.append(f"{name}: a source ordinal points past the source table")
    _check_fingerprints(reader, problems)
    wrong = token_map_problems(reader.file)
    if wrong:
        problems.append(f"{name}: {'; '.join(wrong)}: snippets of its hits read whole bodies instead (the same "
                        "snippets, slower); Index.optimize() writes the map anew from the stored articles")
    ids = reader.ids.as_list()
    for docnum in range(n):
        try:
            data = orjson.loads(storedblob.decompress(reader.stored_blob(docnum)))
            article = Article.model_validate(data)
        except (orjson.JSONDecodeError, ValueError, SearchkitError) as exc:
            problems.append(f"{name}: stored article {docnum} is unreadable: {exc}")
            continue
        if docnum < len(ids) and article.id != ids[docnum]:
            problems.append(f"{name}: stored article {docnum} has id {article.id!r}, the id table says {ids[docnum]!r}")


def _check_fingerprints(reader: SegmentReader, problems: list[str]) -> None:
    """The near-duplicate columns (:mod:`.fingerprint`): :data:`SLOTS` uint16 per document
    and one uint32 shingle count per document, or neither (a segment written before them)."""
    file, n = reader.file, reader.doc_count
    shapes = {"fingerprint": (np.uint16, n * SLOTS, f"{n} x {SLOTS} = {n * SLOTS}"), "shingles": (np.uint32, n, f"{n}")}
    present = [name for name in shapes if name in file]
    wrong = []
    if len(present) == 1:
        wrong.append(f"has a {present[0]} column without its {'shingles' if present[0] == 'fingerprint' else 'fingerprint'}"
                     " column")
    for name in present:
        dtype, size, expected = shapes[name]
        try:
            array = file.array(name)
        except SearchkitError as exc:
            wrong.append(f"its {name} column is unreadable ({exc})")
            continue
        if array.dtype != dtype or array.size != size:
            wrong.append(f"its {name} column holds {array.size} {array.dtype} values, not {expected} {np.dtype(dtype)}")
    if wrong:
        problems.append(f"{file.path.name}: {'; '.join(wrong)}: near-duplicates (Index.duplicates, "
                        "collapse='duplicates') cannot use it; export the articles (searchkit export) and index them "
                        "into a new index")


def _story_problem(path: Path, what: str) -> str:
    return (f"{path.name}: {what}; delete it: searches then cluster the articles in memory and the next write "
            "stores them again")


def _check_stories(path: Path, generation: int, live: set[str] | None, problems: list[str]) -> None:
    """The story file of ``generation`` (none is fine: searches cluster in memory): whole,
    its columns consistent, and clustering exactly the live articles ``live`` (None: not
    known, a segment is unreadable)."""
    if not path.exists():
        return
    try:
        file = SegmentFileReader(path)
    except SearchkitError as exc:
        problems.append(_story_problem(path, f"it is damaged ({exc})"))
        return
    try:
        meta = file.meta
        ids = StringTable(file, "ids").decode_all()
        headlines = StringTable(file, "headline")
        columns = {name: file.array(name) for name in ("story", "day", "source", "story.number", "story.rep")}
        count, sources = int(meta["articles"]), list(meta["sources"])
        next_story = int(meta["next_story"])
    except (SearchkitError, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        problems.append(_story_problem(path, f"it is damaged ({type(exc).__name__}: {exc})"))
        file.close()
        return
    try:
        story, source, numbers, rows = columns["story"], columns["source"], columns["story.number"], columns["story.rep"]
        sizes = {len(ids), len(headlines), story.size, columns["day"].size, source.size}
        if sizes != {count}:
            problems.append(_story_problem(path, f"its columns do not cover its {count} articles "
                                                 f"(they hold {', '.join(map(str, sorted(sizes)))})"))
            return
        if source.size and (int(source.min()) < -1 or int(source.max()) >= len(sources)):
            problems.append(_story_problem(path, f"a source ordinal points past its {len(sources)} sources"))
        if story.size and (int(story.min()) < 0 or int(story.max()) >= next_story):
            problems.append(_story_problem(path, f"a story number is outside 0..{next_story - 1}"))
        if rows.size != numbers.size or (rows.size and not 0 <= int(rows.min()) <= int(rows.max()) < count):
            problems.append(_story_problem(path, "a representative points past its articles"))
        elif sorted(set(numbers.tolist())) != sorted(set(story.tolist())) or np.any(story[rows] != numbers):
            problems.append(_story_problem(path, "its representatives do not match its stories"))
        clustered = set(ids)
        if len(clustered) != len(ids):
            problems.append(_story_problem(path, f"it lists {len(ids) - len(clustered)} article ids twice"))
        stale, missing = (sorted(clustered - live), sorted(live - clustered)) if live is not None else ([], [])
        if stale or missing:
            parts = [f"{len(stale)} article ids not in the index (first {stale[0]!r})"] if stale else []
            parts += [f"no story for {len(missing)} articles of the index (first {missing[0]!r})"] if missing else []
            problems.append(_story_problem(path, f"it does not match generation {generation}: {'; '.join(parts)}"))
    finally:
        file.close()


def check_index(store: IndexStore) -> tuple[int, int, list[str], list[str]]:
    """(live articles, segments, problems, notes) of the latest generation.

    Problems make the index wrong or unreadable. Notes are files an interrupted write left
    behind (segment files, whole or ``.tmp``, that no generation uses; older or unfinished
    tables of contents): harmless, and removed by the next write.
    """
    problems: list[str] = []
    try:
        generation, segments = store.read_segments()
    except SearchkitError as exc:
        return 0, 0, [str(exc)], []
    live = 0
    seen: dict[str, str] = {}
    unreadable = False
    for segment in segments:
        path = store.segment_path(segment)
        try:
            reader = SegmentReader(path, name=segment.segid)
        except (OSError, SearchkitError) as exc:
            problems.append(f"{path.name}: {exc}")
            unreadable = True
            continue
        try:
            _check_segment(reader, segment.document_count(), problems)
            deleted = segment.deleted_docs()
            if any(d >= reader.doc_count for d in deleted):
                problems.append(f"{path.name}: a deleted document number is past the end")
            for docnum, article_id in enumerate(reader.ids.as_list()):
                if docnum in deleted:
                    continue
                live += 1
                if article_id in seen:
                    problems.append(f"id {article_id!r} is live in both {seen[article_id]} and {path.name}")
                seen[article_id] = path.name
        finally:
            reader.close()
    _check_stories(store.path / story_file_name(generation), generation, None if unreadable else set(seen), problems)
    notes = [
        f"leftover {name}: from an interrupted write, not part of generation {generation}; "
        "harmless, the next write to the index removes it"
        for name in store.leftover_files(generation, segments)
    ]
    return live, len(segments), problems, notes
