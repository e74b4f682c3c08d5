"""Static files: cached for a year under a URL with today's content hash (``?v=…``), for a minute under any other."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=60"  # an unversioned (or stale-versioned) URL: revalidated by ETag after a minute


def static_version(directory: Path = STATIC_DIR) -> str:
    """A short hash over the names and contents of the static files: changes whenever one of them does."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class VersionedStatic:
    """StaticFiles whose URLs carrying today's ``?v=<content hash>`` may be cached for a year; every other URL for a minute."""

    def __init__(self, directory: Path, version: str) -> None:
        self.files = StaticFiles(directory=str(directory))
        self.query = f"v={version}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.files(scope, receive, send)
            return
        policy = (IMMUTABLE if scope.get("query_string", b"") == self.query else REVALIDATE).encode()

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = headers + [(b"cache-control", policy)]
            await send(message)

        await self.files(scope, receive, send_cached)
