"""Bounded search concurrency: a FIFO limiter whose callers wait briefly for a slot, then are refused."""

from __future__ import annotations

import asyncio
import threading
from collections import deque

LIMITER_WAIT_SECONDS = 2.0  # how long a request may wait for a search slot before it is answered 503
LIMITER_QUEUE_PER_SLOT = 4  # waiting requests allowed per slot; beyond that, 503 at once


class SearchLimiter:
    """At most ``limit`` searches at once; callers wait (FIFO, at most ``wait_seconds``) for a slot.

    The queue is bounded too (``max_waiting``): when it is full a caller is refused at once. Slots are
    plain counters under a thread lock, so one limiter serves any number of event loops and threads;
    a released slot is handed straight to the oldest waiter (no thundering herd, no overtaking)."""

    def __init__(self, limit: int, wait_seconds: float = LIMITER_WAIT_SECONDS, max_waiting: int | None = None) -> None:
        self.limit = max(1, int(limit))
        self.wait_seconds = float(wait_seconds)
        self.max_waiting = self.limit * LIMITER_QUEUE_PER_SLOT if max_waiting is None else max(0, int(max_waiting))
        self._lock = threading.Lock()
        self._active = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    @property
    def active(self) -> int:
        return self._active

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def try_acquire(self) -> bool:
        """Take a free slot without waiting (never ahead of a waiting caller)."""
        with self._lock:
            if self._active < self.limit and not self._waiters:
                self._active += 1
                return True
            return False

    async def acquire(self) -> bool:
        """Take a slot, waiting up to ``wait_seconds``; False when none came free (or the queue is full)."""
        if self.try_acquire():
            return True
        loop = asyncio.get_running_loop()
        waiter = (loop, loop.create_future())
        with self._lock:
            if self._active < self.limit and not self._waiters:
                self._active += 1
                return True
            if len(self._waiters) >= self.max_waiting or self.wait_seconds <= 0:
                return False
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter[1], self.wait_seconds)
            return True
        except (TimeoutError, asyncio.CancelledError) as exc:
            with self._lock:
                try:
                    self._waiters.remove(waiter)
                    granted = False
                except ValueError:  # release() handed us the slot just as we gave up
                    granted = True
            if isinstance(exc, asyncio.CancelledError):
                if granted:
                    self.release()
                raise
            return granted

    def release(self) -> None:
        """Give the slot to the oldest waiter, or free it."""
        while True:
            with self._lock:
                if not self._waiters:
                    self._active -= 1
                    return
                loop, future = self._waiters.popleft()  # the slot now belongs to this waiter
            try:
                loop.call_soon_threadsafe(_grant, future)
                return
            except RuntimeError:  # its event loop is gone: pass the slot on
                continue


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
