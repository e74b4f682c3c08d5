"""Review of issue 12's third round: particle-led words with a linking -s-, and accentless words that are real words."""

from __future__ import annotations

from pathlib import Path

import pytest
from _search_corpus import BASE, serving

from index.analysis import analyze
from index.parsing import parse
from kb.searchmodel import SearchRequest


def idx(text: str) -> set[str]:
    return set(analyze(text, mode="index"))


def q(text: str) -> str:
    return analyze(text, mode="query")[0]


@pytest.mark.parametrize(("word", "not_part"), [
    # a particle with a linking -s- is still a particle: "unders|ökning", "genoms|lag" were split before
    ("undersökning", "ökning"), ("undersökningen", "ökning"), ("eftersökning", "ökning"), ("genomslag", "lag"),
    # före- leads words that are no kind of their last part
    ("förebyggande", "byggande"), ("föreläsning", "läsning"), ("föreskrifter", "skrifter"),
])
def test_a_particle_with_a_linking_s_is_not_a_first_part(word: str, not_part: str) -> None:
    assert q(not_part) not in idx(word)


@pytest.mark.parametrize(("compound", "part"), [
    # a compound whose first part only begins with a particle still splits
    ("underhållsstöd", "stöd"), ("tillsynsmyndighet", "myndighet"), ("motståndskraft", "kraft"),
    ("uppehållstillstånd", "tillstånd"), ("våldsförebyggande", "förebyggande"), ("överfallslarm", "larm"),
])
def test_a_compound_led_by_a_longer_word_still_splits(compound: str, part: str) -> None:
    assert q(part) in idx(compound)


def test_a_search_for_the_last_part_does_not_find_the_particle_word(tmp_path: Path) -> None:
    pages = {"undersokning": ("Brås undersökning", "Undersökningen visar att tryggheten minskar."),
             "okning": ("Fler anmälningar", "En kraftig ökning av anmälningarna syns i år.")}
    with serving(tmp_path, pages) as svc:
        assert [h.url.removeprefix(BASE + "/") for h in svc.search(SearchRequest(q="ökning")).results] == ["okning"]


@pytest.mark.parametrize(("typed", "meant"), [
    # real words the lexicon knows with an -s or a past passive -es: not a missing ä ("har utsatts för våld")
    ("utsatts", "utsatts"), ("utsattas", "utsattas"), ("utsattes", "utsattes"),
    # names typed with a capital are names, not "Lärs", "Änders", "Öskar"
    ("Lars", "Lars"), ("Anders", "Anders"), ("Oskar", "Oskar"),
    # still restored
    ("aldre", "äldre"), ("lakare", "läkare"), ("lakares", "läkares"), ("Lakare", "Läkare"), ("overgrepp", "övergrepp"),
])
def test_a_real_word_or_name_typed_without_diacritics_is_searched_as_typed(typed: str, meant: str) -> None:
    assert parse(typed).words == [meant]


def test_a_correct_passive_is_found_and_highlighted_without_a_suggestion(tmp_path: Path) -> None:
    pages = {"utsatts": ("Stöd efter våld", "Du som har utsatts för våld kan få stöd."),
             "utsatts2": ("Om du utsätts för våld", "Om du utsätts för våld, ring stödlinjen.")}
    with serving(tmp_path, pages) as svc:
        res = svc.search(SearchRequest(q="har utsatts för våld"))
        assert res.suggestion is None  # it was "Menade du: har utsätts för våld"
        assert res.results[0].url == f"{BASE}/utsatts"
        assert "<mark>utsatts</mark>" in res.results[0].snippet


def test_a_restored_stop_word_is_shown_beside_the_other_restored_words(tmp_path: Path) -> None:
    pages = {"natet": ("Digitalt våld", "Hot och kränkningar på nätet drabbar många kvinnor.")}
    with serving(tmp_path, pages) as svc:
        assert svc.search(SearchRequest(q="kvinnor pa natet")).suggestion == "kvinnor på nätet"  # was "kvinnor pa nätet"
        assert svc.search(SearchRequest(q="pa")).suggestion is None  # a stop word alone is nothing to suggest


@pytest.mark.parametrize(("typed", "shown"), [
    # a quoted phrase stays a phrase in "Menade du" (it was offered as the loose words, with other hits)
    ('"hedersrelaterat vald och fortryck"', '"hedersrelaterat vald och förtryck"'),
    ('"vald mot aldre"', '"vald mot äldre"'),
    ('aldre "nara relationer"', 'äldre "nära relationer"'),
    ("Aldre, vald", "Äldre, vald"),
    ("fortryck -aldre", "förtryck -aldre"),
])
def test_the_suggestion_keeps_the_query_as_typed_but_the_restored_words(tmp_path: Path, typed: str, shown: str) -> None:
    pages = {"heder": ("Hedersrelaterat våld och förtryck", "Hedersrelaterat våld och förtryck drabbar äldre i nära relationer.")}
    with serving(tmp_path, pages) as svc:
        assert svc.search(SearchRequest(q=typed)).suggestion == shown
