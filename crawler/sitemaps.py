"""Sitemaps and sitemap indexes (plain or gzip), fetched through the Fetcher and parsed with lxml safely."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from lxml import etree

from kb.errors import FetchError

from crawler.fetch import FetchResult, gunzip_capped

log = logging.getLogger(__name__)

SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit (uncompressed)
MAX_SITEMAPS = 50  # sitemap files read per source and run (an index may list many)
MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None


def parse_lastmod(value: str | None) -> datetime | None:
    """W3C datetime (2024-05-03, 2024-05-03T10:00:00+02:00, …Z) as an aware UTC datetime, else None."""
    if not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _parser() -> etree.XMLParser:
    # No entity expansion, no DTD or network access: XXE and billion-laughs safe.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, recover=True)


def parse_sitemap(body: bytes) -> tuple[list[SitemapEntry], list[str]]:
    """(page entries, child sitemap URLs) of one sitemap or sitemap-index document."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip_capped(body, SITEMAP_MAX_BYTES)
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FetchError("bad_sitemap", str(exc)[:200]) from None
    if root is None:
        raise FetchError("bad_sitemap", "empty document")
    kind = etree.QName(root).localname
    entries: list[SitemapEntry] = []
    children: list[str] = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        name = etree.QName(node).localname
        loc = lastmod = None
        for child in node:
            if not isinstance(child.tag, str):
                continue
            cname = etree.QName(child).localname
            if cname == "loc" and child.text:
                loc = child.text.strip()
            elif cname == "lastmod" and child.text:
                lastmod = child.text.strip()
        if not loc:
            continue
        if kind == "sitemapindex" and name == "sitemap":
            children.append(loc)
        elif name == "url":
            entries.append(SitemapEntry(loc, parse_lastmod(lastmod)))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries, children


def read_sitemaps(
    fetch: Callable[[str], FetchResult],
    urls: list[str],
    *,
    max_files: int = MAX_SITEMAPS,
) -> tuple[list[SitemapEntry], list[tuple[str, str, str]]]:
    """Read sitemaps (following indexes) and return (entries, failures as (url, reason, detail)).

    ``fetch(url)`` does the request: the crawl passes its polite, guarded fetch, e.g.
    ``lambda u: fetcher.fetch(u, max_bytes=SITEMAP_MAX_BYTES)``.
    """
    queue = list(dict.fromkeys(urls))
    seen: set[str] = set()
    entries: list[SitemapEntry] = []
    failures: list[tuple[str, str, str]] = []
    while queue and len(seen) < max_files:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            result = fetch(url)
            found, children = parse_sitemap(result.body)
        except FetchError as exc:
            log.warning("sitemap %s skipped: %s %s", url, exc.reason, exc.detail)
            reason = exc.reason if exc.reason == "bad_sitemap" else f"sitemap_{exc.reason}"
            failures.append((url, reason, exc.detail))
            continue
        log.info("sitemap %s: %d URLs, %d child sitemaps", url, len(found), len(children))
        entries.extend(found)
        queue.extend(c for c in children if c not in seen)
        if len(entries) >= MAX_ENTRIES:
            break
    if queue and len(seen) >= max_files:
        log.warning("more than %d sitemaps; the rest are not read this run", max_files)
    return entries, failures
