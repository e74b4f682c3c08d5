"""Full and incremental builds from a real store into real Whoosh indexes, and their checks."""

from __future__ import annotations

import errno
import gc
import json
import secrets
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from index import build as build_mod
from index.analysis import SwedishAnalyzer, analyze
from index.build import BuildResult, build_and_publish
from index.publish import current_generation, read_generation_info
from kb.errors import IndexBuildError, PublishCheckFailed
from kb.models import Document
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store
from kb.taxonomy import Taxonomy


def stored(settings: Settings) -> dict[str, dict]:
    gen = current_generation(settings.index_root)
    assert gen is not None
    ix = whoosh_index.open_dir(str(gen))
    try:
        with ix.searcher() as s:
            return {f["url"]: f for f in s.all_stored_fields()}
    finally:
        ix.close()


def hits(settings: Settings, field: str, word: str) -> set[str]:
    gen = current_generation(settings.index_root)
    ix = whoosh_index.open_dir(str(gen))
    try:
        with ix.searcher() as s:
            (term,) = analyze(word, folded=field == "folded", mode="query")
            return {h["url"] for h in s.search(Term(field, term), limit=None)}
    finally:
        ix.close()


def test_full_build_indexes_classified_documents(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy
) -> None:
    result = build_and_publish(settings, filled_store, sources, taxonomy)
    assert isinstance(result, BuildResult)
    assert (result.mode, result.doc_count, result.added) == ("full", 20, 20)
    assert "20 dokument" in str(result) and result.size_bytes > 0
    info = read_generation_info(current_generation(settings.index_root))
    assert info["doc_count"] == 20 and info["change_seq"] == filled_store.last_change_seq()
    assert info["taxonomy_version"] == taxonomy.version and info["generation"] == result.generation
    docs = stored(settings)
    doc = docs["https://example.se/doc/0000"]
    assert doc["organisation"] == "NCK (källa)"  # from the source config
    assert doc["delomrade"] and isinstance(doc["delomrade_scores"], dict) and doc["explanation"]
    assert doc["year"] and doc["format"] == "html" and doc["published"].year == 2023
    assert doc["first_seen"] is not None
    # Decompounded body: "kvinnofrid" finds "Kvinnofridsarbete"; folded field without å/ä/ö.
    assert "https://example.se/doc/0000" in hits(settings, "body", "kvinnofrid")
    assert "https://example.se/doc/0001" in hits(settings, "body", "barnfridsbrott")
    assert "https://example.se/doc/0000" in hits(settings, "folded", "vald")


def test_unknown_source_keeps_stored_organisation_and_duplicates_are_grouped(
    settings: Settings, store: Store, numbered_document: Callable[..., Document], taxonomy: Taxonomy
) -> None:
    canonical = numbered_document(source="gone", organisation="Gammal myndighet")
    store.put_document(canonical)
    store.put_document(numbered_document(dup_of=canonical.url, url="https://example.se/copy"))
    build_and_publish(settings, store, [], taxonomy)
    docs = stored(settings)
    assert set(docs) == {canonical.url}
    assert docs[canonical.url]["organisation"] == "Gammal myndighet"
    assert docs[canonical.url]["duplicates"] == ["https://example.se/copy"]
    assert docs[canonical.url]["dup_group"] == canonical.url


def test_incremental_update_equals_a_full_build(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy, numbered_document: Callable[..., Document], tmp_path: Path
) -> None:
    build_and_publish(settings, filled_store, sources, taxonomy)
    filled_store.put_document(numbered_document(url="https://example.se/new", title="Ny sida om sexköp"))
    changed = filled_store.get_document("https://example.se/doc/0002")
    assert changed is not None
    changed.title, changed.text, changed.content_hash = "Ändrad titel om stalkning", "Stalkning är brottsligt.", ""
    changed.__post_init__()
    filled_store.put_document(changed)
    filled_store.delete_document("https://example.se/doc/0003")
    filled_store.put_document(numbered_document(url="https://example.se/dup", dup_of="https://example.se/doc/0004"))
    result = build_and_publish(settings, filled_store, sources, taxonomy)
    assert result.mode == "incremental"
    assert (result.added, result.updated, result.deleted) == (1, 2, 1)  # doc/0004 re-indexed for its new duplicate
    incremental = stored(settings)
    assert incremental["https://example.se/doc/0002"]["title"] == "Ändrad titel om stalkning"
    assert incremental["https://example.se/doc/0004"]["duplicates"] == ["https://example.se/dup"]
    assert hits(settings, "body", "stalkning") == {"https://example.se/doc/0002"}
    full = build_and_publish(settings, filled_store, sources, taxonomy, full=True)
    assert full.mode == "full"
    assert stored(settings).keys() == incremental.keys()
    assert {u: (d["title"], d["duplicates"]) for u, d in stored(settings).items()} == {
        u: (d["title"], d["duplicates"]) for u, d in incremental.items()
    }


def test_version_change_forces_full_rebuild(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_and_publish(settings, filled_store, sources, taxonomy)
    assert build_and_publish(settings, filled_store, sources, taxonomy).mode == "incremental"
    monkeypatch.setattr(build_mod, "ANALYZER_VERSION", "test-next")
    result = build_and_publish(settings, filled_store, sources, taxonomy)
    assert result.mode == "full"
    assert read_generation_info(current_generation(settings.index_root))["analyzer_version"] == "test-next"


def test_too_small_index_is_not_published(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy
) -> None:
    first = build_and_publish(settings, filled_store, sources, taxonomy)
    for n in range(15):
        filled_store.delete_document(f"https://example.se/doc/{n:04d}")
    with pytest.raises(PublishCheckFailed, match="5 dokument mot 20"):
        build_and_publish(settings, filled_store, sources, taxonomy)
    assert current_generation(settings.index_root).name == first.generation
    assert len(stored(settings)) == 20
    assert [p.name for p in settings.index_root.glob("gen-*")] == [first.generation]


def test_lost_canary_query_is_not_published(
    settings: Settings, store: Store, sources: list[Source], taxonomy: Taxonomy, numbered_document: Callable[..., Document]
) -> None:
    for _ in range(4):
        store.put_document(numbered_document(title="Om våld", text="Våld i nära relationer"))
        store.put_document(numbered_document(title="Annat", text="Budget och skatter"))
    first = build_and_publish(settings, store, sources, taxonomy)
    for url in hits(settings, "body", "våld"):
        store.put_document(numbered_document(url=url, title="Annat", text="Budget och skatter igen"))
    with pytest.raises(PublishCheckFailed, match="våld"):
        build_and_publish(settings, store, sources, taxonomy)
    assert current_generation(settings.index_root).name == first.generation
    assert hits(settings, "body", "våld")


@pytest.fixture
def small_index_fs(settings: Settings) -> Path:
    """A 2 MB tmpfs mounted at the index root, so a big build really runs out of space."""
    root = settings.index_root
    root.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(root)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


def test_disk_full_raises_index_build_error_and_keeps_old_index(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy,
    numbered_document: Callable[..., Document], small_index_fs: Path,
) -> None:
    first = build_and_publish(settings, filled_store, sources, taxonomy, full=True)
    for n in range(6):  # stored-only bytes fill the disk without costing analysis time
        filled_store.put_document(numbered_document(url=f"https://example.se/big/{n}", description=secrets.token_hex(250_000)))
    with pytest.raises(IndexBuildError) as caught:
        build_and_publish(settings, filled_store, sources, taxonomy, full=True)
    assert isinstance(caught.value.__cause__, OSError) and caught.value.__cause__.errno == errno.ENOSPC
    # Whoosh can leave a file object unclosed when a flush fails; collect it quietly here.
    del caught
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    assert current_generation(settings.index_root).name == first.generation
    assert len(stored(settings)) == 20
    assert [p.name for p in small_index_fs.glob("gen-*")] == [first.generation]


def test_generation_info_is_json_with_the_contract_keys(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy
) -> None:
    build_and_publish(settings, filled_store, sources, taxonomy)
    raw = json.loads((settings.index_root / "current" / "generation.json").read_text())
    assert {"generation", "built_at", "doc_count", "change_seq", "schema_version", "taxonomy_version", "analyzer_version"} <= raw.keys()


def test_column_fields_and_dscores_are_readable_without_stored_fields(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy
) -> None:
    from index.schema import COLUMN_FIELDS, parse_dscores

    build_and_publish(settings, filled_store, sources, taxonomy)
    ix = whoosh_index.open_dir(str(current_generation(settings.index_root)))
    try:
        with ix.searcher() as s:
            reader = s.reader()
            assert all(reader.has_column(f) for f in COLUMN_FIELDS)
            urls = reader.column_reader("url")
            dscores = reader.column_reader("dscores")
            seen_scores = 0
            for docnum, fields in s.iter_docs():
                assert urls[docnum] == fields["url"]
                expected = {k: round(float(v), 4) for k, v in fields["delomrade_scores"].items()}
                parsed = parse_dscores(dscores[docnum])
                assert {k: round(v, 4) for k, v in parsed.items()} == expected
                assert list(parsed.values()) == sorted(parsed.values(), reverse=True)
                seen_scores += bool(parsed)
            assert seen_scores  # the fixture texts do name sub-areas
            # "body" keeps positions for phrases but no character offsets; "folded" is a bag of words.
            assert ix.schema["body"].format.supports("positions") and not ix.schema["body"].format.supports("characters")
            assert not ix.schema["folded"].format.supports("positions")
    finally:
        ix.close()


def test_store_maps_used_by_the_build(store: Store, numbered_document: Callable[..., Document]) -> None:
    a, b = numbered_document(), numbered_document()
    for doc in (a, b, numbered_document(url="https://example.se/z", dup_of=a.url), numbered_document(url="https://example.se/y", dup_of=a.url)):
        store.put_document(doc)
    assert store.duplicate_map() == {a.url: ["https://example.se/y", "https://example.se/z"]}
    everything = store.first_seen_map()
    assert len(everything) == 4 and all(everything.values())
    assert store.first_seen_map([a.url, "https://example.se/missing"]) == {a.url: everything[a.url]}
    assert len(store.first_seen_map([f"https://example.se/x{n}" for n in range(1200)] + [b.url])) == 1


def _snapshot(settings: Settings) -> dict[str, tuple]:
    return {u: (d["title"], d["delomrade"], d["duplicates"]) for u, d in stored(settings).items()}


def test_two_process_build_equals_one_process_build(
    tmp_path: Path, filled_store: Store, sources: list[Source], taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = Settings(data_dir=tmp_path / "one", sources=tmp_path / "s.yaml", index_procs=1)
    two = Settings(data_dir=tmp_path / "two", sources=tmp_path / "s.yaml", index_procs=2)
    monkeypatch.setattr(build_mod, "MP_BATCH", 3)  # 20 documents → 7 job files over both sub-writers
    monkeypatch.setattr(build_mod, "MP_MIN_DOCS", 0)
    forks = []
    real_writer = build_mod._writer
    monkeypatch.setattr(build_mod, "_writer", lambda ix, procs: forks.append(procs) or real_writer(ix, procs))
    build_and_publish(one, filled_store, sources, taxonomy, full=True)
    result = build_and_publish(two, filled_store, sources, taxonomy, full=True)
    assert result.doc_count == 20 and forks == [1, 2]
    ix = whoosh_index.open_dir(str(current_generation(two.index_root)))
    assert len(ix._segments()) == 2  # one segment per sub-writer, not merged
    ix.close()
    assert _snapshot(two) == _snapshot(one)
    for word in ("kvinnofrid", "barnfridsbrott", "sexköp"):
        assert hits(two, "body", word) == hits(one, "body", word) != set()
    assert hits(two, "folded", "vald") == hits(one, "folded", "vald") != set()
    # The next build is incremental on top of the multi-segment index.
    filled_store.mark_changed("https://example.se/doc/0001")
    assert build_and_publish(two, filled_store, sources, taxonomy).mode == "incremental"
    assert _snapshot(two) == _snapshot(one)


def test_a_lost_sub_writer_fails_the_build_and_keeps_the_old_index(
    settings: Settings, tmp_path: Path, filled_store: Store, sources: list[Source], taxonomy: Taxonomy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build_and_publish(settings, filled_store, sources, taxonomy, full=True)
    two = Settings(data_dir=settings.data_dir, sources=settings.sources, index_procs=2, canary_queries=())
    real_call = SwedishAnalyzer.__call__

    def dying(self: object, value: str, **kwargs: object) -> object:
        if "Barnfridsbrottet infördes" in value:
            import os

            os._exit(3)  # the forked sub-writer dies without reporting its segment
        return real_call(self, value, **kwargs)

    monkeypatch.setattr(SwedishAnalyzer, "__call__", dying)
    monkeypatch.setattr(build_mod, "MP_MIN_DOCS", 0)
    with pytest.raises(IndexBuildError, match="documents lost"):
        build_and_publish(two, filled_store, sources, taxonomy, full=True)
    assert current_generation(settings.index_root).name == first.generation
    assert [p.name for p in settings.index_root.glob("gen-*")] == [first.generation]


def test_small_stores_build_in_one_process_even_with_index_procs_2(
    tmp_path: Path, filled_store: Store, sources: list[Source], taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = Settings(data_dir=tmp_path / "two", sources=tmp_path / "s.yaml", index_procs=2)
    forks: list[int] = []
    real_writer = build_mod._writer
    monkeypatch.setattr(build_mod, "_writer", lambda ix, procs: forks.append(procs) or real_writer(ix, procs))
    assert build_and_publish(two, filled_store, sources, taxonomy, full=True).doc_count == 20
    assert forks == [1]  # 20 documents < MP_MIN_DOCS
