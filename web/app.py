"""The Starlette app factory: HTML pages, JSON API, Atom/OpenSearch, error pages and caching."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from kb.errors import ConfigError, KbError
from kb.searchmodel import (
    FACET_KEYS,
    MAX_PER_PAGE,
    NOTICE_ERROR,
    SORTS,
    SearchRequest,
    SearchResponse,
)
from kb.settings import Settings
from kb.taxonomy import Taxonomy, load_taxonomy
from web import views
from web.security import (
    MAX_FILTER_VALUE_CHARS,
    MAX_PAGE,
    MAX_QUERY_CHARS,
    SearchLimiter,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
    clean_text,
    parse_page,
    parse_strict_int,
    problem_body,
)

if TYPE_CHECKING:
    from index.search import SearchService

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
PER_PAGE = 10
FEED_SIZE = 30
CACHE_CONTROL = "public, max-age=60"
IMMUTABLE = "public, max-age=31536000, immutable"  # /static/…?v=<content hash>
APP_VERSION = "1"  # part of every ETag: bump when pages change shape
RETRY_AFTER = "2"


def build_environment() -> jinja2.Environment:
    """One Jinja environment that escapes EVERY template (.html, .atom, .xml …) and strings."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class KbStarlette(Starlette):
    """Starlette with the security-header wrapper OUTSIDE the server-error middleware, so 500s get headers too."""

    hsts: bool = False

    def build_middleware_stack(self) -> Any:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), hsts=self.hsts)


class Busy(Exception):
    """Raised inside a view when the search limiter is full."""


class ResponseCache:
    """A small thread-safe LRU of search responses keyed by (generation, request)."""

    def __init__(self, size: int) -> None:
        self.size = max(0, int(size))
        self._data: OrderedDict[tuple[Any, ...], SearchResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> SearchResponse | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: SearchResponse) -> None:
        if not self.size:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class VersionedStatic:
    """StaticFiles whose URLs carrying today's ``?v=<content hash>`` may be cached for a year."""

    def __init__(self, directory: Path, version: str) -> None:
        self.files = StaticFiles(directory=str(directory))
        self.query = f"v={version}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("query_string", b"") != self.query:
            await self.files(scope, receive, send)
            return

        async def send_cached(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = headers + [(b"cache-control", IMMUTABLE.encode())]
            await send(message)

        await self.files(scope, receive, send_cached)


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class Web:
    """Holds the app's collaborators; its methods are the endpoints."""

    def __init__(self, settings: Settings, service: SearchService, taxonomy: Taxonomy) -> None:
        self.settings = settings
        self.service = service
        self.taxonomy = taxonomy
        self.templates = Jinja2Templates(env=build_environment())
        self.limiter = SearchLimiter(settings.max_concurrent_searches)
        self.cache = ResponseCache(settings.cache_size)
        self.base_url = settings.base_url.rstrip("/")
        self.static_version = _static_version()
        self._sources_lock = threading.Lock()
        self._sources_cached: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._store: Any = None  # one read connection for /kallor, opened when the store exists
        self._store_stamp: tuple[int, int, int] | None = None

    # -- helpers ---------------------------------------------------------------
    def render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200,
               headers: dict[str, str] | None = None, media_type: str | None = None) -> Response:
        base = {
            "base_url": self.base_url,
            "static_version": self.static_version,
            "query": "",
            "head_links": [],
            "feed_url": None,
            "nav_current": "",
        }
        base.update(context)
        return self.templates.TemplateResponse(request, name, base, status_code=status_code, headers=headers, media_type=media_type)

    def etag(self, request: Request) -> str:
        generation = getattr(self.service, "generation", "") or ""
        raw = b"\0".join([APP_VERSION.encode(), generation.encode(), request.url.path.encode(), request.scope.get("query_string", b"")])
        return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'

    @staticmethod
    def not_modified(request: Request, etag: str) -> bool:
        header = request.headers.get("if-none-match", "")
        if not header:
            return False
        tags = [t.strip().removeprefix("W/") for t in header.split(",")]
        return "*" in tags or etag in tags

    @staticmethod
    def cache_headers(etag: str) -> dict[str, str]:
        return {"ETag": etag, "Cache-Control": CACHE_CONTROL}

    def parse_state(self, request: Request) -> tuple[views.SearchState, str | None]:
        """Lenient parsing for HTML pages: never fails, returns (state, notice)."""
        params = request.query_params
        q, shortened = clean_text(params.get("q", ""))
        filters: dict[str, tuple[str, ...]] = {}
        for key in FACET_KEYS:
            values = []
            for raw in params.getlist(key)[:20]:
                value, _ = clean_text(raw, MAX_FILTER_VALUE_CHARS)
                if value:
                    values.append(value)
            if values:
                filters[key] = tuple(sorted(set(values)))
        sort = params.get("sort", "relevans")
        sort = sort if sort in SORTS else "relevans"
        state = views.SearchState(q=q, filters=filters, sort=sort, page=parse_page(params.get("page")))
        notice = f"Sökfrågan var längre än {MAX_QUERY_CHARS} tecken och har kortats." if shortened else None
        return state, notice

    @staticmethod
    def to_request(state: views.SearchState, per_page: int = PER_PAGE, sort: str | None = None) -> SearchRequest:
        return SearchRequest(q=state.q, filters={k: list(v) for k, v in state.filters.items()}, page=state.page,
                             per_page=per_page, sort=sort or state.sort)

    async def search(self, req: SearchRequest) -> SearchResponse:
        """Run a (blocking Whoosh) search in the threadpool, bounded by the limiter; raises Busy when no slot came free.

        The limiter is waited for on the event loop, before a worker thread is used: a burst queues briefly
        (bounded in time and length) without tying up the threadpool."""
        key = (getattr(self.service, "generation", ""), req.q, tuple(sorted((k, tuple(v)) for k, v in req.filters.items())),
               req.page, req.per_page, req.sort)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        response: SearchResponse = await self.guarded(self.service.search, req)
        if response.notice != NOTICE_ERROR:  # a passing failure must not be served again from the cache
            self.cache.put(key, response)
        return response

    async def search_clamped(self, state: views.SearchState, per_page: int = PER_PAGE) -> tuple[views.SearchState, SearchResponse]:
        """Search; a page past the end is answered with the last page instead."""
        response = await self.search(self.to_request(state, per_page))
        last = views.last_page(response.total, per_page)
        if response.total and state.page > last:
            state = replace(state, page=last)
            response = await self.search(self.to_request(state, per_page))
        return state, response

    def busy_html(self, request: Request) -> Response:
        return self.render(request, "error.html", {
            "page_title": "Upptaget", "heading": "Många söker just nu",
            "message": "Sökningen är tillfälligt överbelastad. Försök igen om en liten stund.",
        }, status_code=503, headers={"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"})

    def unavailable_html(self, request: Request) -> Response:
        return self.render(request, "error.html", {
            "page_title": "Sökningen är inte tillgänglig", "heading": "Sökningen är inte tillgänglig just nu",
            "message": "Sökindexet är inte byggt eller kunde inte öppnas. Försök igen senare.",
        }, status_code=503, headers={"Retry-After": "60", "Cache-Control": "no-store"})

    @staticmethod
    def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
        all_headers = {"Cache-Control": "no-store"} | (headers or {})
        return Response(problem_body(status, title, detail), status_code=status, headers=all_headers,
                        media_type="application/problem+json")

    # -- pages -------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        if not self.service.available:
            overview: dict[str, Any] = {}
            recent: list[Any] = []
        else:
            try:
                overview = await self.guarded(self.service.facet_overview)
                recent = await self.guarded(self.service.recent, 8)
            except Busy:
                return self.busy_html(request)
        counts = {v.value: v.count for v in overview.get("delomrade", [])}
        areas = [
            views.AreaCard(c.slug, c.label, c.description, counts.get(c.slug, 0), views.swedish_number(counts.get(c.slug, 0)),
                           f"/delomrade/{c.slug}")
            for c in self.taxonomy.delomraden
        ]
        return self.render(request, "index.html", {
            "page_title": "Kunskapsbanken",
            "areas": areas,
            "recent": [views.hit_view(h, self.taxonomy) for h in recent],
            "doc_count": views.swedish_number(int(getattr(self.service, "doc_count", 0) or 0)),
            "available": bool(self.service.available),
            "nav_current": "start",
        })

    async def guarded(self, func: Any, *args: Any) -> Any:
        """Call a blocking service method in the threadpool while holding a limiter slot (waiting briefly for one)."""
        if not await self.limiter.acquire():
            raise Busy()
        try:
            return await run_in_threadpool(func, *args)
        finally:
            self.limiter.release()

    async def search_page(self, request: Request) -> Response:
        state, notice = self.parse_state(request)
        etag = self.etag(request)
        if self.not_modified(request, etag):
            return Response(status_code=304, headers=self.cache_headers(etag))
        if not self.service.available:
            return self.unavailable_html(request)
        try:
            state, response = await self.search_clamped(state)
        except Busy:
            return self.busy_html(request)
        pages = views.pagination(state, response.total, PER_PAGE)
        head_links = []
        if pages and pages.prev_url:
            head_links.append({"rel": "prev", "href": pages.prev_url})
        if pages and pages.next_url:
            head_links.append({"rel": "next", "href": pages.next_url})
        suggestion = None
        if response.suggestion and response.suggestion != state.q:
            suggestion = views.Suggestion(response.suggestion, state.url(q=response.suggestion, page=1))
        title = f"{views.quoted(state.q)} – Sök" if state.q else "Sök"
        if state.page > 1:
            title = f"{title} (sida {state.page})"
        context = {
            "page_title": title,
            "query": state.q,
            "state": state,
            "status": views.status_message(response, state.q),
            "notice": notice or response.notice,
            "suggestion": suggestion,
            "hits": [views.hit_view(h, self.taxonomy) for h in response.results],
            "first_number": (response.page - 1) * response.per_page + 1,
            "facets": views.facet_groups(state, response.facets, self.taxonomy),
            "chips": views.chips(state, self.taxonomy),
            "clear_url": state.url(filters={}, page=1),
            "hidden": [("q", state.q)] + ([("sort", state.sort)] if state.sort != "relevans" else []),
            "sort_links": views.sort_links(state),
            "pagination": pages,
            "head_links": head_links,
            "feed_url": state.url("/sok.atom", page=1, sort="relevans"),
            "total": response.total,
            "nav_current": "sok",
        }
        return self.render(request, "results.html", context, headers=self.cache_headers(etag))

    async def area_page(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        try:
            area = self.taxonomy.delomrade(slug)
        except KeyError:
            raise HTTPException(404) from None
        etag = self.etag(request)
        if self.not_modified(request, etag):
            return Response(status_code=304, headers=self.cache_headers(etag))
        if not self.service.available:
            return self.unavailable_html(request)
        state = views.SearchState(filters={"delomrade": (slug,)}, sort="nyast", page=parse_page(request.query_params.get("page")))
        try:
            state, response = await self.search_clamped(state)
        except Busy:
            return self.busy_html(request)
        path = f"/delomrade/{slug}"
        base = views.SearchState(page=state.page)
        pages = views.pagination(base, response.total, PER_PAGE, path=path)
        head_links = []
        if pages and pages.prev_url:
            head_links.append({"rel": "prev", "href": pages.prev_url})
        if pages and pages.next_url:
            head_links.append({"rel": "next", "href": pages.next_url})
        return self.render(request, "area.html", {
            "page_title": area.label,
            "area": area,
            "subtopics": list(area.subtopics),
            "status": views.status_message(response, ""),
            "hits": [views.hit_view(h, self.taxonomy) for h in response.results],
            "first_number": (response.page - 1) * response.per_page + 1,
            "pagination": pages,
            "head_links": head_links,
            "search_url": state.url(page=1, sort="relevans"),
            "feed_url": state.url("/sok.atom", page=1, sort="relevans"),
            "total": response.total,
            "nav_current": "delomraden",
        }, headers=self.cache_headers(etag))

    async def sources_page(self, request: Request) -> Response:
        """Every configured source with counts, last crawl, history and failures.

        The figures are read once and reused until sources.yaml or the store's files change (a new run, new
        documents); reading them takes a limiter slot like a search."""
        try:
            context = await self.guarded(self.sources_context)
        except Busy:
            return self.busy_html(request)
        return self.render(request, "sources.html", {
            "page_title": "Källor",
            **context,
            "nav_current": "kallor",
        }, headers={"Cache-Control": CACHE_CONTROL})

    def sources_context(self) -> dict[str, Any]:
        """The /kallor figures, cached by (sources.yaml, store database, store WAL) file stamps."""
        with self._sources_lock:
            store = self._sources_store()
            db = self.settings.store_path
            key = (_file_stamp(self.settings.sources), _file_stamp(db), _file_stamp(db.with_name(db.name + "-wal")))
            if self._sources_cached is not None and self._sources_cached[0] == key:
                return self._sources_cached[1]
            context = self._read_sources(store)
            self._sources_cached = (key, context)  # keyed by the stamps from before reading: never newer than its data
            return context

    def _sources_store(self) -> Any:
        """The kept read connection to the store (reopened when the file was replaced); None when there is no store."""
        from kb.store import Store

        stamp = _file_stamp(self.settings.store_path)
        if self._store is not None and (stamp is None or stamp[0] != self._store_stamp[0]):  # type: ignore[index]
            self._store.close()
            self._store = None
        if self._store is None and stamp is not None:
            try:
                self._store = Store(self.settings.store_path)
                self._store_stamp = stamp
            except KbError as exc:
                log.error("sources page: cannot open the store: %s", exc)
        return self._store

    def _read_sources(self, store: Any) -> dict[str, Any]:
        from kb.sources import load_sources

        configured: list[tuple[str, str, str]] = []
        config_error = None
        try:
            sources, _ = load_sources(self.settings.sources)
            configured = [(s.id, s.name, s.organisation) for s in sources]
        except (ConfigError, OSError) as exc:
            log.warning("sources page: cannot read %s: %s", self.settings.sources, exc)
            config_error = "Källförteckningen kunde inte läsas; visar de källor som finns i dokumentlagret."
        rows: list[dict[str, Any]] = []
        if store is None:
            if self.settings.store_path.exists():
                config_error = "Dokumentlagret kunde inte läsas just nu."
            for sid, name, org in configured:
                rows.append(_source_row(sid, name, org, 0, [], None))
        else:
            try:
                counts = store.counts_by("source")
                if not configured:
                    configured = [(sid, sid, "") for sid in sorted(counts)]
                for sid, name, org in configured:
                    history = store.source_history(sid, limit=10)
                    report = None
                    if history:
                        run = store.run_report(int(history[0]["run_id"]))
                        report = run.sources.get(sid) if run else None
                    rows.append(_source_row(sid, name, org, counts.get(sid, store.count_documents(sid)), history, report))
            except KbError as exc:
                log.error("sources page: store unreadable: %s", exc)
                config_error = "Dokumentlagret kunde inte läsas just nu."
        return {"sources": rows, "config_error": config_error}

    def close(self) -> None:
        """Release the store connection kept for /kallor."""
        with self._sources_lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    async def feed(self, request: Request) -> Response:
        state, _ = self.parse_state(request)
        etag = self.etag(request)
        if self.not_modified(request, etag):
            return Response(status_code=304, headers=self.cache_headers(etag))
        if not self.service.available:
            return PlainTextResponse("Sökindexet är inte tillgängligt.", status_code=503, headers={"Retry-After": "60"})
        state = replace(state, page=1, sort="nyast")
        try:
            response = await self.search(self.to_request(state, per_page=FEED_SIZE, sort="nyast"))
        except Busy:
            return PlainTextResponse("Upptaget, försök igen.", status_code=503, headers={"Retry-After": RETRY_AFTER})
        current = str(getattr(self.service, "generation", "") or "")
        name = response.generation or current
        built = views.generation_time(name, str(getattr(self.service, "built_at", "") or "") if name == current else "")
        entries = []
        for hit in response.results:
            published = views.parse_date(hit.published)
            if published is None:
                # Atom needs a date and the document has none: any date we invented would either lie or change
                # on every rebuild (re-announcing the entry), so undated material stays in the HTML search only.
                continue
            stamp = views.atom_time(published)
            entries.append({
                "id": views.tag_uri(hit.url), "title": hit.title or hit.url, "href": views.safe_href(hit.url),
                "updated": stamp, "published": stamp, "summary": hit.snippet,
                "organisation": hit.organisation,
                "categories": [(s, self.taxonomy.label("delomrade", s)) for s in hit.delomraden],
            })
        updated = max((e["updated"] for e in entries), default=views.atom_time(built))
        selection = ", ".join(f"{self.taxonomy.label(k, v)}" for k, v in views.iter_selected(state.filters))
        title = "Kunskapsbanken: " + (views.quoted(state.q) if state.q else "nytt material") + (f" ({selection})" if selection else "")
        html_url = self.base_url + state.url(sort="relevans", page=1)
        return self.render(request, "feed.atom", {
            "feed_title": title,
            "feed_id": self.base_url + state.url("/sok.atom", sort="relevans", page=1),
            "self_url": self.base_url + state.url("/sok.atom", sort="relevans", page=1),
            "html_url": html_url,
            "updated": updated,
            "entries": entries,
        }, headers=self.cache_headers(etag), media_type="application/atom+xml; charset=utf-8")

    def opensearch(self, request: Request) -> Response:
        return self.render(request, "opensearch.xml", {}, headers={"Cache-Control": "public, max-age=3600"},
                           media_type="application/opensearchdescription+xml; charset=utf-8")

    # -- API -----------------------------------------------------------------------
    async def api_search(self, request: Request) -> Response:
        params = request.query_params
        try:
            per_page = parse_strict_int(params.get("per_page"), "per_page", PER_PAGE, 1, MAX_PER_PAGE)
            page = parse_strict_int(params.get("page"), "page", 1, 1, MAX_PAGE)
        except ValueError as exc:
            return self.problem(400, "Ogiltig parameter", str(exc))
        sort = params.get("sort", "relevans")
        if sort not in SORTS:
            return self.problem(400, "Ogiltig parameter", f"sort måste vara en av {', '.join(SORTS)}.")
        raw_q = params.get("q", "")
        q, shortened = clean_text(raw_q)
        if shortened:
            return self.problem(400, "För lång sökfråga", f"Sökfrågan får vara högst {MAX_QUERY_CHARS} tecken.")
        filters: dict[str, list[str]] = {}
        for key in FACET_KEYS:
            values = params.getlist(key)
            if len(values) > 20:
                return self.problem(400, "Ogiltig parameter", f"Högst 20 värden för {key}.")
            cleaned = [clean_text(v, MAX_FILTER_VALUE_CHARS)[0] for v in values]
            if any(cleaned):
                filters[key] = [v for v in cleaned if v]
        etag = self.etag(request)
        if self.not_modified(request, etag):
            return Response(status_code=304, headers=self.cache_headers(etag))
        if not self.service.available:
            return self.problem(503, "Sökningen är inte tillgänglig", "Sökindexet är inte byggt eller kunde inte öppnas.",
                                {"Retry-After": "60"})
        try:
            response = await self.search(SearchRequest(q=q, filters=filters, page=page, per_page=per_page, sort=sort))
        except Busy:
            return self.problem(503, "Upptaget", "För många sökningar pågår just nu; försök igen.", {"Retry-After": RETRY_AFTER})
        return JSONResponse(response.to_json(), headers=self.cache_headers(etag))

    async def api_suggest(self, request: Request) -> Response:
        q, _ = clean_text(request.query_params.get("q", ""), 100)
        suggestions: list[str] = []
        if q and self.service.available:
            try:
                suggestions = list(await self.guarded(self.service.suggest, q, 8))
            except Busy:
                return self.problem(503, "Upptaget", "För många sökningar pågår just nu; försök igen.", {"Retry-After": RETRY_AFTER})
        return JSONResponse({"query": q, "suggestions": suggestions[:8]}, headers={"Cache-Control": CACHE_CONTROL})

    def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.base_url), headers={"Cache-Control": "public, max-age=3600"})

    # -- errors ----------------------------------------------------------------------
    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if request.url.path.startswith("/api/"):
            titles = {404: "Finns inte", 405: "Metoden stöds inte"}
            return self.problem(status, titles.get(status, "Fel"), "Ingen sådan resurs i API:t." if status == 404 else "Begäran kunde inte hanteras.", headers)
        texts = {
            404: ("Sidan finns inte", "Sidan finns inte", "Sidan du söker finns inte. Den kan ha flyttats, eller så är adressen felskriven."),
            405: ("Metoden stöds inte", "Metoden stöds inte", "Webbplatsen tar bara emot GET och HEAD."),
        }
        title, heading, message = texts.get(status, ("Fel", "Något gick fel", "Begäran kunde inte hanteras."))
        return self.render(request, "error.html", {"page_title": title, "heading": heading, "message": message},
                           status_code=status, headers=headers)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s: %r", request.url.path, exc)
        if request.url.path.startswith("/api/"):
            return self.problem(500, "Internt fel", "Ett oväntat fel inträffade.")
        return self.render(request, "error.html", {
            "page_title": "Fel", "heading": "Något gick fel",
            "message": "Ett oväntat fel inträffade. Försök igen senare.",
        }, status_code=500, headers={"Cache-Control": "no-store"})


def _source_row(sid: str, name: str, org: str, count: int, history: list[dict[str, Any]], report: Any) -> dict[str, Any]:
    """Plain figures for one source on /kallor."""
    last_ok = next((h for h in history if h.get("status") == "ok"), None)
    latest = history[0] if history else None
    failures = list(report.failures) if report is not None else []
    by_reason = sorted(report.failed_by_reason().items(), key=lambda kv: (-kv[1], kv[0])) if report is not None else []
    status_labels = {"ok": "OK", "partial": "Delvis", "unreachable": "Kunde inte nås", "skipped": "Hoppades över"}

    def when(value: str | None) -> dict[str, str] | None:
        if not value:
            return None
        date_value = views.parse_date(value)
        return {"iso": value[:10], "text": views.swedish_date(date_value) if date_value else value}

    return {
        "id": sid,
        "name": name,
        "organisation": org,
        "count": count,
        "count_text": views.swedish_number(count),
        "last_ok": when(last_ok["started"]) if last_ok else None,
        "latest_status": status_labels.get(str(latest.get("status")), str(latest.get("status"))) if latest else None,
        "latest_when": when(latest["started"]) if latest else None,
        "history": [{"when": when(h["started"]), "count": views.swedish_number(int(h.get("doc_count") or 0)),
                     "status": status_labels.get(str(h.get("status")), str(h.get("status")))} for h in history],
        "failed_total": len(failures),
        "by_reason": [{"reason": r, "count": n} for r, n in by_reason],
        "failing_urls": [{"url": u, "reason": r, "detail": d} for u, r, d in failures[:10]],
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """OpenAPI 3.1 description of /api/v1."""
    facet_params = [
        {"name": key, "in": "query", "required": False, "description": f"Filter på {key}; upprepa för flera värden (ELLER inom fasetten).",
         "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 20}, "style": "form", "explode": True}
        for key in FACET_KEYS
    ]
    problem = {"description": "Fel (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kunskapsbanken API", "version": "1.0.0",
                 "description": "Sök i kunskapsbanken om mäns våld mot kvinnor."},
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/search": {"get": {
                "summary": "Sök", "operationId": "search",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE}},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS), "default": "relevans"}},
                    *facet_params,
                ],
                "responses": {
                    "200": {"description": "Sökresultat", "headers": {"ETag": {"schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
                    "304": {"description": "Oförändrat (If-None-Match)"},
                    "400": problem, "503": problem,
                },
            }},
            "/api/v1/suggest": {"get": {
                "summary": "Förslag medan man skriver", "operationId": "suggest",
                "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 100}}],
                "responses": {"200": {"description": "Förslag", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"query": {"type": "string"}, "suggestions": {"type": "array", "items": {"type": "string"}}},
                    "required": ["query", "suggestions"]}}}}, "503": problem},
            }},
        },
        "components": {"schemas": {
            "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}},
            "FacetValue": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}, "count": {"type": "integer"}, "selected": {"type": "boolean"}}},
            "Hit": {"type": "object", "properties": {
                "url": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                "snippet": {"type": "string", "description": "HTML-säker text; träffar inom <mark>"},
                "organisation": {"type": "string"}, "source": {"type": "string"},
                "delomraden": {"type": "array", "items": {"type": "string"}}, "doc_type": {"type": "string"},
                "published": {"type": ["string", "null"], "format": "date"}, "score": {"type": "number"},
                "format": {"type": "string", "enum": ["html", "pdf", "docx", "pptx"]},
                "malgrupp": {"type": "array", "items": {"type": "string"}}, "explanation": {"type": "string"},
                "duplicates": {"type": "array", "items": {"type": "string"}}}},
            "SearchResponse": {"type": "object", "required": ["query", "total", "page", "per_page", "results", "facets"], "properties": {
                "query": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "sort": {"type": "string", "enum": list(SORTS)},
                "suggestion": {"type": ["string", "null"]},
                "notice": {"type": ["string", "null"]},
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}}}},
        }},
    }


def create_app(settings: Settings, service: SearchService | None = None) -> Starlette:
    """Build the web app; the search service is created from ``settings`` unless given (and then closed on shutdown)."""
    taxonomy = load_taxonomy()
    owned = service is None
    if service is None:
        from index.search import SearchService

        service = SearchService(settings, taxonomy)
    web = Web(settings, service, taxonomy)
    start_watching = getattr(service, "start_watching", None)
    if start_watching is not None:
        start_watching()  # new generations are opened in the background, never on a request

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        web.close()
        if owned:
            service.close()

    get = ["GET", "HEAD"]
    routes = [
        Route("/", web.home, methods=get, name="home"),
        Route("/sok", web.search_page, methods=get, name="search"),
        Route("/sok.atom", web.feed, methods=get, name="feed"),
        Route("/delomrade/{slug}", web.area_page, methods=get, name="area"),
        Route("/kallor", web.sources_page, methods=get, name="sources"),
        Route("/opensearch.xml", web.opensearch, methods=get, name="opensearch"),
        Route("/api/v1/search", web.api_search, methods=get, name="api_search"),
        Route("/api/v1/suggest", web.api_suggest, methods=get, name="api_suggest"),
        Route("/api/v1/openapi.json", web.openapi, methods=get, name="openapi"),
        Mount("/static", app=VersionedStatic(STATIC_DIR, web.static_version), name="static"),
    ]
    app = KbStarlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))],
        exception_handlers={HTTPException: web.http_error, 500: web.server_error},
        lifespan=lifespan,
    )
    app.hsts = urlsplit(settings.base_url).scheme == "https"
    app.router.redirect_slashes = False  # no redirects at all: nothing to abuse as an open redirect
    app.state.web = web
    return app


def app_from_env() -> Starlette:
    """ASGI factory for several worker processes: `uvicorn --factory web.app:app_from_env --workers 2` (settings from KB_*)."""
    from kb.settings import load_settings

    return create_app(load_settings())
