"""hunspell-sv's inflected forms (index/affixes.py): a Swedish form is no typo, so "Menade du" leaves it alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _search_corpus import serving

from index import affixes
from kb.searchmodel import SearchRequest

AFF = """SET UTF-8
NEEDAFFIX ¤
FORBIDDENWORD %
SFX A Y 2
SFX A 0 r a
SFX A a ade/B a
SFX B Y 1
SFX B 0 s e
SFX C Y 1
SFX C 0 en [^e]
"""
DIC = """6
hota/A
bil/C
stamm/¤C
fel/%C
kvinno/Z
Barents/C
"""


def test_suffix_rules_conditions_continuations_and_special_flags(tmp_path: Path) -> None:
    (tmp_path / "t.aff").write_text(AFF, encoding="utf-8")
    (tmp_path / "t.dic").write_text(DIC, encoding="utf-8")
    forms = set(affixes.generate_forms(tmp_path / "t.dic", tmp_path / "t.aff"))
    # hota + r, hota - a + ade, then ade + s (continuation class B); bil + en; stamm only with a suffix; fel never;
    # kvinno only inside compounds (ONLYINCOMPOUND); a name is no word to keep from being corrected
    assert forms == {"hota", "hotar", "hotade", "hotades", "bil", "bilen", "stammen"}


@pytest.mark.parametrize("word", ["misshandlare", "stalkad", "förföljda", "Misshandlare", "slog", "hotats"])
def test_inflected_forms_hunspell_sv_makes_are_swedish(word: str) -> None:
    assert affixes.is_form(word)


@pytest.mark.parametrize("typo", ["könstympning", "prostitusion", "valdsutovare", "sociltjänsten", "våldtäckt"])
def test_typos_are_not(typo: str) -> None:
    assert not affixes.is_form(typo)


def test_a_swedish_form_gets_no_made_up_correction_and_a_typo_still_does(tmp_path: Path) -> None:
    pages = {"misshandel": ("Misshandel", "Misshandel i nära relationer är ett brott."),
             "starka": ("Starka kvinnor", "Starka kvinnor berättar om sitt arbete."),
             "konsstympning": ("Könsstympning", "Könsstympning av flickor är förbjudet.")}
    with serving(tmp_path, pages) as service:
        # "Menade du: misshandel?" and "Menade du: starka?" (with the starka page as its only hit) before
        assert service.search(SearchRequest(q="misshandlare")).suggestion is None
        r = service.search(SearchRequest(q="stalkad"))
        assert r.suggestion is None and r.results == []
        assert service.search(SearchRequest(q="könstympning")).suggestion == "könsstympning"


def test_the_hashes_are_cached_checked_and_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(affixes, "_installed", [])
    built = affixes.load_forms_cached(tmp_path)
    (cache,) = tmp_path.glob("hunspell-forms-*.npy")
    assert len(built) > 500_000 and bool(np.all(built[1:] > built[:-1]))
    assert affixes.load_forms_cached(tmp_path) is built  # once per process
    monkeypatch.setattr(affixes, "_installed", [])
    assert np.array_equal(affixes.load_forms_cached(tmp_path), built)  # read back
    cache.write_bytes(cache.read_bytes()[:1000])  # cut short
    monkeypatch.setattr(affixes, "_installed", [])
    assert np.array_equal(affixes.load_forms_cached(tmp_path), built)  # rebuilt, and written whole again
    assert affixes._read(cache) is not None
    stale = tmp_path / "hunspell-forms-0000000000000000.npy"
    np.save(stale, built[:10])
    affixes._write(cache, built)
    assert not stale.exists()  # a stale version is removed when the current one is written


def test_a_build_leaves_the_cache_for_the_web_workers(tmp_path: Path) -> None:
    # each web worker spent ~2 s making the hashes at its first start (two workers, both at once)
    from _search_corpus import make_document, publish, settings_for

    settings = settings_for(tmp_path)
    publish(settings, [make_document()])
    (cache,) = (settings.data_dir / "cache").glob("hunspell-forms-*.npy")
    assert affixes._read(cache) is not None
