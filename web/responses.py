"""Responses every route shares: the Jinja environment and page rendering, error pages, RFC 9457 problems, exception handlers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from kb.searchmodel import MAX_REQUEST_QUERY_CHARS
from web import rootpath
from web.etags import CACHE_CONTROL, Validators
from web.security import problem_body

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
RETRY_AFTER = "2"  # seconds, when the limiter was full
RETRY_AFTER_UNAVAILABLE = "60"  # seconds, when there is no index
NO_STORE = "no-store"

HTTP_ERROR_TEXTS = {
    404: ("Sidan finns inte", "Sidan finns inte", "Sidan du söker finns inte. Den kan ha flyttats, eller så är adressen felskriven."),
    405: ("Metoden stöds inte", "Metoden stöds inte", "Webbplatsen tar bara emot GET och HEAD."),
}
API_ERROR_TITLES = {404: "Finns inte", 405: "Metoden stöds inte"}


def build_environment() -> jinja2.Environment:
    """One Jinja environment that escapes EVERY template (.html, .atom, .xml …) and strings."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 ``application/problem+json`` answer (never cached)."""
    all_headers = {"Cache-Control": NO_STORE} | (headers or {})
    return Response(problem_body(status, title, detail), status_code=status, headers=all_headers,
                    media_type="application/problem+json")


def busy_problem() -> Response:
    return problem(503, "Upptaget", "För många sökningar pågår just nu; försök igen.", {"Retry-After": RETRY_AFTER})


def unavailable_problem() -> Response:
    return problem(503, "Sökningen är inte tillgänglig", "Sökindexet är inte byggt eller kunde inte öppnas.",
                   {"Retry-After": RETRY_AFTER_UNAVAILABLE})


class Renderer:
    """Renders templates with the context every page shares (base URL, static version, navigation)."""

    def __init__(self, base_url: str, static_version: str) -> None:
        self.templates = Jinja2Templates(env=build_environment())
        self.base_url = base_url
        self.root = rootpath.root_path(base_url)
        self.static_version = static_version
        self.validators = Validators(f"{static_version}\0{base_url}")

    def render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200,
               headers: dict[str, str] | None = None, media_type: str | None = None) -> Response:
        base: dict[str, Any] = {
            "base_url": self.base_url,
            "static_version": self.static_version,
            "query": "",
            "max_query_chars": MAX_REQUEST_QUERY_CHARS,  # the search box's maxlength: the one limit, kb.searchmodel's
            "head_links": [],
            "feed_url": None,
            "nav_current": "",
        }
        base.update(context)
        response = self.templates.TemplateResponse(request, name, base, status_code=status_code, headers=headers, media_type=media_type)
        return rootpath.apply(response, self.root, headers)  # under a path (/kb): every root-relative URL carries it

    def error_page(self, request: Request, status: int, title: str, heading: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
        return self.render(request, "error.html", {"page_title": title, "heading": heading, "message": message},
                           status_code=status, headers=headers)

    def busy_html(self, request: Request) -> Response:
        return self.error_page(request, 503, "Upptaget", "Många söker just nu",
                               "Sökningen är tillfälligt överbelastad. Försök igen om en liten stund.",
                               {"Retry-After": RETRY_AFTER, "Cache-Control": NO_STORE})

    def unavailable_html(self, request: Request) -> Response:
        return self.error_page(request, 503, "Sökningen är inte tillgänglig", "Sökningen är inte tillgänglig just nu",
                               "Sökindexet är inte byggt eller kunde inte öppnas. Försök igen senare.",
                               {"Retry-After": RETRY_AFTER_UNAVAILABLE, "Cache-Control": NO_STORE})

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """404/405 and other HTTP errors: problem+json under /api/, a Swedish page elsewhere."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if request.url.path.startswith("/api/"):
            detail = "Ingen sådan resurs i API:t." if status == 404 else "Begäran kunde inte hanteras."
            return problem(status, API_ERROR_TITLES.get(status, "Fel"), detail, headers)
        title, heading, message = HTTP_ERROR_TEXTS.get(status, ("Fel", "Något gick fel", "Begäran kunde inte hanteras."))
        if status == 404:
            headers.setdefault("Cache-Control", CACHE_CONTROL)
        return self.error_page(request, status, title, heading, message, headers)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        """An unexpected exception: logged, answered without any detail."""
        log.error("unhandled error on %s: %r", request.url.path, exc)
        if request.url.path.startswith("/api/"):
            return problem(500, "Internt fel", "Ett oväntat fel inträffade.")
        return self.error_page(request, 500, "Fel", "Något gick fel", "Ett oväntat fel inträffade. Försök igen senare.",
                               {"Cache-Control": NO_STORE})
