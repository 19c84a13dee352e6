"""What the ``searchkit`` command tells a user, through the installed console script (issue 10,
items 14 and 16): why a search found nothing (an unknown ``--source``, a query of stop words),
that each facet ignores its own filter, who holds the lock a writer waits for, JSON from every
command with ``--json``, hints in the command's own terms, and facet tables aligned by display
width when outlet names hold wide characters.
"""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from test_cli import N_ARTICLES, clean_env, cli, command_names, console_script, write_articles

from searchkit import Index, Progress
from searchkit.output import ProgressLine, display_width

NOTE_FACETS = "(each facet counts as if its own filter were off)"

# Six stories from four outlets, two of them BBC desks, written as JSON Lines.
OUTLETS = [
    ("BBC News", "Ferry strike ends after two weeks", "2024-03-01"),
    ("BBC News", "Ferry timetable returns to normal", "2024-03-04"),
    ("BBC Sport", "Ferry crossing race won by local crew", "2024-03-09"),
    ("Reuters", "Ferry operator reports record profits", "2024-04-02"),
    ("Harbor Daily", "New ferry terminal opens", "2024-04-20"),
    ("Harbor Daily", "Harbour dredging begins", "2024-05-11"),
]


@pytest.fixture
def outlets(tmp_path: Path) -> Path:
    feed = tmp_path / "outlets.jsonl"
    feed.write_text(
        "".join(
            orjson.dumps({"headline": headline, "body": f"{headline}, the outlet reported.", "source": source, "date": day}).decode() + "\n"
            for source, headline, day in OUTLETS
        ),
        encoding="utf-8",
    )
    path = tmp_path / "outlets"
    done = cli("index", str(feed), "--index", str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    return path


def notes(stdout: str) -> list[str]:
    return [line.removeprefix("note: ") for line in stdout.splitlines() if line.startswith("note: ")]


# A --source that names no outlet


def test_an_unknown_source_is_named_with_the_close_ones(outlets: Path) -> None:
    found = cli("search", "ferry", "--index", str(outlets), "--source", "bbc")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("0 results for 'ferry'")
    assert notes(found.stdout) == [
        'there is no source named "bbc" in this index, so the filter matches nothing; '
        'did you mean "BBC News" or "BBC Sport"?'
    ]
    misspelt = cli("search", "ferry", "--index", str(outlets), "--source", "Harbour Daily", "--source", "zzzz", "--json")
    assert orjson.loads(misspelt.stdout)["warnings"] == [
        'there is no source named "Harbour Daily" in this index, so the filter matches nothing; '
        'did you mean "Harbor Daily"?',
        'there is no source named "zzzz" in this index, so the filter matches nothing; '
        "none of its 4 sources is close (`searchkit stats` counts them)",
    ]
    # Library users get the same note; a known source in another case gets none.
    index = Index.open(outlets)
    assert index.search("ferry", sources=["bbc"]).warnings == notes(found.stdout)
    known = index.search("ferry", sources=["bbc news", "REUTERS"])
    assert (known.total, known.warnings) == (3, [])


def test_a_query_of_stop_words_says_it_has_nothing_to_search(outlets: Path) -> None:
    found = cli("search", "the of and", "--index", str(outlets))
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("0 results for 'the of and'")
    assert notes(found.stdout) == [
        "the query has only common words, which are not indexed, so it matches nothing "
        "(skipped: the, of, and); add a word that says what you are looking for"
    ]
    # Phrases too; words as typed, each once.
    assert orjson.loads(cli("search", '"To Be" OR to', "--index", str(outlets), "--json").stdout)["warnings"] == [
        "the query has only common words, which are not indexed, so it matches nothing "
        "(skipped: To, Be); add a word that says what you are looking for"
    ]
    # A stop word beside a real word is dropped quietly, as always.
    mixed = Index.open(outlets).search("the ferry")
    assert (mixed.total, mixed.warnings) == (5, [])


# Facets and their own filters


def test_the_facets_say_once_that_they_ignore_their_own_filter(outlets: Path) -> None:
    for filters in (["--source", "Reuters"], ["--since", "2024-04-01"], ["--until", "2024-03-31"]):
        found = cli("search", "ferry", "--index", str(outlets), *filters)
        assert found.returncode == 0, found.stderr
        assert found.stdout.count(NOTE_FACETS) == 1 and found.stdout.endswith(f"\n{NOTE_FACETS}\n"), filters
    unfiltered = cli("search", "ferry", "--index", str(outlets))
    assert "Sources" in unfiltered.stdout and NOTE_FACETS not in unfiltered.stdout


# A second writer waiting for the lock

HOLDER = r"""
import sys
from pathlib import Path
from searchkit.engine.store import IndexStore

with IndexStore.open(Path(sys.argv[1])).write_lock(5):
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.mark.slow
def test_a_writer_waiting_for_the_lock_says_who_holds_it(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles")
    path = tmp_path / "news"
    Index.create(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "locked\n"
        writer = subprocess.Popen(
            [console_script(), "index", str(articles), "--index", str(path), "--lock-timeout", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
        )
        assert writer.stderr is not None
        # Piped, the progress is a plain line at once and then every 2 s.
        waiting = [writer.stderr.readline(), writer.stderr.readline()]
        held_by = rf"pid {holder.pid} on {re.escape(socket.gethostname())} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d"
        assert re.fullmatch(rf"waiting for the write lock held by {held_by}  \(0s so far\)\n", waiting[0]), waiting
        assert re.fullmatch(rf"waiting for the write lock held by {held_by}  \([1-9]\d*s so far\)\n", waiting[1]), waiting
        holder.stdin.write("release\n")
        holder.stdin.flush()
        out, err = writer.communicate(timeout=60)
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    assert writer.returncode == 0, err
    assert out.startswith(f"{path}: added {N_ARTICLES}, replaced 0, unchanged 0, rejected 0 in ")
    assert "waiting" not in err and "indexing: 1 articles" not in err


# --json everywhere


@pytest.mark.slow
def test_every_command_prints_json_with_json(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles")
    path = tmp_path / "news"

    def json_of(*argv: str) -> object:
        done = cli(*argv, "--json")
        assert done.returncode == 0, (argv, done.stderr)
        return orjson.loads(done.stdout)

    printed: dict[str, object] = {}
    printed["index"] = json_of("index", str(articles), "--index", str(path))
    printed["search"] = json_of("search", "ferry", "--index", str(path))
    ids = sorted(article.id for article in Index.open(path).articles())
    printed["related"] = json_of("related", ids[1], "--index", str(path))
    printed["stories"] = json_of("stories", "ferry", "--index", str(path))
    stories = [s.model_dump(mode="json") for s in Index.open(path).stories("ferry")]  # before the writes below
    printed["show"] = json_of("show", ids[0], "--index", str(path))
    printed["delete"] = json_of("delete", ids[0], "no-such-id", "--index", str(path))
    printed["stats"] = json_of("stats", "--index", str(path))
    printed["export"] = json_of("export", "--index", str(path), "--output", str(tmp_path / "news.jsonl"))
    printed["check"] = json_of("check", "--index", str(path))
    printed["demo"] = json_of("demo", "--index", str(tmp_path / "demo"))
    printed["follow"] = json_of("follow", str(articles), "--rounds", "1", "--index", str(path))
    printed["reindex"] = json_of("reindex", str(path), str(tmp_path / "copy"))
    # `serve` runs until stopped: its --json line is checked in test_server.py
    assert sorted(printed) == sorted(set(command_names()) - {"serve"})

    assert isinstance(printed["index"], dict) and printed["index"]["added"] == N_ARTICLES
    assert isinstance(printed["search"], dict) and printed["search"]["total"] == 4
    assert isinstance(printed["show"], dict) and printed["show"]["id"] == ids[0]
    assert isinstance(printed["related"], dict) and ids[1] not in [hit["id"] for hit in printed["related"]["hits"]]
    assert printed["stories"] == {"query": "ferry", "stories": stories} and len(stories) == 4  # as search finds 4
    assert printed["delete"] == {"deleted": 1, "requested": 2, "not_found": ["no-such-id"]}
    assert isinstance(printed["stats"], dict) and printed["stats"]["articles"] == N_ARTICLES - 1
    assert printed["export"] == {"exported": N_ARTICLES - 1, "output": str(tmp_path / "news.jsonl")}
    assert isinstance(printed["check"], dict) and printed["check"]["ok"] is True
    reindex = printed["reindex"]
    assert isinstance(reindex, dict) and (reindex["added"], reindex["target"]) == (N_ARTICLES, str(tmp_path / "copy"))
    follow = printed["follow"]  # the article deleted above comes back; the others are skipped
    assert isinstance(follow, dict) and (follow["round"], follow["added"]) == (1, 1)
    assert follow["sources"][0]["already_indexed"] == N_ARTICLES - 1
    demo = printed["demo"]
    assert isinstance(demo, dict) and demo["index"] == str(tmp_path / "demo") and demo["report"]["added"] == 30
    assert [search["query"] for search in demo["searches"]] == ["flood damage", '"electric buses"', "budget fares"]
    assert [len(search["results"]["hits"]) for search in demo["searches"]] == [3, 3, 3]

    # Without --output, export's stdout is the articles themselves, one JSON object a line.
    exported = cli("export", "--index", str(path), "--json")
    assert [orjson.loads(line)["id"] for line in exported.stdout.splitlines()] == [
        article.id for article in Index.open(path).articles()
    ]


# Hints in the command's terms


def test_hints_name_the_command_line_options(tmp_path: Path) -> None:
    notes_file = tmp_path / "notes.xyz"
    notes_file.write_text("Ferry notes\n\nThe ferry sailed.\n", encoding="utf-8")
    done = cli("index", str(notes_file), "--index", str(tmp_path / "news"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"searchkit index: {notes_file}: cannot tell the format from the extension '.xyz' "
        "(known: .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .html.gz, .htm.gz, .rss, .atom, .xml, .sgm, .sgml); pass --format text, json, jsonl, csv, tsv, html, feed or sgml to read it\n"
    )
    assert cli("index", str(notes_file), "--index", str(tmp_path / "news"), "--format", "text", "--quiet").returncode == 0

    missing = cli("search", "ferry", "--index", str(tmp_path / "nowhere"))
    assert missing.stderr == f"searchkit search: no searchkit index at {tmp_path / 'nowhere'}; create one with `searchkit index`\n"

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "news")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        locked = cli("delete", "x", "--index", str(tmp_path / "news"), "--lock-timeout", "0.1")
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    assert locked.returncode == 1
    assert locked.stderr.endswith("waited 0.1s for the write lock. Retry later or raise --lock-timeout\n")


# Item 16: wide characters


def test_the_source_facet_aligns_wide_outlet_names(tmp_path: Path) -> None:
    names = ["新华社"] * 3 + ["📰 Daily Planet"] * 2 + ["Cafe\u0301 Ole\u0301", "Ｆｕｌｌ Ｗｉｄｔｈ"]
    feed = tmp_path / "wide.jsonl"
    feed.write_text(
        "".join(
            orjson.dumps({"headline": f"Ferry story {n}", "body": "The ferry sailed.", "source": name}).decode() + "\n"
            for n, name in enumerate(names)
        ),
        encoding="utf-8",
    )
    path = tmp_path / "wide"
    assert cli("index", str(feed), "--index", str(path), "--quiet").returncode == 0
    found = cli("search", "ferry", "--index", str(path))
    assert found.returncode == 0, found.stderr
    table = found.stdout.split("\nSources\n", 1)[1].split("\nDates by", 1)[0].splitlines()
    # Widths by hand: 新华社 6 columns, 📰 2 (+ " Daily Planet" 13), Café Olé 8 (two combining
    # accents take none), Ｆｕｌｌ Ｗｉｄｔｈ 19; the widest sets the column.
    assert table == [
        "  新华社" + " " * 13 + "      3",
        "  📰 Daily Planet" + " " * 4 + "      2",
        "  Cafe\u0301 Ole\u0301" + " " * 11 + "      1",
        "  Ｆｕｌｌ Ｗｉｄｔｈ" + "      1",
    ]
    assert {display_width(line) for line in table} == {2 + 19 + 2 + 5}


@pytest.mark.parametrize(
    ("text", "columns"),
    [("Harbor Daily", 12), ("新华社", 6), ("📰", 2), ("Cafe\u0301", 4), ("Ｆｕｌｌ", 8), ("a\u200db", 2), ("", 0)],
)
def test_display_width(text: str, columns: int) -> None:
    assert display_width(text) == columns


def _progress(done: int, *, waiting_for: str | None = None) -> Progress:
    return Progress(done, done, 0, 0, 0, 0.3, waiting_for=waiting_for)


def test_piped_progress_prints_nothing_for_a_short_run_but_says_at_once_that_it_waits() -> None:
    # Piped output gets a plain line every 2 s of work: a run shorter than that prints none
    # (the README's session depends on it on a loaded machine), but waiting for the lock is
    # said at once.
    stream = io.StringIO()
    line = ProgressLine(stream)
    line.update(_progress(26))
    assert stream.getvalue() == ""
    line.update(_progress(0, waiting_for="pid 42 on host"))
    assert stream.getvalue() == "waiting for the write lock held by pid 42 on host  (0s so far)\n"
