"""The search-engine contract the web app and the CLI rely on: ``SearchBackend`` and its factory type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from kb.searchmodel import FacetValue, Hit, SearchRequest, SearchResponse
from kb.settings import Settings


@runtime_checkable
class SearchBackend(Protocol):
    """Search over the published index generation.

    Thread-safe: the web app calls the blocking methods from worker threads. The properties are lock-free
    snapshots that may be read on an event loop. No method raises on what a user typed: a failed search is
    an empty ``SearchResponse`` with a notice (``kb.searchmodel.NOTICE_ERROR``). The web app keeps the one
    response cache of a worker and opens its backend with ``cache_size=0``."""

    @property
    def available(self) -> bool:
        """True while a published generation is open."""
        ...

    @property
    def generation(self) -> str:
        """Name of the open generation ("" when none): part of every cache key and ETag."""
        ...

    @property
    def doc_count(self) -> int:
        """Documents in the open generation (0 when none)."""
        ...

    @property
    def built_at(self) -> str:
        """ISO time the open generation was built ("" when unknown)."""
        ...

    def search(self, request: SearchRequest) -> SearchResponse:
        """One page of hits with facet counts for ``request``."""
        ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions for what is being typed, best first."""
        ...

    def recent(self, limit: int = 10) -> list[Hit]:
        """The newest documents, newest first."""
        ...

    def facet_overview(self) -> dict[str, list[FacetValue]]:
        """Counts per facet value over the whole index, keyed by ``kb.searchmodel.FACET_KEYS``."""
        ...

    def start_watching(self) -> None:
        """Open newly published generations in the background from now on, so no request waits for one (idempotent)."""
        ...

    def close(self) -> None:
        """Stop watching and release the open generation."""
        ...


BackendFactory = Callable[[Settings], SearchBackend]
"""Builds a backend from settings; module-level (picklable by reference) so a web worker process can call it."""
