"""The app factory: wires a SearchBackend and the store's read model into the pages, the API and the middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from kb.backend import BackendFactory, SearchBackend
from kb.readmodel import ReportsFactory, SourceReports
from kb.settings import Settings
from kb.taxonomy import Taxonomy, load_taxonomy
from web.api import Api
from web.caching import ResponseCache, Searcher
from web.compression import CompressionMiddleware
from web.county import CountyPages
from web.health import ops_routes
from web.limiter import SearchLimiter
from web.metrics import MetricsMiddleware
from web.pages import Pages
from web.responses import Renderer
from web.security import SecurityHeadersMiddleware, TrustedHostMiddleware
from web.sourcepages import SourcePages
from web.static import STATIC_DIR, VersionedStatic, static_version

GET = ["GET", "HEAD"]


class KbStarlette(Starlette):
    """Starlette with the security-header wrapper OUTSIDE the server-error middleware, so 500s get headers too."""

    hsts: bool = False

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), hsts=self.hsts)


@dataclass
class Web:
    """The app's collaborators (``app.state.web``)."""

    settings: Settings
    searcher: Searcher
    reports: SourceReports
    taxonomy: Taxonomy
    renderer: Renderer
    pages: Pages
    sources: SourcePages
    api: Api

    @property
    def backend(self) -> SearchBackend:
        return self.searcher.backend

    @property
    def limiter(self) -> SearchLimiter:
        return self.searcher.limiter

    @property
    def static_version(self) -> str:
        return self.renderer.static_version


def build_web(settings: Settings, backend: SearchBackend, reports: SourceReports, taxonomy: Taxonomy) -> Web:
    searcher = Searcher(backend, SearchLimiter(settings.max_concurrent_searches), ResponseCache(settings.cache_size))
    renderer = Renderer(settings.base_url.rstrip("/"), static_version())
    api = Api(searcher, renderer.validators, renderer.base_url, taxonomy.label)
    sources = SourcePages(searcher, reports, renderer)
    return Web(settings, searcher, reports, taxonomy, renderer, Pages(searcher, taxonomy, renderer), sources, api)


def routes(web: Web) -> list[BaseRoute]:
    pages, api = web.pages, web.api
    return [
        Route("/", pages.home, methods=GET, name="home"),
        Route("/sok", pages.search_page, methods=GET, name="search"),
        Route("/sok.atom", pages.feed, methods=GET, name="feed"),
        Route("/delomrade/{slug}", pages.area_page, methods=GET, name="area"),
        *CountyPages(web.searcher, web.taxonomy, web.renderer).routes(),  # /lan, /lan/{slug} (web.county)
        Route("/kallor", web.sources.overview, methods=GET, name="sources"),
        Route("/kallor/{source}", web.sources.source, methods=GET, name="source"),
        Route("/opensearch.xml", pages.opensearch, methods=GET, name="opensearch"),
        Route("/api/v1/search", api.search, methods=GET, name="api_search"),
        Route("/api/v1/suggest", api.suggest, methods=GET, name="api_suggest"),
        Route("/api/v1/openapi.json", api.openapi, methods=GET, name="openapi"),
        Mount("/static", app=VersionedStatic(STATIC_DIR, web.static_version), name="static"),
    ]


def create_app(settings: Settings, backend: SearchBackend | BackendFactory,
               reports: SourceReports | ReportsFactory = SourceReports) -> Starlette:
    """Build the web app.

    ``backend`` and ``reports`` are each either an object the caller keeps (and closes), or a factory called
    here with ``settings`` (``cache_size=0`` for the backend: the app caches) whose product the app closes on
    shutdown. Backends and read models are never callable, so a callable is always a factory. New index
    generations are picked up in the background."""
    owned_backend = callable(backend)
    # One response cache per worker: the app's own (web.caching, consulted before a limiter slot is taken),
    # so a backend opened here is told to keep none.
    the_backend: SearchBackend = backend(settings.replace(cache_size=0)) if callable(backend) else backend
    owned_reports = callable(reports)
    the_reports: SourceReports = reports(settings) if callable(reports) else reports
    web = build_web(settings, the_backend, the_reports, load_taxonomy())
    the_backend.start_watching()  # new generations are opened in the background, never on a request

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned_reports:
            the_reports.close()
        if owned_backend:
            the_backend.close()

    app = KbStarlette(
        routes=routes(web) + ops_routes(the_backend, settings.data_dir),  # /healthz /readyz /metrics (web.health)
        middleware=[
            Middleware(MetricsMiddleware),  # outermost: every request counted and timed, rejected hosts too
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)), Middleware(CompressionMiddleware),
        ],
        exception_handlers={HTTPException: web.renderer.http_error, 500: web.renderer.server_error},
        lifespan=lifespan,
    )
    app.hsts = urlsplit(settings.base_url).scheme == "https"
    app.router.redirect_slashes = False  # no redirects at all: nothing to abuse as an open redirect
    app.state.web = web
    return app
