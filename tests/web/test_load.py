"""Behaviour under concurrency and reloads on a real uvicorn: no waiting on the event loop, queued limiter, cached pages."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _web_corpus import SOURCES_YAML, record_runs
from _web_server import LiveServer

from kb.models import SourceReport
from kb.settings import Settings, load_settings
from kb.store import Store
from kb.taxonomy import load_taxonomy
from web.app import create_app


def get(port: int, target: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_properties_and_the_event_loop_never_wait_for_searches_or_reloads(built_index: Settings) -> None:
    from index.search import SearchService

    svc = SearchService(built_index, load_taxonomy())
    server = LiveServer(create_app(built_index, svc)).start()
    etag = get(server.port, "/sok?q=v%C3%A5ld")[1]["etag"]
    held = threading.Event()
    release = threading.Event()

    def hold_every_lock() -> None:
        gen = svc._gen
        locks = [svc._lock] + ([gen.lock] if gen is not None and hasattr(gen, "lock") else [])
        for lock in locks:
            lock.acquire()
        held.set()
        release.wait(30)  # until the test is done (30 s only so that a failing test cannot hang the suite)
        for lock in reversed(locks):
            lock.release()

    holder = threading.Thread(target=hold_every_lock)
    holder.start()
    try:
        assert held.wait(5)
        svc._checked = 0.0  # a reload check is due
        read: list[object] = []
        reader = threading.Thread(target=lambda: read.extend([svc.available, svc.generation, svc.doc_count]))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "a property waited for a lock"  # the locks stay held until release is set
        assert read[0] and read[1] and int(str(read[2])) > 0
        with ThreadPoolExecutor(max_workers=2) as pool:
            page = pool.submit(get, server.port, "/")  # its searches run in the threadpool
            status, _, body = get(server.port, "/static/kb.css")
            not_modified, _, _ = get(server.port, "/sok?q=v%C3%A5ld", {"If-None-Match": etag})
            assert status == 200 and body
            assert not_modified == 304
            assert holder.is_alive() and not release.is_set()  # all answered while every lock was held
            release.set()
            assert page.result(timeout=10)[0] == 200
    finally:
        release.set()
        holder.join()
        server.stop()
        svc.close()


def test_start_page_and_cached_pages_survive_a_burst_of_16_clients(built_index: Settings, service: Any) -> None:
    app = create_app(built_index, service)  # max_concurrent_searches=4: a burst of 16 must queue, not fail
    server = LiveServer(app).start()
    targets = ["/", "/kallor", "/", "/sok?q=v%C3%A5ld", "/", "/api/v1/suggest?q=v%C3%A5l", "/delomrade/sexuellt-vald"]
    try:
        for target in set(targets):
            assert get(server.port, target)[0] == 200  # warm: the burst measures queuing, not first-time work
        barrier = threading.Barrier(16)

        def client(i: int) -> list[int]:
            barrier.wait(10)
            return [get(server.port, targets[(i + k) % len(targets)])[0] for k in range(6)]

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = Counter(s for result in pool.map(client, range(16)) for s in result)
        assert statuses == {200: 96}, statuses
    finally:
        server.stop()


@pytest.fixture
def sources_settings(tmp_path: Path) -> Settings:
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES_YAML, encoding="utf-8")
    settings = load_settings(env={}, data_dir=tmp_path / "data", sources=sources, allowed_hosts=("testserver",))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with Store(settings.store_path) as store:
        record_runs(store)
    return settings


def test_sources_page_is_cached_until_a_run_is_recorded_or_sources_change(sources_settings: Settings, open_backend: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    import kb.store

    opened: list[Path] = []
    reads: list[int] = []

    class CountingStore(kb.store.Store):
        def __init__(self, path: Any, *args: Any, **kwargs: Any) -> None:
            opened.append(Path(path))
            super().__init__(path, *args, **kwargs)

        def counts_by(self, column: str) -> dict[str, int]:
            reads.append(1)
            return super().counts_by(column)

    real_store = kb.store.Store
    monkeypatch.setattr(kb.store, "Store", CountingStore)
    client = TestClient(create_app(sources_settings, open_backend))
    first = client.get("/kallor")
    assert first.status_code == 200 and len(first.context["rows"]) == 5
    assert (len(opened), len(reads)) == (1, 1)
    second = client.get("/kallor")
    assert second.status_code == 200 and second.context["rows"] == first.context["rows"]
    assert (len(opened), len(reads)) == (1, 1)  # nothing re-read, no new connection
    with real_store(sources_settings.store_path) as store:  # a crawl in another process records a run
        run_id = store.start_run("crawl")
        store.save_source_report(run_id, SourceReport(source="lst", fetched=7, status="ok"))
        store.finish_run(run_id, "ok")
    third = client.get("/kallor")
    assert len(reads) == 2 and len(opened) == 1
    lst = {row.id: row for row in third.context["rows"]}["lst"]
    assert lst.status == "OK" and lst.change == 0 and lst.failed == 0 and not lst.failing
    assert client.get("/kallor").context["rows"] == third.context["rows"] and len(reads) == 2
    assert third.headers["etag"] != first.headers["etag"]  # the answer changed, so did its tag
    sources_settings.sources.write_text(SOURCES_YAML.replace("Jämställdhetsmyndigheten\n", "Jämställdhetsmyndigheten (ny)\n", 1),
                                        encoding="utf-8")
    fourth = client.get("/kallor")
    assert "Jämställdhetsmyndigheten (ny)" in {row.name for row in fourth.context["rows"]}
    assert len(reads) == 3


def test_sources_page_waits_for_the_limiter(sources_settings: Settings, open_backend: Any) -> None:
    from starlette.testclient import TestClient

    app = create_app(sources_settings, open_backend)
    limiter = app.state.web.limiter
    limiter.wait_seconds = 0.2
    taken = 0
    while limiter.try_acquire():
        taken += 1
    try:
        r = TestClient(app).get("/kallor")
        assert r.status_code == 503 and r.headers["retry-after"]
    finally:
        for _ in range(taken):
            limiter.release()
    assert TestClient(app).get("/kallor").status_code == 200
