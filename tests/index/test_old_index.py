"""Indexes written by older code still open: Whoosh unpickles the analyzers in every TOC by their import path."""

from __future__ import annotations

import shutil
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.query import Term

from index.analysis import analyze
from index.service import SearchService
from kb.searchmodel import SearchRequest
from kb.settings import load_settings

# Built before the index package was split into modules (commit 5a77543): analyzer version sv-1, schema 2.
# published-sv1: four documents of tests/index/_search_corpus.py, published by build_and_publish
# (pickles index.analysis.SwedishAnalyzer). filter-chain-sv1: one document indexed with the filter-chain
# form of the analyzers (pickles index.analysis.SwedishFilter inside a CompositeAnalyzer).
DATA = Path(__file__).with_name("data")


def test_a_generation_published_by_older_code_is_served(tmp_path: Path) -> None:
    settings = load_settings(env={}, data_dir=tmp_path / "data", sources=tmp_path / "sources.yaml")
    shutil.copytree(DATA / "published-sv1", settings.index_root, symlinks=True)
    svc = SearchService(settings)
    try:
        assert svc.available and svc.doc_count == 4
        assert svc.generation == "gen-20261206T124704002967Z-17afec"
        hits = svc.search(SearchRequest(q="polisanmälan")).results
        assert [h.url for h in hits] == ["https://www.exempel.se/vinr/anmala"]
        assert "<mark>" in hits[0].snippet
        # Decompounding and folding as written then: a part of a compound, a word typed without å/ä/ö.
        assert [h.url for h in svc.search(SearchRequest(q="samtal")).results] == ["https://www.exempel.se/vinr/stod"]
        response = svc.search(SearchRequest(q="konsstympning"))
        assert [h.url for h in response.results] == ["https://www.exempel.se/heder/konsstympning"]
        assert response.suggestion == "könsstympning"  # from the old index's own vocabulary
        assert svc.suggest("köns") == ["könsstympning"]
        assert svc.facet_overview()["format"] and len(svc.recent(10)) == 4
    finally:
        svc.close()


def test_an_index_of_the_filter_chain_analyzers_opens_and_matches(tmp_path: Path) -> None:
    shutil.copytree(DATA / "filter-chain-sv1", tmp_path / "ix")
    ix = whoosh_index.open_dir(str(tmp_path / "ix"))
    try:
        with ix.searcher() as searcher:
            for field, word, folded in (("body", "våld", False), ("body", "barnfridsbrott", False),
                                        ("folded", "tvangsgifte", True), ("folded", "halsovard", True)):
                (term,) = analyze(word, folded=folded, mode="query")
                assert len(searcher.search(Term(field, term))) == 1, (field, word, term)
    finally:
        ix.close()


def test_the_old_import_path_of_the_service_still_works() -> None:
    import index.search
    import index.service
    from kb import searchmodel

    assert index.search.SearchService is index.service.SearchService
    assert index.search.open_backend is index.service.open_backend
    assert index.search.NOTICE_UNAVAILABLE == searchmodel.NOTICE_UNAVAILABLE
