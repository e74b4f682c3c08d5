"""Upgrading kb over a data directory an older kb left: the store is migrated (a copy kept), the index rebuilt from it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _deploy import build_index, data_settings

from index.publish import current_generation, read_generation_info
from kb import cli
from kb.store import SCHEMA_VERSION, Store

V1 = Path(__file__).parent / "kb" / "data" / "store-v1.sqlite3"


def test_kb_index_over_an_old_data_directory_migrates_the_store_and_rebuilds_the_index(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = data_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(V1, settings.store_path)
    with Store(settings.store_path, readonly=True) as old:
        assert old.schema_version == 1
    # an index generation as an older kb published it: other schema and analyzer versions
    old_gen = Path(build_index(data_settings(tmp_path / "scratch")))
    scratch = data_settings(tmp_path / "scratch")
    shutil.copytree(scratch.index_root, settings.index_root, symlinks=True)
    info_path = current_generation(settings.index_root) / "generation.json"  # type: ignore[operator]
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info.update(schema_version="1", analyzer_version="sv-0")
    info_path.write_text(json.dumps(info), encoding="utf-8")

    assert cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), "index"]) == 0
    new = current_generation(settings.index_root)
    assert new is not None and new.name != old_gen.name
    new_info = read_generation_info(new)
    assert new_info["mode"] == "full" and new_info["analyzer_version"] != "sv-0" and new_info["doc_count"] == 4
    with Store(settings.store_path, readonly=True) as store:
        assert store.schema_version == SCHEMA_VERSION
        runs = store.list_runs()
        assert [r["kind"] for r in runs] == ["index", "index", "crawl"]  # the old history is still there
    (kept,) = settings.data_dir.glob("kb.sqlite3.v1-*.bak")
    with Store(kept, readonly=True) as copy:
        assert copy.schema_version == 1 and copy.count_documents() == 4
