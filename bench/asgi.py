"""A minimal in-process ASGI driver, so per-request CPU is the app's and not an HTTP client's."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit


class AsgiDriver:
    """Runs requests against an ASGI app on one private event loop (lifespan started once)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._lifespan_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._lifespan_task: asyncio.Task[None] | None = None
        self.loop.run_until_complete(self._startup())

    async def _startup(self) -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started = asyncio.Event()
        self._lifespan_queue = queue
        await queue.put({"type": "lifespan.startup"})

        async def receive() -> dict[str, Any]:
            return await queue.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                started.set()

        async def run() -> None:
            try:
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
            except Exception:
                started.set()

        self._lifespan_task = self.loop.create_task(run())
        await asyncio.wait_for(started.wait(), 30)

    def get(self, url: str) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._get(url))

    async def _get(self, url: str) -> tuple[int, bytes]:
        parts = urlsplit(url)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": parts.path, "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
            "state": {},
        }
        status = 0
        body: list[bytes] = []
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(body)

    def close(self) -> None:
        async def shutdown() -> None:
            if self._lifespan_queue is not None:
                await self._lifespan_queue.put({"type": "lifespan.shutdown"})
            if self._lifespan_task is not None:
                try:
                    await asyncio.wait_for(self._lifespan_task, 10)
                except Exception:
                    pass

        self.loop.run_until_complete(shutdown())
        self.loop.close()
