"""Tests of the county data (kb/lan.yaml) and county detection (kb.lan)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb.errors import ConfigError
from kb.lan import NATIONAL, Counties, load_counties, municipality_names
from kb.sources import Source, load_sources


@pytest.fixture(scope="module")
def counties() -> Counties:
    return load_counties()


def source(**overrides: Any) -> Source:
    values: dict[str, Any] = {"id": "exempel", "name": "Exempelmyndigheten", "organisation": "Exempelmyndigheten",
                              "start_urls": ("https://www.example.se/",)}
    values.update(overrides)
    return Source(**values)


def test_all_21_counties_and_290_municipalities_with_scb_codes(counties: Counties) -> None:
    assert len(counties.counties) == 21
    codes = [k for c in counties.counties for k, _ in c.kommuner]
    assert len(codes) == 290 == len(set(codes))
    assert all(len(code) == 4 and code.startswith(c.code) for c in counties.counties for code, _ in c.kommuner)
    assert [c.code for c in counties.counties] == ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14",
                                                  "17", "18", "19", "20", "21", "22", "23", "24", "25"]
    assert counties.municipality("2380") == ("Östersund", counties.by_slug["jamtlands-lan"])
    assert counties.municipality("1480")[0] == "Göteborg"  # type: ignore[index]
    assert counties.municipality("0180")[1].slug == "stockholms-lan"  # type: ignore[index]
    assert len(counties.by_slug["vastra-gotalands-lan"].kommuner) == 49
    assert len(counties.by_slug["skane-lan"].kommuner) == 33


def test_labels_contain_every_county_and_nationellt(counties: Counties) -> None:
    labels = counties.labels()
    assert labels["jamtlands-lan"] == "Jämtlands län"
    assert labels["vastra-gotalands-lan"] == "Västra Götalands län"
    assert labels[NATIONAL] == "Nationellt"
    assert len(labels) == 22


def test_municipality_names_as_organisations() -> None:
    assert "Östersunds kommun" in municipality_names("Östersund")
    assert "Ale kommun" in municipality_names("Ale")
    assert "Borås stad" in municipality_names("Borås")
    assert "Göteborgs stad" in municipality_names("Göteborg")


def test_lansstyrelse_path_gives_the_county(counties: Counties) -> None:
    r = counties.classify("https://www.lansstyrelsen.se/jamtland/samhalle/mans-vald.html", "Mäns våld mot kvinnor", "", [], "")
    assert r.slugs == ["jamtlands-lan"]
    assert "/jamtland/" in r.explanation
    assert counties.from_url("https://www.example.se/jamtland/") is None  # only on a länsstyrelse site


def test_declared_source_county_wins(counties: Counties) -> None:
    s = source(lan=("vastra-gotalands-lan",))
    r = counties.classify("https://www.lansstyrelsen.se/jamtland/x.html", "Region Skåne", "", [], "", s)
    assert r.slugs == ["vastra-gotalands-lan"]
    assert r.explanation == "Län: Västra Götalands län eftersom källan ”Exempelmyndigheten” är märkt så."
    assert counties.classify("https://x.se/", "Region Skåne", "", [], "", source(lan=(NATIONAL,))).slugs == [NATIONAL]


def test_municipality_or_region_organisation_gives_the_county(counties: Counties) -> None:
    r = counties.classify("https://www.ostersund.se/x.html", "Stöd", "", [], "", source(organisation="Östersunds kommun"))
    assert r.slugs == ["jamtlands-lan"]
    assert "Östersunds kommun" in r.explanation
    assert counties.classify("https://x.se/", "", "", [], "", source(organisation="Region Skåne")).slugs == ["skane-lan"]


def test_a_lansstyrelse_name_alone_does_not_make_its_national_team_regional(counties: Counties) -> None:
    team = source(organisation="Länsstyrelsen Östergötland", start_urls=("https://www.hedersfortryck.se/",))
    assert counties.classify("https://www.hedersfortryck.se/a", "Stöd", "", [], "", team).slugs == [NATIONAL]


def test_source_whose_start_urls_lie_in_one_county(counties: Counties) -> None:
    s = source(organisation="Länsstyrelsen", start_urls=("https://www.lansstyrelsen.se/ostergotland/a.html",
                                                          "https://www.lansstyrelsen.se/ostergotland/publikationer/"))
    r = counties.classify("https://www.lansstyrelsen.se/download/18.123/plan.pdf", "Plan", "", [], "", s)
    assert r.slugs == ["ostergotlands-lan"]


def test_regional_plan_hosted_nationally_is_found_from_its_text(counties: Counties) -> None:
    r = counties.classify(
        "https://www.nationellt.example/publikationer/plan.pdf",
        "Regional handlingsplan mot mäns våld mot kvinnor – Region Jämtland Härjedalen", "", [],
        "Handlingsplanen gäller Region Jämtland Härjedalen och länets kommuner, bland annat Östersunds kommun.",
        source(),
    )
    assert r.slugs == ["jamtlands-lan"]
    assert r.explanation.startswith("Län: Jämtlands län eftersom titeln nämner ”Region Jämtland Härjedalen”")


def test_a_single_mention_in_the_body_is_not_enough(counties: Counties) -> None:
    r = counties.classify("https://x.se/a", "Stöd till våldsutsatta", "", [], "Ett exempel är Malmö stad som har en rutin.", source())
    assert r.slugs == [NATIONAL]


def test_many_counties_named_means_national(counties: Counties) -> None:
    text = " ".join(f"I {c.name} finns ett resurscentrum. {c.name} rapporterar." for c in load_counties().counties[:6])
    r = counties.classify("https://x.se/a", "Resurscentrum mot hedersrelaterat våld", "", [], text, source())
    assert r.slugs == [NATIONAL]
    assert "6 län" in r.explanation


def test_a_title_calling_itself_national_is_national(counties: Counties) -> None:
    r = counties.classify("https://x.se/a", "Nationella kompetensteamet", "", [], "Region Skåne. Region Skåne. Region Skåne.", source())
    assert r.slugs == [NATIONAL] and "titeln säger ”Nationella”" in r.explanation


def test_a_lansstyrelse_doing_a_national_task_is_not_its_county(counties: Counties) -> None:
    title = "Uppdrag till Länsstyrelsen i Östergötlands län att utveckla och sprida en vägledning"
    assert counties.classify("https://x.se/a", title, "", [], "Länsstyrelsen i Östergötlands län ska sprida vägledningen.").slugs == [NATIONAL]
    regional = "Länsstyrelsen i Östergötlands län samordnar länets arbete mot våld."
    assert counties.classify("https://x.se/b", "Samordning", "", [], regional).slugs == ["ostergotlands-lan"]


def test_regional_text_naming_one_county_once(counties: Counties) -> None:
    r = counties.classify("https://x.se/a", "Besök", "", [], "Ministern får en lägesrapport om länets arbete från Region Dalarna.")
    assert r.slugs == ["dalarnas-lan"] and "kallar sig ”länets”" in r.explanation
    every = "Regeringen ger länsstyrelserna ett regionalt uppdrag. Frågor: Länsstyrelsen i Örebro län."
    assert counties.classify("https://x.se/b", "Regionalt uppdrag", "", [], every).slugs == [NATIONAL]


def test_genitive_forms_match(counties: Counties) -> None:
    found = {c.slug for c, _ in counties.mentions("Jämtlands läns kommuner och Västra Götalandsregionens arbete")}
    assert found == {"jamtlands-lan", "vastra-gotalands-lan"}
    assert counties.mentions("Stockholm 2023. Skånes natur.") == []  # a city or province is not a county


def test_source_key_lan_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://a.se/]\n"
                    "    lan: [jamtlands-lan, nationellt]\n", encoding="utf-8")
    sources, _ = load_sources(good)
    assert sources[0].lan == ("jamtlands-lan", "nationellt")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://a.se/]\n"
                   "    lan: [jamtland-lan]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(bad)
    assert "menade du 'jamtlands-lan'" in str(err.value)
