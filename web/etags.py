"""Conditional GET: ETags from what an answer depends on (index generation, or its body), ``If-None-Match`` and 304s.

The app makes strong tags here; web.compression sends every one of them weak (``W/"…"``), because the gzip and
identity encodings of one answer share its tag. Comparison is weak, as RFC 9110 asks for ``If-None-Match``."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

CACHE_CONTROL = "public, max-age=60"  # pages, feeds, API answers: they change with each index generation
HOUR = "public, max-age=3600"  # the OpenSearch and OpenAPI descriptions: they change with a deploy
APP_VERSION = "2"  # part of every ETag: bump when pages change shape without a static file changing


def not_modified(request: Request, tag: str) -> bool:
    """True when the client's ``If-None-Match`` already names ``tag`` (weak or strong, or ``*``)."""
    header = request.headers.get("if-none-match", "")
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or tag.removeprefix("W/") in tags


def cache_headers(tag: str, cache_control: str = CACHE_CONTROL) -> dict[str, str]:
    """The caching headers of an answer with ETag ``tag``."""
    return {"ETag": tag, "Cache-Control": cache_control}


def _digest(*parts: bytes) -> str:
    return '"' + hashlib.sha256(b"\0".join(parts)).hexdigest()[:32] + '"'


class Validators:
    """ETags for one app. Every tag hashes ``salt`` (app version, static files' version, base URL: what every
    page embeds) with what the answer depends on, so a deploy that changes a page changes its tag too."""

    def __init__(self, salt: str) -> None:
        self.salt = f"{APP_VERSION}\0{salt}".encode()

    def tag(self, request: Request, version: str) -> str:
        """The tag of this URL (path and query) as answered from ``version`` (an index generation, or "")."""
        return _digest(self.salt, version.encode(), request.url.path.encode(), request.scope.get("query_string", b""))

    def revalidated(self, request: Request, version: str,
                    cache_control: str = CACHE_CONTROL) -> tuple[dict[str, str], Response | None]:
        """The caching headers for this request, and a 304 when the client already has the answer."""
        headers = cache_headers(self.tag(request, version), cache_control)
        if not_modified(request, headers["ETag"]):
            return headers, Response(status_code=304, headers=headers)
        return headers, None

    def of_body(self, request: Request, response: Response, cache_control: str = CACHE_CONTROL) -> Response:
        """``response`` with an ETag from its body (for answers with no cheaper version), or a 304 for it."""
        headers = cache_headers(_digest(self.salt, bytes(response.body)), cache_control)
        if not_modified(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        response.headers.update(headers)
        return response
