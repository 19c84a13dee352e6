"""The plain-text article format: layout, tolerated variants, boilerplate, bad files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.errors import ArticleError, SearchkitError
from searchkit.ingest import ArticleReader, read_articles
from searchkit.ingest.text_format import parse_text
from searchkit.models import Article

HEADLINE = "Ferry line links the two harbours – at last"
PARAGRAPH_1 = "A passenger ferry began running between the north and south harbours on Tuesday."
PARAGRAPH_2 = "The operator plans six crossings a day in winter and ten in summer."
ITEM_1 = "The old harbour bridge closed for repairs in 2021."
ITEM_2 = "Two earlier ferry proposals were dropped for lack of funding."
URL = "https://coastalcourier.example/news/2023/03/14/ferry-line/"

ARTICLE = f"""• 03/14/2023

{HEADLINE}

Coastal Courier

{PARAGRAPH_1}

Source: Harbour authority statement

{PARAGRAPH_2}

Background:

  • {ITEM_1}
  • {ITEM_2}

Support the Courier and become a member today!

{URL}
"""

EXPECTED: dict[str, Any] = {
    "headline": HEADLINE,
    "body": f"{PARAGRAPH_1}\n\n{PARAGRAPH_2}",
    "background": [ITEM_1, ITEM_2],
    "source": "Coastal Courier",
    "date": dt.date(2023, 3, 14),
    "url": URL,
    "attribution": "Harbour authority statement",
    "meta": {"url_date": "2023-03-14"},
}


def read_one(tmp_path: Path, content: str | bytes, **options: Any) -> tuple[list[Article], ArticleReader]:
    """Write ``content`` to a .txt file, read it, and return the articles and the reader."""
    path = tmp_path / "article.txt"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    reader = read_articles(path, **options)
    return list(reader), reader


def fields(article: Article) -> dict[str, Any]:
    return article.model_dump(exclude={"id"})


def test_seed_file_reads_exactly() -> None:
    path = shared_path("seed", "000_1edddd8b14226691.txt")
    lines = [line.replace("\u00a0", " ").strip() for line in path.read_text("utf-8").splitlines()]
    reader = read_articles(path)
    [article] = list(reader)
    assert fields(article) == {
        "headline": "Record number of desertion cases registered in Russia – UK Defence Intelligence",
        "body": "\n\n".join(lines[i] for i in (6, 10, 12, 14, 16, 18)),
        "background": [lines[22].removeprefix("• "), lines[23].removeprefix("• ")],
        "source": "Pravda Ukraine",
        "date": dt.date(2024, 11, 30),
        "url": "https://www.pravda.com.ua/eng/news/2024/04/24/7452723/",
        "attribution": lines[8].removeprefix("Source: "),
        "meta": {"url_date": "2024-04-24"},
    }
    assert lines[8].startswith("Source: ") and lines[20] == "Background:"
    assert "Source:" not in article.body and "patron" not in article.body
    assert (reader.errors, reader.warnings, reader.files_read, reader.articles_read) == ([], [], 1, 1)


def _replace(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new)


VARIANTS: list[tuple[str, Callable[[str], str], dict[str, Any]]] = [
    ("as-is", lambda text: text, {}),
    ("crlf", _replace("\n", "\r\n"), {}),
    ("cr", _replace("\n", "\r"), {}),
    ("bom", lambda text: "\ufeff" + text, {}),
    (
        "nbsp",
        lambda text: text.replace("passenger ferry", "passenger\u00a0ferry").replace("\n", "\u00a0\n"),
        {},
    ),
    ("trailing-whitespace", _replace("\n", " \t \n"), {}),
    *[(f"bullet-{glyph}", _replace("• ", f"{glyph} "), {}) for glyph in "•◦▪-*–"],
    ("bullet-no-space", _replace("• 03", "•03"), {}),
    ("deep-indent", _replace("  • ", "\t    • "), {}),
    ("no-indent", _replace("  • ", "• "), {}),
    ("extra-blank-lines", _replace("\n\n", "\n\n\n\n"), {}),
    ("leading-blank-lines", lambda text: "\n\n \n" + text + "\n\n", {}),
    ("no-date", _replace("• 03/14/2023\n\n", ""), {"date": None}),
    ("iso-date", _replace("03/14/2023", "2023-03-14"), {}),
    ("words-date", _replace("• 03/14/2023", "March 14, 2023"), {}),
    (
        "date-with-time",
        _replace("03/14/2023", "2023-03-14T09:15:00+01:00"),
        {"meta": {"url_date": "2023-03-14", "published_at": "2023-03-14T09:15:00+01:00"}},
    ),
    ("no-url", _replace(URL, ""), {"url": None, "meta": {}}),
    (
        "url-without-date",
        _replace(URL, "https://coastalcourier.example/ferry-line"),
        {"url": "https://coastalcourier.example/ferry-line", "meta": {}},
    ),
    ("no-background", _replace(f"Background:\n\n  • {ITEM_1}\n  • {ITEM_2}\n\n", ""), {"background": []}),
    ("background-lowercase", _replace("Background:", "background"), {}),
    ("background-blank-between-items", _replace(f"{ITEM_1}\n", f"{ITEM_1}\n\n"), {}),
    ("wrapped-item", _replace("dropped for lack of funding.", "dropped\n      for lack of funding."), {}),
    ("no-attribution", _replace("Source: Harbour authority statement\n\n", ""), {"attribution": None}),
    (
        "several-boilerplate-lines",
        lambda text: text.replace(
            f"{PARAGRAPH_2}\n", f"{PARAGRAPH_2}\nShare this article\n\nRead more: Port news\n"
        ).replace(URL, f"Follow us on Mastodon\n{URL}\n\nDonate today to keep us going!\n"),
        {},
    ),
    ("no-outlet", _replace("Coastal Courier\n\n", ""), {"source": None}),
    (
        "multi-line-paragraph",
        _replace("north and south", "north\nand south"),
        {"body": PARAGRAPH_1.replace("north and south", "north\nand south") + "\n\n" + PARAGRAPH_2},
    ),
]


@pytest.mark.parametrize(("transform", "changes"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_layout_variants(tmp_path: Path, transform: Callable[[str], str], changes: dict[str, Any]) -> None:
    [article], reader = read_one(tmp_path, transform(ARTICLE))
    assert fields(article) == {**EXPECTED, **changes}
    assert reader.errors == [] and reader.warnings == []


def test_same_text_gives_same_id_and_id_comes_from_url(tmp_path: Path) -> None:
    [first], _ = read_one(tmp_path, ARTICLE)
    [again], _ = read_one(tmp_path, ARTICLE.replace("\n", "\r\n"))
    [undated], _ = read_one(tmp_path, ARTICLE.replace("• 03/14/2023\n", ""))
    assert first.id == again.id == undated.id == Article(headline="x", url=URL).id


def test_custom_boilerplate_replaces_the_defaults(tmp_path: Path) -> None:
    text = ARTICLE.replace(URL, f"Printed from the Courier archive\n\n{URL}")
    [article], _ = read_one(tmp_path, text, boilerplate=[r"^printed from\b"])
    assert article.body == f"{PARAGRAPH_1}\n\n{PARAGRAPH_2}"
    assert article.background == [ITEM_1, ITEM_2, "Support the Courier and become a member today!"]
    [plain], _ = read_one(tmp_path, text, boilerplate=[])
    assert plain.background[-2:] == [
        "Support the Courier and become a member today!",
        "Printed from the Courier archive",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Support UP or become our patron!",
        "Become a Courier member.",
        "Keep the Ledger strong – donate today!",
        "Please donate to our newsroom",
        "Get the Wire in your inbox – sign up for our free newsletter.",
        "Subscribe to the Herald today!",
        "Independent journalism needs you – join our readers’ fund.",
        "Enjoyed this story? Tell a friend.",
        "Follow us on Telegram",
        "Share this article",
        "Read more: Port news",
        "Read more local stories at the Ledger.",
        "ADVERTISEMENT",
    ],
)
def test_default_boilerplate_lines_are_dropped(tmp_path: Path, line: str) -> None:
    [article], _ = read_one(tmp_path, f"Headline\n\nOutlet\n\nBody text.\n\n{line}\n")
    assert (article.headline, article.source, article.body) == ("Headline", "Outlet", "Body text.")


@pytest.mark.parametrize(
    "paragraph",
    [
        "Residents were asked to donate blood at the town hall on Friday.",
        "She said she would support local farmers in the coming budget talks.",
        "Donate " + "x" * 300,
    ],
)
def test_prose_that_resembles_boilerplate_is_kept(tmp_path: Path, paragraph: str) -> None:
    [article], _ = read_one(tmp_path, f"Headline\n\nOutlet\n\nBody text.\n\n{paragraph}\n")
    assert article.body == f"Body text.\n\n{paragraph}"


def test_several_source_lines_are_joined(tmp_path: Path) -> None:
    text = "Headline\n\nSource: Agency A\n\nBody.\n\nsource:   Agency\n   B\n"
    [article], _ = read_one(tmp_path, text)
    assert (article.body, article.attribution, article.source) == ("Body.", "Agency A; Agency B", None)


@pytest.mark.parametrize(
    "second",
    [
        "Saturday 20 November",  # a weekday and a date
        "Tuesday, 1 March",
        "1945 GMT",  # a time
        "Kick-off 19:45",
        "11/30/2024",
        "30 November",
        "Oakfield Stadium, Port Calder",  # a dateline: place, town
        "PORT CALDER, Nov 30",
        "WASHINGTON",  # a dateline in capitals
        "LOS ANGELES",
        "Result: Rovers 2-1 United",  # a label
        "Rovers win 4-2 on penalties",  # a sentence without its full stop
        "Net users are getting the chance to fight back",
        "The shape of the harbour budget In graphics",
    ],
)
def test_dates_times_datelines_and_sentences_are_never_the_outlet(tmp_path: Path, second: str) -> None:
    [article], reader = read_one(tmp_path, f"Rovers v United\n\n{second}\n\nThe home side won.\n\nMore.\n")
    assert (article.headline, article.source, reader.errors) == ("Rovers v United", None, [])
    assert article.body == f"{second}\n\nThe home side won.\n\nMore."


def test_a_venue_above_a_fixture_date_is_not_the_outlet(tmp_path: Path) -> None:
    text = "Rovers v United\n\nOakfield Park\n\nTuesday, 1 March\n\n1945 GMT\n\nThe home side won.\n"
    [article], _ = read_one(tmp_path, text)
    assert (article.source, article.body.split("\n\n")[0]) == (None, "Oakfield Park")


@pytest.mark.parametrize(
    "outlet",
    ["Coastal Courier", "The Lantern Post", "USA TODAY", "CNN", "CNN (Web News)", "Yahoo! News",
     "Chicago Sun-Times", "Guest Writer - Right", "Investor's Business Daily", "TheBlaze.com",
     "Stars and Stripes", "Le Monde", "France 24"],
)
def test_outlet_names_are_still_recognised(tmp_path: Path, outlet: str) -> None:
    [article], _ = read_one(tmp_path, f"• 01/02/2024\n\nHeadline\n\n{outlet}\n\nBody one.\n\nBody two.\n")
    assert (article.source, article.body) == (outlet, "Body one.\n\nBody two.")


def test_long_first_paragraph_is_body_not_headline(tmp_path: Path) -> None:
    long = "word " * 80
    [article], _ = read_one(tmp_path, f"{long}\n\nSecond paragraph.\n")
    assert (article.headline, article.body) == ("", f"{long.strip()}\n\nSecond paragraph.")


def test_bbc_style_file_without_outlet(tmp_path: Path) -> None:
    [article], _ = read_one(tmp_path, "Short headline\n\nFirst sentence of the story.\n\nSecond one.\n")
    assert fields(article) == {
        "headline": "Short headline",
        "body": "First sentence of the story.\n\nSecond one.",
        "background": [],
        "source": None,
        "date": None,
        "url": None,
        "attribution": None,
        "meta": {},
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "{path}: is not an article: it has no headline or body"),
        (b" \n\r\n\t\n", "{path}: is not an article: it has no headline or body"),
        (b"Support us!\n\nShare this article\n", "{path}: is not an article: it has no headline or body"),
        (
            b"\xe2\x80\xa2 11/30/2024\n\nhttps://example.com/a\n",
            "{path}: is not an article: it has only a date or URL",
        ),
        (
            b"headline\n\nbody\x00\x01\x02\n",
            "{path}:3: contains NUL bytes: a binary file, not a text article "
            "(UTF-16 or UTF-32 text needs a byte order mark; or save it as UTF-8)",
        ),
        (
            "Headline".encode("utf-16-le"),  # no byte order mark
            "{path}:1: contains NUL bytes: a binary file, not a text article "
            "(UTF-16 or UTF-32 text needs a byte order mark; or save it as UTF-8)",
        ),
        (
            b"- 13/45/2023\n\nHeadline\n\nBody.\n",
            "{path}:1: field 'date': '13/45/2023' is not a valid date: month must be in 1..12",
        ),
        (
            b"\xe2\x97\xa6 Sat, 31 Nov 2024\n\nHeadline\n",
            "{path}:1: field 'date': 'Sat, 31 Nov 2024' is not a valid date: day is out of range for month",
        ),
        (
            b"\n\n* 2023-02-30\n\nHeadline\n",
            "{path}:3: field 'date': '2023-02-30' is not a valid date: day is out of range for month",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "only-boilerplate",
        "only-date-and-url",
        "nul-bytes",
        "utf-16-without-bom",
        "bad-date",
        "bad-words-date",
        "bad-iso-date",
    ],
)
def test_files_that_are_not_articles(tmp_path: Path, content: bytes, message: str) -> None:
    articles, reader = read_one(tmp_path, content)
    assert articles == []
    assert [str(error) for error in reader.errors] == [message.format(path=tmp_path / "article.txt")]
    assert all(type(error) is ArticleError for error in reader.errors)
    assert (reader.files_read, reader.articles_read) == (1, 0)


@pytest.mark.parametrize(
    "headline", ["- Talks on the river treaty resume", "• 5 things to know about the 2024 budget", "* 2024 in review"]
)
def test_bulleted_headline_that_is_not_a_date_stays_headline(tmp_path: Path, headline: str) -> None:
    [article], reader = read_one(tmp_path, f"{headline}\n\nBody.\n")
    assert (article.headline, article.date, reader.errors) == (headline, None, [])


def test_twenty_megabyte_body(tmp_path: Path) -> None:
    paragraph = "The quick brown fox reported on the harbour ferry again today. " * 16
    count = 20_000_000 // (len(paragraph) + 2) + 1
    text = "• 01/02/2024\n\nHuge\n\nOutlet\n\n" + "\n\n".join([paragraph] * count) + f"\n\n{URL}\n"
    [article], reader = read_one(tmp_path, text)
    assert len(text) > 20_000_000
    assert len(article.body) == count * len(paragraph.strip()) + (count - 1) * 2
    assert (article.headline, article.source, article.url, reader.errors) == ("Huge", "Outlet", URL, [])


ARTICLE_LINES = st.sampled_from(
    [
        "",
        " ",
        "• 11/30/2024",
        "◦ 2024-13-01",
        "- ",
        "Background:",
        "  • item",
        "Source: x",
        URL,
        "Support us!",
        "\u00a0",
        "\ufeff",
        "\r",
        "• ",
        "* 1/1/1",
        "http://[::1",
        "https://a.example:99999/",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | st.lists(ARTICLE_LINES | st.text(max_size=20), max_size=12).map("\n".join))
def test_parse_text_raises_only_article_errors(text: str) -> None:
    try:
        article = parse_text(text, location="fuzz.txt")
    except ArticleError as error:
        assert error.location is not None and error.location.startswith("fuzz.txt")
    else:
        assert article.headline or article.body


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=300))
def test_reader_never_raises_on_arbitrary_bytes(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.txt"
    path.write_bytes(content)
    reader = read_articles(path)
    articles = list(reader)
    assert len(articles) + len(reader.errors) == 1
    assert all(isinstance(error, SearchkitError) for error in reader.errors)
