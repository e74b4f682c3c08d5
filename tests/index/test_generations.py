"""The generation lifecycle: publish, swap, retire, watch; files served from the page cache; the backend factory."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest
from _search_corpus import BASE, corpus, make_document, publish, settings_for

from index.service import SearchService
from kb.searchmodel import NOTICE_ERROR, SearchRequest


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
