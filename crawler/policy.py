"""The per-page policy: what one fetched and extracted body means for the store, as a pure function."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.dedup import simhash
from crawler.extract import EXTRACTOR_VERSIONS
from crawler.extract.model import Extracted
from crawler.fetch import FetchResult
from crawler.frontier import is_pagination
from crawler.politeness import x_robots_tag
from crawler.urls import BadUrl, normalize
from kb.models import Document, FetchState
from kb.sources import Source

STORED_STATUSES = frozenset({"ok", "not_modified"})
# Gone reasons the page itself gives while it still answers 200: its stored document leaves after the grace.
PAGE_GONE_REASONS = frozenset({"canonical", "noindex", "follow_only", "soft_404"})


@dataclass
class Outcome:
    """What to do with one page: the state to record, the document to store, and what the report says.

    ``action`` is one of ``store`` (``document`` is set), ``not_indexable`` (followed, not stored),
    ``skip`` (informational, never a failure), ``fail`` (a person must act: ``failure`` is set).
    ``gone_reason`` is set when a previously stored document at this URL must count as gone.
    """

    action: str
    status: str
    reason: str | None = None
    document: Document | None = None
    links: list[tuple[str, bool]] = field(default_factory=list)  # followable links as (url, is_pagination)
    canonical: str | None = None  # another URL to queue at the same depth
    gone_reason: str | None = None
    failure: tuple[str, str] | None = None  # (reason, detail)
    info: tuple[str, str] | None = None  # (reason, detail) for an informational skip


def was_stored(previous: FetchState | None) -> bool:
    return previous is not None and previous.status in STORED_STATUSES


def followable_links(extracted: Extracted, nofollow: bool = False) -> list[tuple[str, bool]]:
    """The links a crawler may follow, each marked as a pagination step or not (nofollow pages give none)."""
    if nofollow or extracted.robots_nofollow:
        return []
    out: dict[str, bool] = {}
    for link in extracted.links:
        if not link.nofollow:
            out[link.url] = out.get(link.url, False) or is_pagination(link.url, link.text, link.rel)
    return list(out.items())


def decide(
    extracted: Extracted,
    response: FetchResult,
    source: Source,
    previous_state: FetchState | None,
    *,
    url: str | None = None,
    stored: bool | None = None,
    user_agent: str = "",
    max_url_length: int = 2048,
) -> Outcome:
    """The outcome of one extracted page at ``url`` (default: the response's final URL).

    ``stored`` says whether a document is stored under ``url`` (default: the previous state says so). Pure:
    no request, no store access, so every rule is unit-tested without HTTP.
    """
    url = url or response.final_url
    stored = was_stored(previous_state) if stored is None else stored
    header_noindex, header_nofollow = x_robots_tag(response.headers.get("x-robots-tag", ""), user_agent)
    noindex = extracted.robots_noindex or header_noindex
    links = followable_links(extracted, header_nofollow)
    if extracted.canonical:
        try:
            canonical = normalize(extracted.canonical, max_url_length)
        except BadUrl:
            canonical = url
        if canonical != url and source.in_scope(canonical):
            # A stored document that its page now disowns is named in the report (informational) until it is removed.
            return Outcome("not_indexable", "not_indexable", "canonical", links=links, canonical=canonical,
                           gone_reason="canonical" if stored else None, info=("canonical", canonical) if stored else None)
    if noindex or not source.indexable(url):
        why = "noindex" if noindex else "follow_only"
        return Outcome("not_indexable", "not_indexable", why, links=links, gone_reason=why if stored else None,
                       info=(why, extracted.title[:100]) if stored else None)
    if extracted.soft_404:
        detail = extracted.title[:100]
        if stored:
            # A known document turned into an error page: removed like a 404 (after gone_after_runs), never
            # overwritten. While the document is stored the page is asked in full (a 304 would confirm it); once
            # removed, its validators make the next nights cost a 304, like an error page at a new URL.
            return Outcome("fail", "error", "soft_404", links=links, gone_reason="soft_404", failure=("soft_404", detail))
        # An error page at a URL that never held a document: nothing to act on. Its validators are kept so the
        # next night costs a 304, and the URL is revisited, so it is stored once it becomes a real page.
        return Outcome("skip", "not_indexable", "soft_404", links=links, info=("soft_404", detail))
    return Outcome("store", "ok", None, document=to_document(extracted, url, source, len(response.body)), links=links)


def to_document(extracted: Extracted, url: str, source: Source, size: int) -> Document:
    """The document stored for an extracted page: the one place Extracted's fields become a Document's
    (the crawl and ``kb test-url`` both use it, so the probe shows what would really be stored)."""
    doc = Document(
        url=url, source=source.id, organisation=source.organisation,
        title=extracted.title.strip() or url, text=extracted.text, format=extracted.format,
        description=extracted.description, headings=list(extracted.headings), published=extracted.published,
        modified=extracted.modified, language=extracted.language, page_count=extracted.page_count, size=size,
        page_starts=list(extracted.page_starts), extra={"extractor": EXTRACTOR_VERSIONS.get(extracted.format, 1)},
    )
    doc.simhash = simhash(doc.text)
    return doc
