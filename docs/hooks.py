"""MkDocs hook: the guide page is the README itself, so the two never drift apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"


def on_page_read_source(page: Any, config: Any) -> str | None:
    if page.file.src_uri == "index.md":
        text = README.read_text(encoding="utf-8")
        # The README links files of the repository (docs/serve-page.png): from the site's root
        # they are beside the page.
        return text.replace("](docs/", "](")
    return None
