"""County and goal facets, version grouping and ranking of superseded material, through a real index build and search."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from index.build import build_and_publish
from index.search import SearchRequest, SearchService
from kb.models import Document
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store
from kb.taxonomy import Taxonomy

NCK = "https://nck.example/"
STYR = "https://styrelsen.example/"
LST = "https://www.lansstyrelsen.se/jamtland/"
BODY = ("Våld i nära relationer drabbar många kvinnor. Socialtjänsten och hälso- och sjukvården ska fråga om våld, "
        "erbjuda skydd och stöd och arbeta förebyggande. ")


@pytest.fixture
def docs(numbered_document: Callable[..., Document]) -> list[Document]:
    def d(url: str, title: str, text: str, year: int, source: str = "nck", **kw: Any) -> Document:
        return numbered_document(url=url, title=title, text=text + BODY * 3, published=date(year, 3, 1), source=source, **kw)

    return [
        d(STYR + "sosfs-2014-4.html", "Föreskrifter och allmänna råd om våld i nära relationer (SOSFS 2014:4)",
          "SOSFS 2014:4. Styrelsens föreskrifter och allmänna råd om våld i nära relationer.", 2014, "styr"),
        d(STYR + "hslf-fs-2022-39.html", "Föreskrifter och allmänna råd om våld i nära relationer (HSLF-FS 2022:39)",
          "HSLF-FS 2022:39. Dessa föreskrifter ersätter Styrelsens föreskrifter och allmänna råd (SOSFS 2014:4) om våld i nära relationer.",
          2022, "styr"),
        d(NCK + "handbok-2019.pdf", "Handbok om våld i nära relationer", "Första upplagan. Handbok med checklistor: checklistor för samtal, checklistor för skydd och stöd.", 2019, format="pdf"),
        d(NCK + "handbok-2024.pdf", "Handbok om våld i nära relationer – andra upplagan", "Andra upplagan. Handbok med checklistor.",
          2024, format="pdf"),
        d(LST + "handlingsplan-2025.pdf", "Tillsammans mot våld – Handlingsplan 2025",
          "Länsstyrelsen i Jämtlands län: handlingsplan för förebyggande arbete och brottsbekämpning. Polisen och åklagaren deltar.",
          2025, "lst", format="pdf"),
        d(NCK + "regional-plan-vg.pdf", "Regional överenskommelse om våld i nära relationer – Västra Götalandsregionen",
          "Västra Götalandsregionen och länets kommuner, bland andra Borås stad, har kommit överens.", 2021, format="pdf"),
    ]


@pytest.fixture
def county_sources() -> list[Source]:
    return [
        Source(id="nck", name="Kunskapscentrum", organisation="Kunskapscentrum", start_urls=(NCK,)),
        Source(id="styr", name="Styrelsen", organisation="Styrelsen", start_urls=(STYR,)),
        Source(id="lst", name="Länsstyrelsen", organisation="Länsstyrelsen i Jämtlands län", start_urls=(LST,)),
    ]


@pytest.fixture
def service(settings: Settings, store: Store, docs: list[Document], county_sources: list[Source],
            taxonomy: Taxonomy) -> Iterator[SearchService]:
    for doc in docs:
        store.put_document(doc)
    build_and_publish(settings, store, county_sources, taxonomy)
    s = SearchService(settings, taxonomy)
    yield s
    s.close()


def urls(response: Any) -> list[str]:
    return [h.url for h in response.results]


def test_county_facet_and_filter_with_national(service: SearchService) -> None:
    response = service.search(SearchRequest(q=""))
    counts = {v.value: v.count for v in response.facets["lan"]}
    assert counts == {"jamtlands-lan": 1, "vastra-gotalands-lan": 1, "nationellt": 4}
    labels = {v.value: v.label for v in response.facets["lan"]}
    assert labels["jamtlands-lan"] == "Jämtlands län" and labels["nationellt"] == "Nationellt"
    mine = service.search(SearchRequest(q="", filters={"lan": ["jamtlands-lan", "nationellt"]}))
    assert mine.total == 5 and LST + "handlingsplan-2025.pdf" in urls(mine)
    assert NCK + "regional-plan-vg.pdf" not in urls(mine)
    vg = service.search(SearchRequest(q="överenskommelse", filters={"lan": ["vastra-gotalands-lan"]}))
    assert urls(vg) == [NCK + "regional-plan-vg.pdf"]  # hosted nationally, found from its text
    assert vg.results[0].doc_type == "regional-overenskommelse"
    assert "Län: Västra Götalands län eftersom titeln nämner ”Västra Götalandsregionen”" in vg.results[0].explanation


def test_goal_facet(service: SearchService) -> None:
    response = service.search(SearchRequest(q="", filters={"malsattning": ["brottsbekampning"]}))
    assert LST + "handlingsplan-2025.pdf" in urls(response)
    goals = {v.value for v in service.search(SearchRequest(q="")).facets["malsattning"]}
    assert {"upptackt-skydd-stod", "brottsbekampning"} <= goals
    hit = response.results[0]
    assert "brottsbekampning" in hit.malsattningar and "Målsättning: " in hit.explanation


def test_superseded_regulation_points_to_its_replacement_and_ranks_below_it(service: SearchService) -> None:
    response = service.search(SearchRequest(q="föreskrifter våld i nära relationer"))
    found = urls(response)
    assert found.index(STYR + "hslf-fs-2022-39.html") < found.index(STYR + "sosfs-2014-4.html")
    old = next(h for h in response.results if h.url.endswith("sosfs-2014-4.html"))
    assert old.newer_version == {"url": STYR + "hslf-fs-2022-39.html",
                                 "title": "Föreskrifter och allmänna råd om våld i nära relationer (HSLF-FS 2022:39)"}
    assert [v["url"] for v in old.versions] == [STYR + "hslf-fs-2022-39.html", STYR + "sosfs-2014-4.html"]
    assert old.to_json()["newer_version"]["url"].endswith("hslf-fs-2022-39.html")
    new = next(h for h in response.results if h.url.endswith("hslf-fs-2022-39.html"))
    assert new.newer_version is None and new.doc_type == "foreskrift"


def test_a_query_naming_the_old_identifier_is_not_demoted(service: SearchService) -> None:
    asked = service.search(SearchRequest(q="SOSFS 2014:4"))
    assert urls(asked)[0] == STYR + "sosfs-2014-4.html"


def test_handbook_editions_newest_first(service: SearchService) -> None:
    response = service.search(SearchRequest(q="handbok checklistor"))  # the old edition says it more often
    found = urls(response)
    assert found.index(NCK + "handbok-2024.pdf") < found.index(NCK + "handbok-2019.pdf")
    old = next(h for h in response.results if h.url.endswith("handbok-2019.pdf"))
    assert old.newer_version is not None and old.newer_version["url"] == NCK + "handbok-2024.pdf"
    asked = urls(service.search(SearchRequest(q="handbok checklistor första upplagan 2019")))
    assert asked.index(NCK + "handbok-2019.pdf") < asked.index(NCK + "handbok-2024.pdf")


def test_incremental_build_marks_an_old_edition_when_a_new_one_arrives(
    settings: Settings, store: Store, service: SearchService, numbered_document: Callable[..., Document],
    county_sources: list[Source], taxonomy: Taxonomy,
) -> None:
    before = service.search(SearchRequest(q="Tillsammans mot våld"))
    assert next(h for h in before.results if h.url.endswith("handlingsplan-2025.pdf")).newer_version is None
    store.put_document(numbered_document(url=LST + "handlingsplan-2026.pdf", title="Tillsammans mot våld – Handlingsplan 2026",
                                     text="Länsstyrelsen i Jämtlands län: handlingsplan. " + BODY, source="lst",
                                     published=date(2026, 1, 10), format="pdf"))
    result = build_and_publish(settings, store, county_sources, taxonomy)
    assert result.mode == "incremental" and result.added == 1 and result.updated == 1  # the 2025 plan re-indexed
    service.reload()
    after = service.search(SearchRequest(q="Tillsammans mot våld"))
    old = next(h for h in after.results if h.url.endswith("handlingsplan-2025.pdf"))
    assert old.newer_version == {"url": LST + "handlingsplan-2026.pdf", "title": "Tillsammans mot våld – Handlingsplan 2026"}
    assert urls(after)[0] == LST + "handlingsplan-2026.pdf"
