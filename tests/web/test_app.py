"""The app factory: a backend factory is called once with cache_size=0, its product closed on shutdown; one response cache."""

from __future__ import annotations

from typing import Any

from kb.settings import Settings
from web.app import create_app


class CountingBackend:
    """The real backend, counting searches and closes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.searches = 0
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def search(self, request: Any) -> Any:
        self.searches += 1
        return self.inner.search(request)

    def close(self) -> None:
        self.closed = True
        self.inner.close()


def test_a_backend_factory_gets_cache_size_zero_and_the_app_caches_once(built_index: Settings, open_backend: Any) -> None:
    from starlette.testclient import TestClient

    opened: list[CountingBackend] = []
    seen: list[Settings] = []

    def factory(settings: Settings) -> CountingBackend:
        seen.append(settings)
        opened.append(CountingBackend(open_backend(settings)))
        return opened[-1]

    app = create_app(built_index, factory)
    assert [s.cache_size for s in seen] == [0] and built_index.cache_size > 0
    assert app.state.web.searcher.cache.size == built_index.cache_size
    with TestClient(app) as client:
        first = client.get("/api/v1/search", params={"q": "våld"}).json()
        second = client.get("/api/v1/search", params={"q": "våld"}).json()
        assert first == second and opened[0].searches == 1  # the second answer came from the app's cache
        assert len(app.state.web.searcher.cache) == 1
        assert not opened[0].closed
    assert opened[0].closed  # the app opened it, so the app closed it on shutdown


def test_a_given_backend_is_borrowed_not_closed(built_index: Settings, service: Any) -> None:
    from starlette.testclient import TestClient

    backend = CountingBackend(service)
    backend.close = lambda: setattr(backend, "closed", True)  # type: ignore[method-assign]
    with TestClient(create_app(built_index, backend)) as client:
        assert client.get("/sok", params={"q": "våld"}).status_code == 200
    assert not backend.closed and service.available
