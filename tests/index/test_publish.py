"""Atomic publishing: symlink swap under an open searcher, pruning, crash leftovers."""

from __future__ import annotations

import os
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.query import Every

from index.build import build_and_publish
from index.publish import (
    clean_incomplete,
    current_generation,
    new_generation_dir,
    prune_generations,
    publish,
    read_generation_info,
    write_generation_info,
)
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store
from kb.taxonomy import Taxonomy


def test_nothing_published_yet(tmp_path: Path) -> None:
    assert current_generation(tmp_path) is None
    assert read_generation_info(tmp_path / "current") == {}


def test_searcher_opened_before_the_swap_keeps_answering_after_old_dir_is_deleted(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy
) -> None:
    first = build_and_publish(settings, filled_store, sources, taxonomy)
    old = current_generation(settings.index_root)
    ix = whoosh_index.open_dir(str(settings.index_root / "current"))
    searcher = ix.searcher()
    try:
        assert searcher.doc_count() == 20
        for gen in range(4):  # keep_generations=2 prunes the first generation
            filled_store.mark_changed("https://example.se/doc/0001")
            build_and_publish(settings, filled_store, sources, taxonomy, full=gen % 2 == 0)
        assert not old.exists()
        assert current_generation(settings.index_root).name != first.generation
        assert len(searcher.search(Every(), limit=None)) == 20
        assert searcher.stored_fields(0)["url"].startswith("https://example.se/doc/")
    finally:
        searcher.close()
        ix.close()
    assert os.readlink(settings.index_root / "current") == current_generation(settings.index_root).name  # relative


def test_prune_keeps_current_plus_newest_n(tmp_path: Path) -> None:
    gens = []
    for n in range(5):
        gen = new_generation_dir(tmp_path)
        write_generation_info(gen, {"generation": gen.name, "doc_count": n})
        gens.append(gen)
    publish(tmp_path, gens[1])  # an older generation may be current (e.g. after a rollback)
    removed = prune_generations(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == sorted([gens[1].name, gens[3].name, gens[4].name])
    assert set(removed) == {gens[0], gens[2]}
    assert current_generation(tmp_path) == gens[1].resolve()


def test_crash_leftovers_are_cleaned_and_current_survives(
    settings: Settings, filled_store: Store, sources: list[Source], taxonomy: Taxonomy
) -> None:
    first = build_and_publish(settings, filled_store, sources, taxonomy)
    # What a kill -9 mid-build leaves: a generation without generation.json, and a temp link.
    half = new_generation_dir(settings.index_root)
    (half / "MAIN_x.seg").write_bytes(b"partial")
    os.symlink(half.name, settings.index_root / ".current.tmp-999-abc")
    assert current_generation(settings.index_root).name == first.generation
    ix = whoosh_index.open_dir(str(settings.index_root / "current"))
    with ix.searcher() as s:
        assert s.doc_count() == 20
    ix.close()
    assert clean_incomplete(settings.index_root) == [half]
    assert not half.exists() and not (settings.index_root / ".current.tmp-999-abc").is_symlink()
    result = build_and_publish(settings, filled_store, sources, taxonomy)
    assert result.mode == "incremental" and result.doc_count == 20
