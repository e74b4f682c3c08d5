"""The JSON API under /api/v1: search, suggest and the OpenAPI description (which states exactly what is checked here)."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.backend import LabelOf
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
from web.etags import HOUR, Validators
from web.filtercheck import filters_notice, no_words_notice
from web.openapi import openapi_document
from web.params import has_searchable_word, parse_strict_int, sanitize_param
from web.responses import busy_problem, problem, unavailable_problem
from web.views import PER_PAGE

SUGGESTIONS = 8
INVALID = "Ogiltig parameter"


class BadParameter(ValueError):
    """A query parameter the API refuses (400); the message is Swedish and names the parameter."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title


def strict_text(raw: str, name: str, limit: int, title: str = INVALID) -> str:
    """A text parameter of at most ``limit`` characters as sent (else BadParameter), sanitised."""
    if len(raw) > limit:
        raise BadParameter(title, f"{name} får vara högst {limit} tecken, inte {len(raw)}.")
    return sanitize_param(raw, limit)[0]


def parse_search(params: QueryParams) -> SearchRequest:
    """A strictly validated search request from API query parameters; raises BadParameter."""
    try:
        per_page = parse_strict_int(params.get("per_page"), "per_page", PER_PAGE, 1, MAX_PER_PAGE)
        page = parse_strict_int(params.get("page"), "page", 1, 1, MAX_PAGE)
    except ValueError as exc:
        raise BadParameter(INVALID, str(exc)) from None
    sort = params.get("sort", "relevans")
    if sort not in SORTS:
        raise BadParameter(INVALID, f"sort måste vara en av {', '.join(SORTS)}.")
    q = strict_text(params.get("q", ""), "q", MAX_REQUEST_QUERY_CHARS, "För lång sökfråga")
    filters: dict[str, list[str]] = {}
    for key in FACET_KEYS:
        values = params.getlist(key)
        if len(values) > MAX_FILTER_VALUES:
            raise BadParameter(INVALID, f"Högst {MAX_FILTER_VALUES} värden för {key}.")
        cleaned = [strict_text(v, key, MAX_FILTER_VALUE_CHARS) for v in values]
        if any(cleaned):
            filters[key] = [v for v in cleaned if v]
    return SearchRequest(q=q, filters=filters, page=page, per_page=per_page, sort=sort)


class Api:
    """The JSON endpoints; errors are RFC 9457 problems."""

    def __init__(self, searcher: Searcher, validators: Validators, base_url: str, label_of: LabelOf) -> None:
        self.searcher = searcher
        self.validators = validators
        self.base_url = base_url
        self.label_of = label_of

    async def search(self, request: Request) -> Response:
        try:
            req = parse_search(request.query_params)
        except BadParameter as exc:
            return problem(400, exc.title, str(exc))
        headers, not_modified = self.validators.revalidated(request, self.searcher.backend.generation)
        if not_modified is not None:
            return not_modified
        if not self.searcher.backend.available:
            return unavailable_problem()
        notices = []
        if req.q and not has_searchable_word(req.q):
            notices.append(no_words_notice(req.q))
            req = SearchRequest(q="", filters=req.filters, page=req.page, per_page=req.per_page, sort=req.sort)
        try:
            response = await self.searcher.search(req)
            notices += [response.notice or "", await filters_notice(self.searcher, req.filters, response.facets, self.label_of) or ""]
        except Busy:
            return busy_problem()
        body = response.to_json()  # a fresh dict: the cached response itself is never changed
        body["notice"] = " ".join(n for n in notices if n) or None
        return JSONResponse(body, headers=headers)

    async def suggest(self, request: Request) -> Response:
        raw = request.query_params.get("q")
        if raw is None:
            return problem(400, INVALID, "q saknas: skriv början av ett sökord.")
        try:
            q = strict_text(raw, "q", MAX_SUGGEST_CHARS)
        except BadParameter as exc:
            return problem(400, exc.title, str(exc))
        if q and raw[-1:].isspace():
            q += " "  # the last word is whole ("hur anmäler man "): completions continue after it
        backend = self.searcher.backend
        headers, not_modified = self.validators.revalidated(request, backend.generation)
        if not_modified is not None:
            return not_modified
        suggestions: list[str] = []
        if q and backend.available:
            try:
                suggestions = list(await self.searcher.guarded(backend.suggest, q, SUGGESTIONS))
            except Busy:
                return busy_problem()
        return JSONResponse({"query": q, "suggestions": suggestions[:SUGGESTIONS]}, headers=headers)

    def openapi(self, request: Request) -> Response:
        headers, not_modified = self.validators.revalidated(request, "", HOUR)
        if not_modified is not None:
            return not_modified
        return JSONResponse(openapi_document(self.base_url), headers=headers)
