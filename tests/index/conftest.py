"""Fixtures for the index tests: a store in the suite-wide ``settings``, a filled store, a numbered document factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from kb.models import Document
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store
from kb.taxonomy import Taxonomy, load_taxonomy

TEXTS = [
    ("Våld i nära relationer", "Kvinnofridsarbete i kommunen. Socialtjänsten stödjer våldsutsatta kvinnor."),
    ("Barnfridsbrottet", "Barnfridsbrottet infördes 2021. Barn som bevittnar våld är brottsoffer."),
    ("Människohandeln ökar", "Människohandeln för sexuella ändamål och sexköp hänger ihop."),
    ("Tvångsgifte", "Tvångsgifte och barnäktenskap är hedersrelaterat våld och förtryck."),
    ("Hälso- och sjukvårdens ansvar", "Hälso- och sjukvården ska fråga om våld. Rutiner för FGM/C och VINR."),
]


@pytest.fixture
def numbered_document() -> Callable[..., Document]:
    """Factory: each call a new URL ("…/doc/0007") and one of TEXTS in turn (unlike ``make_document`` of
    tests/conftest.py, which always gives the same page); ``settings`` is the suite-wide fixture."""
    counter = iter(range(1_000_000))

    def make(**overrides: Any) -> Document:
        n = next(counter)
        title, text = TEXTS[n % len(TEXTS)]
        values: dict[str, Any] = dict(
            url=f"https://example.se/doc/{n:04d}",
            source="nck",
            organisation="Nationellt centrum för kvinnofrid",
            title=title,
            text=text + f" Dokument nummer {n}.",
            headings=["Inledning"],
            published=date(2023, 5, 3),
        )
        values.update(overrides)
        return Document(**values)

    return make


@pytest.fixture
def store(settings: Settings) -> Store:
    s = Store(settings.store_path)
    yield s
    s.close()


@pytest.fixture
def sources() -> list[Source]:
    return [Source(id="nck", name="NCK", organisation="NCK (källa)", start_urls=("https://example.se/",))]


@pytest.fixture
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture
def filled_store(store: Store, numbered_document: Callable[..., Document]) -> Store:
    for _ in range(20):
        store.put_document(numbered_document())
    return store
