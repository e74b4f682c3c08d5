"""Frontier scheduling: per-origin queues, pagination links, the retry backoff and the sitemap lastmod rule."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from kb.models import FetchState

# Every stored document of a source is revalidated every night (a conditional GET: a 304 costs no body), as long
# as the source's documents fill at most this share of its max_pages. A larger source lets a sitemap lastmod
# before the day of the last fetch skip the request, for at most SITEMAP_TRUST after that fetch: a page deleted
# but left in the sitemap (old lastmod) is then noticed within SITEMAP_TRUST (plus the removal grace).
NIGHTLY_SHARE = 0.5
SITEMAP_TRUST = timedelta(days=7)
# A URL that failed, was gone or redirects elsewhere (and holds no stored document) is retried after
# 1, 2, 4, 8, 16, 30, 30, … nights (a night is one crawl run).
RETRY_CAP_NIGHTS = 30
RETRY_STATUSES = frozenset({"gone", "error", "redirect"})
# Statuses of URLs that are revisited every night (a conditional GET where validators are known).
REVISIT_STATUSES = frozenset({"ok", "not_modified", "not_indexable", "new"})

_PAGE_REL = frozenset({"next", "prev", "previous"})
_PAGE_QUERY = frozenset({"page", "sida", "p", "pg", "paged", "offset", "start"})
_PAGE_PATH = re.compile(r"/(?:page|sida|p)/\d+/?$", re.IGNORECASE)
_PAGE_TEXT = re.compile(
    r"^\s*(?:nästa|next|föregående|previous|prev|fler|visa fler|äldre|nyare|»|›|«|‹|>|<|\d{1,3})(?:\s+sida)?\s*[»›>]?\s*$",
    re.IGNORECASE,
)


@dataclass
class Lane:
    """One origin's share of a source's frontier; ``running`` while a lane task drains it."""

    fresh: deque[tuple[str, int]] = field(default_factory=deque)
    known: deque[tuple[str, int]] = field(default_factory=deque)
    running: bool = False

    def __bool__(self) -> bool:
        return bool(self.fresh or self.known)

    def __len__(self) -> int:
        return len(self.fresh) + len(self.known)

    def pop(self) -> tuple[str, int]:
        return self.fresh.popleft() if self.fresh else self.known.popleft()


def is_pagination(url: str, text: str = "", rel: str = "") -> bool:
    """Does a link step through a paginated listing (``rel=next``/``prev``, ``?page=2``, ``sida=3``, ``/page/4``, "Nästa")?

    Pagination links keep their page's depth, so a long "Nästa" chain does not eat the depth budget of the
    articles it lists; the chain itself is bounded by ``max_pages`` and the pagination trap rule.
    """
    if not _PAGE_REL.isdisjoint(rel.lower().split()):
        return True
    parts = urlsplit(url)
    if any(key.lower() in _PAGE_QUERY and value.isdigit() for key, value in parse_qsl(parts.query)):
        return True
    if _PAGE_PATH.search(parts.path):
        return True
    return bool(text) and _PAGE_TEXT.match(text) is not None


def child_depth(depth: int, pagination: bool) -> int:
    return depth if pagination else depth + 1


def retry_nights(failures: int) -> int:
    """Nights to wait before retrying a URL after ``failures`` consecutive failures: 1, 2, 4, … capped."""
    exponent: int = max(0, min(failures, 16) - 1)
    return min(RETRY_CAP_NIGHTS, 1 << exponent)


def retry_due(state: FetchState, night: int, lastmod: datetime | None = None) -> bool:
    """May a failed or gone URL be requested in crawl night ``night``?

    A sitemap ``lastmod`` on or after the day of the URL's last request is the site saying the page is new or
    changed since then: it is asked now, whatever the backoff."""
    if state.status not in RETRY_STATUSES or state.last_night <= 0:
        return True
    if lastmod is not None and state.last_fetched is not None and lastmod >= start_of_day(state.last_fetched):
        return True
    return night - state.last_night >= retry_nights(state.failures)


def trusts_sitemap(stored_documents: int, max_pages: int) -> bool:
    """Is the source too large to revalidate every stored document every night within its page budget?"""
    return stored_documents > NIGHTLY_SHARE * max_pages


def start_of_day(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def sitemap_says_unchanged(lastmod: datetime | None, state: FetchState | None, now: datetime) -> bool:
    """May a stored document listed in a sitemap skip its request tonight?

    Only when the lastmod lies before the *day* of the last fetch (a date-only lastmod covers its whole day,
    and an edit made later on the day of a fetch is re-checked with a conditional GET) and the document was
    validated less than SITEMAP_TRUST ago.
    """
    if lastmod is None or state is None or state.status not in ("ok", "not_modified") or state.last_fetched is None:
        return False
    return lastmod < start_of_day(state.last_fetched) and now - state.last_fetched < SITEMAP_TRUST
