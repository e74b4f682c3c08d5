"""Autocomplete beyond titles: places the texts name ("örebro l" → örebro län), and completions that keep the search
syntax typed around them (quotes, a minus)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _search_corpus import serving

from index.service import SearchService

PAGES = [
    ("Regional samordning", "Länsstyrelsen i Örebro län samordnar arbetet mot våld."),
    ("Handlingsplan", "Kommunerna i Örebro län har en gemensam handlingsplan. Region Örebro län deltar."),
    ("Utbildning", "Region Örebro län erbjuder utbildning om våld."),
    ("Kvinnor", "Stöd till kvinnor. Kvinnor i skyddat boende."),
    ("Mannen i huset", "Mannen berättar om våld."),
    ("Pappor", "Mannen är pappa."),
    ("Stockholm", "Stockholm har många skolor. Varje län har en länsstyrelse."),  # "Stockholms län" never said
    ("Skyddat boende för kvinnor", "Ett skyddat boende ger skydd."),
    ("Skyddat boende och barn", "Barn i skyddat boende har rätt till skolgång."),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    with serving(tmp_path_factory.mktemp("autocomplete"), {f"p{i}": page for i, page in enumerate(PAGES)}) as svc:
        yield svc


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
    ("-skyddat bo", "-skyddat boende"),  # "skyddat" excluded, "bo…" a word of its own, as typed
    ('"skyddat boende" kv', '"skyddat boende" kvinnor'),  # after a closed phrase, the next word
    ("kvinnor OR sk", 'kvinnor OR "skyddat boende"'),  # the operator keeps its capitals; a phrase after it, quoted
])
def test_completions_keep_the_search_syntax_typed(service: SearchService, typed: str, first: str) -> None:
    # before, a quote or minus in front made the text match no candidate, so nothing was offered
    assert service.suggest(typed)[:1] == [first]


def test_an_excluded_last_word_is_completed_as_a_word_or_an_excluded_phrase(service: SearchService) -> None:
    # the review: "våld -skyddat b" was offered "våld -skyddat boende", which excludes only "skyddat"
    got = service.suggest("våld -skydd")
    assert got and all(s.startswith("våld -") for s in got)
    assert 'våld -"skyddat boende"' in got and "våld -skyddat boende" not in got
    assert service.suggest("våld -skyddat b") == []  # "b" alone: too short to complete, and no phrase across "-"


@pytest.mark.parametrize("typed", ['"skyddat boende"', '"hed"', '"skyddat b"', "kvinnor OR", "kvinnor ELLER"])
def test_nothing_is_completed_after_a_closed_phrase_or_an_operator(service: SearchService, typed: str) -> None:
    # the review: '"skyddat boende"' → '"skyddat boende"n', '"hed"' → '"hed"ersvåld', "kvinnojour OR" → "… orosanmälan"
    assert service.suggest(typed) == []


def test_no_completion_spans_an_operator(service: SearchService) -> None:
    # "kvinnojour OR tj" was offered "kvinnojour or tjejjour": a phrase, its feed empty
    assert all(s.startswith("kvinnor OR ") for s in service.suggest("kvinnor OR sk"))


def test_a_word_followed_by_a_space_is_whole(service: SearchService) -> None:
    # "hur anmäler man" was offered "hur anmäler mannen"; keeping every small word whole instead left "stöd till ut"
    # with nothing (the second review): the space the person typed says which
    assert "stöd till mannen" in service.suggest("stöd till man")  # still typing
    assert not [s for s in service.suggest("stöd till man ") if "mannen" in s]
    assert service.suggest("skyddat ") and all(s.startswith("skyddat ") for s in service.suggest("skyddat "))
    assert service.suggest("-skyddat ") == [] and service.suggest("kvinnor OR ") == []


@pytest.mark.parametrize(("typed", "first"), [
    ("kvinnor/sk", "kvinnor/skyddat"),  # the piece after a slash, one word ("-hot/våld i …" would exclude only "våld")
    ("title:sk", 'title:"skyddat boende"'),  # after another box's field name, a phrase quoted
    ("'skyddat b", '"skyddat boende"'),  # an unpaired single quote opens a phrase
    ("kvinnor Or sk", 'kvinnor Or "skyddat boende"'),  # "or" in any case is an operator, kept as typed
])
def test_the_piece_after_a_slash_field_name_or_single_quote_is_completed(service: SearchService, typed: str,
                                                                        first: str) -> None:
    assert service.suggest(typed)[:1] == [first]


def test_a_place_one_text_names_is_offered(service: SearchService) -> None:
    # "jämtlands l" found nothing: one document is too few for a word, not for a county's name
    assert "region örebro län" in service.suggest("region")


def test_nothing_continues_a_closed_phrase_and_no_short_whole_word_is_folded(service: SearchService) -> None:
    # the third review: '"skyddat boende" ' went on '… placering och krav …' (the phrase then searched loose words),
    # "vad gör man " became "… män …" and "hur kan" "hur kän…" through the å/ä/ö-folded fallback
    assert service.suggest('"skyddat boende" ') == [] and service.suggest('-"skyddat boende" ') == []
    assert not [s for s in service.suggest("stöd till man ") + service.suggest("till kan") if "ä" in s]
    assert "skyddat boende" in service.suggest("skyddat bo")  # a long or unfinished word still folds: "vald i n"


def test_an_excluded_field_name_gets_a_quoted_phrase(service: SearchService) -> None:
    # "-title:skyddat boende" excluded "skyddat" and needed "boende": 0 hits
    got = service.suggest("-title:sk")
    assert '-title:"skyddat boende"' in got and "-title:skyddat boende" not in got
