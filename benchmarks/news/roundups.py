"""The AllSides story roundups (``../shared/data/allsides-roundups``, read its PROVENANCE.md)
as searchkit articles and as a search test: each story's neutral headline (``issue``) is a
query and the story's 2-3 articles are its relevant documents."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from searchkit import Article, Index

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"
_URL_DAY = re.compile(r"/(20\d\d)/(\d\d)/(\d\d)/")


@dataclass(frozen=True)
class Story:
    id: str
    issue: str
    article_ids: tuple[str, ...]


Dates = Literal["url-or-roundup", "url", "none"]


def load(data: Path = DEFAULT_DATA, *, dates: Dates = "url-or-roundup") -> tuple[list[Article], list[Story]]:
    """The 1,479 articles (dated from the URL, else the roundup's day) and the stories that have any.

    ``dates="url"``: only the 541 articles whose URL holds a date are dated (the roundup's day
    is shared by the whole story, which flatters any use of dates); ``"none"``: all undated.
    """
    articles: list[Article] = []
    stories: list[Story] = []
    path = Path(data) / "allsides-roundups" / "roundups.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        story_day = dt.date.fromisoformat(record["date"][:10])
        ids = []
        for slot, item in sorted((record.get("news") or {}).items()):
            if not item or not item.get("newsTitle"):
                continue
            link = item.get("newsLink") or ""
            found = _URL_DAY.search(link)
            day: dt.date | None = story_day if dates == "url-or-roundup" else None
            if found and dates != "none":
                try:
                    day = dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
                except ValueError:
                    pass
            article_id = f"{record['id']}-{slot}"
            body = "\n\n".join(p.strip() for p in item.get("newBody") or [] if p.strip()) or item["newsTitle"]
            articles.append(Article(id=article_id, headline=item["newsTitle"], body=body,
                                    source=item.get("newsSource") or None, date=day))
            ids.append(article_id)
        if ids:
            stories.append(Story(str(record["id"]), record["issue"], tuple(ids)))
    return articles, stories


def build(folder: Path, data: Path = DEFAULT_DATA) -> tuple[Index, list[Story]]:
    articles, stories = load(data)
    index = Index.create(folder)
    index.add_many(articles)
    return index, stories
