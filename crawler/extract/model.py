"""The extraction result types (kept apart so format modules can import them without cycles)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Link:
    """A link found anywhere on a page; ``url`` is absolute but not normalised."""

    url: str
    text: str = ""
    nofollow: bool = False
    rel: str = ""  # the link's rel tokens, lower-case, space-separated ("next", "prev", "nofollow" …)


@dataclass
class Extracted:
    """What extraction found in one body: main-content text plus metadata and all links."""

    title: str
    text: str
    format: str  # html | pdf | docx | pptx
    description: str = ""
    headings: list[str] = field(default_factory=list)
    published: date | None = None
    modified: date | None = None
    language: str = "sv"
    page_count: int | None = None
    page_starts: list[int] = field(default_factory=list)  # character offset in ``text`` where each page/slide begins
    links: list[Link] = field(default_factory=list)
    canonical: str | None = None
    robots_noindex: bool = False
    robots_nofollow: bool = False
    soft_404: bool = False


def join_pages(pages: list[str], sep: str = "\n\n") -> tuple[str, list[int]]:
    """The pages' texts joined with ``sep`` (empty pages left out) and the offset where each page begins.

    An empty page begins where the next non-empty one does, so ``bisect_right(starts, offset)`` names the
    page holding ``offset`` (1-based)."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for page in pages:
        starts.append(pos)
        if page:
            parts.append(page)
            pos += len(page) + len(sep)
    text = sep.join(parts)
    return text, [min(s, len(text)) for s in starts]
