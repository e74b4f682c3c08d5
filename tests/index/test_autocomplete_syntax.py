"""Autocomplete beyond titles: places the texts name ("örebro l" → örebro län), and completions that keep the search
syntax typed around them (quotes, a minus)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _search_corpus import BASE, make_document, publish, settings_for

from index.service import SearchService

PAGES = [
    ("Regional samordning", "Länsstyrelsen i Örebro län samordnar arbetet mot våld."),
    ("Handlingsplan", "Kommunerna i Örebro län har en gemensam handlingsplan. Region Örebro län deltar."),
    ("Utbildning", "Region Örebro län erbjuder utbildning om våld."),
    ("Stockholm", "Stockholm har många skolor. Varje län har en länsstyrelse."),  # "Stockholms län" never said
    ("Skyddat boende för kvinnor", "Ett skyddat boende ger skydd."),
    ("Skyddat boende och barn", "Barn i skyddat boende har rätt till skolgång."),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    settings = settings_for(tmp_path_factory.mktemp("autocomplete"))
    publish(settings, [make_document(url=f"{BASE}/p{i}", title=t, text=x) for i, (t, x) in enumerate(PAGES)])
    svc = SearchService(settings)
    yield svc
    svc.close()


def test_a_county_the_texts_name_is_offered(service: SearchService) -> None:
    # before, "örebro l" and "örebro" offered nothing: phrases came only from titles and headings
    assert service.suggest("örebro l")[0] == "örebro län"
    assert "örebro län" in service.suggest("örebro")
    assert "region örebro län" in service.suggest("region ö")
    assert "örebro län" in service.suggest("orebro l")  # typed without ö, as search takes it


def test_a_county_whose_words_only_stand_apart_is_not_offered(service: SearchService) -> None:
    assert "stockholms län" not in service.suggest("stockholm")
    assert service.suggest("stockholms l") == []


@pytest.mark.parametrize(("typed", "first"), [
    ('"skyddat b', '"skyddat boende"'),  # an open quote is closed
    ("\u201dskyddat b", '"skyddat boende"'),  # the Swedish quote, as the search reads it
    ('barn "skyddat b', 'barn "skyddat boende"'),
    ("-skyddat b", "-skyddat boende"),
    ('"skyddat boende" för k', '"skyddat boende" för kvinnor'),
])
def test_completions_keep_the_search_syntax_typed(service: SearchService, typed: str, first: str) -> None:
    # before, a quote or minus in front made the text match no candidate, so nothing was offered
    assert service.suggest(typed)[:1] == [first]
