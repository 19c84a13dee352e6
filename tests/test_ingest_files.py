"""read_articles over files, folders and globs: order, skipping, usage errors, decoding."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, shared_path

from searchkit.errors import ArgumentError, ArticleError, ReadError, UnsupportedFormatError
from searchkit.ingest import ArticleReader, ReadProblem, read_articles

ARTICLES = FIXTURES / "articles"
FIXTURE_HEADLINES = [
    "Grain prices ease after a record harvest",  # 2022-07-01_grain.txt
    "Ferry line links the two harbours for the first time",  # 2023-03-14_ferry.txt
    "Solar farm approved on former airfield",  # feeds/roundup.json record 1
    "Night trains return to the coast line",  # feeds/roundup.json record 2
    "Port strike ends after pay deal",  # feeds/wire.jsonl:1
    "Snow closes mountain pass",  # feeds/wire.jsonl:2
    "Library extends weekend hours",  # feeds/wire.jsonl:4
    "Town museum reopens with a hall of old maps",  # museum.txt
]


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def test_fixture_folder_in_sorted_order() -> None:
    reader = read_articles(ARTICLES)
    articles = list(reader)
    assert [a.headline for a in articles] == FIXTURE_HEADLINES
    assert [a.source for a in articles] == [
        "Farm Ledger",
        "Coastal Courier",
        "Valley Gazette",
        "Rail Review",
        "Northern Wire",
        "Alpine Daily",
        "citybulletin.example",
        "Riverside Herald",
    ]
    assert [str(a.date) for a in articles] == [
        "2022-07-01",
        "2023-03-14",
        "2021-09-30",
        "None",
        "2024-02-05",
        "2024-01-19",
        "2023-11-02",
        "None",
    ]
    assert (reader.errors, reader.warnings, reader.files_read, reader.articles_read) == ([], [], 5, 8)


def test_a_file_a_list_and_a_glob(tmp_path: Path) -> None:
    [grain] = read_articles(str(ARTICLES / "2022-07-01_grain.txt"))
    assert grain.headline == FIXTURE_HEADLINES[0]
    both = read_articles(
        [ARTICLES / "museum.txt", ARTICLES / "feeds" / "roundup.json", ARTICLES / "museum.txt"]
    )
    assert [a.headline for a in both] == [FIXTURE_HEADLINES[7], *FIXTURE_HEADLINES[2:4]]
    assert both.files_read == 2, "a file named twice is read once"
    globbed = read_articles(str(ARTICLES / "**" / "*.json*"))
    assert [a.headline for a in globbed] == FIXTURE_HEADLINES[2:7]


def test_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "b.txt": "B\n\nbody b",
            "a/z.txt": "AZ\n\nbody",
            "a/.hidden.txt": "hidden\n\nbody",
            ".git/config.txt": "hidden folder\n\nbody",
            "a/b/c.jsonl": '{"title": "ABC"}\n',
            "A.txt": "capital A\n\nbody",
        },
    )
    reader = read_articles(tmp_path)
    assert [a.headline for a in reader] == ["capital A", "ABC", "AZ", "B"]
    assert reader.errors == []
    assert [(s.path, s.rule, s.reason) for s in reader.skipped] == [
        (tmp_path / ".git", "hidden", "hidden (the name starts with '.')"),
        (tmp_path / "a" / ".hidden.txt", "hidden", "hidden (the name starts with '.')"),
    ]
    named = read_articles(tmp_path / "a" / ".hidden.txt")
    assert [a.headline for a in named] == ["hidden"], "a hidden file named explicitly is read"


def test_unsupported_file_in_a_folder_is_reported_and_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"notes.rtf": "{notes}", "story.txt": "Headline\n\nBody.", "INDEX": "an index"})
    reader = read_articles(tmp_path)
    assert [a.headline for a in reader] == ["Headline"]
    assert [str(e) for e in reader.errors] == [
        f"{tmp_path / 'INDEX'}: cannot tell the format from a name without an extension "
        "(known: .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .html.gz, .htm.gz, .rss, .atom, .xml, .sgm, .sgml); skipped",
        f"{tmp_path / 'notes.rtf'}: cannot tell the format from the extension '.rtf' "
        "(known: .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .html.gz, .htm.gz, .rss, .atom, .xml, .sgm, .sgml); skipped",
    ]
    assert all(type(e) is UnsupportedFormatError for e in reader.errors)
    assert (reader.files_read, reader.articles_read) == (1, 1)


def test_explicit_file_with_unknown_format_raises_with_a_hint(tmp_path: Path) -> None:
    write(tmp_path, {"story.md": "Headline\n\nBody."})
    with pytest.raises(UnsupportedFormatError) as caught:
        read_articles(tmp_path / "story.md")
    assert str(caught.value) == (
        f"{tmp_path / 'story.md'}: cannot tell the format from the extension '.md' "
        "(known: .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .html.gz, .htm.gz, .rss, .atom, .xml, .sgm, .sgml); pass format='text', 'json', 'jsonl', 'csv', 'tsv', 'html', 'feed' or 'sgml' to read it"
    )
    [article] = read_articles(tmp_path / "story.md", format="text")
    assert (article.headline, article.body) == ("Headline", "Body.")


def test_format_overrides_extensions_for_every_file(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": '{"title": "json in a .txt"}', "b.log": '{"title": "json in a .log"}'})
    reader = read_articles(tmp_path, format="jsonl")
    assert [a.headline for a in reader] == ["json in a .txt", "json in a .log"]


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ("{tmp}/missing.txt", "{tmp}/missing.txt: no such file or directory"),
        (["{tmp}/a.txt", "missing"], "missing: no such file or directory"),
        ("{tmp}/*.jsonl", "the pattern '{tmp}/*.jsonl' matches no files"),
    ],
)
def test_usage_errors_raise_at_once(tmp_path: Path, paths: str | list[str], message: str) -> None:
    write(tmp_path, {"a.txt": "A\n\nbody"})
    given = paths.format(tmp=tmp_path) if isinstance(paths, str) else [p.format(tmp=tmp_path) for p in paths]
    with pytest.raises(ReadError) as caught:
        read_articles(given)
    assert str(caught.value) == message.format(tmp=tmp_path)


def test_unknown_format_name_raises() -> None:
    with pytest.raises(
        UnsupportedFormatError, match=r"^unknown format 'xml'; use one of auto, text, json, jsonl, csv, tsv, html, feed, sgml$"
    ):
        read_articles(ARTICLES, format="xml")  # type: ignore[arg-type]


def test_bad_boilerplate_pattern_raises() -> None:
    with pytest.raises(ValueError, match=r"^boilerplate pattern '\(' is not a valid regex"):
        read_articles(ARTICLES, boilerplate=["("])


def test_on_error_sees_each_problem_as_it_happens(tmp_path: Path) -> None:
    write(tmp_path, {"a.jsonl": '{"title": "one"}\n[]\n{"title": "two"}\n', "b.txt": "", "c.rtf": "x"})
    seen: list[tuple[str, int]] = []
    reader: ArticleReader

    def on_error(error: ReadProblem) -> None:
        seen.append((str(error).split(": ")[0], reader.articles_read))

    reader = read_articles(tmp_path, on_error=on_error)
    assert [a.headline for a in reader] == ["one", "two"]
    assert seen == [
        (f"{tmp_path / 'a.jsonl'}:2", 1),
        (str(tmp_path / "b.txt"), 2),
        (str(tmp_path / "c.rtf"), 2),
    ]
    assert [type(e) for e in reader.errors] == [ArticleError, ArticleError, UnsupportedFormatError]


def test_on_error_may_raise_to_stop(tmp_path: Path) -> None:
    write(tmp_path, {"a.jsonl": '{"title": "one"}\n42\n{"title": "two"}\n'})

    def strict(error: ReadProblem) -> None:
        raise error

    reader = read_articles(tmp_path, on_error=strict)
    with pytest.raises(ArticleError, match=r"a\.jsonl:2: is a JSON number"):
        list(reader)
    assert reader.articles_read == 1


def test_reading_is_lazy_and_iterating_again_starts_afresh(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "A\n\nbody", "b.txt": "B\n\nbody", "c.jsonl": "[]\n"})
    reader = read_articles(tmp_path)
    (tmp_path / "b.txt").unlink()
    assert reader.files_read == 0
    assert [a.headline for a in reader] == ["A"]
    assert (reader.files_read, reader.articles_read, len(reader.errors)) == (2, 1, 1)
    write(tmp_path, {"b.txt": "B\n\nbody"})
    assert [a.headline for a in reader] == ["A", "B"]
    assert (reader.files_read, reader.articles_read, len(reader.errors)) == (3, 2, 1)
    assert repr(reader) == "<ArticleReader 1 path(s), 2 articles read, 1 errors>"


def test_a_named_file_that_vanishes_before_reading_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "A\n\nbody", "b.txt": "B\n\nbody"})
    reader = read_articles([tmp_path / "a.txt", tmp_path / "b.txt"])
    (tmp_path / "b.txt").unlink()
    assert [a.headline for a in reader] == ["A"]
    [error] = reader.errors
    assert (
        type(error) is ReadError
        and str(error) == f"{tmp_path / 'b.txt'}: cannot be read: No such file or directory"
    )
    assert reader.files_read == 1


def test_invalid_utf8_falls_back_to_cp1252_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, {"price.txt": b"Prices\n\nOutlet\n\nA ticket costs \xa35 \x96 up from \x934\x94.\x81\n"})
    reader = read_articles(tmp_path / "price.txt")
    [article] = list(reader)
    assert article.body == "A ticket costs £5 – up from “4”.\ufffd"
    assert reader.warnings == [f"{tmp_path / 'price.txt'}:5: not valid UTF-8; decoded as cp1252"]
    assert reader.errors == []


def test_bbc_pound_sign_in_latin1() -> None:
    path = shared_path("data", "bbc-news", "sport", "199.txt")
    reader = read_articles(path)
    [article] = list(reader)
    assert article.headline == "Chelsea sack Mutu"
    assert "a £15.8m signing from Parma" in article.body
    assert reader.warnings == [f"{path}:5: not valid UTF-8; decoded as cp1252"]


# ---------------------------------------------------------------------------------------
# Skipping: the default non-article names, exclude patterns


NOT_ARTICLES = {
    "README.TXT": "Consists of 2225 documents\n\nfrom five areas.",
    "PROVENANCE.md": "# Where this came from",
    "LICENSE": "All rights reserved.",
    "CHANGES.txt": "v2\n\nFixed things.",
    "docs/readme.txt": "nested readme\n\ntext",
    "sport/001.txt": "Match report\n\nThe home side won.",
    "sport/notes.rst": "notes",
}


def test_default_set_skips_data_set_notes_in_folders(tmp_path: Path) -> None:
    write(tmp_path, NOT_ARTICLES)
    reader = read_articles(tmp_path)
    assert [a.headline for a in reader] == ["Match report"]
    assert reader.errors == []
    assert [(s.path.relative_to(tmp_path).as_posix(), s.rule, s.pattern) for s in reader.skipped] == [
        ("CHANGES.txt", "default", "CHANGES*"),
        ("LICENSE", "default", "LICENSE*"),
        ("PROVENANCE.md", "default", "PROVENANCE*"),
        ("README.TXT", "default", "README*"),
        ("docs/readme.txt", "default", "README*"),
        ("sport/notes.rst", "default", "*.rst"),
    ]
    assert str(reader.skipped[3]) == (
        f"{tmp_path / 'README.TXT'}: skipped, not an article by its name "
        "(default skip pattern 'README*'; name the file to read it)"
    )
    assert (reader.files_read, reader.articles_read) == (1, 1)


def test_a_file_named_explicitly_is_never_skipped_by_the_default_set(tmp_path: Path) -> None:
    write(tmp_path, NOT_ARTICLES)
    reader = read_articles([tmp_path / "README.TXT", tmp_path / "CHANGES.txt"])
    assert [a.headline for a in reader] == ["Consists of 2225 documents", "v2"]
    assert reader.skipped == []
    globbed = read_articles(str(tmp_path / "**" / "*.txt"))
    assert [a.headline for a in globbed] == ["Match report"], "glob matches are not named explicitly"
    assert [s.path for s in globbed.skipped] == [tmp_path / "CHANGES.txt", tmp_path / "docs" / "readme.txt"]


def test_exclude_patterns_match_names_paths_and_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sport/001.txt": "Sport one\n\nbody",
            "sport/drafts/002.txt": "Draft\n\nbody",
            "tech/001.txt": "Tech one\n\nbody",
            "tech/all-topics-strings.lc.txt": "acq\n\nalum",
            "factbook.TXT": "Countries\n\nof the world",
        },
    )
    reader = read_articles(tmp_path, exclude=["drafts", "*-strings.lc.txt", "tech/0*", "FACTBOOK*"])
    assert [a.headline for a in reader] == ["Sport one"]
    assert [(s.path.relative_to(tmp_path).as_posix(), s.rule, s.pattern) for s in reader.skipped] == [
        ("factbook.TXT", "exclude", "FACTBOOK*"),
        ("sport/drafts", "exclude", "drafts"),
        ("tech/001.txt", "exclude", "tech/0*"),
        ("tech/all-topics-strings.lc.txt", "exclude", "*-strings.lc.txt"),
    ]
    assert reader.skipped[0].reason == "matches the exclude pattern 'FACTBOOK*'"
    named = read_articles(tmp_path / "factbook.TXT", exclude=["factbook*"])
    assert (list(named), [s.rule for s in named.skipped]) == ([], ["exclude"])


@pytest.mark.parametrize("exclude", ["*.txt", [""], [3]])
def test_bad_exclude_raises(tmp_path: Path, exclude: object) -> None:
    write(tmp_path, {"a.txt": "A\n\nbody"})
    with pytest.raises(ArgumentError, match="exclude"):
        read_articles(tmp_path, exclude=exclude)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# UTF-16 and UTF-32 with a byte order mark

WIDE = "Café owners say £3 coffee is here to stay\r\n\r\nLe Monde – Paris\r\n\r\nPrices rose “again”.\r\n"
WIDE_JSON = '[{"title": "Café prices", "body": "£3 “again”", "source": "Le Monde"}]\r\n'
WIDE_JSONL = '{"title": "Café prices", "body": "£3 “again”"}\r\n\r\n{"title": "Second 😀", "body": "x"}\r\n'


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"])
def test_byte_order_marks_pick_the_encoding(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff", "utf-32-le": "\ufeff", "utf-32-be": "\ufeff"}.get(encoding, "")
    write(
        tmp_path,
        {
            "a.txt": (bom + WIDE).encode(encoding),
            "b.json": (bom + WIDE_JSON).encode(encoding),
            "c.jsonl": (bom + WIDE_JSONL).encode(encoding),
        },
    )
    reader = read_articles(tmp_path)
    articles = list(reader)
    assert [(a.headline, a.body, a.source) for a in articles] == [
        ("Café owners say £3 coffee is here to stay", "Prices rose “again”.", "Le Monde – Paris"),
        ("Café prices", "£3 “again”", "Le Monde"),
        ("Café prices", "£3 “again”", None),
        ("Second 😀", "x", None),
    ]
    assert (reader.errors, reader.warnings) == ([], [])


def test_broken_utf16_is_decoded_with_replacements_and_a_warning(tmp_path: Path) -> None:
    data = "Headline\n\nBody.\n".encode("utf-16") + b"\x00\xd8"  # a lone high surrogate at the end
    write(tmp_path, {"a.txt": data})
    reader = read_articles(tmp_path)
    [article] = list(reader)
    assert (article.headline, article.body) == ("Headline", "Body.\n\ufffd")
    assert reader.warnings == [
        f"{tmp_path / 'a.txt'}: not valid UTF-16 at byte 34 (unexpected end of data) although it starts "
        "with a UTF-16 byte order mark; undecodable bytes became U+FFFD"
    ]


def test_broken_utf16_json_lines_are_decoded_with_replacements_and_a_warning(tmp_path: Path) -> None:
    lone_surrogate = "\ud800".encode("utf-16-le", "surrogatepass")
    data = '{"title": "one"}\n{"title": "two '.encode("utf-16") + lone_surrogate + '"}\n'.encode("utf-16-le")
    write(tmp_path, {"a.jsonl": data})
    reader = read_articles(tmp_path)
    assert [a.headline for a in reader] == ["one", "two \ufffd"]
    assert reader.errors == []
    assert reader.warnings == [
        f"{tmp_path / 'a.jsonl'}: not valid UTF-16 although it starts with a UTF-16 byte order mark; "
        "undecodable bytes became U+FFFD"
    ]


# ---------------------------------------------------------------------------------------
# Folders that cannot be entered. Root reads through any mode, so as root the reading
# process runs without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (setpriv): then the modes
# hold for it too. Nothing here skips, as root or not.


def without_root_powers() -> list[str]:
    """A command prefix under which file modes hold, whoever runs the tests."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test unreadable folders as root"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


READ_IN_A_CHILD = """
import sys, orjson
from searchkit import read_articles
reader = read_articles(sys.argv[1:])
headlines = [article.headline for article in reader]
print(orjson.dumps({"headlines": headlines, "errors": [str(e) for e in reader.errors]}).decode())
"""


def read_in_a_child(*paths: Path) -> dict[str, list[str]]:
    done = subprocess.run(
        [*without_root_powers(), sys.executable, "-c", READ_IN_A_CHILD, *map(str, paths)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = orjson.loads(done.stdout)
    return result


@pytest.fixture
def locked_folders(tmp_path: Path) -> Iterator[Path]:
    write(
        tmp_path,
        {
            "a/closed/x.txt": "Behind a closed door\n\nbody",
            "a/listed/y.txt": "Listed but not entered\n\nbody",
            "a/open/z.txt": "In the open\n\nbody",
        },
    )
    (tmp_path / "a" / "closed").chmod(0o000)
    (tmp_path / "a" / "listed").chmod(0o444)  # names can be listed, nothing inside can be reached
    yield tmp_path / "a"
    for name in ("closed", "listed"):
        (tmp_path / "a" / name).chmod(0o755)


def test_folders_that_cannot_be_entered_are_reported_and_the_rest_read(locked_folders: Path) -> None:
    assert read_in_a_child(locked_folders) == {
        "headlines": ["In the open"],
        "errors": [
            f"{locked_folders / 'closed'}: cannot list the folder: Permission denied",
            f"{locked_folders / 'listed'}: cannot enter the folder: Permission denied",
        ],
    }


def test_named_paths_inside_folders_that_cannot_be_entered_are_reported(locked_folders: Path) -> None:
    assert read_in_a_child(
        locked_folders / "listed" / "y.txt", locked_folders / "closed", locked_folders / "open"
    ) == {
        "headlines": ["In the open"],
        "errors": [
            f"{locked_folders / 'listed' / 'y.txt'}: cannot be read: Permission denied",
            f"{locked_folders / 'closed'}: cannot list the folder: Permission denied",
        ],
    }
