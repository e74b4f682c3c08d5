"""Web fixtures: a real store and a real published index of ~30 Swedish documents (hostile ones included), the app, a live server."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from _web_corpus import BASE_URL, SOURCES_YAML, corpus, record_runs
from _web_server import LiveServer

from kb.settings import Settings, load_settings
from kb.store import Store
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
def open_backend() -> Any:
    """The index's SearchBackend factory, as the CLI hands it to the web app."""
    from index.service import open_backend

    return open_backend


@pytest.fixture(scope="session")
def app(built_index: Settings, service: Any) -> Any:
    from web.app import create_app

    return create_app(built_index, service)


@pytest.fixture(scope="session")
def client(app: Any) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()
