"""Indexing with worker processes (``workers=``, :mod:`searchkit.engine.parallel`).

The promise: whatever the number of workers, the index is the same, byte for byte, as the
one a single process writes (same segment files, same deletions, same report, same
search results), and a write never hangs or leaves processes behind, whether a worker
dies, the writer dies, or workers cannot be started at all.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import shared_path

from searchkit import AddReport, Article, Index, IndexOptionError, check, read_articles
from searchkit.engine.parallel import _FRAME, AUTO_FROM, _numbered, CHUNK_ARTICLES, WORKER_CACHE_LIMIT, WORKER_TABLE_LIMIT, auto_workers, task
from searchkit.engine.segment import BuiltChunk, ChunkAnalyser, CodeNumbers, NewTerms, SegmentBuilder, Vocabulary
from searchkit.engine.stories import LEAD_CHARS, StoryClusterer, StoryState, counts_of_terms, story_counts
from searchkit.engine.store import IndexStore

WORDS = ("ferry", "harbour", "council", "budget", "river", "flood", "market", "weather", "school", "bridge",
         "Novo-Karsk", "U.S.", "7,400", "José", "O'Brien's", "the", "and", "end.Next", "1.5", "well-known")
SOURCES = ("Harbor Daily", "harbor daily", "Valley Gazette", "The Lantern Post", None)
QUERIES = ("harbour", "flood OR ferry", '"river market"', "novokarsk", "jose", "us", "7400", "obrien", "report17*")


def article(n: int, variant: int = 0) -> Article:
    """Article ``n``: about 40-120 words of the vocabulary above, its own word, mixed
    sources (two spellings of one), dates and background lines; ``variant`` changes the body."""
    body = " ".join(WORDS[(n * 7 + k * (3 + variant)) % len(WORDS)] for k in range(40 + n % 80))
    return Article(
        id=f"a-{n:05d}",
        headline=f"Report{n} on the {WORDS[n % len(WORDS)]}",
        body=f"{body} report{n}.",
        background=[f"Earlier: {WORDS[(n + 3) % len(WORDS)]} news"] if n % 3 == 0 else [],
        source=SOURCES[n % len(SOURCES)],
        date=date(2024, 1, 1) + timedelta(days=n % 400) if n % 7 else None,
    )


def batch() -> list[Article | dict[str, Any]]:
    """1,500 articles, with copies of earlier ones (identical and changed) while the first
    copy is still with the workers, and two records that are not articles."""
    items: list[Article | dict[str, Any]] = [article(n) for n in range(1_500)]
    items[300] = article(20)  # an identical copy of an article 280 places earlier
    items[700] = article(650, variant=1)  # a changed copy of one 50 places earlier
    items[900] = {"id": "bad", "headline": "", "body": ""}
    items[1_000] = {"headline": 5}
    return items


def segment_digests(path: Path) -> list[tuple[str, int, list[int]]]:
    """Each committed segment's file digest, document count and deleted documents, in order."""
    return [
        (hashlib.sha256((path / s.filename).read_bytes()).hexdigest(), s.doc_count(), sorted(s.deleted_docs()))
        for s in IndexStore.open(path).read_segments()[1]
    ]


def answers(index: Index) -> list[tuple[str, int, list[str]]]:
    return [(q, r.total, [h.id for h in r.hits]) for q in QUERIES for r in [index.search(q, limit=20)]]


def report_fields(report: AddReport) -> tuple[int, int, int, list[Any]]:
    return report.added, report.replaced, report.unchanged, report.rejected


def build(path: Path, workers: int | None, items: Iterable[Article | dict[str, Any]], **options: Any) -> AddReport:
    with Index.create(path, workers=workers, **options) as index:
        return index.add_many(items)


@pytest.mark.parametrize("flush_tokens", [3_000, 3_000_000])
def test_workers_write_the_same_index_as_one_process(tmp_path: Path, flush_tokens: int) -> None:
    # flush_tokens=3,000: a segment every ~40 articles, so flushes fall inside chunks and merges run
    one = build(tmp_path / "one", 1, batch(), flush_tokens=flush_tokens)
    two = build(tmp_path / "two", 2, batch(), flush_tokens=flush_tokens)
    assert report_fields(two) == report_fields(one)
    # The copy of article 20 replaces it while it is buffered, and is "unchanged" once flushed.
    expected = (1_496, 2, 0) if flush_tokens > 3_000 else (1_496, 1, 1)
    assert (one.added, one.replaced, one.unchanged) == expected
    assert [(r.location, r.field) for r in one.rejected] == [("record 901", None), ("record 1001", "headline")]
    assert segment_digests(tmp_path / "two") == segment_digests(tmp_path / "one")
    with Index.open(tmp_path / "one") as first, Index.open(tmp_path / "two") as second:
        assert answers(second) == answers(first)
        assert second.search("report650").hits[0].id == "a-00650"
        assert len(second) == len(first) == 1_496


@pytest.mark.parametrize(("flush_tokens", "merge_factor"), [(20_000, 6), (4_000, 2)])
def test_workers_replace_and_keep_articles_of_an_existing_index_as_one_process(
        tmp_path: Path, flush_tokens: int, merge_factor: int) -> None:
    # A replaced copy is deleted when its replacement is flushed (and followed through the
    # merges in between): what a merge drops must not depend on the workers being ahead.
    base = [article(n) for n in range(0, 3_000, 2)]
    again = [article(n, variant=n % 4 == 0) for n in range(1_000, 2_400)]  # half new, some changed, some unchanged
    reports = {}
    for workers in (1, 2):
        path = tmp_path / f"w{workers}"
        build(path, 1, base, flush_tokens=flush_tokens, merge_factor=merge_factor)
        with Index.open(path, workers=workers, flush_tokens=flush_tokens, merge_factor=merge_factor) as index:
            reports[workers] = index.add_many(again)
            assert index.delete(["a-01002", "a-02301", "a-00004"]) == 3
            assert len(index) == 1_500 + 700 - 3
            assert [index.get(f"a-{n:05d}") for n in (1_000, 1_004, 2_398)] == [
                article(n, variant=n % 4 == 0) for n in (1_000, 1_004, 2_398)]
    assert report_fields(reports[2]) == report_fields(reports[1]) == (700, 350, 350, [])
    assert segment_digests(tmp_path / "w2") == segment_digests(tmp_path / "w1")


def test_a_batch_through_workers_is_the_same_as_one_process(tmp_path: Path) -> None:
    items = [article(n) for n in range(900)]
    for workers in (1, 2):
        with Index.create(tmp_path / f"w{workers}", workers=workers, flush_tokens=10_000) as index:
            with index.batch() as batch_writer:
                batch_writer.add_many(items[:500])
                batch_writer.delete(["a-00010", "a-00499"])  # one flushed, one maybe still with the workers
                batch_writer.add_many(items[450:])
    assert segment_digests(tmp_path / "w2") == segment_digests(tmp_path / "w1")


@pytest.mark.parametrize("workers", [0, -2, True, 1.5, "2"])
def test_workers_must_be_a_whole_number_of_one_or_more(tmp_path: Path, workers: Any) -> None:
    with pytest.raises(IndexOptionError, match=f"workers must be a whole number, 1 or more, not {workers!r}"):
        Index.create(tmp_path / "news", workers=workers)
    assert not (tmp_path / "news").exists()


def started_workers(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "worker processes" in r.getMessage()]


def test_by_default_only_big_writes_start_workers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="searchkit")
    path = tmp_path / "news"
    with Index.create(path) as index:
        index.add_many(article(n) for n in range(AUTO_FROM - 1))
        assert started_workers(caplog) == []
        index.add_many(article(n) for n in range(AUTO_FROM, 2 * AUTO_FROM + CHUNK_ARTICLES))
        cores = auto_workers()
        assert started_workers(caplog) == (
            [f"analysing articles for {path} in {cores} worker processes"] if cores > 1 else [])
        assert len(index) == 2 * AUTO_FROM - 1 + CHUNK_ARTICLES
    with Index.create(tmp_path / "alone", workers=1) as index:
        index.add_many(article(n) for n in range(AUTO_FROM + CHUNK_ARTICLES))
    assert len(started_workers(caplog)) == (1 if cores > 1 else 0)


@pytest.mark.skipif(auto_workers() < 2, reason="one usable core: workers=None never starts workers")
def test_a_segment_of_articles_analysed_here_and_by_workers_is_the_same_as_one_process(tmp_path: Path) -> None:
    # workers=None: the first AUTO_FROM articles wait for the workers to start; a copy of one
    # of them (article 700) arriving meanwhile has those before it analysed in the writer's
    # process, the rest go to the workers, into the same segment (one flush at the end): its
    # fingerprints come from both.
    items = [article(n, variant=n % 5 == 0) for n in range(AUTO_FROM + 3 * CHUNK_ARTICLES)]
    items[900] = article(700, variant=2)
    build(tmp_path / "auto", None, items)
    build(tmp_path / "one", 1, items)
    assert len(segment_digests(tmp_path / "one")) == 1
    assert segment_digests(tmp_path / "auto") == segment_digests(tmp_path / "one")


@pytest.mark.skipif(auto_workers() < 2, reason="one usable core: workers=None never starts workers")
@pytest.mark.parametrize("flush_tokens", [3_000, 3_000_000])
def test_a_small_write_waiting_for_workers_that_never_start_is_the_same_as_one_process(
    tmp_path: Path, flush_tokens: int
) -> None:
    # workers=None and fewer than AUTO_FROM articles: they waited for workers, and are
    # analysed in the writer's process at the commit (flushing where one process would).
    # merge_factor=100: each flush stays a segment of its own, so the flush points are compared.
    auto = build(tmp_path / "auto", None, batch(), flush_tokens=flush_tokens, merge_factor=100)
    one = build(tmp_path / "one", 1, batch(), flush_tokens=flush_tokens, merge_factor=100)
    assert report_fields(auto) == report_fields(one)
    assert segment_digests(tmp_path / "auto") == segment_digests(tmp_path / "one")
    assert len(segment_digests(tmp_path / "one")) == (1 if flush_tokens > 3_000 else 42)


def test_a_builder_mixing_its_own_and_absorbed_articles_writes_what_one_builder_does(tmp_path: Path) -> None:
    items = [article(n, variant=n % 3) for n in range(400)]
    alone, mixed = SegmentBuilder(), SegmentBuilder()
    for item in items:
        alone.add(item)
    analyser = ChunkAnalyser()
    for part, (start, stop) in enumerate([(0, 50), (50, 150), (150, 170), (170, 300), (300, 400)]):
        if part % 2:  # absorbed, as from a worker: only the chunk's middle, the rest added here
            chunk = analyser.analyse(items[start - 10:stop + 10])
            mixed.absorb(chunk, 10, 10 + stop - start, [item.id for item in items[start:stop]])
        else:
            for item in items[start:stop]:
                mixed.add(item)
    alone.write(tmp_path / "alone.seg")
    mixed.write(tmp_path / "mixed.seg")
    assert (tmp_path / "mixed.seg").read_bytes() == (tmp_path / "alone.seg").read_bytes()


def worker_pids() -> list[int]:
    """This process's children that are searchkit worker processes."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"searchkit.engine.parallel" in Path(f"/proc/{child}/cmdline").read_bytes():
                pids.append(int(child))
    return pids


def gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie has ended; only its exit status waits for its parent


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds worker processes through /proc (Linux)")
def test_a_worker_killed_mid_write_is_taken_over_by_the_writer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="searchkit")
    killed: list[int] = []

    def items() -> Iterator[Article | dict[str, Any]]:
        for number, item in enumerate(batch()):
            if number == 2 * CHUNK_ARTICLES + 10:  # two chunks sent, a third filling up
                killed.append(worker_pids()[0])
                os.kill(killed[0], signal.SIGKILL)
            yield item

    two = build(tmp_path / "two", 2, items(), flush_tokens=3_000)
    one = build(tmp_path / "one", 1, batch(), flush_tokens=3_000)
    assert killed and report_fields(two) == report_fields(one)
    assert segment_digests(tmp_path / "two") == segment_digests(tmp_path / "one")
    [warning] = [r.getMessage() for r in caplog.records if "writer's process only" in r.getMessage()]
    assert f"worker process {killed[0]} ended with exit code" in warning
    assert worker_pids() == []


CHILD = r"""
import logging, os, signal, sys
from pathlib import Path
from searchkit import Index
sys.path.insert(0, sys.argv[3])
from test_parallel_indexing import article, segment_digests

path, mode = Path(sys.argv[1]), sys.argv[2]
logging.basicConfig(format="%(levelname)s %(message)s")
if mode == "no-processes":
    sys.executable = "/nonexistent/python"  # as in an embedded interpreter: no way to start one
    with Index.open(path, workers=2, flush_tokens=3_000) as index:
        report = index.add_many(article(n) for n in range(600))
    print(report.added, segment_digests(path))
else:
    def items():
        for n in range(2_000):
            if n == 1_200:
                pids = [c for t in Path(f"/proc/{os.getpid()}/task").iterdir() for c in (t / "children").read_text().split()]
                Path(mode).write_text(" ".join(pids))
                os.kill(os.getpid(), signal.SIGKILL)
            yield article(n)
    Index.open(path, workers=2, flush_tokens=3_000).add_many(items())
"""


def run_child(path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD, str(path), mode, str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds worker processes through /proc (Linux)")
def test_workers_end_when_the_writer_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "news"
    build(path, 1, [article(n) for n in range(40)])
    pids_file = tmp_path / "pids"
    done = run_child(path, str(pids_file))
    assert done.returncode == -signal.SIGKILL, done.stderr
    pids = [int(pid) for pid in pids_file.read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 30
    while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(pid) for pid in pids)
    with Index.open(path) as index:
        assert sorted(a.id for a in index.articles()) == [f"a-{n:05d}" for n in range(40)]
    report = check(path)
    assert (report.ok, report.articles, report.problems) == (True, 40, [])


def test_without_worker_processes_the_writer_works_alone(tmp_path: Path) -> None:
    path = tmp_path / "news"
    Index.create(path).close()
    done = run_child(path, "no-processes")
    assert done.returncode == 0, done.stderr
    alone = tmp_path / "alone"
    build(alone, 1, [article(n) for n in range(600)], flush_tokens=3_000)
    assert done.stdout.strip() == f"600 {segment_digests(alone)}"
    assert "in the writer's process only: worker processes are unavailable (FileNotFoundError" in done.stderr


@pytest.mark.slow
def test_the_bbc_corpus_is_indexed_the_same_with_workers(tmp_path: Path) -> None:
    folder = shared_path("data", "bbc-news")
    reports = [build(tmp_path / f"w{workers}", workers, read_articles(folder)) for workers in (1, 2)]
    assert report_fields(reports[1]) == report_fields(reports[0])
    # 100 files repeat another (same id): they replace the first copy, which is still buffered
    assert (reports[0].added, reports[0].replaced, reports[0].unchanged) == (2125, 100, 0)
    assert segment_digests(tmp_path / "w2") == segment_digests(tmp_path / "w1")
    with Index.open(tmp_path / "w1") as one, Index.open(tmp_path / "w2") as two:
        for query in ("economy growth", '"prime minister"', "chelsea OR arsenal", "film* -award"):
            first, second = one.search(query, limit=50), two.search(query, limit=50)
            assert (second.total, [h.id for h in second.hits]) == (first.total, [h.id for h in first.hits])
            assert second.facets == first.facets


def chunk_values(chunk: BuiltChunk) -> list[Any]:
    """A BuiltChunk as plain values comparable with ``==``: its terms as a sorted list, and
    each occurrence's term as a string (the numbering of a chunk's terms is its own; a
    worker's chunk read through the writer's :class:`CodeNumbers`)."""
    names = chunk.terms
    if chunk.numbering is not None:
        assert chunk.codes is not None and not names
        names = [chunk.numbering.terms[code] for code in chunk.codes.tolist()]
    fields = [[[names[t] for t in terms.tolist()], *(part.tolist() for part in rest)]
              for terms, *rest in chunk.fields]
    return [sorted(names), fields, chunk.tokens.tolist(), chunk.source_names, chunk.sources.tolist(),
            chunk.days.tolist(), chunk.stored, chunk.stored_lengths.tolist()]


@pytest.mark.parametrize("limit", [300_000, 150])
def test_a_worker_keeping_its_token_table_exports_what_a_fresh_builder_does(limit: int) -> None:
    # A worker keeps one table of token codes across chunks (restarting it past ``limit``
    # entries: 150 restarts it several times here); each chunk must still carry just its own
    # terms and the same occurrences as a builder of its own would export.
    analyser = ChunkAnalyser(limit=limit)
    articles = [article(n, variant=n % 3) for n in range(600)]
    for start in range(0, len(articles), 100):
        chunk = articles[start:start + 100]
        fresh = SegmentBuilder()
        for item in chunk:
            fresh.add(item)
        expected = chunk_values(fresh.export([item.source for item in chunk]))
        assert chunk_values(analyser.analyse(chunk)) == expected


WORKER_LOOP = """
import sys
from searchkit import analysis
from searchkit.engine import parallel, segment
parallel.serve()
codes = parallel._ANALYSER._codes
print(codes.size(), len(codes), codes._native is not None, len(segment._CHUNKS), len(analysis._CACHE), file=sys.stderr)
"""


def test_a_worker_keeps_one_copy_of_the_chunks_it_analysed() -> None:
    # A worker's table of token codes, kept from chunk to chunk, holds every chunk it has
    # analysed (up to WORKER_TABLE_LIMIT, then it starts anew), once: the process-wide caches
    # of chunk and token analyses stay small in a worker (they held a second copy of the
    # table), and where the C kernel keeps the codes the table's dict holds none.
    articles = [Article(id=f"w-{n}", headline=f"Ferry{n} report", source="Harbor Daily",
                        body=" ".join(f"x{n}-{k}, ({n}.{k})" for k in range(40))) for n in range(1_500)]
    frames = b"".join(_FRAME.pack(len(data)) + data for data in (
        task(articles[start:start + CHUNK_ARTICLES], stories=True) for start in range(0, 1_500, CHUNK_ARTICLES)))
    done = subprocess.run([sys.executable, "-c", WORKER_LOOP], input=frames, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    answers = []
    out = io.BytesIO(done.stdout)
    numbering = CodeNumbers()
    while (head := out.read(_FRAME.size)):
        answers.append(_numbered(pickle.loads(out.read(_FRAME.unpack(head)[0])), numbering))
        numbering = answers[-1].numbering or numbering
    assert [len(answer.tokens) for answer in answers] == [256] * 5 + [220]
    # The chunks' terms came as numbers; the last chunk through a table started anew (123,000
    # distinct chunks in all), which the writer's copy followed.
    assert [answer.new_terms is None and answer.terms == [] for answer in answers] == [True] * 6
    assert [answer.numbering.table for answer in answers if answer.numbering] == [0] * 5 + [1]
    last = SegmentBuilder()
    for item in articles[1_280:]:
        last.add(item)
    assert chunk_values(answers[-1]) == chunk_values(last.export([item.source for item in articles[1_280:]]))
    alone, absorbed = SegmentBuilder(), SegmentBuilder()
    for item in articles:
        alone.add(item)
    for start, answer in zip(range(0, 1_500, CHUNK_ARTICLES), answers):
        absorbed.absorb(answer, 0, len(answer.tokens), [item.id for item in articles[start:start + CHUNK_ARTICLES]])
    assert segment_bytes(absorbed) == segment_bytes(alone)
    table, in_python, kernel, chunks, tokens = done.stderr.split()[-5:]
    assert 0 < int(table) <= WORKER_TABLE_LIMIT
    # With the C kernel the codes are in its table alone; without it, in the dict.
    assert int(in_python) == (0 if kernel == b"True" else int(table))
    chunks, tokens = int(chunks), int(tokens)
    assert (chunks <= WORKER_CACHE_LIMIT, tokens <= WORKER_CACHE_LIMIT) == (True, True)


def test_the_last_commit_stops_the_workers_before_its_flush(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Their memory is free before the final flush, merges and stories; the index is the same.
    from searchkit.engine.writer import ArticleWriter

    pools: list[bool] = []
    flush = ArticleWriter._flush

    def recording(self: ArticleWriter) -> None:
        pools.append(self._pool is not None)
        flush(self)

    monkeypatch.setattr(ArticleWriter, "_flush", recording)
    one = build(tmp_path / "one", 1, batch(), flush_tokens=3_000_000)
    del pools[:]
    two = build(tmp_path / "two", 2, batch(), flush_tokens=3_000_000)
    assert pools == [False]  # one flush, at the commit, with the workers gone
    assert report_fields(two) == report_fields(one)
    assert segment_digests(tmp_path / "two") == segment_digests(tmp_path / "one")
    with Index.open(tmp_path / "two", workers=2, flush_tokens=20_000) as index:  # commit_every: workers kept
        del pools[:]
        index.add_many([article(n, variant=1) for n in range(1_200)], commit_every=600)
        assert pools == [True, True, True, True, True, False]  # the commit after 600 articles keeps them
        assert len(index) == 1_500  # four ids the first batch left out


def segment_bytes(builder: SegmentBuilder) -> bytes:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"searchkit-test-{os.getpid()}.seg"
    try:
        builder.write(path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def test_code_numbers_read_a_workers_terms_in_each_vocabulary() -> None:
    numbering = CodeNumbers()
    numbering = CodeNumbers().learn(NewTerms(0, 0, ["flood", "river", "ferry"]))
    vocabulary = Vocabulary()
    vocabulary.numbers(["ferry", "bridge"])
    assert numbering.numbers(vocabulary, np.array([2, 0], dtype=np.int32)).tolist() == [0, 2]
    assert numbering.learn(NewTerms(0, 3, ["bridge", "harbour"])) is numbering
    # known ones by the table, new ones numbered in the order asked
    assert numbering.numbers(vocabulary, np.array([4, 1, 2, 3], dtype=np.int32)).tolist() == [3, 4, 0, 1]
    assert vocabulary.terms == ["ferry", "bridge", "flood", "harbour", "river"]
    other = Vocabulary()  # another vocabulary (the next segment's, the stories'): its own numbers
    assert numbering.numbers(other, np.array([3, 0], dtype=np.int32)).tolist() == [0, 1]
    assert numbering.numbers(vocabulary, np.array([0, 1, 2, 3, 4], dtype=np.int32)).tolist() == [2, 4, 0, 1, 3]
    # the worker's table started anew: a new numbering; chunks read through the old one keep it
    renewed = numbering.learn(NewTerms(1, 0, ["river", "flood"]))
    assert (renewed.table, renewed.terms, numbering.terms[:2]) == (1, ["river", "flood"], ["flood", "river"])
    assert renewed.numbers(vocabulary, np.array([1, 0], dtype=np.int32)).tolist() == [2, 4]
    with pytest.raises(RuntimeError, match="out of order: 5 after 2"):
        renewed.learn(NewTerms(1, 5, ["x"]))


@pytest.mark.parametrize("limit", [300_000, 150])
def test_chunks_sent_as_term_numbers_give_the_same_segment_and_story_vectors(limit: int) -> None:
    # As a worker sends them (a table restarting past ``limit`` entries between chunks) and
    # the writer reads them: parts of chunks absorbed around flushes, the story counts' terms
    # numbered through the same copy of the worker's table.
    analyser, numbering = ChunkAnalyser(limit=limit), CodeNumbers()
    items = [article(n, variant=n % 3) for n in range(600)]
    builders, expected, current = [], [], SegmentBuilder()
    by_text, by_codes = (StoryClusterer(StoryState(), committed_df=lambda term: 0, committed_docs=0) for _ in range(2))
    text_vectors, code_vectors, waiting = [], [], []
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        built, leads = analyser.analyse_leads(chunk, LEAD_CHARS)
        built = built._replace(stories=counts_of_terms(leads, len(chunk)))
        sent = pickle.loads(pickle.dumps(analyser.coded(built)))
        taken = _numbered(sent, numbering)
        assert taken.numbering is not None and taken.stories is not None and taken.stories.numbering is taken.numbering
        numbering = taken.numbering
        assert taken.terms == [] and taken.stories.terms == []
        text_vectors.append(by_text.vectors(story_counts((a.headline, a.body) for a in chunk)))
        waiting.append(taken.stories)  # clustered after the next chunk (as runs may wait in the writer)
        if len(waiting) == 2:
            code_vectors.append(by_codes.vectors(waiting.pop(0)))
        for lo, hi in ((0, 30), (30, 100)):  # a flush after the 30th article of each chunk
            current.absorb(taken, lo, hi, [item.id for item in chunk[lo:hi]])
            builders.append(current)
            alone = SegmentBuilder()
            for item in chunk[lo:hi]:
                alone.add(item)
            expected.append(alone)
            current = SegmentBuilder()
    code_vectors.append(by_codes.vectors(waiting.pop(0)))
    assert numbering.table == analyser.table and (analyser.table >= 2) == (limit == 150)
    assert [segment_bytes(b) for b in builders] == [segment_bytes(b) for b in expected]
    assert [[array.tolist() for array in run] for run in code_vectors] == [
        [array.tolist() for array in run] for run in text_vectors]
    assert by_codes._term_numbers.terms == by_text._term_numbers.terms


def test_a_worker_trims_its_heap_only_when_no_task_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker reads its tasks unbuffered, so a task already in the pipe is seen at once
    (no trim, no wait); with none, it trims after WORKER_IDLE_TRIM_SECONDS. A frame that
    comes in pieces is read whole."""
    import threading

    from searchkit.engine import heap, parallel

    trims: list[int] = []
    monkeypatch.setattr(heap, "can_trim", lambda: True)
    monkeypatch.setattr(heap, "trim", lambda: trims.append(1) is None)
    monkeypatch.setattr(parallel, "WORKER_IDLE_TRIM_SECONDS", 0.01)
    read, write = os.pipe()
    with io.FileIO(read, closefd=True) as source:
        os.write(write, _FRAME.pack(3) + b"abc" + _FRAME.pack(200_000) + b"x" * 1000)
        parallel._trim_while_idle(source)
        assert trims == [] and parallel._read_frame(source) == b"abc"
        parallel._trim_while_idle(source)  # the next frame's head is there: no trim
        assert trims == []
        rest = threading.Thread(target=lambda: os.write(write, b"y" * 199_000))
        rest.start()
        assert parallel._read_frame(source) == b"x" * 1000 + b"y" * 199_000
        rest.join()
        parallel._trim_while_idle(source)
        assert trims == [1]
        os.close(write)
        assert parallel._read_frame(source) is None


def test_workers_give_numpy_one_thread_unless_told_otherwise(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from searchkit.engine.parallel import AnalysisPool

    def environments() -> list[dict[str, str]]:
        pool = AnalysisPool(2, index_path=tmp_path)
        try:
            assert len(pool.pids) == 2
            found = []
            for pid in pool.pids:
                pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                found.append(dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair))
            return found
        finally:
            pool.close()

    if not Path("/proc/self/environ").exists():
        pytest.skip("reads a process's environment from /proc (Linux)")
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert [(env["OPENBLAS_NUM_THREADS"], env["OMP_NUM_THREADS"], env["MKL_NUM_THREADS"])
            for env in environments()] == [("1", "1", "1")] * 2
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert [env["OPENBLAS_NUM_THREADS"] for env in environments()] == ["3", "3"]


def test_a_worker_never_imports_code_from_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A folder holding a package named searchkit and a module named numpy: a worker started
    # there runs the writer's own searchkit (python -c alone would put the folder first).
    there = tmp_path / "cwd"
    marker = tmp_path / "ran"
    for name in ("searchkit/__init__.py", "numpy.py"):
        (there / name).parent.mkdir(parents=True, exist_ok=True)
        (there / name).write_text(f"open({str(marker)!r}, 'a').write({name!r})\nraise SystemExit(3)\n")
    monkeypatch.chdir(there)
    with caplog.at_level(logging.INFO, logger="searchkit"):
        with Index.create(tmp_path / "index", workers=2) as index:
            index.add_many(article(n) for n in range(700))
    assert not marker.exists()
    assert any("in 2 worker processes" in record.getMessage() for record in caplog.records)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    with Index.open(tmp_path / "index") as index:
        assert len(index) == 700


def test_workers_make_the_merges_and_the_index_is_the_one_one_process_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A merge sent to a worker after a flush is taken in at the next flush, before its deletions
    # and merge decisions; a deletion waits for it too (and for the flush's file, written by a
    # thread, after which the merge is decided). The index is the same as one process's.
    from searchkit.engine.parallel import AnalysisPool
    from searchkit.engine.writer import ArticleWriter

    sent: list[int] = []
    deleting_while_merging: list[bool] = []
    start, delete = AnalysisPool.start_merge, ArticleWriter.delete

    def counted(self: AnalysisPool, inputs: Any, path: Path) -> Any:
        sent.append(len(inputs))
        return start(self, inputs, path)

    def recording(self: ArticleWriter, ids: Iterable[str]) -> int:
        # (with workers a thread may still be writing the flush's file, which decides the merge)
        deleting_while_merging.append(self._merging is not None or self._writing is not None)
        return delete(self, ids)

    monkeypatch.setattr(AnalysisPool, "start_merge", counted)
    monkeypatch.setattr(ArticleWriter, "delete", recording)
    items = [article(n) for n in range(1_800)]
    for workers in (1, 2):
        with Index.create(tmp_path / f"w{workers}", workers=workers, flush_tokens=3_000, merge_factor=3) as index:
            with index.batch() as batch_writer:
                batch_writer.add_many(items[:1_150])
                batch_writer._open_writer().flush()  # (its merge, of the last 3 segments, goes to a worker)
                assert batch_writer.delete(["a-00010", "a-00700", "a-01140"]) == 3
                batch_writer.add_many([article(n, variant=1) for n in range(600, 900)] + items[1_150:])
        if workers == 1:
            assert sent == [] and deleting_while_merging == [False]
    assert len(sent) >= 10 and set(sent) == {3}  # (merge_factor segments at a time)
    assert deleting_while_merging[1] is True
    assert segment_digests(tmp_path / "w2") == segment_digests(tmp_path / "w1")
    with Index.open(tmp_path / "w2") as index:
        assert len(index) == 1_798 and index.get("a-00010") is None and index.get("a-01140") is None
        assert index.get("a-00700") == article(700, variant=1)  # deleted, then added again


@pytest.mark.parametrize("trouble", ["killed", "failed"])
def test_a_merge_a_worker_cannot_make_is_made_by_the_writer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, trouble: str) -> None:
    from searchkit.engine.parallel import AnalysisPool

    caplog.set_level(logging.WARNING, logger="searchkit")
    start = AnalysisPool.start_merge
    troubled: list[int] = []

    def troubling(self: AnalysisPool, inputs: Any, path: Path) -> Any:
        if troubled:
            return start(self, inputs, path)
        if trouble == "failed":  # a file the worker cannot read: its merge fails, the writer's does not
            job = start(self, [(tmp_path / "no-such-segment.skseg", []), *inputs[1:]], path)
        else:
            job = start(self, inputs, path)
            os.kill(job.worker.process.pid, signal.SIGKILL)
        troubled.append(job.worker.process.pid)
        return job

    monkeypatch.setattr(AnalysisPool, "start_merge", troubling)
    one = build(tmp_path / "one", 1, batch(), flush_tokens=3_000)
    two = build(tmp_path / "two", 2, batch(), flush_tokens=3_000)
    assert troubled and report_fields(two) == report_fields(one)
    assert segment_digests(tmp_path / "two") == segment_digests(tmp_path / "one")
    messages = [r.getMessage() for r in caplog.records]
    if trouble == "failed":
        [warning] = [m for m in messages if "could not merge segments" in m]
        assert "IndexCorruptError: cannot read segment file" in warning and "no-such-segment.skseg" in warning
        assert warning.endswith("merging them in the writer's process")
        assert not any("writer's process only" in m for m in messages)  # the workers go on
    else:
        [warning] = [m for m in messages if "writer's process only" in m]
        assert f"worker process {troubled[0]} ended with exit code" in warning
    assert worker_pids() == []
    assert check(tmp_path / "two").ok


def test_the_last_commit_keeps_only_a_worker_making_a_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The other's memory is free while the stories are written; the merge's worker goes after it.
    from searchkit.engine.parallel import AnalysisPool
    from searchkit.engine.storyfile import StoryLog

    left: list[tuple[int, int]] = []
    while_writing_stories: list[int] = []
    stop_idle, write = AnalysisPool.stop_idle, StoryLog.write
    pools: list[AnalysisPool] = []

    def recording_stop(self: AnalysisPool) -> None:
        before = len(self.pids)
        stop_idle(self)
        left.append((before, len(self.pids)))
        pools.append(self)

    def recording_write(self: StoryLog, generation: int) -> str:
        while_writing_stories.append(len(pools[-1].pids) if pools else -1)
        return write(self, generation)

    monkeypatch.setattr(AnalysisPool, "stop_idle", recording_stop)
    monkeypatch.setattr(StoryLog, "write", recording_write)
    for merge_factor, kept in ((3, 1), (10, 0)):  # the last flush sends a merge to a worker, or none
        del left[:], while_writing_stories[:]
        two = build(tmp_path / f"two-{merge_factor}", 2, batch(), flush_tokens=3_000, merge_factor=merge_factor)
        one = build(tmp_path / f"one-{merge_factor}", 1, batch(), flush_tokens=3_000, merge_factor=merge_factor)
        assert left == [(2, kept)] and while_writing_stories[0] == kept
        assert report_fields(two) == report_fields(one)
        assert segment_digests(tmp_path / f"two-{merge_factor}") == segment_digests(tmp_path / f"one-{merge_factor}")
    assert worker_pids() == []


def test_commits_along_the_way_take_in_the_merge_their_flush_sent_to_a_worker(tmp_path: Path) -> None:
    # commit_every commits with the workers kept: a commit's own flush may send a merge to a
    # worker, which that commit takes in before it merges (it once merged the same segments
    # again, and the next flush failed installing the worker's copy).
    items = [article(n) for n in range(1_800)]
    reports = []
    for workers in (1, 2):
        with Index.create(tmp_path / f"w{workers}", workers=workers, flush_tokens=3_000, merge_factor=2) as index:
            reports.append(index.add_many(items, commit_every=500))
    assert report_fields(reports[1]) == report_fields(reports[0]) == (1_800, 0, 0, [])
    assert segment_digests(tmp_path / "w2") == segment_digests(tmp_path / "w1")
    with Index.open(tmp_path / "w1") as first, Index.open(tmp_path / "w2") as second:
        assert len(second) == 1_800 and answers(second) == answers(first)
    assert check(tmp_path / "w2").ok


def test_the_pool_takes_more_chunks_until_the_first_comes_back(tmp_path: Path) -> None:
    # While the workers start, the writer goes on taking articles in (16 chunks a worker);
    # from the first chunk back, 4 a worker bound what the writer holds.
    from searchkit.engine.parallel import IN_FLIGHT_PER_WORKER, STARTING_IN_FLIGHT_PER_WORKER, AnalysisPool

    pool = AnalysisPool(2, index_path=tmp_path)
    try:
        chunks = [[article(n) for n in range(start, start + 8)] for start in range(0, 8 * 40, 8)]
        sent = 0
        while not pool.full:
            pool.submit(chunks[sent])
            sent += 1
        assert sent == 2 * STARTING_IN_FLIGHT_PER_WORKER == 32
        built, articles = pool.take()
        assert articles == chunks[0] and built.tokens.size == 8
        assert pool.in_flight == 31 and pool.full
        taken = 1
        while pool.in_flight > 2 * IN_FLIGHT_PER_WORKER - 1:
            assert pool.take()[1] == chunks[taken]
            taken += 1
        assert taken == 32 - 2 * IN_FLIGHT_PER_WORKER + 1
        assert not pool.full
        pool.submit(chunks[sent])
        assert pool.full and pool.in_flight == 2 * IN_FLIGHT_PER_WORKER
    finally:
        pool.close()
