"""Did you mean: adjacent swaps count one edit, and the respelling that makes the whole
query match the most articles wins (issue 10, item 15).

The fixture is written so each expectation can be read off it:

* "korea" is in 4 articles, each with "north" and "missile";
* "core" is in 8 articles, 3 of them with "north" and "missile" (so "core" is the more
  frequent respelling of "corea" alone, but "north korea missile" matches 4 articles
  where "north core missile" matches 3);
* "desertion" (term "desert") is in 3 articles, "deserted" in none.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from news_fixtures import make_index

from searchkit import Article, Index
from searchkit.analysis import analyze_query_word
from searchkit.engine.fuzzy import (COUNTED_LETTERS, close_terms, edit_distance, letter_totals, nearby_terms,
                                    possibly_close)
from searchkit.engine.suggest import (_candidate_terms, _letter_frequencies, _letters, _one_edit, close_limit,
                                      one_edit_terms, respellable_words, suggest, written_forms)

CORPUS = [
    *(Article(id=f"korea-{n}", headline=f"North Korea fires missile {n}",
              body="The missile flew north of the capital before it fell into the sea.") for n in range(4)),
    *(Article(id=f"core-plant-{n}", headline=f"Missile plant {n} keeps its core staff",
              body="The plant in the north builds missile parts with a small core team.") for n in range(3)),
    *(Article(id=f"core-prices-{n}", headline=f"Core prices rise for month {n}",
              body="Core inflation rose again, the statistics office said.") for n in range(5)),
    *(Article(id=f"desertion-{n}", headline=f"Soldier {n} tried for desertion",
              body="The court heard the charge of desertion on Tuesday.") for n in range(3)),
]  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return make_index(tmp_path_factory.mktemp("suggest") / "index", CORPUS)


@pytest.mark.parametrize(
    ("query", "total", "suggestion"),
    [
        ("desertoin", 0, "desertion"),  # a swap of "io": one edit
        ("desretion", 0, "desertion"),
        ("north corea missile", 0, "north korea missile"),  # 4 articles together, not core's 3
        ("nroth korea missile", 0, "north korea missile"),
        ("north korea missle", 0, "north korea missile"),
        ("corea", 0, "core"),  # alone, the more frequent respelling wins: 8 articles to 4
        ("korea missile", 4, None),  # correct
        ("desertion", 3, None),
    ],
)
def test_did_you_mean(index: Index, query: str, total: int, suggestion: str | None) -> None:
    results = index.search(query)
    assert (results.total, results.suggestion) == (total, suggestion)
    if suggestion is not None:
        assert index.search(suggestion).total >= 3


# Filters: "desertion" is in 3 Wire articles of 2020; "training" in 4 Post articles and
# "raining" in 10 Wire ones (more than twice as many: a respelling of "training" alone).
FILTERED = [
    *(Article(id=f"desertion-{n}", headline=f"Soldier {n} tried for desertion", body="The court sat on Tuesday.",
              source="Wire", date=f"2020-03-0{n + 1}") for n in range(3)),
    *(Article(id=f"training-{n}", headline=f"Training camp {n} opens", body="Coaches arrived early.",
              source="Post", date="2020-03-01") for n in range(4)),
    *(Article(id=f"raining-{n}", headline=f"Raining again in town {n}", body="Umbrellas sold out.",
              source="Wire", date="2020-03-01") for n in range(10)),
]  # fmt: skip

FILTERED_CASES = [
    ("desertoin", {}, 0, "desertion"),
    ("desertoin", {"sources": ["Wire"]}, 0, "desertion"),  # the respelling finds 3 within the filter
    ("desertoin", {"sources": ["Post"]}, 0, None),  # ... and none here: nothing to suggest
    ("desertoin", {"since": "2020-03-02"}, 0, None),  # 2 within the dates: fewer than 3
    ("training", {"sources": ["Wire"]}, 0, None),  # 4 articles without the filter: spelled as they spell it
    ("trainnig", {"sources": ["Post"]}, 0, "training"),
]


@pytest.mark.parametrize(("query", "filters", "total", "suggestion"), FILTERED_CASES)
def test_a_suggestion_is_checked_within_the_filters(tmp_path: Path, query: str, filters: dict[str, object],
                                                    total: int, suggestion: str | None) -> None:
    index = make_index(tmp_path / "index", FILTERED)
    results = index.search(query, **filters)  # type: ignore[arg-type]
    assert (results.total, results.suggestion) == (total, suggestion)
    if suggestion is not None:
        assert index.search(suggestion, **filters).total >= 3  # type: ignore[arg-type]


def test_a_suggestion_is_checked_in_the_mode_of_the_query(index: Index) -> None:
    # "any" mode matches "north" and "missile" anyway: 7 articles, no suggestion needed.
    assert (index.search("north corea missile", mode="any").total, index.search("north corea missile", mode="any").suggestion) == (7, None)


@pytest.mark.parametrize(
    ("a", "b", "limit", "distance"),
    [
        ("desertoin", "desertion", 2, 1),
        ("ab", "ba", 1, 1),
        ("ca", "abc", 3, 3),  # optimal string alignment never edits a swapped pair again (full Damerau: 2)
        ("flod", "flood", 1, 1),
        ("corea", "korea", 1, 1),
        ("wildfrie", "wildfire", 1, 1),
        ("kitten", "sitting", 2, 3),  # over the limit: limit + 1
        ("", "abc", 3, 3),
    ],
)
def test_edit_distance_counts_an_adjacent_swap_as_one_edit(a: str, b: str, limit: int, distance: int) -> None:
    assert edit_distance(a, b, limit) == edit_distance(b, a, limit) == distance


def test_fuzzy_words_reach_a_swapped_spelling(tmp_path: Path) -> None:
    index = make_index(tmp_path / "index", [Article(id="fire", headline="Wildfire spreads", body="Crews fight the blaze.")])
    # "wildfri" (the term of "wildfrie") and "wildfir" differ by one swap: distance 1.
    assert [hit.id for hit in index.search("wildfrie~1").hits] == ["fire"]


def test_terms_too_long_to_count_letters_are_still_compared_exactly(tmp_path: Path) -> None:
    # Terms over COUNTED_LETTERS letters skip the letter-count filter (so an 8 MB term costs
    # nothing there) but are still compared exactly: a one-letter change still finds them.
    long_word = "b" * (COUNTED_LETTERS + 45)
    index = make_index(tmp_path / "index", [Article(id="long", headline="Odd", body=f"A {long_word} here.")])
    assert [hit.id for hit in index.search(long_word[:-1] + "c~1").hits] == ["long"]
    assert index.search(long_word[:-2] + "cc~1").hits == []


def test_no_suggestion_once_the_time_limit_has_passed(index: Index) -> None:
    snapshot = index._current()
    arguments = dict(mode="auto", ranking=index.ranking)
    assert suggest(snapshot, "desertoin", 0, **arguments) == "desertion"  # type: ignore[arg-type]
    assert suggest(snapshot, "desertoin", 0, deadline=time.perf_counter() - 1, **arguments) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("word", ["corea", "desertoin", "thw", "dyng", "runing", "x", "missle", "xyzzyq"])
def test_respellings_of_a_plain_word_are_the_terms_of_its_one_edit_spellings(word: str) -> None:
    # Words of a-z letters only are stemmed many at once; the terms must be those that
    # analysing each spelling one edit away gives ("thw" -> "the" is a stop word: none).
    [term] = analyze_query_word(word)
    expected = set()
    for variant in _one_edit(word):
        terms = analyze_query_word(variant)
        if len(terms) == 1 and terms[0] != term:
            expected.add(terms[0])
    assert one_edit_terms(word, term) == expected


def test_close_terms_are_the_same_with_the_letter_totals_filter(index: Index) -> None:
    [loaded] = index._current().segments
    reader = loaded.reader
    counts = reader.letter_counts()
    vocabulary = reader.terms.as_list()
    for word in ["corea", "missle", "desertoin", "nroth", "inflaton", "statistic"]:
        limit = close_limit(word)
        lo, hi = reader.term_range(word[0])
        found = close_terms(word, limit, lo, hi, vocabulary, counts, letter_totals(counts))
        assert found == close_terms(word, limit, lo, hi, vocabulary, counts)
    assert [vocabulary[n] for n in close_terms("corea", 1, 0, len(vocabulary), vocabulary, counts,
                                                 letter_totals(counts))] == ["core", "korea"]


def test_letter_counts_of_one_first_letter_find_what_the_whole_vocabulary_finds(index: Index) -> None:
    # Suggesting counts the letters of the terms that share the word's first letter only
    # (the first misspelt word after opening no longer counts the whole vocabulary's), and
    # takes the terms of nearby letter totals as a slice of those ordered by total.
    snapshot = index._current()
    [loaded] = snapshot.segments
    reader = loaded.reader
    whole = reader.letter_counts()
    for first in "cdkmnz":
        lo, hi = reader.term_range(first)
        terms, letters = _letters(snapshot, first)
        assert terms == reader.terms.as_list()[lo:hi]
        assert letters.counts.tolist() == whole[lo:hi].tolist()
        assert letters.totals.tolist() == sorted(letter_totals(whole)[lo:hi].tolist())
        for word in ["corea", "core", "cor", "desertoin", "korea", "kore", "missle", "nroth", "zz", "c" * 300]:
            for limit in (1, 2):
                with_totals = possibly_close(word, limit, lo, hi, whole, letter_totals(whole)).tolist()
                assert (nearby_terms(word, limit, letters) + lo).tolist() == with_totals
                assert with_totals == possibly_close(word, limit, lo, hi, whole).tolist()
    terms, letters = _letters(snapshot, "c")
    assert [terms[n] for n in nearby_terms("corea", 1, letters).tolist()] == ["core"]


def test_the_terms_of_a_letter_are_those_of_every_segment_once(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add_many([Article(id="a", headline="Koala keeper", body="The koala kept a kettle.")])
    index.add_many([Article(id="b", headline="Kettle koala", body="A keeper and a kite.")])
    snapshot = index._current()
    assert len(snapshot.segments) == 2
    terms, letters = _letters(snapshot, "k")
    assert terms == ["keeper", "kept", "kettl", "kite", "koala"]
    assert [terms[n] for n in nearby_terms("kettle", 1, letters).tolist()] == ["kettl"]


def test_terms_too_long_to_count_are_always_checked(tmp_path: Path) -> None:
    # A term longer than COUNTED_LETTERS has no letter counts: it is among the terms
    # checked exactly, whatever its length, and found when it is close.
    long_word = "k" * (COUNTED_LETTERS + 1)
    index = make_index(tmp_path / "index", [Article(id="long", headline="Long words", body=f"{long_word} koala")])
    terms, letters = _letters(index._current(), "k")
    assert [terms[n] for n in nearby_terms("kaola", 1, letters).tolist()] == sorted([long_word, "koala"])
    assert [terms[n] for n in nearby_terms(long_word[:-1], 1, letters).tolist()] == [long_word]


def test_a_respelling_only_a_later_segment_holds_is_suggested(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add_many([Article(id="plain", headline="Harbour news", body="Nothing about it.")])
    index.add_many([Article(id=f"desertion-{n}", headline=f"Soldier {n} tried for desertion",
                            body="The court heard the charge.") for n in range(3)])
    assert len(index._current().segments) == 2
    assert index.search("desertoin").suggestion == "desertion"


def test_written_forms_are_counted_in_the_order_they_first_occur() -> None:
    # The forms a suggestion is spelled from: every raw token whose terms hold the term
    # (compounds by their parts, possessives without 's), normalized, counted.
    text = "Floods hit Flood-plain towns; the flood’s edge. FLOODS again, floods."
    assert list(written_forms(text, "flood").items()) == [("floods", 3), ("flood-plain", 1), ("flood’s", 1)]
    assert written_forms(text, "edg") == {"edge": 1}
    assert written_forms(text, "drought") == {}


def test_candidates_are_only_the_close_terms_that_may_pass(tmp_path: Path) -> None:
    # A frequent word's candidates are cut by their summed frequencies before any is measured:
    # the same terms and distances as measuring every close term, then keeping those whose
    # frequencies summed over fields and segments exceed max(2 * own, own + 1).
    index = Index.create(tmp_path / "index", refresh_interval=0)
    index.add_many(CORPUS[:9])
    index.add_many(CORPUS[9:])
    snapshot = index._current()
    assert len(snapshot.segments) == 2
    readers = [loaded.reader for loaded in snapshot.segments]
    vocabulary = sorted({term for reader in readers for term in reader.terms.as_list()})

    def summed(term: str) -> int:
        return sum(sum(reader.doc_frequencies(number)) for reader in readers if (number := reader.term_id(term)) >= 0)

    assert [summed(term) for term in _letters(snapshot, "c")[0]] == _letter_frequencies(snapshot, "c").tolist()
    for word in ["corea", "core", "korea", "kore", "missle", "desertoin", "nroth", "statistic"]:
        [respellable] = respellable_words(word)
        term = respellable.term
        one_edit = one_edit_terms(word, term)
        expected_all = {candidate: 1 for candidate in vocabulary if candidate in one_edit}
        for candidate in vocabulary:
            limit = close_limit(term)
            if candidate[0] == term[0] and candidate != term and candidate not in expected_all:
                if (distance := edit_distance(term, candidate, limit)) <= limit:
                    expected_all[candidate] = distance
        for own in (0, 1, 3, 4, 8):
            expected = {candidate: distance for candidate, distance in expected_all.items()
                        if summed(candidate) > max(2 * own, own + 1)}
            assert _candidate_terms(snapshot, word, term, own) == expected, (word, own)
    assert _candidate_terms(snapshot, "corea", "corea", 3) == {"core": 1}  # in 8 articles, korea in 4
