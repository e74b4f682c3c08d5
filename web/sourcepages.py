"""The sources pages: /kallor (one table row per source, failing first) and /kallor/{source} (history chart, failures)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kb.readmodel import SourceReports, SourcesOverview
from web.caching import Busy, Searcher
from web.responses import Renderer
from web.sourcesview import overview_context, source_context


class SourcePages:
    """Reading the store's figures takes a limiter slot (it may touch the disk); answers carry ETags of their bodies."""

    def __init__(self, searcher: Searcher, reports: SourceReports, renderer: Renderer) -> None:
        self.searcher = searcher
        self.reports = reports
        self.renderer = renderer

    async def _overview(self) -> SourcesOverview:
        return await self.searcher.guarded(self.reports.overview)

    async def overview(self, request: Request) -> Response:
        try:
            overview = await self._overview()
        except Busy:
            return self.renderer.busy_html(request)
        response = self.renderer.render(request, "sources.html", {
            "page_title": "Källor",
            **overview_context(overview),
            "nav_current": "kallor",
        })
        return self.renderer.validators.of_body(request, response)

    async def source(self, request: Request) -> Response:
        try:
            overview = await self._overview()
        except Busy:
            return self.renderer.busy_html(request)
        wanted = request.path_params["source"]
        found = next((s for s in overview.sources if s.id == wanted), None)
        if found is None:
            raise HTTPException(404)
        response = self.renderer.render(request, "source.html", {
            "page_title": f"{found.name} – Källor",
            **source_context(found),
            "nav_current": "kallor",
        })
        return self.renderer.validators.of_body(request, response)
