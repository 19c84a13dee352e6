"""read_articles over files, folders and globs: order, skipping, usage errors, decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, shared_path

from searchkit.errors import ArticleError, ReadError, UnsupportedFormatError
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
    named = read_articles(tmp_path / "a" / ".hidden.txt")
    assert [a.headline for a in named] == ["hidden"], "a hidden file named explicitly is read"


def test_unsupported_file_in_a_folder_is_reported_and_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"notes.md": "# notes", "story.txt": "Headline\n\nBody.", "README": "read me"})
    reader = read_articles(tmp_path)
    assert [a.headline for a in reader] == ["Headline"]
    assert [str(e) for e in reader.errors] == [
        f"{tmp_path / 'README'}: cannot tell the format from a name without an extension "
        "(known: .txt, .json, .jsonl, .ndjson); skipped",
        f"{tmp_path / 'notes.md'}: cannot tell the format from the extension '.md' "
        "(known: .txt, .json, .jsonl, .ndjson); skipped",
    ]
    assert all(type(e) is UnsupportedFormatError for e in reader.errors)
    assert (reader.files_read, reader.articles_read) == (1, 1)


def test_explicit_file_with_unknown_format_raises_with_a_hint(tmp_path: Path) -> None:
    write(tmp_path, {"story.md": "Headline\n\nBody."})
    with pytest.raises(UnsupportedFormatError) as caught:
        read_articles(tmp_path / "story.md")
    assert str(caught.value) == (
        f"{tmp_path / 'story.md'}: cannot tell the format from the extension '.md' "
        "(known: .txt, .json, .jsonl, .ndjson); pass format='text', 'json' or 'jsonl' to read it"
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
        UnsupportedFormatError, match=r"^unknown format 'xml'; use one of auto, text, json, jsonl$"
    ):
        read_articles(ARTICLES, format="xml")  # type: ignore[arg-type]


def test_bad_boilerplate_pattern_raises() -> None:
    with pytest.raises(ValueError, match=r"^boilerplate pattern '\(' is not a valid regex"):
        read_articles(ARTICLES, boilerplate=["("])


def test_on_error_sees_each_problem_as_it_happens(tmp_path: Path) -> None:
    write(tmp_path, {"a.jsonl": '{"title": "one"}\n[]\n{"title": "two"}\n', "b.txt": "", "c.csv": "x"})
    seen: list[tuple[str, int]] = []
    reader: ArticleReader

    def on_error(error: ReadProblem) -> None:
        seen.append((str(error).split(": ")[0], reader.articles_read))

    reader = read_articles(tmp_path, on_error=on_error)
    assert [a.headline for a in reader] == ["one", "two"]
    assert seen == [
        (f"{tmp_path / 'a.jsonl'}:2", 1),
        (str(tmp_path / "b.txt"), 2),
        (str(tmp_path / "c.csv"), 2),
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
