"""The HTML routes: start page, search results, subject areas, the Atom feed and OpenSearch (sources: web.sourcepages)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kb.searchmodel import (
    FACET_KEYS,
    MAX_FILTER_VALUE_CHARS,
    MAX_FILTER_VALUES,
    MAX_REQUEST_QUERY_CHARS,
    NOTICE_TRUNCATED,
    SORTS,
    FacetValue,
    FeedItem,
    Hit,
    SearchRequest,
    SearchResponse,
)
from kb.taxonomy import Taxonomy
from web import formatting, views
from web.caching import Busy, Searcher
from web.etags import HOUR
from web.filtercheck import filters_notice, no_words_notice
from web.params import has_searchable_word, parse_page, sanitize_param
from web.responses import RETRY_AFTER, RETRY_AFTER_UNAVAILABLE, Renderer
from web.views import PER_PAGE

FEED_SIZE = 30
TITLE_QUERY_CHARS = 60  # of the query in the page's <title> (the tab and the history show no more)
RECENT_ON_START = 8


def parse_state(request: Request) -> tuple[views.SearchState, list[str]]:
    """Lenient parsing for HTML pages: never fails, returns (state, notices). A query without a letter or digit
    counts as no query (its notice says so; the search box still shows it)."""
    params = request.query_params
    # cut at the request limit, which is the parser's too: this notice says so
    q, shortened = sanitize_param(params.get("q", ""), MAX_REQUEST_QUERY_CHARS)
    notices: list[str] = [NOTICE_TRUNCATED.format(n=MAX_REQUEST_QUERY_CHARS)] if shortened else []
    if q and not has_searchable_word(q):
        notices.append(no_words_notice(q))
    typed, q = q, q if has_searchable_word(q) else ""
    filters: dict[str, tuple[str, ...]] = {}
    for key in FACET_KEYS:
        values = [sanitize_param(raw, MAX_FILTER_VALUE_CHARS)[0] for raw in params.getlist(key)[:MAX_FILTER_VALUES]]
        if any(values):
            filters[key] = tuple(sorted({v for v in values if v}))
    sort = params.get("sort", "relevans")
    sort = sort if sort in SORTS else "relevans"
    return views.SearchState(q=q, filters=filters, sort=sort, page=parse_page(params.get("page")), typed=typed), notices


def to_request(state: views.SearchState, per_page: int = PER_PAGE, sort: str | None = None) -> SearchRequest:
    return SearchRequest(q=state.q, filters={k: list(v) for k, v in state.filters.items()}, page=state.page,
                         per_page=per_page, sort=sort or state.sort)


async def search_clamped(searcher: Searcher, state: views.SearchState,
                         per_page: int = PER_PAGE) -> tuple[views.SearchState, SearchResponse]:
    """Search; a page past the end is answered with the last page instead."""
    response = await searcher.search(to_request(state, per_page))
    last = views.last_page(response.total, per_page)
    if response.total and state.page > last:
        state = replace(state, page=last)
        response = await searcher.search(to_request(state, per_page))
    return state, response


def head_links(pages: views.Pagination | None) -> list[dict[str, str]]:
    """``<link rel=prev/next>`` for a paginated list."""
    links = []
    if pages and pages.prev_url:
        links.append({"rel": "prev", "href": pages.prev_url})
    if pages and pages.next_url:
        links.append({"rel": "next", "href": pages.next_url})
    return links


class Pages:
    """The HTML endpoints; every blocking call goes through the searcher (cache, limiter, threadpool)."""

    def __init__(self, searcher: Searcher, taxonomy: Taxonomy, renderer: Renderer) -> None:
        self.searcher = searcher
        self.taxonomy = taxonomy
        self.renderer = renderer
        self.validators = renderer.validators

    def hits(self, results: list[Hit]) -> list[views.HitView]:
        return [views.hit_view(h, self.taxonomy) for h in results]

    async def home(self, request: Request) -> Response:
        backend = self.searcher.backend
        headers, not_modified = self.validators.revalidated(request, backend.generation)
        if not_modified is not None:
            return not_modified
        overview: dict[str, list[FacetValue]] = {}
        recent: list[Hit] = []
        if backend.available:
            try:
                overview = await self.searcher.guarded(backend.facet_overview)
                recent = await self.searcher.guarded(backend.recent, RECENT_ON_START)
            except Busy:
                return self.renderer.busy_html(request)
        counts = {v.value: v.count for v in overview.get("delomrade", [])}
        areas = [
            views.AreaCard(c.slug, c.label, c.description, counts.get(c.slug, 0), formatting.swedish_number(counts.get(c.slug, 0)),
                           f"/delomrade/{c.slug}")
            for c in self.taxonomy.delomraden
        ]
        return self.renderer.render(request, "index.html", {
            "page_title": "Kunskapsbanken",
            "areas": areas,
            "recent": self.hits(recent),
            "doc_count": formatting.swedish_number(backend.doc_count),
            "available": backend.available,
            "nav_current": "start",
        }, headers=headers)

    async def search_page(self, request: Request) -> Response:
        state, notices = parse_state(request)
        headers, not_modified = self.validators.revalidated(request, self.searcher.backend.generation)
        if not_modified is not None:
            return not_modified
        if not self.searcher.backend.available:
            return self.renderer.unavailable_html(request)
        try:
            state, response = await search_clamped(self.searcher, state)
            unknown = await filters_notice(self.searcher, state.filters, response.facets, self.taxonomy.label)
        except Busy:
            return self.renderer.busy_html(request)
        notices += [n for n in (response.notice, unknown) if n]
        pages = views.pagination(state, response.total, PER_PAGE)
        suggestion = None
        if response.suggestion and response.suggestion != state.q:
            suggestion = views.Suggestion(response.suggestion, state.url(q=response.suggestion, page=1))
        shown = state.q if len(state.q) <= TITLE_QUERY_CHARS else state.q[:TITLE_QUERY_CHARS].rstrip() + "…"
        title = f"{formatting.quoted(shown)} – Sök" if state.q else "Sök"
        if state.page > 1:
            title = f"{title} (sida {state.page})"
        return self.renderer.render(request, "results.html", {
            "page_title": title,
            "query": state.typed,
            "state": state,
            "status": views.status_message(response, state.q),
            "notices": notices,
            "suggestion": suggestion,
            "hits": self.hits(response.results),
            "first_number": (response.page - 1) * response.per_page + 1,
            "facets": views.facet_groups(state, response.facets, self.taxonomy),
            "chips": views.chips(state, self.taxonomy),
            "clear_url": state.url(filters={}, page=1),
            "hidden": [("q", state.q)] + ([("sort", state.sort)] if state.sort != "relevans" else []),
            "sort_links": views.sort_links(state),
            "pagination": pages,
            "head_links": head_links(pages),
            "feed_url": state.url("/sok.atom", page=1, sort="relevans"),
            "total": response.total,
            "nav_current": "sok",
        }, headers=headers)

    async def area_page(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        try:
            area = self.taxonomy.delomrade(slug)
        except KeyError:
            raise HTTPException(404) from None
        headers, not_modified = self.validators.revalidated(request, self.searcher.backend.generation)
        if not_modified is not None:
            return not_modified
        if not self.searcher.backend.available:
            return self.renderer.unavailable_html(request)
        state = views.SearchState(filters={"delomrade": (slug,)}, sort="nyast", page=parse_page(request.query_params.get("page")))
        try:
            state, response = await search_clamped(self.searcher, state)
        except Busy:
            return self.renderer.busy_html(request)
        pages = views.pagination(views.SearchState(page=state.page), response.total, PER_PAGE, path=f"/delomrade/{slug}")
        return self.renderer.render(request, "area.html", {
            "page_title": area.label,
            "area": area,
            "subtopics": list(area.subtopics),
            "status": views.status_message(response, ""),
            "hits": self.hits(response.results),
            "first_number": (response.page - 1) * response.per_page + 1,
            "pagination": pages,
            "head_links": head_links(pages),
            "search_url": state.url(page=1, sort="relevans"),
            "feed_url": state.url("/sok.atom", page=1, sort="relevans"),
            "total": response.total,
            "nav_current": "delomraden",
        }, headers=headers)

    async def feed(self, request: Request) -> Response:
        state, _ = parse_state(request)
        backend = self.searcher.backend
        headers, not_modified = self.validators.revalidated(request, backend.generation)
        if not_modified is not None:
            return not_modified
        if not backend.available:
            return PlainTextResponse("Sökindexet är inte tillgängligt.", status_code=503, headers={"Retry-After": RETRY_AFTER_UNAVAILABLE})
        state = replace(state, page=1, sort="nyast")
        try:  # the backend picks what a watched search announces (matches the query well, newest first or changed)
            items = await self.searcher.guarded(backend.feed, to_request(state, per_page=FEED_SIZE, sort="nyast"), FEED_SIZE)
        except Busy:
            return PlainTextResponse("Upptaget, försök igen.", status_code=503, headers={"Retry-After": RETRY_AFTER})
        built = formatting.generation_time(backend.generation, backend.built_at)
        entries = self.feed_entries(items)
        updated = max((e.updated for e in entries), default=formatting.atom_time(built))
        selection = ", ".join(f"{self.taxonomy.label(k, v)}" for k, v in views.iter_selected(state.filters))
        title = "Kunskapsbanken: " + (formatting.quoted(state.q) if state.q else "nytt material") + (f" ({selection})" if selection else "")
        base_url = self.renderer.base_url
        return self.renderer.render(request, "feed.atom", {
            "feed_title": title,
            "feed_id": base_url + state.url("/sok.atom", sort="relevans", page=1),
            "self_url": base_url + state.url("/sok.atom", sort="relevans", page=1),
            "html_url": base_url + state.url(sort="relevans", page=1),
            "updated": updated,
            "entries": entries,
        }, headers=headers, media_type="application/atom+xml; charset=utf-8")

    def feed_entries(self, items: list[FeedItem]) -> list[views.FeedEntry]:
        entries = []
        for item in items:
            hit = item.hit
            if not item.first_seen:
                continue  # an index without kb's own times: no invented date (it would change on every rebuild)
            # published: when kb first saw the document; updated: when kb last saw its text change
            published = formatting.atom_time(datetime.fromisoformat(item.first_seen))
            updated = formatting.atom_time(datetime.fromisoformat(item.changed))
            entries.append(views.FeedEntry(
                id=formatting.tag_uri(hit.url, self.renderer.base_url), title=hit.title or hit.url, href=formatting.safe_href(hit.url),
                updated=updated, published=published, summary=hit.snippet, organisation=hit.organisation,
                categories=[(s, self.taxonomy.label("delomrade", s)) for s in hit.delomraden],
            ))
        return entries

    def opensearch(self, request: Request) -> Response:
        headers, not_modified = self.validators.revalidated(request, "", HOUR)
        if not_modified is not None:
            return not_modified
        return self.renderer.render(request, "opensearch.xml", {}, headers=headers,
                                    media_type="application/opensearchdescription+xml; charset=utf-8")
