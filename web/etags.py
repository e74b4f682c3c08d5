"""Conditional GET: ETags from the index generation and the request, ``If-None-Match`` and 304 answers."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

CACHE_CONTROL = "public, max-age=60"
APP_VERSION = "1"  # part of every ETag: bump when pages change shape


def etag(request: Request, generation: str) -> str:
    """A strong ETag for this URL (path and query) as answered from index ``generation``."""
    raw = b"\0".join([APP_VERSION.encode(), generation.encode(), request.url.path.encode(), request.scope.get("query_string", b"")])
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


def not_modified(request: Request, tag: str) -> bool:
    """True when the client's ``If-None-Match`` already names ``tag`` (weak or strong, or ``*``)."""
    header = request.headers.get("if-none-match", "")
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or tag in tags


def cache_headers(tag: str) -> dict[str, str]:
    """The caching headers of a page or API answer with ETag ``tag``."""
    return {"ETag": tag, "Cache-Control": CACHE_CONTROL}


def revalidated(request: Request, generation: str) -> tuple[str, Response | None]:
    """The ETag for this request, and a 304 response when the client already has it."""
    tag = etag(request, generation)
    if not_modified(request, tag):
        return tag, Response(status_code=304, headers=cache_headers(tag))
    return tag, None
