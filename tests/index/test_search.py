"""SearchService end to end: a real Store, the real index build, then ranking, spelling, snippets, reopen."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from _search_corpus import BASE, corpus, make_document, publish, settings_for

from index.service import SearchService
from kb.searchmodel import NOTICE_ERROR, SearchRequest, SearchResponse


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    settings = settings_for(tmp_path_factory.mktemp("search"))
    publish(settings, corpus())
    svc = SearchService(settings)
    yield svc
    svc.close()


def slugs(response: SearchResponse) -> list[str]:
    return [h.url.removeprefix(BASE + "/") for h in response.results]


def test_contract_properties(service: SearchService) -> None:
    assert service.available
    assert service.generation.startswith("gen-")
    assert service.doc_count == 11  # 12 stored, the duplicate is folded into its canonical copy


def test_natural_question_ranks_the_page_matching_most_words_first(service: SearchService) -> None:
    r = service.search(SearchRequest(q="hur anmäler man våld i nära relation"))
    assert slugs(r)[0] == "vinr/anmala"
    assert r.total >= 3  # pages matching only some of the words are found too
    assert r.generation == service.generation


def test_title_match_beats_body_only_match(service: SearchService) -> None:
    r = service.search(SearchRequest(q="könsstympning"))
    assert slugs(r) == ["heder/konsstympning"]
    r = service.search(SearchRequest(q="behandling"))
    assert slugs(r)[0] == "forovare/behandling"


def test_query_time_synonyms_and_abbreviations(service: SearchService) -> None:
    assert "heder/barnaktenskap" in slugs(service.search(SearchRequest(q="tvångsgifte")))
    vinr = slugs(service.search(SearchRequest(q="VINR")))
    assert vinr[:2] and set(vinr) >= {"vinr/anmala", "vinr/stod"}
    # sexköp ↔ "köp av sexuell tjänst": the page never says "sexköp" but its title says the phrase
    assert "prostitution/sexkop" in slugs(service.search(SearchRequest(q="sexköp")))
    # a typed word outranks a page that only has the synonym
    r = service.search(SearchRequest(q="tvångsäktenskap"))
    assert slugs(r)[0] == "heder/barnaktenskap"


@pytest.mark.parametrize(
    ("typed", "expected", "suggestion"),
    [
        ("könstympning", "heder/konsstympning", "könsstympning"),
        ("prostitusion", "prostitution/sexkop", "prostitution"),
        ("barnaktenskap", "heder/barnaktenskap", "barnäktenskap"),
        ("valdsutovare", "forovare/behandling", "våldsutövare"),
        # the suggestion is a word seen in the index, never the corrected stem plus the typed ending
        ("prostitusionn", "prostitution/sexkop", "prostitution"),
        ("skyddatt", "dubblett/original", "skyddat"),
        ("könstympningen", "heder/konsstympning", "könsstympning"),
    ],
)
def test_misspellings_find_the_right_page_and_suggest(service: SearchService, typed: str, expected: str, suggestion: str) -> None:
    r = service.search(SearchRequest(q=typed))
    assert expected in slugs(r)
    assert r.suggestion == suggestion


def test_no_suggestion_for_known_words_and_no_rewrite_when_exact_hits_exist(service: SearchService) -> None:
    r = service.search(SearchRequest(q="prostitution"))
    assert r.suggestion is None and r.notice is None
    assert set(slugs(r)) == {"prostitution/sexkop", "prostitution/exploatering"}


def test_accentless_query_uses_folded_field(service: SearchService) -> None:
    r = service.search(SearchRequest(q="vald i nara relationer"))
    assert slugs(r)[0] == "vinr/anmala"


def test_exclusion_and_phrase(service: SearchService) -> None:
    r = service.search(SearchRequest(q="prostitution -människohandel"))
    assert slugs(r) == ["prostitution/sexkop"]
    r = service.search(SearchRequest(q='"skyddat boende"'))
    assert slugs(r)[0] == "dubblett/original"


def test_duplicates_grouped_into_one_hit(service: SearchService) -> None:
    r = service.search(SearchRequest(q="skyddat boende trygg plats"))
    urls = [h.url for h in r.results]
    assert urls.count(f"{BASE}/dubblett/original") == 1
    assert f"{BASE}/dubblett/kopia" not in urls
    hit = next(h for h in r.results if h.url.endswith("/original"))
    assert hit.duplicates == [f"{BASE}/dubblett/kopia"]


def test_snippet_escapes_html_and_marks_matches(service: SearchService) -> None:
    r = service.search(SearchRequest(q="script citat"))
    hit = r.results[0]
    assert hit.url.endswith("/farlig")
    assert "<script" not in hit.snippet and "&lt;<mark>script</mark>&gt;" in hit.snippet
    assert "&quot;<mark>citat</mark>&quot;" in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippet_without_match_falls_back_to_description(service: SearchService) -> None:
    r = service.search(SearchRequest(q="säkerhet"))  # a title-only match on this page
    hit = next(h for h in r.results if h.url.endswith("/farlig"))
    assert hit.snippet == "Beskrivning"


def test_sort_newest_puts_undated_last(service: SearchService) -> None:
    r = service.search(SearchRequest(q="prostitution", sort="nyast"))
    assert slugs(r) == ["prostitution/sexkop", "prostitution/exploatering"]
    r = service.search(SearchRequest(q="", sort="nyast", per_page=50))
    dates = [h.published for h in r.results]
    assert dates[-1] is None and dates[0] == "2024-12-01"
    assert [d for d in dates if d] == sorted((d for d in dates if d), reverse=True)


def test_paging(service: SearchService) -> None:
    first = service.search(SearchRequest(q="", per_page=4, page=1))
    second = service.search(SearchRequest(q="", per_page=4, page=2))
    assert first.total == second.total == 11
    assert not {h.url for h in first.results} & {h.url for h in second.results}
    assert service.search(SearchRequest(q="", per_page=4, page=99)).results == []


def test_json_shape(service: SearchService) -> None:
    data = service.search(SearchRequest(q="våld")).to_json()
    json.dumps(data)
    assert data["total"] > 0 and data["results"][0]["snippet"]
    assert set(data["facets"]) == {"delomrade", "organisation", "doc_type", "malgrupp", "year", "format"}


def test_cache_returns_equal_but_independent_responses(service: SearchService) -> None:
    a = service.search(SearchRequest(q="våld"))
    a.results.clear()
    b = service.search(SearchRequest(q="våld"))
    assert b.results and b.total == a.total


def test_recent_suggest_and_overview(service: SearchService) -> None:
    recent = service.recent(5)
    assert len(recent) == 5 and len({h.url for h in recent}) == 5
    assert f"{BASE}/dubblett/kopia" not in {h.url for h in service.recent(50)}
    assert "våldsutövare" in service.suggest("våldsut")
    assert service.suggest("anmäla våldsut")[0].startswith("anmäla våldsut")
    assert service.suggest("") == [] and service.suggest("x") == []
    overview = service.facet_overview()
    assert sum(v.count for v in overview["format"]) == 11
    assert {v.value for v in overview["format"]} == {"html", "pdf", "docx"}


def test_concurrent_searches(service: SearchService) -> None:
    errors: list[BaseException] = []

    def run(q: str) -> None:
        try:
            for i in range(5):
                r = service.search(SearchRequest(q=q, page=i + 1, per_page=2))
                assert r.notice is None or "kortats" not in r.notice
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(q,)) for q in ("våld", "heder", "prostitution", "stöd", "kvinnor")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_unavailable_then_published_then_republished(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    svc = SearchService(settings)
    try:
        assert not svc.available and svc.doc_count == 0
        r = svc.search(SearchRequest(q="våld"))
        assert r.total == 0 and r.notice and r.results == []
        assert svc.recent() == [] and svc.facet_overview() == {} and svc.suggest("våld") == []
        docs = corpus()[:3]
        publish(settings, docs)
        assert not svc.available  # the properties are snapshots: they never open an index themselves
        assert svc.reload()  # what the background watcher or the next search does once a second
        assert svc.available and svc.doc_count == 3
        first = svc.generation
        assert svc.search(SearchRequest(q="parterapi")).total == 1
        publish(settings, [make_document(url=f"{BASE}/ny", title="Ny sida om kvinnofrid och våld",
                                         text="Helt ny text om våld.", published=date(2025, 1, 1))])
        # within the throttle window the old generation keeps answering
        svc._checked = time.monotonic()
        assert svc.search(SearchRequest(q="ny sida")).generation == first and svc.generation == first
        svc._checked = 0.0
        assert svc.search(SearchRequest(q="ny sida")).generation != first
        assert svc.generation != first
        assert svc.search(SearchRequest(q="ny sida")).results[0].url == f"{BASE}/ny"
    finally:
        svc.close()


@pytest.mark.parametrize("q", ["hur anmäler man våld i nära relation", "prostitution -människohandel", '"skyddat boende"',
                               "VINR", "skyddatboende", "könsstympning"])
def test_array_scoring_equals_whoosh_bm25f(service: SearchService, q: str) -> None:
    import numpy as np

    from index.query import build_query, parse

    gen = service._gen
    assert gen is not None
    query = build_query(gen.schema, parse(q), gen.synonyms, reader=gen.searcher.reader(), proximity=False)
    expected = {d: s for s, d in gen.searcher.search(query, limit=None).top_n}
    mask, scores = gen.postings.evaluate(query)
    got = {int(d): float(scores[d]) for d in np.nonzero(mask)[0]}
    assert expected and set(got) == set(expected)
    assert all(abs(got[d] - expected[d]) < 1e-9 for d in expected)


def test_typed_compound_finds_pages_with_its_parts(service: SearchService) -> None:
    r = service.search(SearchRequest(q="skyddatboende"))
    assert slugs(r)[0] == "dubblett/original"  # the page says "skyddat boende"
    # a word that is no compound does not widen the search
    assert set(slugs(service.search(SearchRequest(q="prostitution")))) == {"prostitution/sexkop", "prostitution/exploatering"}


def test_cache_size_zero_disables_the_response_cache(tmp_path: Path) -> None:
    settings = settings_for(tmp_path).replace(cache_size=0)
    publish(settings, corpus())
    svc = SearchService(settings)
    try:
        first = svc.search(SearchRequest(q="våld"))
        assert first.total > 0 and not svc._cache
        assert svc.search(SearchRequest(q="våld")).total == first.total and not svc._cache
    finally:
        svc.close()


def test_suggestions_are_words_from_the_index(service: SearchService) -> None:
    gen = service._gen
    assert gen is not None
    bodies = " ".join(str(f.get("body", "")) + " " + str(f.get("title", "")) for f in gen.searcher.all_stored_fields())
    seen = {w.lower() for w in re.findall(r"\w+", bodies)}
    for typed in ("prostitusionn", "skyddatt boendet", "barnaktenskapen", "valdsutovare", "behandlingg"):
        suggestion = service.search(SearchRequest(q=typed)).suggestion
        assert suggestion, typed
        changed = [s for t, s in zip(typed.split(), suggestion.split(), strict=True) if s != t]
        assert changed and all(w in seen for w in changed), (typed, suggestion)


def test_every_public_method_survives_generations_published_meanwhile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real threads, real publishes: a generation in use is never closed under a caller (no ReaderClosed)."""
    import index.reloader
    from index.build import build_and_publish
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    monkeypatch.setattr(index.reloader, "RELOAD_CHECK_SECONDS", 0.0)  # every call looks for a new generation
    settings = settings_for(tmp_path).replace(cache_size=0)
    publish(settings, corpus())
    svc = SearchService(settings)
    stop = threading.Event()
    errors: list[BaseException] = []
    calls = {"n": 0}
    seen: dict[int, object] = {}

    def note() -> None:
        gen = svc._gen
        if gen is not None:
            seen[id(gen)] = gen

    def hammer(kind: int) -> None:
        queries = ["våld", "prostitusionn", "skyddat boende", "heder -barn", ""]
        i = 0
        while not stop.is_set():
            try:
                i += 1
                note()
                if kind == 0:
                    r = svc.search(SearchRequest(q=queries[i % len(queries)], page=1 + i % 2, per_page=3))
                    assert r.notice != NOTICE_ERROR, r.notice
                    assert r.total > 0 or queries[i % len(queries)] == "heder -barn"
                elif kind == 1:
                    assert len(svc.recent(5)) == 5
                elif kind == 2:
                    assert sum(v.count for v in svc.facet_overview()["format"]) == 11
                elif kind == 3:
                    assert "våldsutövare" in svc.suggest("våldsut")
                else:
                    assert svc.available and svc.generation and svc.doc_count == 11
                calls["n"] += 1
                time.sleep(0.0005)  # leave the builder some of the GIL
            except Exception as exc:  # reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=hammer, args=(k % 5,)) for k in range(10)]
    for t in threads:
        t.start()
    generations = {svc.generation}
    try:
        with Store(settings.store_path) as store:
            for _ in range(4):
                build_and_publish(settings, store, [], load_taxonomy(), full=True)
                deadline = time.monotonic() + 5
                while svc.generation in generations and not errors and time.monotonic() < deadline:
                    time.sleep(0.01)
                generations.add(svc.generation)
                if errors:
                    break
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    try:
        assert errors == [], errors[:3]
        assert len(generations) == 5 and calls["n"] > 50
        current = svc._gen
        retired = [g for g in seen.values() if g is not current]
        assert retired and all(getattr(g, "closed", False) for g in retired)  # nothing left open once released
    finally:
        svc.close()
    assert current is not None and current.closed


def test_background_watcher_swaps_in_a_new_generation_and_stops_on_close(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    publish(settings, corpus()[:3])
    svc = SearchService(settings)
    try:
        svc.start_watching(interval=0.05)
        svc.start_watching(interval=0.05)  # idempotent
        first = svc.generation
        publish(settings, [make_document(url=f"{BASE}/ny", title="Ny sida", text="Helt ny text om våld.")])
        deadline = time.monotonic() + 10
        while svc.generation == first and time.monotonic() < deadline:
            time.sleep(0.02)
        assert svc.generation != first and svc.doc_count == 4  # no search was needed to notice it
        watcher = svc._watcher
    finally:
        svc.close()
    assert watcher is not None and not watcher.is_alive()


def _whoosh_index(path: Path, docs: int, words_per_doc: int) -> None:
    """A plain Whoosh index (one compound segment) with stored text, independent of the kb build."""
    import random

    from whoosh import fields
    from whoosh import index as windex

    rng = random.Random(7)
    vocab = [f"ord{i}" for i in range(5000)]
    schema = fields.Schema(key=fields.ID(stored=True, unique=True), body=fields.TEXT(stored=True),
                           n=fields.NUMERIC(stored=True, sortable=True))
    path.mkdir()
    ix = windex.create_in(str(path), schema)
    with ix.writer() as w:
        for i in range(docs):
            w.add_document(key=f"d{i}", body=" ".join(rng.choices(vocab, k=words_per_doc)), n=i)
    ix.close()


def test_serving_storage_reads_the_same_index_without_copying_it(tmp_path: Path) -> None:
    import tracemalloc

    from whoosh import index as windex
    from whoosh import query as wq

    from index.storage import open_index

    _whoosh_index(tmp_path / "ix", docs=150, words_per_doc=500)
    seg_bytes = sum(p.stat().st_size for p in (tmp_path / "ix").glob("*.seg"))
    assert seg_bytes > 1_000_000

    def contents(ix: object) -> tuple[object, ...]:
        with ix.searcher() as s:  # type: ignore[attr-defined]
            r = s.reader()
            terms = [(f, t, r.doc_frequency(f, t), list(r.postings(f, t).all_ids())) for f, t in r.all_terms()]
            hits = [(h["key"], round(h.score, 9)) for h in s.search(wq.Or([wq.Term("body", "ord1"), wq.Term("body", "ord2")]),
                                                                   limit=None)]
            col = list(r.column_reader("n"))
            return terms, list(r.all_stored_fields()), hits, col, r.doc_field_length(5, "body")

    def opened_bytes(opener: object) -> int:
        tracemalloc.start()
        try:
            ix = opener(tmp_path / "ix")  # type: ignore[operator]
            searcher = ix.searcher()
            searcher.reader().doc_frequency("body", "ord1")
            held = tracemalloc.get_traced_memory()[0]
            searcher.close()
            ix.close()
            return held
        finally:
            tracemalloc.stop()

    def whoosh_open(p: Path) -> object:
        return windex.open_dir(str(p))

    for use_mmap in (True, False):
        ix = open_index(tmp_path / "ix", use_mmap=use_mmap)
        reference = windex.open_dir(str(tmp_path / "ix"))
        try:
            assert contents(ix) == contents(reference)
        finally:
            ix.close()
            reference.close()
    # Whoosh's own mmap path copies every segment file into private memory; ours keeps it in the mapping.
    assert opened_bytes(whoosh_open) > seg_bytes / 2
    assert opened_bytes(open_index) < seg_bytes / 10


@pytest.mark.parametrize("use_mmap", [True, False])
def test_a_retired_generation_releases_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_mmap: bool) -> None:
    import os

    import index.storage

    monkeypatch.setattr(index.storage, "INDEX_MMAP", use_mmap)
    settings = settings_for(tmp_path)
    publish(settings, corpus()[:3])
    svc = SearchService(settings)
    try:
        svc.search(SearchRequest(q="våld"))
        old = svc._gen.path if svc._gen else None
        assert old is not None

        def held() -> list[str]:
            """The old generation's files this process maps (mmap) or holds open (plain reads)."""
            if use_mmap:
                return [line for line in Path("/proc/self/maps").read_text().splitlines() if str(old) in line]
            out = []
            for fd in Path("/proc/self/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith(str(old)):
                    out.append(target)
            return out

        assert any(".seg" in h for h in held())  # the segment is held while the generation serves
        publish(settings, corpus()[:4])
        assert svc.reload()
        assert held() == []
    finally:
        svc.close()


def test_sorted_words_bisect_like_a_sorted_list() -> None:
    import bisect

    from index.suggest import SortedWords

    words = ["våld", "vald", "kvinnofrid", "å", "äktenskap", "barn", "barnäktenskap", "barn", "öga", "a"]
    compact = SortedWords(words)
    reference = sorted(set(words))
    assert len(compact) == len(reference) and list(compact) == reference and compact[-1] == reference[-1]
    for needle in ("", "a", "barn", "barnä", "bb", "v", "vål", "ö", "ööö", "zz"):
        assert bisect.bisect_left(compact, needle) == bisect.bisect_left(reference, needle)
    with pytest.raises(IndexError):
        compact[len(reference)]
    assert len(SortedWords([])) == 0


def test_term_cache_is_bounded_by_bytes_least_recently_used_first(service: SearchService) -> None:
    from index.postings import Postings

    gen = service._gen
    assert gen is not None
    reader = gen.searcher.reader()
    terms = sorted({t for t in (reader.field_terms("body")) if reader.doc_frequency("body", t) == 1})[:6]
    assert len(terms) == 6
    def entry(t: str) -> int:
        return sum(a.nbytes for a in postings.term("body", t))

    postings = Postings(gen.searcher, gen.live_mask, max_bytes=1 << 30)
    sizes = {t: entry(t) for t in terms}
    budget = sum(sizes[t] for t in terms[:4])
    postings = Postings(gen.searcher, gen.live_mask, max_bytes=budget)
    for t in terms[:4]:
        postings.term("body", t)
    postings.term("body", terms[0])  # used again: the most recent now
    postings.term("body", terms[4])  # over budget: the least recently used (terms[1]) goes first
    cached = {text for _f, text in postings._cache}
    assert terms[0] in cached and terms[4] in cached and terms[1] not in cached
    assert postings._held == sum(sizes[t] for t in cached) <= budget
    docs, scores = postings.term("body", terms[1])  # an evicted term is read again, equal to before
    assert docs.dtype == np.int32 and len(docs) == len(scores) and sizes[terms[1]] == docs.nbytes + scores.nbytes


def test_a_generation_that_cannot_be_opened_is_not_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from index import publish as pub

    settings = settings_for(tmp_path)
    publish(settings, corpus()[:3])
    svc = SearchService(settings)
    try:
        good = svc.generation
        broken = pub.new_generation_dir(settings.index_root)  # a directory with no index in it
        pub.write_generation_info(broken, {"generation": broken.name, "doc_count": 3})
        pub.publish(settings.index_root, broken)
        with caplog.at_level("ERROR", logger="index.reloader"):
            for _ in range(3):
                assert not svc.reload()
        assert len([r for r in caplog.records if "cannot open index generation" in r.getMessage()]) == 1
        assert svc.generation == good and svc.search(SearchRequest(q="våld")).generation == good
        publish(settings, corpus()[:2])  # the next good generation is taken as usual
        assert svc.reload() and svc.generation not in (good, broken.name)
    finally:
        svc.close()


def test_open_backend_gives_a_search_backend(tmp_path: Path) -> None:
    from index.service import open_backend
    from kb.backend import SearchBackend

    settings = settings_for(tmp_path)
    publish(settings, corpus()[:3])
    backend = open_backend(settings)
    try:
        assert isinstance(backend, SearchBackend)
        assert backend.available and backend.doc_count == 3 and backend.generation
        assert backend.search(SearchRequest(q="våld")).total > 0
    finally:
        backend.close()
    assert not backend.available
