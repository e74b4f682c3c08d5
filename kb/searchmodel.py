"""The search contract shared by the index, the CLI and the web app: request, hit, facet, response."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

FACET_KEYS = ("delomrade", "malsattning", "lan", "organisation", "doc_type", "malgrupp", "year", "format")
FACET_LABELS = {
    "delomrade": "Delområde",
    "malsattning": "Målsättning",
    "lan": "Län",
    "organisation": "Organisation",
    "doc_type": "Typ av kunskapsstöd",
    "malgrupp": "Målgrupp",
    "year": "År",
    "format": "Format",
}
SORTS = ("relevans", "nyast")

# -- Query limits: the one place for them (the index and the web app both read these) --------------------
# Two character limits on purpose, for two different things:
MAX_REQUEST_QUERY_CHARS = 1000  # raw ``q`` a request may carry: the API answers 400 above it, pages cut it with a notice
MAX_QUERY_CHARS = 1000  # characters of the cleaned query the parser searches (a pasted e-mail's last key words count)
NOTICE_TRUNCATED = "Sökfrågan var för lång och har kortats till {n} tecken."
MAX_QUERY_TERMS = 24  # content words the parser searches (phrase words count, stop words not); later ones dropped, said so
MAX_SUGGEST_CHARS = 100  # characters of an autocomplete prefix that are looked at
MAX_SUGGESTIONS = 20  # completions one suggest() call returns at most
MAX_FILTER_VALUE_CHARS = 200  # characters of one facet filter value
MAX_FILTER_VALUES = 20  # values per facet filter (OR within a facet); more are dropped
MAX_PAGE = 10_000  # highest result page; higher page numbers are capped
MAX_PER_PAGE = 50  # results per page at most


def clean_query(raw: object, limit: int) -> tuple[str, bool]:
    """The one cleaning of what a person typed (search box, API, autocomplete, CLI): NFC-normalised, control and
    format characters and U+FFFD dropped, whitespace collapsed, at most ``limit`` characters; (text, shortened)."""
    value = raw if isinstance(raw, str) else str(raw or "")
    head = value[: limit * 4]  # capped before the expensive steps: a megabyte of input costs nothing
    text = unicodedata.normalize("NFC", head)
    text = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or (ch != "\ufffd" and unicodedata.category(ch)[0] != "C"))
    text = " ".join(text.split())
    shortened = len(text) > limit or (len(value) > len(head) and bool(value[len(head):].strip()))
    return (text[:limit].rstrip() if len(text) > limit else text), shortened


# Swedish typography, and what phones and word processors make of a typed " and -: ”skyddat boende” (Swedish quotes,
# also from a copied text), “…”, „…“, «…», and 'single quotes' around words are a phrase; a minus sign or an en dash
# right before a word ("våld −barn", "våld –barn") excludes it. A one-for-one swap, so positions stay those of the text.
_DOUBLE_QUOTES = str.maketrans({q: '"' for q in "”“„«»″"})
_SINGLE_QUOTED = re.compile(r"(?<![^\s(\-])['‘’]([^'‘’\"]*[^\W_][^'‘’\"]*)['‘’](?![^\W_])")
_DASH_BEFORE_WORD = re.compile(r"(?<![^\s(])[−–‐‑](?=[\"'‘’”“„«]|[^\W_])")  # minus, en dash, (non-breaking) hyphen


def ascii_syntax(text: str) -> str:
    """``text`` with typographic quotes and minus signs as the parser's " and - (same length, same positions)."""
    text = _SINGLE_QUOTED.sub(lambda m: '"' + m.group(1) + '"', text.translate(_DOUBLE_QUOTES))
    return _DASH_BEFORE_WORD.sub("-", text)


# Bare words the query parser (index/query.py) reads as operators, not as something to find.
QUERY_OPERATORS = frozenset({"OR", "AND", "ELLER", "OCH", "NOT"})
NO_WORDS = "Skriv ett eller flera sökord"


# Field names other search boxes take before a colon ("title:våld", "filetype:pdf"): the query parser reads them as
# no word ("title" was searched, and "Menade du titta:våld" offered)
FIELD_PREFIXES = frozenset({"title", "titel", "intitle", "site", "inurl", "url", "filetype", "author", "body", "text",
                            "headings", "format", "organisation", "delomrade", "year", "ar", "år"})
_FIELD_PREFIX = re.compile(r"(?<![^\s(\-])(?:" + "|".join(sorted(FIELD_PREFIXES)) + r")\s?:", re.IGNORECASE)


def has_searchable_word(text: str) -> bool:
    """True when ``text`` holds a letter or a digit outside a bare operator or field name: "#", "*", '""', "OR" or
    "title:" search for nothing (the whole collection) and count as no query."""
    return any(token not in QUERY_OPERATORS and any(unicodedata.category(ch)[0] in "LN" for ch in token)
               for token in _FIELD_PREFIX.sub(" ", text).split())


def no_words_notice(raw_q: str) -> str:
    """What a query without a searchable word is told (pages, API, ``kb search``): it counts as no query."""
    return f"\u201d{raw_q}\u201d innehåller inget sökbart ord, så allt material visas. {NO_WORDS}."

# -- Notices a SearchResponse may carry (Swedish: shown to staff) ------------------------------------------
# A search that failed inside the service (never cached: the next try may work).
NOTICE_ERROR = "Sökningen kunde inte genomföras. Försök med andra ord."
# No index generation is published yet.
NOTICE_UNAVAILABLE = "Sökindexet är inte byggt ännu. Försök igen senare."
# Too few exact hits: hits with a corrected spelling are shown instead.
NOTICE_FUZZY = "Inga exakta träffar – visar träffar med liknande stavning."


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: free text, facet filters (OR within a facet, AND across), page, sort."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 10
    sort: str = "relevans"

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", max(1, min(int(self.page), MAX_PAGE)))
        object.__setattr__(self, "per_page", max(1, min(int(self.per_page), MAX_PER_PAGE)))
        if self.sort not in SORTS:
            object.__setattr__(self, "sort", "relevans")
        clean = {k: sorted(set(v))[:MAX_FILTER_VALUES] for k, v in self.filters.items() if k in FACET_KEYS and v}
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
    page: int | None = None  # PDF page / slide of the snippet's passage (None: web page, one page, no match shown)
    explanation: str = ""  # "klassad som … eftersom …"
    delomrade_scores: dict[str, float] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)  # other locations of the same document
    lan: list[str] = field(default_factory=list)  # county slugs (kb/lan.yaml) or ["nationellt"]
    malsattningar: list[str] = field(default_factory=list)  # the national strategy's goals the document serves
    newer_version: dict[str, str] | None = None  # {"url", "title"} of the newest version when this one is superseded
    versions: list[dict[str, str]] = field(default_factory=list)  # every version of the work, newest first ({"url", "title"})

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
            "page": self.page,
            "malgrupp": self.malgrupp,
            "explanation": self.explanation,
            "duplicates": self.duplicates,
            "lan": self.lan,
            "malsattningar": self.malsattningar,
            "newer_version": self.newer_version,
            "versions": self.versions,
        }


@dataclass
class FeedItem:
    """One entry of a watched search ("Bevaka sökningen"): the hit and the truthful times of the entry."""

    hit: Hit
    first_seen: str  # ISO time kb first saw the document (the entry's "published")
    changed: str  # ISO time kb last saw its text change, first_seen if never (the entry's "updated")


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
