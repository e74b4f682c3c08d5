"""General synonyms from a MyThes thesaurus: read on stems, used at a low weight, absent file tolerated."""

from __future__ import annotations

from pathlib import Path

import pytest
from _search_corpus import BASE, serving

from index import thesaurus
from kb.searchmodel import SearchRequest

MYTHES = ("ISO8859-1\nprata|1\n(verb)|samtala|tala|snacka\nsamtal|1\n(substantiv)|konversation|prat med dig\nslå|1\n-|misshandla\n"
          "nät|1\n-|internet|webb\nsnacka|1\n-|prata\n")


@pytest.fixture()
def small_thesaurus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "th_sv.dat"
    path.write_bytes(MYTHES.encode("latin-1"))
    monkeypatch.setattr(thesaurus, "THESAURUS_PATH", path)
    return path


def test_synonyms_are_read_as_stems_and_only_known_ones_are_used(small_thesaurus: Path) -> None:
    table = thesaurus.load_thesaurus(small_thesaurus)
    assert table["prat"] == ("samtal", "tal", "snack")  # "prata" and its synonyms stemmed
    assert table["samtal"] == ("konversation",)  # "prat med dig" is no single word
    assert thesaurus.related_stems("prat", lambda _f, t: int(t == "samtal")) == ["samtal"]


def test_a_missing_thesaurus_means_no_synonyms(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert thesaurus.load_thesaurus(tmp_path / "absent.dat") == {}
    assert "mythes-sv" in caplog.text


def test_a_general_synonym_reranks_and_finds_pages_only_when_the_word_finds_none(small_thesaurus: Path, tmp_path: Path) -> None:
    pages = {"samtal": ("Samtal med barn", "Samtal med barn om våld behöver vara lugna."),
             "prata": ("Prata om våld", "Att prata om våld är svårt."),
             "annat": ("Barn i skolan", "Barn i skolan, barn på fritids och barn i förskolan.")}
    with serving(tmp_path / "data", pages) as svc:
        def hits(q: str) -> list[str]:
            return [h.url.removeprefix(BASE + "/") for h in svc.search(SearchRequest(q=q, per_page=10)).results]

        # a thesaurus synonym is looser than a curated one: it never adds hits to a word that has its own pages
        # ("hjälp" would otherwise count every page saying "stöd")
        assert hits("pratar") == ["prata"]
        found = hits("pratar barn")  # … but re-ranks what the query found: of two pages about "barn", the one
        assert found.index("samtal") < found.index("annat")  # saying "samtal" (a synonym of "prata") first
        assert hits("snackar") == ["prata"]  # no page says "snacka": its synonyms find the pages


def test_a_compound_part_swapped_for_a_synonym_finds_the_page_saying_it_apart(small_thesaurus: Path, tmp_path: Path) -> None:
    assert len(thesaurus.swapped_part_queries(["nät", "kränkning"], lambda _f, t: 1, small_thesaurus)) == 4  # 2 synonyms × 2 fields
    assert thesaurus.swapped_part_queries(["hed", "våld", "utsat"], lambda _f, t: 1, small_thesaurus) == []  # two parts only
    pages = {"skola": ("Kränkningar i skolan", "Kränkningar i skolan."),
             "internet": ("Kränkningar på internet", "Kränkningar på internet och i sociala medier ökar bland unga.")}
    with serving(tmp_path / "data", pages) as svc:
        hits = [h.url.removeprefix(BASE + "/") for h in svc.search(SearchRequest(q="nätkränkningar", per_page=10)).results]
        assert hits == ["internet", "skola"]
