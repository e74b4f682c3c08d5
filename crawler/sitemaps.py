"""Sitemaps and sitemap indexes (plain or gzip), fetched through the Fetcher and parsed with lxml safely."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from crawler.fetch import FetchResult, gunzip_capped
from kb.errors import FetchError

log = logging.getLogger(__name__)

SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit (uncompressed)
MAX_SITEMAPS = 50  # sitemap files read per source and run (an index may list many)
MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None


def parse_lastmod(value: str | None) -> datetime | None:
    """W3C datetime (2024-05-03, 2024-05-03T10:00:00+02:00, …Z) as an aware UTC datetime, else None.

    A date without a time covers its whole day: it is read as the last second of that day (UTC), so an edit
    made during the day is never "older" than a fetch made earlier that day.
    """
    if not value:
        return None
    text = value.strip()
    if len(text) == 10 and text[4:5] == "-" and text[7:8] == "-":
        text += "T23:59:59+00:00"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


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
        fields = _fields(node)
        loc = fields.get("loc")
        if not loc:
            continue
        if kind == "sitemapindex" and name == "sitemap":
            children.append(loc)
        elif name == "url":
            entries.append(SitemapEntry(loc, parse_lastmod(fields.get("lastmod"))))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries, children


def _fields(node: etree._Element) -> dict[str, str]:
    """The non-empty ``loc`` and ``lastmod`` texts of one <url> or <sitemap> element."""
    out: dict[str, str] = {}
    for child in node:
        if isinstance(child.tag, str) and child.text:
            name = etree.QName(child).localname
            if name in ("loc", "lastmod"):
                out[name] = child.text.strip()
    return out


class SitemapCache:
    """Each sitemap file fetched and parsed at most once per run, however many sources on its host list it.

    Thread-safe: a second source asking for a sitemap that is being read waits for the first one's result.
    A failure is cached too (as the FetchError), so a broken sitemap costs one request per run.
    """

    def __init__(self) -> None:
        self._done: dict[str, tuple[list[SitemapEntry], list[str]] | FetchError] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, url: str, fetch: Callable[[str], FetchResult]) -> tuple[list[SitemapEntry], list[str]]:
        """(entries, child sitemap URLs) of ``url``; raises the cached FetchError of a failed sitemap."""
        with self._guard:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            if url not in self._done:
                try:
                    self._done[url] = parse_sitemap(fetch(url).body)
                except FetchError as exc:
                    if exc.reason in ("max_pages", "aborted", "host_skipped"):
                        raise  # says nothing about the sitemap: another source may still read it
                    self._done[url] = exc
            found = self._done[url]
        if isinstance(found, FetchError):
            raise found
        return found


def read_sitemaps(
    fetch: Callable[[str], FetchResult],
    urls: list[str],
    *,
    max_files: int = MAX_SITEMAPS,
    cache: SitemapCache | None = None,
) -> tuple[list[SitemapEntry], list[tuple[str, str, str]]]:
    """Read sitemaps (following indexes) and return (entries, failures as (url, reason, detail)).

    ``fetch(url)`` does the request: the crawl passes its polite, guarded fetch, e.g.
    ``lambda u: fetcher.fetch(u, max_bytes=SITEMAP_MAX_BYTES)``. With a ``cache`` (one per run) a sitemap
    already read this run is not requested again.
    """
    cache = cache or SitemapCache()
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
            found, children = cache.get(url, fetch)
        except FetchError as exc:
            failures.append(_failure(url, exc))
            continue
        log.info("sitemap %s: %d URLs, %d child sitemaps", url, len(found), len(children))
        entries.extend(found)
        queue.extend(c for c in children if c not in seen)
        if len(entries) >= MAX_ENTRIES:
            break
    if queue and len(seen) >= max_files:
        log.warning("more than %d sitemaps; the rest are not read this run", max_files)
    return entries, failures


def _failure(url: str, exc: FetchError) -> tuple[str, str, str]:
    log.warning("sitemap %s skipped: %s %s", url, exc.reason, exc.detail)
    reason = exc.reason if exc.reason == "bad_sitemap" else f"sitemap_{exc.reason}"
    return url, reason, exc.detail
