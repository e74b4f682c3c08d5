"""Politeness: one request at a time per host across every source of a run, spaced by the host's delay."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_REFUSED_TYPES = ("image/", "video/", "audio/", "font/", "text/css", "text/javascript", "application/javascript", "application/json")


def accept_document_type(content_type: str | None, url: str) -> bool:
    """Refuse media, fonts and scripts before their bodies are downloaded; extraction sniffs the rest."""
    return content_type is None or not content_type.startswith(_REFUSED_TYPES)


class HostGate:
    """One request at a time per origin, spaced by at least the delay from the end of the previous one.

    One gate serves the whole run, so sources sharing a host share its slot. The spacing of a host is
    the largest delay any caller has asked for on it this run: a polite source is never hurried by a
    less polite one on the same host.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._delay: dict[str, float] = {}
        self._guard = threading.Lock()

    @contextmanager
    def slot(self, key: str, delay: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            delay = self._delay[key] = max(delay, self._delay.get(key, 0.0))
        with lock:
            last = self._last.get(key)
            if last is not None:
                wait = last + delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last[key] = self._clock()


def x_robots_tag(value: str, user_agent: str) -> tuple[bool, bool]:
    """(noindex, nofollow) from an X-Robots-Tag header; ``bot: directives`` apply only to a bot named in our agent."""
    noindex = nofollow = False
    agent = user_agent.lower()
    for part in value.split(","):
        bot, sep, rest = part.partition(":")
        if sep and " " not in bot.strip() and bot.strip().lower() not in ("unavailable_after",):
            if bot.strip().lower() not in agent:
                continue
            part = rest
        directive = part.strip().lower()
        noindex = noindex or directive in ("noindex", "none")
        nofollow = nofollow or directive in ("nofollow", "none")
    return noindex, nofollow
