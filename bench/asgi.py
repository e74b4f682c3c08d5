"""A minimal in-process ASGI driver, so per-request CPU is the app's and not an HTTP client's.

The event loop runs in its own thread with one long-lived task that serves every request, the
way a server does: anyio then keeps its worker threads between requests (a loop driven by
``run_until_complete`` per request would start a new worker thread every time, ~1 ms each).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any
from urllib.parse import urlsplit


class AsgiDriver:
    """Runs GET requests against an ASGI app (lifespan started once); ``get`` blocks the caller."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="asgi-driver", daemon=True)
        self.thread.start()
        self._lifespan: asyncio.Queue[dict[str, Any]] | None = None
        self._requests: asyncio.Queue[tuple[str, concurrent.futures.Future[tuple[int, bytes]]] | None] | None = None
        asyncio.run_coroutine_threadsafe(self._startup(), self.loop).result(30)
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)

    async def _startup(self) -> None:
        self._lifespan = asyncio.Queue()
        self._requests = asyncio.Queue()
        started = asyncio.Event()
        await self._lifespan.put({"type": "lifespan.startup"})
        lifespan = self._lifespan

        async def receive() -> dict[str, Any]:
            return await lifespan.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                started.set()

        async def run() -> None:
            try:
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
            finally:
                started.set()

        self._lifespan_task = asyncio.get_running_loop().create_task(run())
        await asyncio.wait_for(started.wait(), 30)

    async def _serve(self) -> None:
        assert self._requests is not None
        while (item := await self._requests.get()) is not None:
            url, future = item
            try:
                future.set_result(await self._get(url))
            except Exception as exc:  # handed to the caller
                future.set_exception(exc)

    def get(self, url: str) -> tuple[int, bytes]:
        assert self._requests is not None
        future: concurrent.futures.Future[tuple[int, bytes]] = concurrent.futures.Future()
        self.loop.call_soon_threadsafe(self._requests.put_nowait, (url, future))
        return future.result(300)

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
        disconnected = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, send)
        disconnected.set()
        return status, b"".join(body)

    def close(self) -> None:
        async def shutdown() -> None:
            if self._requests is not None:
                await self._requests.put(None)
            if self._lifespan is not None:
                await self._lifespan.put({"type": "lifespan.shutdown"})
            try:
                await asyncio.wait_for(self._lifespan_task, 10)
            except Exception:  # shutting down regardless
                pass

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
