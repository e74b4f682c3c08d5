"""Monitoring: /healthz, /readyz, /metrics (one worker and several), and `kb update`'s outcome in the node exporter format."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _deploy import Server, add_documents, build_index, data_settings, get
from prometheus_client.parser import text_string_to_metric_families

from index.service import open_backend
from kb import cli
from kb.settings import Settings
from kb.updatestatus import read_outcome
from web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

TEXT = " ".join(["Socialtjänsten ska ge stöd till kvinnor som utsatts för våld i nära relationer och arbeta för kvinnofrid."] * 12)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition (parsed by the client library)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for fam in text_string_to_metric_families(text) for s in fam.samples}


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def client_for(tmp_path: Path) -> Iterator[object]:
    clients: list[TestClient] = []

    def make(settings: Settings) -> TestClient:
        client = TestClient(create_app(settings, open_backend))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_readyz_is_503_until_an_index_is_published_and_healthz_always_200(tmp_path: Path, client_for: object) -> None:
    settings = data_settings(tmp_path / "data")
    client = client_for(settings)  # type: ignore[operator]
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable" and ready.headers["cache-control"] == "no-store"
    add_documents(settings, 0, 12)
    generation = build_index(settings)
    client.app.state.web.backend.reload()
    ready = client.get("/readyz")
    body = ready.json()
    assert ready.status_code == 200 and body["generation"] == generation and body["documents"] == 12
    assert 0 <= body["age_seconds"] < 3600 and body["update"] == {}


def test_metrics_count_requests_searches_cache_hits_and_rejections(tmp_path: Path, client_for: object) -> None:
    settings = data_settings(tmp_path / "data", max_concurrent_searches=1)
    add_documents(settings, 0, 12)
    build_index(settings)
    client = client_for(settings)  # type: ignore[operator]
    before = client.get("/metrics").text
    for _ in range(3):
        assert client.get("/api/v1/search", params={"q": "kvinnofrid"}).status_code == 200
    assert client.get("/finns-inte").status_code == 404
    for n in range(3):  # made-up methods: one label, however many a client invents
        assert client.request(f"HITTEPA{n}", "/").status_code == 405
    limiter = client.app.state.web.limiter
    limiter.wait_seconds = 0.0
    assert limiter.try_acquire()  # every search slot taken: the next uncached search is refused
    try:
        assert client.get("/api/v1/search", params={"q": "stöd"}).status_code == 503
    finally:
        limiter.release()
    text = client.get("/metrics").text

    def grew(name: str, **labels: str) -> float:
        return (value(text, name, **labels) or 0.0) - (value(before, name, **labels) or 0.0)

    assert grew("kb_http_requests_total", route="api_search", method="GET", status="200") == 3
    assert grew("kb_http_requests_total", route="api_search", method="GET", status="503") == 1
    assert grew("kb_http_requests_total", route="annan", method="GET", status="404") == 1
    methods = {dict(labels).get("method") for (name, labels) in samples(text) if name == "kb_http_requests_total"}
    assert methods <= {"GET", "HEAD", "annan"}, methods  # no label per invented method
    assert grew("kb_http_request_duration_seconds_count", route="api_search") == 4
    assert grew("kb_searches_total") == 4 and grew("kb_search_cache_hits_total") == 2
    assert grew("kb_search_limiter_rejections_total") == 1
    assert value(text, "kb_index_documents") == 12 and value(text, "kb_index_available") == 1
    assert value(text, "kb_index_ranks_by_meaning") == 1  # built with vectors, KB_SEMANTIC on
    assert 0 <= (value(text, "kb_index_age_seconds") or -1) < 3600


class _Site(BaseHTTPRequestHandler):
    pages = {"/": '<a href="/a">A</a> <a href="/b">B</a>', "/a": "", "/b": ""}

    def do_GET(self) -> None:  # noqa: N802 — the http.server API
        if self.path not in self.pages:
            self.send_error(404)
            return
        title = {"/": "Start", "/a": "Stöd till våldsutsatta", "/b": "Kvinnofrid i kommunen"}[self.path]
        body = f"<html lang=sv><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{TEXT}</p>{self.pages[self.path]}</main></body></html>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_kb_update_writes_its_outcome_for_the_node_exporter(tmp_path: Path, site: ThreadingHTTPServer, client_for: object) -> None:
    textfile = tmp_path / "textfile" / "kb.prom"
    textfile.parent.mkdir()
    settings = data_settings(tmp_path / "data", update_textfile=str(textfile))
    port = site.server_address[1]
    settings.sources.parent.mkdir(parents=True, exist_ok=True)
    settings.sources.write_text(
        "sources:\n  - id: lokal\n    name: Lokal\n    organisation: Lokala myndigheten\n"
        f"    start_urls: [http://127.0.0.1:{port}/]\n    delay: 0\n    allow_private_network: true\n", encoding="utf-8")
    argv = ["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), "-q", "update"]
    env = {"KB_UPDATE_TEXTFILE": str(textfile)}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert cli.main(argv) == 0
        first = textfile.read_text()
        assert value(first, "kb_update_exit_code") == 0
        assert value(first, "kb_update_documents", source="lokal") == 3
        assert value(first, "kb_update_failed_urls", source="lokal") == 0
        outcome = read_outcome(settings.data_dir)
        assert outcome is not None and outcome.last_success == outcome.started and outcome.seconds > 0
        assert value(first, "kb_update_last_success_timestamp_seconds") == outcome.started
        assert not [p for p in textfile.parent.iterdir() if p != textfile]  # written atomically: no temp file left

        site.shutdown()  # the next night every source is unreachable
        site.server_close()
        assert cli.main(argv) == 69
    second = textfile.read_text()
    assert value(second, "kb_update_exit_code") == 69
    assert value(second, "kb_update_failed_urls", source="lokal") == 1
    assert value(second, "kb_update_last_success_timestamp_seconds") == outcome.started  # still the last good night
    assert (value(second, "kb_update_last_run_timestamp_seconds") or 0) > (value(first, "kb_update_last_run_timestamp_seconds") or 0)
    metrics = client_for(settings).get("/metrics").text  # type: ignore[operator]
    assert value(metrics, "kb_update_exit_code") == 69 and value(metrics, "kb_update_last_success_timestamp_seconds") == outcome.started
    ready = client_for(settings).get("/readyz").json()  # type: ignore[operator]
    assert ready["status"] == "ok" and ready["update"]["exit_code"] == 69


def test_metrics_are_summed_over_every_web_worker(tmp_path: Path) -> None:
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 12)
    build_index(settings)
    metrics_dir = tmp_path / "metrics"
    server = Server(settings, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    try:
        for _ in range(40):  # a new connection each: SO_REUSEPORT spreads them over both workers
            assert get(server.url + "/healthz")[0] == 200
        scrapes = [get(server.url + "/metrics")[1] for _ in range(6)]
    finally:
        server.stop()
    workers_with_counts = {p.name for p in metrics_dir.glob("counter_*.db")}
    assert len(workers_with_counts) == 2  # both workers answered requests …
    for text in scrapes:  # … and whichever worker answered the scrape reports all of them
        assert value(str(text), "kb_http_requests_total", route="healthz", method="GET", status="200") >= 40  # type: ignore[operator]
    assert value(str(scrapes[-1]), "kb_index_documents") == 12
