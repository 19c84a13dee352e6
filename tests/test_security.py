"""Security: escaping, fields a query cannot reach, paths, file modes.

* HTML snippets escape everything that comes from the article, in every snippet field:
  tags, attribute-breaking quotes, entities (which must not be decoded), even when a
  highlight falls inside markup; terminal escapes never reach ANSI output.
* A query cannot read what is not searchable: ids, URLs, attribution and ``meta`` hold a
  secret word that no form of query (plain, prefix, fuzzy, phrase, field-scoped) finds,
  and spelling suggestions never offer it.
* Paths: a bare index name always stays under ``indexes/``; article data never becomes a
  file name; nothing is written outside the index folder.
* Index folders are 0700 and their files 0600, whatever the umask.
"""

from __future__ import annotations

import html
import os
import re
import stat
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit import Article, Index, UnsafePathError
from searchkit.cli import main
from searchkit.index import resolve_index_path

MARKS = re.compile(r"</?mark>")


# ---------------------------------------------------------------------------------------
# HTML snippets

HOSTILE = Article(
    id="hostile",
    headline="<script>alert(\"flood\")</script> & 'flood' &lt;b&gt;",
    body=(
        'The flood report said "><img src=x onerror=alert(1)> and </textarea><svg onload=alert(2)>. '
        "Residents wrote &amp; &#x3C;script&#x3E; &quot;flood&quot; in the margin."
    ),
    background=["<a href='javascript:alert(3)' title=\"flood\">flood</a> &copy; <!-- flood -->"],
)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("security") / "index", refresh_interval=0)
    index.add(HOSTILE)
    return index


def expected_html(text: str, highlights: list[tuple[int, int]]) -> str:
    pieces, at = [], 0
    for start, end in highlights:
        pieces += [html.escape(text[at:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        at = end
    return "".join(pieces) + html.escape(text[at:])


@pytest.mark.parametrize("query", ["flood", "script alert img", "flood OR onerror OR href OR quot OR amp", "*"])
def test_html_snippets_escape_everything_from_the_article(hostile_index: Index, query: str) -> None:
    [hit] = hostile_index.search(query, mode="any").hits
    fields = [snippet.field for snippet in hit.snippets]
    if query != "*":
        assert fields == ["headline", "body", "background"]
    for snippet in hit.snippets:
        rendered = snippet.render("html")
        plain = MARKS.sub("", rendered)
        assert not set("<>\"'") & set(plain), rendered
        assert html.unescape(plain) == snippet.text  # entities in the article stay text
        assert rendered == expected_html(snippet.text, snippet.highlights)


def test_highlights_inside_markup_are_escaped_around_the_mark(hostile_index: Index) -> None:
    [hit] = hostile_index.search("script").hits
    [headline, body] = [s for s in hit.snippets if s.field in ("headline", "body")]
    assert headline.render("html") == (
        "&lt;<mark>script</mark>&gt;alert(&quot;flood&quot;)&lt;/<mark>script</mark>&gt; "
        "&amp; &#x27;flood&#x27; &amp;lt;b&amp;gt;"
    )
    assert "&amp;#x3C;<mark>script</mark>&amp;#x3E;" in body.render("html")


def test_terminal_escapes_never_reach_ansi_output(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add(Article(id="t", headline="\x1b]0;pwned\x07Flood \x1b[2J warning", body="Flood\x1b[8m hidden\x9b31m."))
    [hit] = index.search("flood").hits
    for snippet in hit.snippets:
        assert MARKS.sub("", snippet.render("ansi").replace("\x1b[1;33m", "").replace("\x1b[0m", "")) == snippet.text
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", snippet.text)


# ---------------------------------------------------------------------------------------
# Fields a query cannot reach

SECRET = "zqxsecret"


@pytest.fixture(scope="module")
def secret_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("secret") / "index", refresh_interval=0)
    index.add_many([
        Article(
            id=f"{SECRET}-1",
            headline="Council meets on Tuesday",
            body="The council discussed the harbour budget.",
            url=f"https://news.example/{SECRET}/council?token={SECRET}",
            attribution=f"Agency {SECRET} wire",
            meta={SECRET: SECRET, "author": f"{SECRET} Smith", "tags": [SECRET]},
        ),
        *(Article(id=f"other-{n}", headline="Harbour budget", body="The council published its budget.")
          for n in range(4)),
    ])
    return index


@pytest.mark.parametrize(
    "query",
    [
        SECRET, f"{SECRET[:4]}*", f"{SECRET}~1", f"{SECRET[:-1]}~2", f'"{SECRET}"', f"+{SECRET} budget",
        f"url:{SECRET}", f"id:{SECRET}-1", f"meta:{SECRET}", f"meta.{SECRET}:{SECRET}", f"attribution:{SECRET}",
        f"author:{SECRET}", f"tags:{SECRET}", f"headline:{SECRET}", f"body:{SECRET}*", f"background:{SECRET}",
        f"source:{SECRET}", "token", "smith", "agency", "news.example", f"{SECRET}-1",
    ],
)
def test_a_query_cannot_reach_fields_that_are_not_searchable(secret_index: Index, query: str) -> None:
    results = secret_index.search(query, mode="all")
    assert (results.total, results.suggestion) == (0, None)


def test_spelling_suggestions_never_offer_an_unsearchable_word(secret_index: Index) -> None:
    for query in (SECRET[:-1] + "x", SECRET.upper(), "councel " + SECRET[:-2]):
        results = secret_index.search(query)
        assert SECRET not in (results.suggestion or "")
    assert secret_index.search("councel budjet").suggestion == "council budget"


# ---------------------------------------------------------------------------------------
# Paths


@settings(max_examples=300, derandomize=True, deadline=None)
@given(name=st.text(alphabet=st.sampled_from(string.printable + "\x00.\u2024\uff0e\u2215\uff0f"), max_size=12))
def test_a_bare_index_name_stays_under_home(name: str) -> None:
    home = Path("/srv/app/indexes")
    try:
        path = resolve_index_path(name, home=home)
    except UnsafePathError:
        return
    if "/" in name or name.startswith("~"):
        assert path == Path(os.path.expanduser(name))  # a path, taken as given
    else:
        assert path.parent == home and path.name == name and name not in (".", "..")
        assert os.path.normpath(path) == str(path)


@pytest.mark.parametrize("name", ["..", ".", "...", ".hidden", "..x", "x\x00", "a\\..\\b", "", " ", "\u2025"])
def test_names_that_could_leave_home_are_refused(name: str) -> None:
    with pytest.raises(UnsafePathError):
        resolve_index_path(name, home=Path("indexes"))


def test_a_tilde_path_of_an_unknown_user_stays_as_typed() -> None:
    # Path.expanduser raised RuntimeError here, which the CLI did not catch.
    assert resolve_index_path("~nosuchuser0/news") == Path("~nosuchuser0/news")
    assert resolve_index_path("~/news") == Path.home() / "news"


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """The most permissive umask, so private modes cannot come from the umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def tree(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode) for path in sorted(folder.rglob("*"))}


PATHLIKE_IDS = ["../../escaped", "/etc/passwd", "..\\..\\x", "CON", "x/../../y", "~root", "MAIN_WRITELOCK"]


def test_article_data_never_becomes_a_file_name(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add_many(Article(id=i, headline=f"Notice {i}", source=i, body="x") for i in PATHLIKE_IDS)
    index.delete(PATHLIKE_IDS[:2])
    index.optimize()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]
    names = sorted(tree(tmp_path / "index"))
    assert [n for n in names if not re.fullmatch(r"MAIN_WRITELOCK|searchkit\.json|_MAIN_\d+\.toc|MAIN_\w+\.skseg|MAIN_\d+\.skstory", n)] == []
    assert sorted(a.id for a in index.articles()) == sorted(PATHLIKE_IDS[2:])


def test_index_folders_and_files_are_private_whatever_the_umask(tmp_path: Path, umask_zero: None) -> None:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add_many(Article(id=f"a{n}", headline=f"Notice {n}", body="x") for n in range(5))
    index.delete(["a0"])
    modes = tree(tmp_path / "index")
    assert stat.S_IMODE((tmp_path / "index").stat().st_mode) == 0o700
    assert {name for name in modes if name.endswith(".skseg")} and "MAIN_WRITELOCK" in modes
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {}


def test_the_cli_writes_only_inside_the_named_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed.jsonl").write_text(
        '{"id": "../../evil", "title": "Escape", "body": "x"}\n{"id": "bad", "title": "", "body": ""}\n'
    )
    before = set(tree(tmp_path))
    assert main(["index", "feed.jsonl", "--index", "news", "--quiet"]) == 0
    created = set(tree(tmp_path)) - before
    assert created and all(name.startswith(os.path.join("indexes", "news")) or name == "indexes" for name in created)
    assert main(["stats", "--index", "../news"]) == 1  # a path, taken as given: nothing there
    assert not (tmp_path.parent / "news").exists()


def test_the_rejection_report_is_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_zero: None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed.jsonl").write_text('{"id": "ok", "title": "Fine", "body": "x"}\n{"id": "bad"}\n')
    assert main(["index", "feed.jsonl", "--index", str(tmp_path / "index"), "--quiet"]) == 0
    [report] = (tmp_path / "index" / "reports").iterdir()
    assert stat.S_IMODE((tmp_path / "index" / "reports").stat().st_mode) == 0o700
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
