"""Static files whose URLs carry a content hash (``?v=…``) and may then be cached for a year."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


def static_version(directory: Path = STATIC_DIR) -> str:
    """A short hash over the names and contents of the static files: changes whenever one of them does."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class VersionedStatic:
    """StaticFiles whose URLs carrying today's ``?v=<content hash>`` may be cached for a year."""

    def __init__(self, directory: Path, version: str) -> None:
        self.files = StaticFiles(directory=str(directory))
        self.query = f"v={version}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("query_string", b"") != self.query:
            await self.files(scope, receive, send)
            return

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = headers + [(b"cache-control", IMMUTABLE.encode())]
            await send(message)

        await self.files(scope, receive, send_cached)
