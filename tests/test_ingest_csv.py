"""CSV and TSV articles: column aliases, the column map, per-row errors, streaming."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import cli

from searchkit import Index, read_articles
from searchkit.errors import ArticleError, ReadError, SearchkitError

# Columns as the big public news dumps have them (a pandas row number first).
NEWS_CSV = (
    ",id,title,publication,author,date,year,url,content\n"
    '0,17283,Lighthouse keeper retires after forty years,Harbour Gazette,Ann Reed,2017-03-02,2017,'
    'https://gazette.example/2017/03/02/keeper,"The keeper climbed the tower one last time.\n\n'
    'He said the lamp, ""like an old friend"", would miss him."\n'
    "1,17284,Night buses return to the valley,Valley Times,,2017-03-03,2017,,Two routes run again after midnight.\n"
    "2,17285,Broken date,Valley Times,,the day after,2017,,Text.\n"
    "3,17286,Too many cells,Valley Times,,2017-03-04,2017,,Text,extra\n"
    "\n"
    "4,,,,,,,,\n"
)


def test_csv_rows_map_through_the_json_aliases(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text(NEWS_CSV, encoding="utf-8")
    reader = read_articles(path)
    articles = list(reader)
    assert [a.id for a in articles] == ["17283", "17284"]
    keeper, buses = articles
    assert keeper.headline == "Lighthouse keeper retires after forty years"
    assert keeper.body == 'The keeper climbed the tower one last time.\n\nHe said the lamp, "like an old friend", would miss him.'
    assert (keeper.source, keeper.date, keeper.url) == (
        "Harbour Gazette", dt.date(2017, 3, 2), "https://gazette.example/2017/03/02/keeper",
    )
    assert keeper.meta == {"author": "Ann Reed", "year": "2017"}, "the unnamed pandas column is dropped"
    assert (buses.source, buses.url, buses.meta) == ("Valley Times", None, {"year": "2017"})
    assert [str(e) for e in reader.errors] == [
        f"{path}:6 (row 3): field 'date': 'the day after' is not a date searchkit reads; "
        "use YYYY-MM-DD, MM/DD/YYYY or ISO 8601",
        f"{path}:7 (row 4): has 10 cells but the header names 9 columns (an unquoted delimiter in a value?)",
        f"{path}:9 (row 5): an article needs a headline or a body; both are empty",
    ]
    assert all(type(e) is ArticleError for e in reader.errors)
    assert (reader.files_read, reader.articles_read) == (1, 2)


def test_tsv_cp1252_lines_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "wire.tsv"
    path.write_bytes(
        b"\xef\xbb\xbftitle\ttext\tsource\n"
        b"Caf\xe9 prices rise\tA coffee now costs \xa33.\tCoastal Courier\n"
        b"Plain row\tNothing odd, here.\tCoastal Courier\n"
    )
    reader = read_articles(path)
    assert [(a.headline, a.body) for a in reader] == [
        ("Café prices rise", "A coffee now costs £3."), ("Plain row", "Nothing odd, here."),
    ]
    assert reader.warnings == [f"{path}:2: not valid UTF-8; decoded as cp1252 (and any later such lines)"]
    assert reader.errors == []


def test_field_map_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Heading,Story,title\nTram line opens,Trams run from today.,an internal code\n")
    [article] = read_articles(path, field_map={"headline": ("Heading",), "body": ("Story",)})
    assert (article.headline, article.body, article.meta) == (
        "Tram line opens", "Trams run from today.", {"title": "an internal code"},
    )


def test_bad_headers_are_read_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "twice.csv").write_text("title,title\na,b\n")
    reader = read_articles(tmp_path)
    assert list(reader) == []
    assert [str(e) for e in reader.errors] == [
        f"{tmp_path / 'empty.csv'}: is empty; a CSV file needs a header row naming its columns",
        f"{tmp_path / 'twice.csv'}:1: the header names the column 'title' twice; rename one "
        "(every column needs its own name)",
    ]
    assert all(type(e) is ReadError for e in reader.errors)


def test_a_large_csv_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    body = "word " * 2000  # 10 kB a row, 2,000 rows: 20 MB
    with path.open("w", encoding="utf-8") as file:
        file.write("title,content\n")
        for number in range(2000):
            file.write(f"Row {number},{body}\n")
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_articles(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2000
    assert peak < 2_000_000, f"peak {peak:,} bytes: the file was not streamed"


def test_cli_map_option_indexes_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Heading,Story,title\nTram line opens,Trams run from today.,an internal code\n")
    done = cli("index", str(path), "--index", str(tmp_path / "news"), "--map", "headline=Heading",
               "--map", "body=Story", "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["added"] == 1
    [article] = Index.open(tmp_path / "news").articles()
    assert (article.headline, article.body, article.meta) == (
        "Tram line opens", "Trams run from today.", {"title": "an internal code"},
    )
    bad = cli("index", str(path), "--index", str(tmp_path / "news"), "--map", "heading=Heading")
    assert bad.returncode == 2
    assert "argument --map: 'heading=Heading' is not FIELD=COLUMN with FIELD one of id, headline, body" in bad.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"title", b"content", b"date", b"id", b",", b"\t", b'"', b"\n", b"\r", b"x",
                              b"2024-02-30", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"meta", b""]),
             max_size=40).map(b"".join),
))
def test_the_csv_reader_never_raises_anything_but_searchkit_errors(tmp_path: Path, data: bytes) -> None:
    for name in ("fuzz.csv", "fuzz.tsv"):
        path = tmp_path / name
        path.write_bytes(data)
        reader = read_articles(path)
        list(reader)
        assert all(isinstance(error, SearchkitError) for error in reader.errors)
