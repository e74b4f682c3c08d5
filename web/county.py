"""County pages: /lan (every county and its material) and /lan/{slug} (action plans, agreements, regional material, newest first)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kb.lan import NATIONAL, Counties, County, load_counties
from kb.taxonomy import Taxonomy
from web import formatting, views
from web.caching import Busy, Searcher
from web.pages import head_links, search_clamped, to_request
from web.params import parse_page
from web.responses import Renderer
from web.views import PER_PAGE

GET = ["GET", "HEAD"]
SECTION_SIZE = 10  # newest action plans / agreements shown on a county page
SECTIONS = (("handlingsplan", "Handlingsplaner"), ("regional-overenskommelse", "Regionala överenskommelser"), ("lagesbild", "Lägesbilder"))


@dataclass
class CountyCard:
    slug: str
    name: str
    count: int
    count_text: str
    url: str


@dataclass
class Section:
    title: str
    hits: list[views.HitView]
    total: int
    more_url: str | None


def my_county_url(slug: str) -> str:
    """The search for one county's material plus the national material ("mitt län + nationellt")."""
    return views.SearchState(filters={"lan": tuple(sorted((slug, NATIONAL)))}).url()


class CountyPages:
    """County listing and one page per county; every search goes through the searcher (cache, limiter)."""

    def __init__(self, searcher: Searcher, taxonomy: Taxonomy, renderer: Renderer, counties: Counties | None = None) -> None:
        self.searcher = searcher
        self.taxonomy = taxonomy
        self.renderer = renderer
        self.counties = counties or load_counties()

    def routes(self) -> list[BaseRoute]:
        return [Route("/lan", self.overview, methods=GET, name="counties"), Route("/lan/{slug}", self.county, methods=GET, name="county")]

    async def overview(self, request: Request) -> Response:
        backend = self.searcher.backend
        headers, not_modified = self.renderer.validators.revalidated(request, backend.generation)
        if not_modified is not None:
            return not_modified
        if not backend.available:
            return self.renderer.unavailable_html(request)
        try:
            facets = await self.searcher.guarded(backend.facet_overview)
        except Busy:
            return self.renderer.busy_html(request)
        counts = {v.value: v.count for v in facets.get("lan", [])}
        cards = [CountyCard(c.slug, c.name, counts.get(c.slug, 0), formatting.swedish_number(counts.get(c.slug, 0)), f"/lan/{c.slug}")
                 for c in self.counties.counties]
        return self.renderer.render(request, "counties.html", {
            "page_title": "Län",
            "cards": cards,
            "national_count": formatting.swedish_number(counts.get(NATIONAL, 0)),
            "national_url": views.SearchState(filters={"lan": (NATIONAL,)}).url(),
            "nav_current": "lan",
        }, headers=headers)

    async def _section(self, county: County, doc_type: str, title: str) -> Section:
        state = views.SearchState(filters={"lan": (county.slug,), "doc_type": (doc_type,)}, sort="nyast")
        response = await self.searcher.search(to_request(state, per_page=SECTION_SIZE))
        more = state.url(page=1) if response.total > SECTION_SIZE else None
        return Section(title, [views.hit_view(h, self.taxonomy) for h in response.results], response.total, more)

    async def county(self, request: Request) -> Response:
        county = self.counties.by_slug.get(request.path_params["slug"])
        if county is None:
            raise HTTPException(404)
        headers, not_modified = self.renderer.validators.revalidated(request, self.searcher.backend.generation)
        if not_modified is not None:
            return not_modified
        if not self.searcher.backend.available:
            return self.renderer.unavailable_html(request)
        state = views.SearchState(filters={"lan": (county.slug,)}, sort="nyast", page=parse_page(request.query_params.get("page")))
        try:
            sections = [await self._section(county, doc_type, title) for doc_type, title in SECTIONS]
            state, response = await search_clamped(self.searcher, state)
        except Busy:
            return self.renderer.busy_html(request)
        pages = views.pagination(views.SearchState(page=state.page), response.total, PER_PAGE, path=f"/lan/{county.slug}")
        return self.renderer.render(request, "county.html", {
            "page_title": county.name,
            "county": county,
            "kommuner": [name for _code, name in county.kommuner],
            "sections": [s for s in sections if s.total],
            "status": views.status_message(response, ""),
            "hits": [views.hit_view(h, self.taxonomy) for h in response.results],
            "first_number": (response.page - 1) * response.per_page + 1,
            "pagination": pages,
            "head_links": head_links(pages),
            "my_county_url": my_county_url(county.slug),
            "feed_url": state.url("/sok.atom", page=1, sort="relevans"),
            "total": response.total,
            "nav_current": "lan",
        }, headers=headers)
