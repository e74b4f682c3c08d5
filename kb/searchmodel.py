"""The search contract shared by the index, the CLI and the web app: request, hit, facet, response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FACET_KEYS = ("delomrade", "organisation", "doc_type", "malgrupp", "year", "format")
FACET_LABELS = {
    "delomrade": "Delområde",
    "organisation": "Organisation",
    "doc_type": "Typ av kunskapsstöd",
    "malgrupp": "Målgrupp",
    "year": "År",
    "format": "Format",
}
SORTS = ("relevans", "nyast")
MAX_PER_PAGE = 50
# The notice of a search that failed inside the service (never cached: the next try may work).
NOTICE_ERROR = "Sökningen kunde inte genomföras. Försök med andra ord."


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: free text, facet filters (OR within a facet, AND across), page, sort."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 10
    sort: str = "relevans"

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", max(1, min(int(self.page), 10_000)))
        object.__setattr__(self, "per_page", max(1, min(int(self.per_page), MAX_PER_PAGE)))
        if self.sort not in SORTS:
            object.__setattr__(self, "sort", "relevans")
        clean = {k: sorted(set(v))[:20] for k, v in self.filters.items() if k in FACET_KEYS and v}
        object.__setattr__(self, "filters", clean)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Hit:
    url: str
    title: str
    snippet: str  # HTML-safe: text escaped, matches wrapped in <mark>
    organisation: str
    source: str
    delomraden: list[str]
    doc_type: str
    published: str | None  # ISO date
    score: float
    format: str = "html"
    malgrupp: list[str] = field(default_factory=list)
    size: int = 0
    page_count: int | None = None
    explanation: str = ""  # "klassad som … eftersom …"
    delomrade_scores: dict[str, float] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)  # other locations of the same document

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "snippet": self.snippet,
            "organisation": self.organisation,
            "source": self.source,
            "delomraden": self.delomraden,
            "doc_type": self.doc_type,
            "published": self.published,
            "score": round(self.score, 4),
            "format": self.format,
            "malgrupp": self.malgrupp,
            "explanation": self.explanation,
            "duplicates": self.duplicates,
        }


@dataclass
class SearchResponse:
    query: str
    total: int
    page: int
    per_page: int
    results: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None  # "Menade du …"
    generation: str = ""  # published index generation (cache key, ETag)
    sort: str = "relevans"
    notice: str | None = None  # e.g. the query was shortened

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "sort": self.sort,
            "suggestion": self.suggestion,
            "notice": self.notice,
            "results": [h.to_json() for h in self.results],
            "facets": {
                key: [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected} for v in values]
                for key, values in self.facets.items()
            },
        }
