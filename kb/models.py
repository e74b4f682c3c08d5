"""Plain data passed between the stages: extracted documents, per-URL fetch state, run reports."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FORMATS = ("html", "pdf", "docx", "pptx")


def text_hash(text: str) -> str:
    """Content hash of normalised text: whitespace changes are not changes."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass
class Document:
    """One extracted document as stored; the index is built from these alone."""

    url: str
    source: str
    organisation: str
    title: str
    text: str
    format: str = "html"  # one of FORMATS
    description: str = ""
    headings: list[str] = field(default_factory=list)
    published: date | None = None
    modified: date | None = None
    language: str = "sv"
    page_count: int | None = None
    page_starts: list[int] = field(default_factory=list)  # offset in ``text`` where each PDF page / slide begins
    size: int = 0  # bytes of the fetched body
    content_hash: str = ""  # text_hash(text) unless set
    simhash: int = 0  # 64-bit near-duplicate fingerprint (0 = not computed)
    dup_of: str | None = None  # URL of the canonical copy when this is a duplicate
    locations: list[str] = field(default_factory=list)  # other URLs with the same content
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = text_hash(self.title + "\n" + self.text)


@dataclass
class FetchState:
    """What the crawler knows about one URL between runs."""

    url: str
    source: str
    status: str = "new"  # ok | not_modified | gone | error | skipped | redirect | not_indexable
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    first_seen: datetime | None = None
    last_fetched: datetime | None = None
    last_changed: datetime | None = None
    sitemap_lastmod: datetime | None = None
    failures: int = 0  # consecutive failures
    gone_count: int = 0  # consecutive runs the URL was confirmed gone
    reason: str | None = None  # last failure reason
    last_night: int = 0  # crawl-night counter at the last request (the retry backoff counts nights)


@dataclass
class SourceReport:
    """Per-source figures for one run (the librarian's digest reads these)."""

    source: str
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0  # 304, same hash or sitemap lastmod skip
    skipped: int = 0  # informational: not stored, not a failure (e.g. an error page at a new URL)
    removed: int = 0
    failed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    status: str = "ok"  # ok | partial | unreachable | skipped
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (url, reason, detail)
    notes: list[str] = field(default_factory=list)
    skips: list[tuple[str, str, str]] = field(default_factory=list)  # (url, reason, detail); never change the exit code
    not_followed: int = 0  # links left unfollowed because max_depth, max_pages or max_time was reached

    def failed_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _url, reason, _detail in self.failures:
            out[reason] = out.get(reason, 0) + 1
        return out


@dataclass
class CrawlReport:
    """What one crawl run did, per source."""

    run_id: int
    sources: dict[str, SourceReport] = field(default_factory=dict)
    started: datetime | None = None
    finished: datetime | None = None

    @property
    def all_unreachable(self) -> bool:
        return bool(self.sources) and all(r.status == "unreachable" for r in self.sources.values())

    @property
    def any_failed(self) -> bool:
        return any(r.failed or r.status != "ok" for r in self.sources.values())
