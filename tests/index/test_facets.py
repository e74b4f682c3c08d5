"""Filters (OR within a facet, AND across) and disjunctive facet counts, with labels and selection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from _search_corpus import BASE, make_document, publish, settings_for

from index.facets import bits_from_docnums, docnums_from_bits
from index.service import SearchService
from kb.searchmodel import FacetValue, SearchRequest


def _docs() -> list:
    out = []
    for i, (org, fmt, year) in enumerate([
        ("Socialstyrelsen", "pdf", 2021), ("Socialstyrelsen", "html", 2022), ("Socialstyrelsen", "html", 2022),
        ("Jämställdhetsmyndigheten", "pdf", 2022), ("Jämställdhetsmyndigheten", "html", 2023), ("Malmö kommun", "html", 2023),
    ]):
        out.append(make_document(url=f"{BASE}/f/{i}", title=f"Våld i nära relationer del {i}", organisation=org, format=fmt,
                                 text="Stöd vid våld i nära relationer och kvinnofrid. " + ("Hedersrelaterat våld och tvångsäktenskap. " * (i % 2)),
                                 published=date(year, 1 + i, 1)))
    return out


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    settings = settings_for(tmp_path_factory.mktemp("facets"))
    publish(settings, _docs())
    svc = SearchService(settings)
    yield svc
    svc.close()


def counts(values: list[FacetValue]) -> dict[str, int]:
    return {v.value: v.count for v in values}


def test_bitset_roundtrip() -> None:
    docs = [0, 3, 7, 8, 64, 1000]
    assert docnums_from_bits(bits_from_docnums(docs, 1001)) == docs


def test_unfiltered_counts_sorted_by_count_then_label(service: SearchService) -> None:
    r = service.search(SearchRequest(q="våld"))
    org = r.facets["organisation"]
    assert [(v.value, v.count) for v in org] == [
        ("Socialstyrelsen", 3), ("Jämställdhetsmyndigheten", 2), ("Malmö kommun", 1)]
    assert counts(r.facets["format"]) == {"html": 4, "pdf": 2}
    assert [v.label for v in r.facets["format"]] == ["Webbsida", "PDF"]
    assert counts(r.facets["year"]) == {"2022": 3, "2023": 2, "2021": 1}
    assert not any(v.selected for vs in r.facets.values() for v in vs)


def test_or_within_and_across_facets_with_disjunctive_counts(service: SearchService) -> None:
    r = service.search(SearchRequest(q="våld", filters={"organisation": ["Socialstyrelsen", "Malmö kommun"], "format": ["html"]}))
    assert r.total == 3  # (Socialstyrelsen OR Malmö) AND html
    assert {h.organisation for h in r.results} == {"Socialstyrelsen", "Malmö kommun"}
    assert {h.format for h in r.results} == {"html"}
    # organisation counted under the format filter only, format under the organisation filter only
    assert counts(r.facets["organisation"]) == {"Socialstyrelsen": 2, "Jämställdhetsmyndigheten": 1, "Malmö kommun": 1}
    assert counts(r.facets["format"]) == {"html": 3, "pdf": 1}
    selected = {v.value for v in r.facets["organisation"] if v.selected}
    assert selected == {"Socialstyrelsen", "Malmö kommun"}
    assert counts(r.facets["year"]) == {"2022": 2, "2023": 1}


def test_zero_counts_hidden_except_selected(service: SearchService) -> None:
    r = service.search(SearchRequest(q="våld", filters={"year": ["2021"], "format": ["html"]}))
    assert r.total == 0
    fmt = {v.value: v for v in r.facets["format"]}
    assert fmt["html"].selected and fmt["html"].count == 0
    assert "pdf" in fmt and fmt["pdf"].count == 1
    r = service.search(SearchRequest(q="våld", filters={"organisation": ["Finns inte"]}))
    assert r.total == 0 and [(v.value, v.count, v.selected) for v in r.facets["organisation"]][-1] == ("Finns inte", 0, True)
    assert all(v.count > 0 for v in r.facets["organisation"] if not v.selected)


def test_delomrade_facet_labels_and_filter(service: SearchService) -> None:
    r = service.search(SearchRequest(q=""))
    dl = {v.value: v for v in r.facets["delomrade"]}
    assert dl["vald-i-nara-relationer"].label == "Våld i nära relationer"
    assert dl["vald-i-nara-relationer"].count == 6
    heder = service.search(SearchRequest(q="våld", filters={"delomrade": ["hedersrelaterat-vald"]}))
    assert heder.total == dl["hedersrelaterat-vald"].count == 3
    assert all("hedersrelaterat-vald" in h.delomraden for h in heder.results)
    # ranked by that sub-area's score combined with the text score
    scores = [h.delomrade_scores.get("hedersrelaterat-vald", 0.0) for h in heder.results]
    assert all(s > 0 for s in scores)


def test_filters_without_query_browse(service: SearchService) -> None:
    r = service.search(SearchRequest(q="", filters={"format": ["pdf"]}, sort="nyast"))
    assert [h.url for h in r.results] == [f"{BASE}/f/3", f"{BASE}/f/0"]
