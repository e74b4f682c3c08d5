"""The web's one response cache, and the bounded way every blocking backend call is made (limiter + threadpool)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from kb.backend import SearchBackend
from kb.searchmodel import NOTICE_ERROR, SearchRequest, SearchResponse
from web.limiter import SearchLimiter
from web.metrics import CACHE_HITS, LIMITER_REJECTIONS, SEARCHES

T = TypeVar("T")
CacheKey = tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...], int, int, str]


class Busy(Exception):
    """Raised when the search limiter had no slot free in time."""


class ResponseCache:
    """A small thread-safe LRU of search responses keyed by (generation, request)."""

    def __init__(self, size: int) -> None:
        self.size = max(0, int(size))
        self._data: OrderedDict[CacheKey, SearchResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> SearchResponse | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: CacheKey, value: SearchResponse) -> None:
        if not self.size:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def cache_key(generation: str, req: SearchRequest) -> CacheKey:
    return (generation, req.q, tuple(sorted((k, tuple(v)) for k, v in req.filters.items())), req.page, req.per_page, req.sort)


class Searcher:
    """The backend as the request handlers use it: cached searches, every blocking call bounded by the limiter.

    A cached answer is served without a limiter slot or a worker thread. The limiter is waited for on the
    event loop, before a worker thread is used: a burst queues briefly (bounded in time and length) without
    tying up the threadpool."""

    def __init__(self, backend: SearchBackend, limiter: SearchLimiter, cache: ResponseCache) -> None:
        self.backend = backend
        self.limiter = limiter
        self.cache = cache

    async def guarded(self, func: Callable[..., T], *args: object) -> T:
        """Call a blocking function in the threadpool while holding a limiter slot; raises Busy when none came free."""
        if not await self.limiter.acquire():
            LIMITER_REJECTIONS.inc()
            raise Busy()
        try:
            return await run_in_threadpool(func, *args)
        finally:
            self.limiter.release()

    async def search(self, req: SearchRequest) -> SearchResponse:
        """The response for ``req`` from the cache, else from the backend (then cached unless the search failed)."""
        key = cache_key(self.backend.generation, req)
        SEARCHES.inc()
        cached = self.cache.get(key)
        if cached is not None:
            CACHE_HITS.inc()
            return cached
        response = await self.guarded(self.backend.search, req)
        if response.notice != NOTICE_ERROR:  # a passing failure must not be served again from the cache
            self.cache.put(key, response)
        return response
