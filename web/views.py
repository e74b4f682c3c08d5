"""Typed template context built from search responses: search URLs, facets, chips, hits, pagination, sort links."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from kb.lan import NATIONAL
from kb.searchmodel import FACET_KEYS, FACET_LABELS, FacetValue, Hit, SearchResponse
from kb.taxonomy import Taxonomy
from web.formatting import parse_date, quoted, safe_href, swedish_date, swedish_number, swedish_size

SORT_LABELS = {"relevans": "Relevans", "nyast": "Nyast"}
PER_PAGE = 10  # hits per HTML page (the API default too)


# -- URLs ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchState:
    """The user's search as parsed from the query string (already cleaned)."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevans"
    page: int = 1
    typed: str = ""  # what the search box shows: ``q``, or a query without searchable words that ``q`` left out

    def params(self, q: str | None = None, filters: Mapping[str, tuple[str, ...]] | None = None,
               sort: str | None = None, page: int | None = None) -> list[tuple[str, str]]:
        """The query-string pairs of this search with the given parts changed (canonical order, defaults left out)."""
        q = self.q if q is None else q
        filters = self.filters if filters is None else filters
        sort = self.sort if sort is None else sort
        page = self.page if page is None else page
        out: list[tuple[str, str]] = []
        if q:
            out.append(("q", q))
        for key in FACET_KEYS:
            for value in sorted(filters.get(key, ())):
                out.append((key, value))
        if sort != "relevans":
            out.append(("sort", sort))
        if page > 1:
            out.append(("page", str(page)))
        return out

    def url(self, path: str = "/sok", *, q: str | None = None, filters: Mapping[str, tuple[str, ...]] | None = None,
            sort: str | None = None, page: int | None = None) -> str:
        params = self.params(q, filters, sort, page)
        return path + ("?" + urlencode(params, quote_via=quote) if params else "")

    def toggled(self, key: str, value: str) -> dict[str, tuple[str, ...]]:
        current = set(self.filters.get(key, ()))
        current ^= {value}
        out = {k: tuple(v) for k, v in self.filters.items() if k != key}
        if current:
            out[key] = tuple(sorted(current))
        return out

    @property
    def has_filters(self) -> bool:
        return any(self.filters.values())


# -- context types ------------------------------------------------------------------


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str
    input_id: str
    plus_national_url: str | None = None  # a county: this county and the national material in one click



@dataclass
class FacetGroup:
    key: str
    label: str
    options: list[FacetOption]

    @property
    def selected_count(self) -> int:
        return sum(1 for o in self.options if o.selected)


@dataclass
class Chip:
    facet_label: str
    label: str
    remove_url: str


@dataclass
class Tag:
    label: str
    url: str


@dataclass
class HitView:
    title: str
    href: str | None  # a PDF's link opens the page of the snippet (#page=N)
    url: str
    snippet: str  # HTML-safe from the service; the only field rendered with |safe
    organisation: str
    date_iso: str | None
    date_text: str | None
    format_text: str
    doc_type: str
    tags: list[Tag]
    duplicates: list[tuple[str, str | None]]  # (url, href)
    explanation: str
    places: list[Tag] = field(default_factory=list)  # counties (links to /lan/…); empty for national material
    goals: list[str] = field(default_factory=list)  # labels of the strategy goals served
    newer: VersionLink | None = None  # "Nyare version finns: …"
    versions: list[VersionLink] = field(default_factory=list)  # every version, newest first
    page_text: str | None = None  # "s. 37" (PDF) or "bild 9" (PowerPoint): where the snippet stands


@dataclass
class VersionLink:
    title: str
    href: str | None
    current: bool = False  # the hit itself


@dataclass
class PageLink:
    number: int
    url: str
    current: bool


@dataclass
class Pagination:
    page: int
    last: int
    prev_url: str | None
    next_url: str | None
    pages: list[PageLink | None]  # None = gap (…)


@dataclass
class SortLink:
    key: str
    label: str
    url: str
    current: bool


@dataclass
class AreaCard:
    slug: str
    label: str
    description: str
    count: int
    count_text: str
    url: str


@dataclass
class FeedEntry:
    id: str  # tag: URI
    title: str
    href: str | None
    updated: str  # Atom time
    published: str
    summary: str  # HTML-safe snippet
    organisation: str
    categories: list[tuple[str, str]]  # (slug, label)


@dataclass
class Suggestion:
    text: str
    url: str


# -- builders -------------------------------------------------------------------------


def facet_groups(state: SearchState, facets: Mapping[str, list[FacetValue]], taxonomy: Taxonomy) -> list[FacetGroup]:
    """Checkbox groups: zero-count values hidden unless selected, sorted by count, each with its toggle URL."""
    groups: list[FacetGroup] = []
    for key in FACET_KEYS:
        values = list(facets.get(key, []))
        seen = {v.value for v in values}
        for chosen in state.filters.get(key, ()):
            if chosen not in seen:  # keep a selected value visible so it can be unticked
                values.append(FacetValue(chosen, taxonomy.label(key, chosen), 0, True))
        options = []
        for i, v in enumerate(sorted(values, key=lambda v: (-v.count, (v.label or v.value).lower()))):
            is_selected = v.value in state.filters.get(key, ())
            if v.count <= 0 and not is_selected:
                continue
            options.append(FacetOption(
                value=v.value,
                label=v.label or taxonomy.label(key, v.value),
                count=v.count,
                selected=is_selected,
                toggle_url=state.url(filters=state.toggled(key, v.value), page=1),
                input_id=f"f-{key}-{i}",
                plus_national_url=plus_national_url(state, v.value) if key == "lan" else None,
            ))
        if options:
            groups.append(FacetGroup(key, FACET_LABELS[key], options))
    return groups


def chips(state: SearchState, taxonomy: Taxonomy) -> list[Chip]:
    out = []
    for key in FACET_KEYS:
        for value in sorted(state.filters.get(key, ())):
            out.append(Chip(FACET_LABELS[key], taxonomy.label(key, value), state.url(filters=state.toggled(key, value), page=1)))
    return out


def format_text(hit: Hit, taxonomy: Taxonomy) -> str:
    """'PDF, 1,2 MB, 12 sidor' for documents; empty for web pages."""
    if hit.format == "html":
        return ""
    parts = [taxonomy.label("format", hit.format)]
    if hit.size:
        parts.append(swedish_size(hit.size))
    if hit.page_count:
        parts.append(f"{hit.page_count} sida" if hit.page_count == 1 else f"{hit.page_count} sidor")
    return ", ".join(parts)


def page_text(hit: Hit) -> str | None:
    """Where in a long document the snippet stands: "s. 37" in a PDF, "bild 9" in a slide deck."""
    if hit.page is None:
        return None
    return f"bild {hit.page}" if hit.format == "pptx" else f"s. {hit.page}"


def hit_href(hit: Hit) -> str | None:
    """The hit's link; a PDF's opens at the snippet's page (the #page=N open parameter PDF viewers follow)."""
    href = safe_href(hit.url)
    if href and hit.page and hit.format == "pdf" and "#" not in href:
        return f"{href}#page={hit.page}"
    return href


def hit_view(hit: Hit, taxonomy: Taxonomy) -> HitView:
    published = parse_date(hit.published)
    return HitView(
        title=hit.title or hit.url,
        href=hit_href(hit),
        url=hit.url,
        snippet=hit.snippet,
        organisation=hit.organisation,
        date_iso=published.isoformat() if published else None,
        date_text=swedish_date(published) if published else None,
        format_text=format_text(hit, taxonomy),
        doc_type=taxonomy.label("doc_type", hit.doc_type) if hit.doc_type else "",
        tags=[Tag(taxonomy.label("delomrade", s), f"/delomrade/{quote(s, safe='')}") for s in hit.delomraden],
        duplicates=[(u, safe_href(u)) for u in hit.duplicates],
        explanation=hit.explanation,
        places=[Tag(taxonomy.label("lan", s), f"/lan/{quote(s, safe='')}") for s in hit.lan if s != NATIONAL],
        goals=[taxonomy.label("malsattning", s) for s in hit.malsattningar],
        newer=VersionLink(hit.newer_version["title"], safe_href(hit.newer_version["url"])) if hit.newer_version else None,
        versions=[VersionLink(v["title"], safe_href(v["url"]), v["url"] == hit.url) for v in hit.versions],
        page_text=page_text(hit),
    )


def plus_national_url(state: SearchState, county: str) -> str | None:
    """The search with exactly this county and the national material selected ("mitt län + nationellt")."""
    if county == NATIONAL:
        return None
    filters = {k: tuple(v) for k, v in state.filters.items() if k != "lan"}
    filters["lan"] = tuple(sorted((county, NATIONAL)))
    return state.url(filters=filters, page=1)


def last_page(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def pagination(state: SearchState, total: int, per_page: int, path: str = "/sok") -> Pagination | None:
    last = last_page(total, per_page)
    if last <= 1:
        return None
    page = min(state.page, last)
    wanted = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    pages: list[PageLink | None] = []
    previous = 0
    for n in wanted:
        if n - previous > 1:
            pages.append(None)
        pages.append(PageLink(n, state.url(path, page=n), n == page))
        previous = n
    return Pagination(
        page=page,
        last=last,
        prev_url=state.url(path, page=page - 1) if page > 1 else None,
        next_url=state.url(path, page=page + 1) if page < last else None,
        pages=pages,
    )


def sort_links(state: SearchState) -> list[SortLink]:
    return [SortLink(k, label, state.url(sort=k, page=1), state.sort == k) for k, label in SORT_LABELS.items()]


def status_message(response: SearchResponse, q: str) -> str:
    """'Visar 1–10 av 57 träffar för ”våld”', '1 träff för ”x”', 'Inga träffar för ”x”' (documents when browsing)."""
    total = response.total
    what = f" för {quoted(q)}" if q else ""
    one, many = ("träff", "träffar") if q else ("dokument", "dokument")
    if total == 0:
        return f"Inga {many}{what}"
    if total == 1:
        return f"1 {one}{what}"
    first = (response.page - 1) * response.per_page + 1
    last = min(total, first + len(response.results) - 1)
    if first == 1 and last == total:
        return f"{swedish_number(total)} {many}{what}"
    return f"Visar {swedish_number(first)}–{swedish_number(last)} av {swedish_number(total)} {many}{what}"


def iter_selected(filters: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    return [(k, v) for k in FACET_KEYS for v in sorted(filters.get(k, ()))]
