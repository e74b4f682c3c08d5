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
    links: list[Link] = field(default_factory=list)
    canonical: str | None = None
    robots_noindex: bool = False
    robots_nofollow: bool = False
    soft_404: bool = False
