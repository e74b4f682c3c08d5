"""The search engine's entry points, kept at their old import path (the implementation is ``index.service``)."""

from __future__ import annotations

from index.service import SearchService, open_backend
from kb.searchmodel import NOTICE_ERROR, NOTICE_FUZZY, NOTICE_UNAVAILABLE, FacetValue, Hit, SearchRequest, SearchResponse

__all__ = [
    "NOTICE_ERROR", "NOTICE_FUZZY", "NOTICE_UNAVAILABLE", "FacetValue", "Hit", "SearchRequest", "SearchResponse",
    "SearchService", "open_backend",
]
