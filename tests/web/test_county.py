"""County pages, the "mitt län + nationellt" filter, goals and versions in the web UI and the JSON API, on a real index."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kb.models import Document
from kb.settings import Settings, load_settings
from kb.sources import Source
from kb.store import Store
from kb.taxonomy import load_taxonomy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

LST = "https://www.lansstyrelsen.se/jamtland/"
STYR = "https://styrelsen.example/"
BODY = "Skydd och stöd till våldsutsatta kvinnor. Förebyggande arbete mot våld i nära relationer. Polisen och åklagaren utreder. " * 3


def _docs() -> list[Document]:
    def d(url: str, title: str, text: str, year: int, source: str, fmt: str = "html") -> Document:
        return Document(url=url, source=source, organisation="", title=title, text=text + BODY, format=fmt, published=date(year, 2, 1))

    return [
        d(LST + "handlingsplan-2024.pdf", "Tillsammans mot våld – Handlingsplan 2024", "Länsstyrelsen i Jämtlands län.", 2024, "lst", "pdf"),
        d(LST + "handlingsplan-2025.pdf", "Tillsammans mot våld – Handlingsplan 2025", "Länsstyrelsen i Jämtlands län.", 2025, "lst", "pdf"),
        d(LST + "overenskommelse-2021.html", "Regional överenskommelse 2021", "Region Jämtland Härjedalen och länets kommuner.", 2021, "lst"),
        d(STYR + "sosfs-2014-4.html", "Föreskrifter om våld i nära relationer (SOSFS 2014:4)", "SOSFS 2014:4.", 2014, "styr"),
        d(STYR + "hslf-fs-2022-39.html", "Föreskrifter om våld i nära relationer (HSLF-FS 2022:39)",
          "HSLF-FS 2022:39. Dessa föreskrifter ersätter SOSFS 2014:4.", 2022, "styr"),
    ]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from index.build import build_and_publish
    from index.search import SearchService
    from web.app import create_app

    root: Path = tmp_path_factory.mktemp("county")
    settings: Settings = load_settings(env={}, data_dir=root / "data", sources=root / "sources.yaml", base_url="https://kb.example.org",
                                       allowed_hosts=("testserver",), canary_queries=("våld",))
    sources = [Source(id="lst", name="Länsstyrelsen", organisation="Länsstyrelsen i Jämtlands län", start_urls=(LST,)),
               Source(id="styr", name="Styrelsen", organisation="Styrelsen", start_urls=(STYR,))]
    with Store(settings.store_path) as store:
        for doc in _docs():
            store.put_document(doc)
        build_and_publish(settings, store, sources, load_taxonomy(), full=True)
    service = SearchService(settings, load_taxonomy())
    yield TestClient(create_app(settings, service))
    service.close()


def test_county_listing_links_every_county(client: TestClient) -> None:
    page = client.get("/lan")
    assert page.status_code == 200
    assert page.text.count('class="area-link" href="/lan/') == 21
    assert '<a class="area-link" href="/lan/jamtlands-lan">Jämtlands län</a>' in page.text
    assert 'href="/sok?lan=nationellt"' in page.text


def test_county_page_lists_plans_and_agreements_newest_first(client: TestClient) -> None:
    page = client.get("/lan/jamtlands-lan")
    assert page.status_code == 200
    text = page.text
    assert "<h2 id=\"rubrik-1\">Handlingsplaner (2)</h2>" in text
    assert "Regionala överenskommelser (1)" in text
    assert text.index("Handlingsplan 2025") < text.index("Handlingsplan 2024")
    assert 'href="/sok?lan=jamtlands-lan&amp;lan=nationellt"' in text  # mitt län + nationellt
    assert "Östersund" in text and "Härjedalen" in text
    assert client.get("/lan/norrsunda-lan").status_code == 404


def test_results_offer_county_plus_national_in_one_click(client: TestClient) -> None:
    page = client.get("/sok", params={"q": "våld"})
    assert 'class="facet-plus" href="/sok?q=v%C3%A5ld&amp;lan=jamtlands-lan&amp;lan=nationellt"' in page.text
    assert "<legend>Län</legend>" in page.text and "<legend>Målsättning</legend>" in page.text
    both = client.get("/sok", params=[("q", "våld"), ("lan", "jamtlands-lan"), ("lan", "nationellt")])
    assert "Föreskrifter om våld" in both.text and "Handlingsplan 2025" in both.text


def test_older_version_says_a_newer_one_exists(client: TestClient) -> None:
    page = client.get("/sok", params={"q": "SOSFS 2014:4"})
    assert "<strong>Nyare version finns:</strong> <a href=\"https://styrelsen.example/hslf-fs-2022-39.html\">" in page.text
    assert "Alla versioner (2), nyast först" in page.text
    plan = client.get("/sok", params={"q": "Handlingsplan 2024"})
    assert 'Nyare version finns:</strong> <a href="https://www.lansstyrelsen.se/jamtland/handlingsplan-2025.pdf">' in plan.text


def test_api_results_and_facets_carry_the_contract(client: TestClient) -> None:
    data: dict[str, Any] = client.get("/api/v1/search", params=[("q", "föreskrifter"), ("lan", "nationellt")]).json()
    assert {"lan", "malsattning"} <= set(data["facets"])
    old = next(r for r in data["results"] if r["url"].endswith("sosfs-2014-4.html"))
    assert old["lan"] == ["nationellt"]
    assert old["newer_version"] == {"url": STYR + "hslf-fs-2022-39.html", "title": "Föreskrifter om våld i nära relationer (HSLF-FS 2022:39)"}
    new = next(r for r in data["results"] if r["url"].endswith("hslf-fs-2022-39.html"))
    assert new["newer_version"] is None and isinstance(new["malsattningar"], list)
    goals = client.get("/api/v1/search", params={"q": "", "malsattning": "brottsbekampning"}).json()
    assert goals["total"] >= 1 and all("brottsbekampning" in r["malsattningar"] for r in goals["results"])
    spec = client.get("/api/v1/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"lan", "malsattning"} <= names
