"""Hand-written wire copies: two wire stories, each reprinted with small edits, and articles
on the same subjects written by other newsrooms (which are not copies).

==================  ================  ==========  ===========================================
id                  source            date        what it is
==================  ================  ==========  ===========================================
dam-wire            Wire Service      2024-05-02  the dam story as the wire sent it
dam-gazette         Valley Gazette    2024-05-02  the same text under another headline
dam-trimmed         Harbor Daily      2024-05-03  the same text with its last paragraph cut
dam-dateline        The Lantern Post  2024-05-02  a dateline before it, a credit line after
dam-analysis        Valley Gazette    2024-05-04  the dam story in other words: not a copy
budget-wire         Wire Service      2024-06-10  the budget story as the wire sent it
budget-copy         (none)            (none)      the same text under another headline
budget-column       The Lantern Post  2024-06-11  a column on the same vote: not a copy
leopard-cubs        Harbor Daily      2024-06-12  alone
==================  ================  ==========  ===========================================

So the groups are {dam-wire, dam-gazette, dam-trimmed, dam-dateline} and
{budget-wire, budget-copy}; every other article is alone.
"""

from __future__ import annotations

from datetime import date

from searchkit import Article

DAM_BODY = [
    "Engineers were still searching on Thursday for the cause of the failure of the Olm dam, "
    "which sent a wall of water through three villages in the upper valley before dawn.",
    "Local officials said forty-one people had been taken to hospital in Kestrel Bridge and "
    "that rescue teams with boats were working house by house through the flooded streets of "
    "Lower Olm and Marrow End, where the water reached the first floors.",
    "The regional water authority, which has operated the earth dam since 1974, said an "
    "inspection in March had found seepage on its eastern face but no sign of danger, and "
    "that it would publish the inspection report in full by the end of the week.",
    "Farmers downstream said they had complained for years about cracks in the spillway. "
    "The authority's chief executive, Miriam Castell, told reporters that an independent "
    "panel would review every dam the authority runs.",
    "Railway services between Kestrel Bridge and the coast were suspended after the water "
    "washed away part of an embankment, and the army sent two bridging units to the valley.",
]
BUDGET_BODY = [
    "The city council approved a budget of 412 million crowns late on Monday after a session "
    "that ran past midnight, with bus fares frozen for a second year and library hours cut.",
    "Councillors voted twenty-three to eighteen for the plan drawn up by the finance committee, "
    "which also raises parking charges in the centre and delays the new swimming pool to 2027.",
    "The opposition said the library cuts would hurt students most, and promised to restore "
    "the evening hours if it wins next spring's election.",
]

WIRE: tuple[Article, ...] = (
    Article(id="dam-wire", headline="Dam failure floods three villages in the Olm valley",
            body="\n\n".join(DAM_BODY), source="Wire Service", date=date(2024, 5, 2)),
    Article(id="dam-gazette", headline="Wall of water: night of terror in the upper valley",
            body="\n\n".join(DAM_BODY), source="Valley Gazette", date=date(2024, 5, 2)),
    Article(id="dam-trimmed", headline="Dam failure floods three villages in the Olm valley",
            body="\n\n".join(DAM_BODY[:4]), source="Harbor Daily", date=date(2024, 5, 3)),
    Article(id="dam-dateline", headline="Olm dam gives way, three villages flooded",
            body="KESTREL BRIDGE, May 2 (Wire Service) - " + "\n\n".join(DAM_BODY)
            + "\n\nReporting by Ana Ruiz; editing by Tom Hale. Copyright The Lantern Post.",
            source="The Lantern Post", date=date(2024, 5, 2)),
    Article(id="dam-analysis", headline="Why the Olm dam failed, and who knew",
            body="Nobody in Kestrel Bridge was surprised when the old earth dam gave way. For a decade "
                 "farmers below it had photographed the cracks in its spillway and sent the pictures to "
                 "the water authority, which answered each letter with the same promise of a review. "
                 "The villages of Lower Olm and Marrow End paid for that delay this week, when the "
                 "flood reached their first floors before dawn and forty-one people went to hospital.",
            source="Valley Gazette", date=date(2024, 5, 4)),
    Article(id="budget-wire", headline="Council passes budget, freezes bus fares",
            body="\n\n".join(BUDGET_BODY), source="Wire Service", date=date(2024, 6, 10)),
    Article(id="budget-copy", headline="Library hours cut in late-night budget vote",
            body="\n\n".join(BUDGET_BODY)),
    Article(id="budget-column", headline="A budget that forgets the students",
            body="Monday's late-night budget vote froze bus fares again, which is welcome, but the "
                 "council found the money by cutting library evening hours, the only quiet place many "
                 "students have. Twenty-three councillors chose parking charges and a delayed pool "
                 "over the reading rooms; the opposition promises to undo it next spring.",
            source="The Lantern Post", date=date(2024, 6, 11)),
    Article(id="leopard-cubs", headline="Zoo welcomes two leopard cubs",
            body="The city zoo's snow leopards have had twins, keepers said, the first cubs born there "
                 "in eleven years. Visitors can see them from June.",
            source="Harbor Daily", date=date(2024, 6, 12)),
)
