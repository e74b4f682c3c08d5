"""robots.txt per origin (RFC 9309 via protego), fetched through the Fetcher and cached for one run."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from protego import Protego

from crawler.fetch import Fetcher
from crawler.urls import origin
from kb.errors import FetchError
from kb.settings import Settings

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks parsers to read at least 500 KiB


@dataclass
class HostRobots:
    """What robots.txt says for one origin during this run."""

    origin: str
    parser: Protego | None = None  # None: allow everything
    unreachable: bool = False  # 5xx, timeout or connection failure: skip the host this run
    reason: str = ""
    crawl_delay: float | None = None
    sitemaps: list[str] = field(default_factory=list)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.unreachable:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, user_agent))

    def effective_delay(self, source_delay: float) -> float:
        """max(source delay, Crawl-delay)."""
        return max(source_delay, self.crawl_delay or 0.0)


class RobotsCache:
    """Fetch each origin's robots.txt once per run; thread-safe (one fetch per origin at a time)."""

    def __init__(self, fetcher: Fetcher, settings: Settings) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self._cache: dict[str, HostRobots] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, url: str, allow_private: bool = False) -> HostRobots:
        key = origin(url)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = self._load(key, allow_private)
                self._cache[key] = cached
            return cached

    def _load(self, key: str, allow_private: bool) -> HostRobots:
        robots_url = key + "/robots.txt"
        try:
            result = self.fetcher.fetch(robots_url, allow_private=allow_private, max_bytes=ROBOTS_MAX_BYTES, raise_http=False)
        except FetchError as exc:
            if exc.reason == "too_large":
                log.warning("robots.txt at %s is over %d bytes; treating the host as unreachable", robots_url, ROBOTS_MAX_BYTES)
            else:
                log.warning("robots.txt at %s failed (%s); skipping the host this run", robots_url, exc.reason)
            return HostRobots(key, unreachable=True, reason=f"robots_{exc.reason}")
        if result.status >= 500 or result.status == 429:
            log.warning("robots.txt at %s answered %d; skipping the host this run", robots_url, result.status)
            return HostRobots(key, unreachable=True, reason=f"robots_http_{result.status}")
        if result.status >= 400:  # 404, 410, 401, 403…: RFC 9309 "unavailable" means allow all
            log.info("robots.txt at %s answered %d; everything allowed", robots_url, result.status)
            return HostRobots(key)
        text = result.body.decode("utf-8", errors="replace")
        parser = Protego.parse(text)
        delay = parser.crawl_delay(self.settings.user_agent)
        rate = parser.request_rate(self.settings.user_agent)
        crawl_delay = float(delay) if delay is not None else None
        if rate is not None and rate.requests:
            per_request = rate.seconds / rate.requests
            crawl_delay = max(crawl_delay or 0.0, per_request)
        sitemaps = [s.strip() for s in parser.sitemaps if s.strip()]
        return HostRobots(key, parser=parser, crawl_delay=crawl_delay, sitemaps=sitemaps)

    def cached(self, url: str) -> HostRobots | None:
        """The origin's robots rules if already loaded this run."""
        with self._lock:
            return self._cache.get(origin(url))
