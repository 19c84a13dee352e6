"""A small hand-written news corpus whose every count can be worked out by hand.

Ten articles from three outlets (one article has no source, two have no date), written so
that each query in the tests has an answer you can read off this file:

=================  ================  ============  =============================================
id                 source            date          what it is there for
=================  ================  ============  =============================================
river-rises        Harbor Daily      2024-03-04    "floods" in the body, Novo-Karsk, river ... banks
flood-evacuation   harbor daily      2024-03-05    "Flooding" and 7,400 in the headline, José, mayor
flood-insurance    Valley Gazette    2024-04-10    "flooded" in headline and background, Novokarsk, 64, 2022
budget-draft       Valley Gazette    2024-01-15    budget, bus fares, the mayor's office
budget-vote        The Lantern Post  2024-01-30    budget, Jose (no accent), late-night
fare-protest       (none)            2024-02-20    fares, commuters; same day as river-footpath
leopard-cubs       The Lantern Post  (none)        leopard, the only zoo story
river-footpath     Harbor Daily      2024-02-20    the phrase "river bank"
bank-museum        Valley Gazette    2023-11-28    "bank, river" (the reverse order)
library-quiz       Valley Gazette    (none)        undated, for the undated-last tie
=================  ================  ============  =============================================

The words "flood", "river", "bank", "budget", "fare", "mayor" and "leopard" occur only
where the table says. The second Harbor Daily article spells its source in lower case, so
the facet's display name ("Harbor Daily") is the first-indexed spelling.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from searchkit import Article, Index, SearchResults

NEWS: tuple[Article, ...] = (
    Article(
        id="river-rises",
        headline="River Olm rises after a week of rain",
        body=(
            "The river burst its banks near the old mill on Monday. Residents of Novo-Karsk carried "
            "furniture upstairs as floods reached the market square."
        ),
        source="Harbor Daily",
        date=date(2024, 3, 4),
        url="https://harbordaily.example/2024/03/04/river-olm-rises",
    ),
    Article(
        id="flood-evacuation",
        headline="Flooding forces 7,400 people from their homes",
        body=(
            "Mayor José Ferreira ordered the evacuation of the lower town on Tuesday. "
            "Coaches took families to the sports hall."
        ),
        source="harbor daily",
        date=date(2024, 3, 5),
        url="https://harbordaily.example/2024/03/05/flood-evacuation",
    ),
    Article(
        id="flood-insurance",
        headline="Insurers slow to pay for flooded homes",
        body="Families in Novokarsk say their claims have taken months. One adjuster visited 64 houses in a single week.",
        background=["The same street flooded in 2022."],
        source="Valley Gazette",
        date=date(2024, 4, 10),
    ),
    Article(
        id="budget-draft",
        headline="Council publishes its draft budget",
        body=(
            "The draft raises bus fares by ten cents and freezes library hours. "
            "The mayor's office will answer questions at a public meeting."
        ),
        source="Valley Gazette",
        date=date(2024, 1, 15),
    ),
    Article(
        id="budget-vote",
        headline="Budget passes after a late-night vote",
        body="Councillors approved the budget by 9 votes to 4. Jose Ferreira abstained.",
        source="The Lantern Post",
        date=date(2024, 1, 30),
    ),
    Article(
        id="fare-protest",
        headline="Commuters protest against higher fares",
        body="About 300 commuters gathered outside the bus depot. They said the rise hits night workers hardest.",
        date=date(2024, 2, 20),
    ),
    Article(
        id="leopard-cubs",
        headline="Two snow leopard cubs born at the city zoo",
        body="Keepers said the cubs and their mother are healthy. Visitors can see them from May.",
        source="The Lantern Post",
    ),
    Article(
        id="river-footpath",
        headline="Footpath along the river bank reopens",
        body="Walkers can again use the path from the mill to the weir.",
        source="Harbor Daily",
        date=date(2024, 2, 20),
    ),
    Article(
        id="bank-museum",
        headline="Old bank building to become a museum",
        body="The bank, river customs office and harbour master's house once stood side by side.",
        source="Valley Gazette",
        date=date(2023, 11, 28),
    ),
    Article(
        id="library-quiz",
        headline="Library quiz night raises money for new books",
        body="Teams of four answered questions on history, sport and music.",
        source="Valley Gazette",
    ),
)

BY_ID = {article.id: article for article in NEWS}


def make_index(path: Path, articles: Iterable[Article] = NEWS) -> Index:
    """A new index at ``path`` holding ``articles``, seeing every commit at once."""
    index = Index.create(path, refresh_interval=0)
    index.add_many(articles)
    return index


def ids(results: SearchResults) -> list[str]:
    """The ids of the hits, in order."""
    return [hit.id for hit in results.hits]


def found(index: Index, query: str, **options: object) -> list[str]:
    """Every matching id, oldest first (undated last, ties by id), so sets read as lists."""
    results = index.search(query, sort="oldest", limit=100, **options)  # type: ignore[arg-type]
    assert results.total == len(results.hits)
    return ids(results)


def story(article_id: str, body: str, *, headline: str = "Weekend news", **fields: object) -> Article:
    """A short article for ranking cases, where only the body (and id) matter."""
    return Article(id=article_id, headline=headline, body=body, **fields)
