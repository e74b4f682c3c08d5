"""Web fixtures: a real store and a real published index of ~30 Swedish documents (hostile ones included), the app, a live server."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest
import uvicorn

from kb.settings import Settings, load_settings
from kb.store import Store
from _web_corpus import BASE_URL, SOURCES_YAML, record_runs, corpus
from kb.taxonomy import load_taxonomy

with warnings.catch_warnings():
    # Starlette warns when it finds httpx instead of httpx2; either client works for these tests.
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("web")
    sources = root / "sources.yaml"
    sources.write_text(SOURCES_YAML, encoding="utf-8")
    return load_settings(env={}, data_dir=root / "data", sources=sources, base_url=BASE_URL,
                         allowed_hosts=("testserver", "127.0.0.1", "localhost"), max_concurrent_searches=4)


@pytest.fixture(scope="session")
def built_index(web_settings: Settings) -> Settings:
    """Fill a real Store and publish a real index through index.build.build_and_publish."""
    from index.build import build_and_publish
    from kb.sources import load_sources

    sources, _ = load_sources(web_settings.sources)
    with Store(web_settings.store_path) as store:
        for doc in corpus():
            store.put_document(doc)
        record_runs(store)
        build_and_publish(web_settings, store, sources, load_taxonomy(), full=True)
    return web_settings


@pytest.fixture(scope="session")
def service(built_index: Settings) -> Iterator[Any]:
    from index.search import SearchService

    svc = SearchService(built_index, load_taxonomy())
    assert svc.available, "the fixture index was not published"
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def app(built_index: Settings, service: Any) -> Any:
    from web.app import create_app

    return create_app(built_index, service)


@pytest.fixture(scope="session")
def client(app: Any) -> TestClient:
    return TestClient(app)


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", server_header=False, lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()
