"""Stored articles as zstd frames, older indexes' zlib streams still read (schema version 2,
marked 3 by the first commit of this version), and damaged or hostile blobs refused with
IndexCorruptError before anything is allocated for them."""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

import orjson
import pytest
import zstandard
from news_fixtures import NEWS, found, make_index

from searchkit import Article, Index
from searchkit.engine import segment, storedblob
from searchkit.errors import IndexCorruptError

TEXT = orjson.dumps({"id": "a", "headline": "River rises", "body": "The river rose overnight. " * 40})


def test_a_blob_is_a_zstd_frame_that_gives_back_its_bytes() -> None:
    blob = storedblob.compress(TEXT)
    assert blob[:4] == b"\x28\xb5\x2f\xfd"
    assert zstandard.frame_content_size(blob) == len(TEXT)
    assert storedblob.decompress(blob) == TEXT
    assert len(blob) < len(TEXT) // 4


def test_zlib_blobs_of_older_indexes_are_read() -> None:
    for level in (1, 6, 9):
        assert storedblob.decompress(zlib.compress(TEXT, level)) == TEXT


@pytest.mark.parametrize("blob", [
    b"",
    b"not a blob",
    zlib.compress(TEXT)[:-3],
    storedblob.compress(TEXT)[:-3],
    storedblob.compress(TEXT)[:12] + b"\x00" * 30,
])
def test_a_damaged_blob_is_refused(blob: bytes) -> None:
    with pytest.raises(IndexCorruptError, match="stored article"):
        storedblob.decompress(blob)


def test_a_frame_without_a_length_or_claiming_too_much_is_refused_unread() -> None:
    unsized = zstandard.ZstdCompressor(write_content_size=False).compress(TEXT)
    with pytest.raises(IndexCorruptError, match="no usable length"):
        storedblob.decompress(unsized)
    # A frame header that claims 2^40 bytes: refused from the header, nothing allocated.
    stream = zstandard.ZstdCompressor().compressobj(size=1 << 40)
    claims = stream.compress(b"x" * 100) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    assert zstandard.frame_content_size(claims) == 1 << 40
    with pytest.raises(IndexCorruptError, match="no usable length"):
        storedblob.decompress(claims)


def test_threads_compress_and_read_at_once() -> None:
    texts = [orjson.dumps({"n": n, "body": f"word{n} " * (50 + n)}) for n in range(64)]
    wrong: list[int] = []

    def work(offset: int) -> None:
        for _ in range(50):
            for n, text in enumerate(texts[offset:] + texts[:offset]):
                if storedblob.decompress(storedblob.compress(text)) != text:
                    wrong.append(n)

    threads = [threading.Thread(target=work, args=(k * 7,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_a_version_2_index_is_read_and_marked_3_by_its_first_commit(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "news"
    with monkeypatch.context() as patch:  # an index as version 2 wrote it: zlib blobs, schema 2
        patch.setattr(segment.storedblob, "compress", lambda data: zlib.compress(data, 1))
        make_index(path, NEWS[:6]).close()
    meta_path = path / "searchkit.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta_path.write_bytes(orjson.dumps({**meta, "schema_version": 2}))

    index = Index.open(path, refresh_interval=0)
    assert {loaded.reader.stored_blob(0)[:1] for loaded in index._current().segments} == {b"\x78"}  # zlib
    assert [index.get(a.id) for a in NEWS[:6]] == list(NEWS[:6])
    assert orjson.loads(meta_path.read_bytes())["schema_version"] == 2  # reading changes nothing
    index.add_many(NEWS[6:])  # zstd blobs beside the zlib ones
    marked = orjson.loads(meta_path.read_bytes())
    assert (marked["schema_version"], marked["created_at"]) == (3, meta["created_at"])
    assert marked["upgraded_by"].startswith("searchkit ")
    index.optimize()  # one segment with both kinds of blob
    [merged] = index._current().segments
    kinds = {merged.reader.stored_blob(doc)[:1] for doc in range(merged.reader.doc_count)}
    assert kinds == {b"\x78", b"\x28"}
    assert [index.get(a.id) for a in NEWS] == list(NEWS)
    assert found(index, "flood") == found(make_index(tmp_path / "fresh", NEWS), "flood")
    assert index.check().problems == []
    index.close()


def test_a_damaged_stored_article_is_an_index_corrupt_error(tmp_path: Path) -> None:
    index = make_index(tmp_path / "news", [Article(id="only", headline="River rises", body="Water " * 200)])
    reader = index._current().segments[0].reader
    blob = reader.stored_blob(0)
    with pytest.raises(IndexCorruptError):
        storedblob.decompress(blob[:len(blob) // 2])
    index.close()
