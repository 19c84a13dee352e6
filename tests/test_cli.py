"""The ``searchkit`` command through its real entry points.

End-to-end cases run the installed console script (and ``python -m searchkit``) as
subprocesses; the many small cases call :func:`searchkit.cli.main` in-process with argv.
The articles are written here, in the plain-text format and JSON Lines, so every
expectation can be checked by eye.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from searchkit import Index, IndexNotFoundError, read_articles
from searchkit.cli import build_parser, main
from searchkit.engine.store import IndexStore

REPO = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")

ARTICLES = {
    "harbor/ferry-resumes.txt": """• 03/14/2023

Night ferry to the islands resumes after two winters

Harbor Daily

The night ferry to the outer islands sailed again on Monday after two winters tied up at the pier.

Source: Island Transport Office

The operator plans three crossings a week until the summer timetable starts.

https://harbordaily.example/2023/03/14/night-ferry-resumes/
""",
    "harbor/dredging-budget.txt": """• 05/02/2023

Council approves harbour dredging budget

Harbor Daily

Councillors approved $3.2 million to dredge the main channel, which has silted up since the storms.

Background:
  • The channel was last dredged in 2011.
""",
    "valley/flood-warning.txt": """• 11/20/2023

Flood warning for the lower valley as rain continues

Valley Courier

Forecasters issued a flood warning for the lower valley after a third day of heavy rain.

Residents near the river were asked to move cars to higher ground.
""",
    "valley/ferry-fares.txt": """◦ 2024-01-09

Ferry fares to rise in spring

Valley Courier

Return tickets on the river ferry will cost $4.50 from April, up from $4.
""",
    "tide/storm-terminal.txt": """• 02/14/2024

Storm closes the ferry terminal for two days

The Tide Gazette

High winds closed the ferry terminal on Tuesday and Wednesday, stranding about 300 travellers.

Subscribe to our newsletter today!
""",
    "wire/feed.jsonl": (
        '{"title": "Ferry captain retires after forty years", "text": "Captain Inés Moreau steered her last '
        'crossing on Sunday.", "published": "2024-06-30T22:15:00-04:00", "outlet": "harbor daily", '
        '"tags": ["people"]}\n'
        '{"headline": "Volunteers clear the beach after the storm", "body": "About 80 volunteers filled '
        'two skips with driftwood and plastic."}\n'
    ),
}
N_ARTICLES = 7
FERRY_FILTERS = ["--source", "HARBOR DAILY", "--since", "2023-01-01", "--until", "2024-12-31"]


def write_articles(folder: Path) -> Path:
    for name, text in ARTICLES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


@pytest.fixture
def index_dir(tmp_path: Path, articles: Path) -> Path:
    path = tmp_path / "index"
    assert main(["index", str(articles), "--index", str(path), "--quiet"]) == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``searchkit ARGV`` in-process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def console_script() -> str:
    path = shutil.which(
        "searchkit", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    )
    assert path, "the searchkit console script is not installed (pip install -e .)"
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SEARCHKIT_INDEX", "FORCE_COLOR")}
    return {**env, **extra}


def cli(
    *argv: str, env: dict[str, str] | None = None, program: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script as a subprocess, output piped."""
    return subprocess.run(
        [*(program or [console_script()]), *argv],
        check=False,
        capture_output=True,
        text=True,
        env=env or clean_env(),
        timeout=120,
    )


def without_timing(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "took_ms"}


def library_json(path: Path, query: str, **options: Any) -> dict[str, Any]:
    return without_timing(orjson.loads(Index.open(path).search(query, **options).to_json()))


def assert_one_line_error(err: str, command: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"searchkit {command}: "), err


# End to end, through the installed console script


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path: Path, articles: Path) -> None:
    path = tmp_path / "news"
    done = cli("index", str(articles), "--index", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{path}: added {N_ARTICLES}, replaced 0, unchanged 0, rejected 0 in ")

    again = cli("index", str(articles), "--index", str(path))
    assert (again.returncode, again.stdout) == (
        0,
        f"nothing changed: {N_ARTICLES} articles were already in {path} as they are\n",
    )

    found = cli("search", "ferry", "--index", str(path), *FERRY_FILTERS, "--json")
    assert found.returncode == 0, found.stderr
    data = orjson.loads(found.stdout)
    expected = library_json(
        path, "ferry", sources=["HARBOR DAILY"], since=date(2023, 1, 1), until=date(2024, 12, 31)
    )
    assert without_timing(data) == expected
    assert data["total"] == 2
    assert {hit["headline"] for hit in data["hits"]} == {
        "Night ferry to the islands resumes after two winters",
        "Ferry captain retires after forty years",
    }
    # The source facet ignores the source filter: what the other outlets would add.
    assert data["facets"]["source"] == [
        {"value": "Harbor Daily", "count": 2},
        {"value": "The Tide Gazette", "count": 1},
        {"value": "Valley Courier", "count": 1},
    ]

    piped = cli("search", "ferry", "--index", str(path), *FERRY_FILTERS)
    assert piped.returncode == 0 and "results for 'ferry'" in piped.stdout
    assert "\x1b" not in piped.stdout + piped.stderr
    colored = cli("search", "ferry", "--index", str(path), "--color", "always")
    assert ANSI.search(colored.stdout)

    missing = cli("search", "ferry", "--index", str(tmp_path / "nowhere"))
    assert (missing.returncode, missing.stdout) == (1, "")
    assert_one_line_error(missing.stderr, "search")
    assert "no searchkit index at" in missing.stderr

    usage = cli("search", "ferry", "--index", str(path), "--limit", "zero")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr and "usage:" in usage.stderr

    empty = cli("search", "zeppelin", "--index", str(path), "--fail-empty")
    assert empty.returncode == 3 and "0 results for 'zeppelin'" in empty.stdout


@pytest.mark.slow
def test_python_dash_m_prints_what_the_console_script_prints(index_dir: Path) -> None:
    argv = ("search", "ferry OR flood", "--index", str(index_dir), "--sort", "newest", "--json")
    script = cli(*argv)
    module = cli(*argv, program=[sys.executable, "-m", "searchkit"])
    assert script.returncode == module.returncode == 0
    assert without_timing(orjson.loads(module.stdout)) == without_timing(orjson.loads(script.stdout))
    assert cli("--version", program=[sys.executable, "-m", "searchkit"]).stdout.startswith("searchkit ")


def on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """Run the console script with stdout on a pseudo-terminal; return what it wrote there."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    process = subprocess.Popen([console_script(), *argv], stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    return b"".join(chunks).decode("utf-8")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_color_on_a_terminal_unless_no_color(index_dir: Path) -> None:
    argv = ["search", "ferry", "--index", str(index_dir), "--limit", "1"]
    assert ANSI.search(on_a_terminal(argv, clean_env()))
    plain = on_a_terminal(argv, clean_env(NO_COLOR="1"))
    assert "results for 'ferry'" in plain and "\x1b" not in plain


# search


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        ([], {}),
        (
            FERRY_FILTERS,
            {"sources": ["HARBOR DAILY"], "since": date(2023, 1, 1), "until": date(2024, 12, 31)},
        ),
        (["--sort", "newest", "--limit", "2", "--page", "2"], {"sort": "newest", "limit": 2, "page": 2}),
        (["--sort", "oldest", "--interval", "year"], {"sort": "oldest", "date_interval": "year"}),
        (
            ["--mode", "any", "--source", "valley courier", "--source", "The Tide Gazette"],
            {"mode": "any", "sources": ["valley courier", "The Tide Gazette"]},
        ),
        (["--recency", "30d", "--explain"], {"recency": "30d", "explain": True}),
        (["--diversify", "source", "--limit", "2", "--page", "2"], {"diversify": "source", "limit": 2, "page": 2}),
        (["--facets", "source,date"], {"facets": ("source", "date")}),
        (["--facets", "none"], {"facets": False}),
        (["--facets", "stories"], {"facets": ("stories",)}),
    ],
)
def test_search_json_is_the_library_to_json(
    capsys: pytest.CaptureFixture[str], index_dir: Path, argv: list[str], options: dict[str, Any]
) -> None:
    query = "ferry storm flood"
    code, out, _ = run(capsys, "search", query, "--index", str(index_dir), "--json", *argv)
    assert code == 0
    assert without_timing(orjson.loads(out)) == library_json(index_dir, query, **options)


def test_search_refuses_an_unknown_facet_in_one_line(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, err = run(capsys, "search", "ferry", "--index", str(index_dir), "--facets", "source,sources")
    assert (code, out) == (1, "")
    assert_one_line_error(err, "search")
    assert "unknown facet 'sources'" in err and "'stories'" in err


def test_search_for_people(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, err = run(capsys, "search", "ferry", "--index", str(index_dir), "--limit", "2")
    assert (code, err) == (0, "")
    results = Index.open(index_dir).search("ferry", limit=2)
    lines = out.splitlines()
    assert re.fullmatch(r"1-2 of 4 results for 'ferry'  \(\d+\.\d ms\)", lines[0])
    first = results.hits[0]
    assert f"  1. {first.headline}" in lines
    assert f"     {first.source} · {first.date} · score {first.score:.2f} · {first.id}" in lines
    assert f"more: --page 2  or  --cursor {results.next_cursor}" in lines
    assert (
        "\nSources\n  Harbor Daily          2\n  The Tide Gazette      1\n  Valley Courier        1\n" in out
    )
    assert (
        "\nDates by month\n  2023-03        1 ████████████████████████\n  …              0  (9 empty months)\n"
        in out
    )
    assert "\x1b" not in out


def test_search_explain_and_diversify_for_people(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, err = run(capsys, "search", "ferry", "--index", str(index_dir), "--limit", "2", "--explain",
                         "--diversify", "source", "--recency", "1y")
    assert (code, err) == (0, "")
    results = Index.open(index_dir).search("ferry", limit=2, explain=True, diversify="source", recency="1y")
    lines = out.splitlines()
    for hit in results.hits:
        assert hit.explanation is not None
        tree = ["     " + line for line in hit.explanation.lines()]
        at = lines.index(tree[0])
        assert lines[at:at + len(tree)] == tree
        assert tree[0].startswith(f"     {hit.explanation.value:.6g} = score = relevance × recency × diversify")
    more = ", ".join(f"{name} {count}" for name, count in (results.more_from or {}).items() if count)
    assert more and f"more from these outlets: {more}" in lines
    code, _, err = run(capsys, "search", "ferry", "--index", str(index_dir), "--recency", "soon")
    assert code == 1 and "recency='soon' is not a half-life" in err
    assert_one_line_error(err, "search")


def test_undated_and_unsourced_are_counted_apart(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, _ = run(capsys, "search", "", "--index", str(index_dir), "--interval", "year")
    assert code == 0
    assert "Sources  (1 without)" in out and "Dates by year  (1 undated)" in out
    assert "\n  2023           3 " in out and "\n  2024           3 " in out


def test_cursor_pages_walk_the_whole_ranking(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    everything = [hit.id for hit in Index.open(index_dir).search("", sort="newest", limit=100).hits]
    seen: list[str] = []
    paging = ["--limit", "2"]
    while True:
        code, out, _ = run(
            capsys, "search", "", "--index", str(index_dir), "--sort", "newest", "--json", *paging
        )
        assert code == 0
        data = orjson.loads(out)
        seen += [hit["id"] for hit in data["hits"]]
        if data["next_cursor"] is None:
            break
        paging = ["--limit", "2", "--cursor", data["next_cursor"]]
    assert seen == everything and len(seen) == N_ARTICLES
    code, out, _ = run(
        capsys, "search", "", "--index", str(index_dir), "--limit", "2", "--cursor", data_cursor(index_dir)
    )
    assert code == 0 and out.startswith("2 more of 7 results") and "  1. " not in out and "--page" not in out


def data_cursor(index_dir: Path) -> str:
    cursor = Index.open(index_dir).search("", limit=2).next_cursor
    assert cursor is not None
    return cursor


def test_lenient_query_runs_and_notes_what_it_skipped(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    code, out, err = run(capsys, "search", "ferry AND (", "--index", str(index_dir))
    assert (code, err) == (0, "")
    assert "note: missing ')' at position 11" in out


def test_strict_bad_query_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, err = run(capsys, "search", "ferry AND (", "--index", str(index_dir), "--strict")
    assert (code, out) == (1, "")
    assert err == "searchkit search: missing ')' at position 11 of the query 'ferry AND ('\n"


def test_missing_index_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for command in (["search", "ferry"], ["show", "x"], ["delete", "x"], ["stats"], ["export"], ["check"]):
        code, out, err = run(capsys, *command, "--index", str(tmp_path / "nowhere"))
        assert (code, out) == (1, ""), command
        assert_one_line_error(err, command[0])
        assert f"no searchkit index at {tmp_path / 'nowhere'}" in err


def test_debug_shows_the_real_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        main(["search", "ferry", "--index", str(tmp_path / "nowhere"), "--debug"])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["search"],
        ["search", "x", "--limit", "0"],
        ["search", "x", "--limit", "1001.5"],
        ["search", "x", "--since", "yesterday"],
        ["search", "x", "--sort", "best"],
        ["search", "x", "--page", "2", "--cursor", "abc"],
        ["search", "x", "--no-such-option"],
        ["index"],
        ["index", "x", "--lock-timeout", "-1"],
        ["show"],
        ["export", "--format", "csv"],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "usage: searchkit" in err and "Traceback" not in err


def test_bad_values_the_library_refuses_exit_1(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, _, err = run(
        capsys, "search", "x", "--index", str(index_dir), "--since", "2024-02-01", "--until", "2024-01-01"
    )
    assert code == 1 and err == "searchkit search: since (2024-02-01) is after until (2024-01-01)\n"
    code, _, err = run(capsys, "search", "x", "--index", str(index_dir), "--cursor", "not-a-cursor")
    assert code == 1
    assert_one_line_error(err, "search")


def test_fail_empty_exits_3_only_when_nothing_is_found(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    assert run(capsys, "search", "zeppelin", "--index", str(index_dir), "--fail-empty")[0] == 3
    assert run(capsys, "search", "zeppelin", "--index", str(index_dir))[0] == 0
    assert run(capsys, "search", "ferry", "--index", str(index_dir), "--fail-empty")[0] == 0


# index


def test_index_twice_says_nothing_changed(
    capsys: pytest.CaptureFixture[str], articles: Path, index_dir: Path
) -> None:
    code, out, err = run(capsys, "index", str(articles), "--index", str(index_dir))
    assert (code, out, err) == (
        0,
        f"nothing changed: {N_ARTICLES} articles were already in {index_dir} as they are\n",
        "",
    )
    code, out, _ = run(capsys, "index", str(articles), "--index", str(index_dir), "--json")
    assert code == 0
    assert orjson.loads(out) | {"seconds": 0} == {
        "added": 0,
        "replaced": 0,
        "unchanged": N_ARTICLES,
        "rejected": [],
        "seconds": 0,
        "rejected_file": None,
        "warnings": [],
        "skipped": [],
    }


def test_index_reports_rejections_and_keeps_the_full_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, articles: Path
) -> None:
    (articles / "wire" / "bad.jsonl").write_text(
        '{"title": "Dated badly", "date": "someday"}\n[1, 2]\n{"title": "Fine", "body": "Kept."}\n',
        encoding="utf-8",
    )
    path = tmp_path / "index"
    code, out, _ = run(capsys, "index", str(articles), "--index", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}: added {N_ARTICLES + 1}, replaced 0, unchanged 0, rejected 2 in ")
    assert lines[1] == (
        f"  rejected {articles / 'wire' / 'bad.jsonl'}:1: field 'date': "
        "'someday' is not a date searchkit reads; use YYYY-MM-DD, MM/DD/YYYY or ISO 8601"
    )
    assert lines[2].startswith(f"  rejected {articles / 'wire' / 'bad.jsonl'}:2: is a JSON array")
    report = Path(lines[3].removeprefix("  full list: "))
    assert report.parent == path / "reports"
    assert [orjson.loads(line)["location"] for line in report.read_bytes().splitlines()] == [
        f"{articles / 'wire' / 'bad.jsonl'}:1",
        f"{articles / 'wire' / 'bad.jsonl'}:2",
    ]


def test_index_warns_about_a_file_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "cafe.txt").write_bytes("Caf\xe9 prices rise\n\nA coffee now costs \xa33.\n".encode("cp1252"))
    code, out, err = run(capsys, "index", str(tmp_path / "cafe.txt"), "--index", str(tmp_path / "index"))
    assert code == 0 and "added 1" in out
    assert err == f"searchkit index: warning: {tmp_path / 'cafe.txt'}:1: not valid UTF-8; decoded as cp1252\n"
    [article] = Index.open(tmp_path / "index").articles()
    assert (article.headline, article.body) == ("Café prices rise", "A coffee now costs £3.")


def test_index_of_a_missing_path_creates_no_index(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "index", str(tmp_path / "nothing.txt"), "--index", str(tmp_path / "index"))
    assert (code, out) == (1, "")
    assert err == f"searchkit index: {tmp_path / 'nothing.txt'}: no such file or directory\n"
    assert not (tmp_path / "index").exists()


def test_a_locked_index_fails_after_the_timeout(
    capsys: pytest.CaptureFixture[str], articles: Path, index_dir: Path
) -> None:
    with IndexStore.open(index_dir).write_lock(5):
        code, out, err = run(capsys, "delete", "x", "--index", str(index_dir), "--lock-timeout", "0.1")
    assert (code, out) == (1, "")
    assert_one_line_error(err, "delete")
    assert f"index {index_dir} is locked by pid {os.getpid()}" in err and "waited 0.1s" in err


# show, delete, stats, export, check


def test_show(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    article = next(a for a in Index.open(index_dir).articles() if a.headline.startswith("Night ferry"))
    code, out, _ = run(capsys, "show", article.id, "--index", str(index_dir))
    assert code == 0
    assert out == (
        "Night ferry to the islands resumes after two winters\n"
        f"Harbor Daily · 2023-03-14 · {article.id}\n\n"
        "The night ferry to the outer islands sailed again on Monday after two winters tied up at the pier.\n\n"
        "The operator plans three crossings a week until the summer timetable starts.\n\n"
        "Source: Island Transport Office\n\n"
        "https://harbordaily.example/2023/03/14/night-ferry-resumes/\n"
    )
    code, out, _ = run(capsys, "show", article.id, "--index", str(index_dir), "--json")
    assert code == 0 and orjson.loads(out) == article.to_dict()
    code, out, err = run(capsys, "show", "no-such-id", "--index", str(index_dir))
    assert (code, out, err) == (1, "", "searchkit show: no article with id 'no-such-id'\n")


def test_delete(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    ids = sorted(article.id for article in Index.open(index_dir).articles())
    code, out, _ = run(capsys, "delete", ids[0], "no-such-id", "--index", str(index_dir))
    assert (code, out) == (0, "deleted 1 of 2 articles; not found: no-such-id\n")
    index = Index.open(index_dir, refresh_interval=0)
    assert ids[0] not in index and len(index) == N_ARTICLES - 1
    code, out, _ = run(capsys, "delete", ids[0], "--index", str(index_dir))
    assert (code, out) == (1, f"deleted 0 of 1 articles; not found: {ids[0]}\n")


def test_stats(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, _ = run(capsys, "stats", "--index", str(index_dir))
    assert code == 0
    rows = dict(
        line.split(None, 1) if not line.startswith(("size", "schema")) else line.rsplit(None, 1)
        for line in out.splitlines()
    )
    assert rows["index"] == str(index_dir) and rows["articles"] == "7" and rows["sources"] == "3"
    assert rows["dates"] == "2023-03-14 .. 2024-06-30  (1 undated)"
    code, out, _ = run(capsys, "stats", "--index", str(index_dir), "--json")
    assert code == 0 and orjson.loads(out) == Index.open(index_dir).stats().model_dump(mode="json")


def test_export_then_index_gives_the_same_articles(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, index_dir: Path
) -> None:
    code, to_stdout, err = run(capsys, "export", "--index", str(index_dir))
    assert (code, err) == (0, f"exported {N_ARTICLES} articles\n")
    target = tmp_path / "news.jsonl"
    code, out, err = run(capsys, "export", "--index", str(index_dir), "--output", str(target))
    assert (code, out, err) == (0, "", f"exported {N_ARTICLES} articles to {target}\n")
    assert target.read_text(encoding="utf-8") == to_stdout

    copy = tmp_path / "copy"
    code, out, _ = run(capsys, "index", str(target), "--index", str(copy), "--quiet")
    assert code == 0 and f"added {N_ARTICLES}, replaced 0, unchanged 0, rejected 0" in out
    original = {article.id: article for article in Index.open(index_dir).articles()}
    assert {article.id: article for article in Index.open(copy).articles()} == original
    assert {a.id: a for a in read_articles(target)} == original


def test_check(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    code, out, _ = run(capsys, "check", "--index", str(index_dir))
    assert (code, out) == (0, f"{index_dir}: ok ({N_ARTICLES} articles in 1 segment checked)\n")
    code, out, _ = run(capsys, "check", "--index", str(index_dir), "--json")
    assert code == 0 and orjson.loads(out) == {
        "path": str(index_dir),
        "ok": True,
        "articles": N_ARTICLES,
        "segments": 1,
        "problems": [],
        "notes": [],
    }
    [segment] = index_dir.glob("*.skseg")
    segment.write_bytes(segment.read_bytes()[:-100])
    code, out, err = run(capsys, "check", "--index", str(index_dir))
    assert code == 1
    assert "PROBLEMS FOUND" in out or (out == "" and err.startswith("searchkit check: "))


# --index


def test_bare_index_names_live_under_indexes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "index", str(articles), "--index", "news", "--quiet")[0] == 0
    assert len(Index.open(tmp_path / "indexes" / "news")) == N_ARTICLES
    assert (tmp_path / "indexes" / "news").stat().st_mode & 0o777 == 0o700
    monkeypatch.setenv("SEARCHKIT_INDEX", "news")
    code, out, _ = run(capsys, "stats")
    assert code == 0 and out.startswith(f"index           {Path('indexes') / 'news'}\n")
    for unsafe in ("..", ".hidden", "a b"):
        code, _, err = run(capsys, "stats", "--index", unsafe)
        assert code == 1 and "is not a valid index name" in err


# help, docs, demo


def command_names() -> list[str]:
    parser = build_parser()
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return list(commands.choices)


def test_the_commands() -> None:
    assert command_names() == ["index", "follow", "search", "related", "stories", "show", "delete", "stats", "export", "reindex", "check", "demo", "serve"]


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    example = out.split("example:\n", 1)[1].strip()
    assert example.startswith("searchkit ") and f"searchkit {command}" in example


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in command_names():
        assert f"`searchkit {command}" in readme, f"README.md does not document `searchkit {command}`"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from searchkit import __version__

    assert run(capsys, "--version") == (0, f"searchkit {__version__}\n", "")


def test_demo(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "demo"
    code, out, _ = run(capsys, "demo", "--index", str(path))
    assert code == 0
    assert out.startswith(f"{path}: added 30, replaced 0, unchanged 0, rejected 0 in ")
    for query in ("flood damage", '"electric buses"', "budget fares"):
        assert f"$ searchkit search {query!r} --index {path}\n" in out
        assert re.search(rf"\n1-3 of \d+ results for {re.escape(repr(query))}", out)
    assert out.count("\nSources\n") == 3 and out.count("\nDates by ") == 3
    assert "\x1b" not in out and len(Index.open(path)) == 30
    code, out, _ = run(capsys, "demo", "--index", str(path))
    assert code == 0 and out.startswith(f"nothing changed: 30 articles were already in {path}")
