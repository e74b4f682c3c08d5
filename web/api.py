"""The JSON API under /api/v1: search, suggest and the OpenAPI description."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.searchmodel import (
    FACET_KEYS,
    MAX_FILTER_VALUE_CHARS,
    MAX_FILTER_VALUES,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_REQUEST_QUERY_CHARS,
    MAX_SUGGEST_CHARS,
    SORTS,
    SearchRequest,
)
from web.caching import Busy, Searcher
from web.etags import CACHE_CONTROL, cache_headers, revalidated
from web.openapi import openapi_document
from web.params import parse_strict_int, sanitize_param
from web.responses import busy_problem, problem, unavailable_problem
from web.views import PER_PAGE

SUGGESTIONS = 8
HOUR = "public, max-age=3600"


class BadParameter(ValueError):
    """A query parameter the API refuses (400); the message is Swedish and names the parameter."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title


def parse_search(params: QueryParams) -> SearchRequest:
    """A strictly validated search request from API query parameters; raises BadParameter."""
    try:
        per_page = parse_strict_int(params.get("per_page"), "per_page", PER_PAGE, 1, MAX_PER_PAGE)
        page = parse_strict_int(params.get("page"), "page", 1, 1, MAX_PAGE)
    except ValueError as exc:
        raise BadParameter("Ogiltig parameter", str(exc)) from None
    sort = params.get("sort", "relevans")
    if sort not in SORTS:
        raise BadParameter("Ogiltig parameter", f"sort måste vara en av {', '.join(SORTS)}.")
    q, shortened = sanitize_param(params.get("q", ""), MAX_REQUEST_QUERY_CHARS)
    if shortened:
        raise BadParameter("För lång sökfråga", f"Sökfrågan får vara högst {MAX_REQUEST_QUERY_CHARS} tecken.")
    filters: dict[str, list[str]] = {}
    for key in FACET_KEYS:
        values = params.getlist(key)
        if len(values) > MAX_FILTER_VALUES:
            raise BadParameter("Ogiltig parameter", f"Högst {MAX_FILTER_VALUES} värden för {key}.")
        cleaned = [sanitize_param(v, MAX_FILTER_VALUE_CHARS)[0] for v in values]
        if any(cleaned):
            filters[key] = [v for v in cleaned if v]
    return SearchRequest(q=q, filters=filters, page=page, per_page=per_page, sort=sort)


class Api:
    """The JSON endpoints; errors are RFC 9457 problems."""

    def __init__(self, searcher: Searcher, base_url: str) -> None:
        self.searcher = searcher
        self.base_url = base_url

    async def search(self, request: Request) -> Response:
        try:
            req = parse_search(request.query_params)
        except BadParameter as exc:
            return problem(400, exc.title, str(exc))
        etag, not_modified = revalidated(request, self.searcher.backend.generation)
        if not_modified is not None:
            return not_modified
        if not self.searcher.backend.available:
            return unavailable_problem()
        try:
            response = await self.searcher.search(req)
        except Busy:
            return busy_problem()
        return JSONResponse(response.to_json(), headers=cache_headers(etag))

    async def suggest(self, request: Request) -> Response:
        q, _ = sanitize_param(request.query_params.get("q", ""), MAX_SUGGEST_CHARS)
        suggestions: list[str] = []
        backend = self.searcher.backend
        if q and backend.available:
            try:
                suggestions = list(await self.searcher.guarded(backend.suggest, q, SUGGESTIONS))
            except Busy:
                return busy_problem()
        return JSONResponse({"query": q, "suggestions": suggestions[:SUGGESTIONS]}, headers={"Cache-Control": CACHE_CONTROL})

    def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.base_url), headers={"Cache-Control": HOUR})
