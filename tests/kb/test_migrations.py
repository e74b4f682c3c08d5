"""Numbered store migrations: a saved version-1 store opened by today's kb, the copy kept first, newer stores refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kb import migrate
from kb.errors import StoreError
from kb.models import FetchState
from kb.store import SCHEMA_VERSION, Store

V1 = Path(__file__).parent / "data" / "store-v1.sqlite3"


@pytest.fixture
def v1_store(tmp_path: Path) -> Path:
    path = tmp_path / "kb.sqlite3"
    shutil.copyfile(V1, path)
    return path


def _schema(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's columns (name, type, not null, default, pk) and every index's name and columns."""
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'")]
        out: dict[str, list[tuple[object, ...]]] = {}
        for name in names:
            out[name] = [tuple(r[1:]) for r in db.execute(f"PRAGMA table_info({name})")] or [tuple(r) for r in db.execute(f"PRAGMA index_info({name})")]
    db.close()
    return out


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".v*.bak"))


def test_the_fixture_is_a_version_1_store() -> None:
    with sqlite3.connect(V1) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        assert "last_night" not in {r[1] for r in db.execute("PRAGMA table_info(fetch_state)")}
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'page_links'").fetchone() is None
    db.close()


def test_a_version_1_store_is_migrated_on_open_keeping_every_row(v1_store: Path) -> None:
    with Store(v1_store) as store:
        assert store.migrated == list(range(2, SCHEMA_VERSION + 1)) and store.schema_version == SCHEMA_VERSION
        assert store.count_documents() == 4 and store.counts_by("source") == {"alfa": 3, "beta": 1}
        doc = store.get_document("https://alfa.example/dok/1")
        assert doc is not None and doc.title == "Våld i nära relationer 1" and doc.headings == ["Inledning"]
        assert doc.extra == {"doc_type": "rapport"}
        state = store.get_state("https://alfa.example/dok/0")
        assert state is not None and state.etag == '"e0"' and state.last_night == 0
        broken = store.get_state("https://beta.example/trasig")
        assert broken is not None and broken.failures == 2 and broken.reason == "http_500"
        runs = store.list_runs()
        assert [(r["kind"], r["status"], r["exit_code"]) for r in runs] == [("index", "ok", 0), ("crawl", "partial", 1)]
        report = store.run_report(runs[1]["id"])
        assert report is not None and report.sources["beta"].failures == [("https://beta.example/trasig", "http_500", "Server Error")]
        assert store.get_meta("index_seq") == "4" and store.changes_since(0)[2] == 4
        # what migration 2 added works: the nightly schedule and the stored links
        store.put_state(FetchState(url="https://alfa.example/ny", source="alfa", last_night=3))
        store.put_links("https://alfa.example/", [("https://alfa.example/ny", False)])
        assert store.get_links("https://alfa.example/") == [("https://alfa.example/ny", False)]
        assert store.get_state("https://alfa.example/ny").last_night == 3  # type: ignore[union-attr]


def test_the_copy_kept_before_migrating_is_the_untouched_version_1_store(v1_store: Path) -> None:
    before = _schema(v1_store)
    Store(v1_store).close()
    (copy,) = _backups(v1_store)
    assert copy.name.startswith("kb.sqlite3.v1-")
    assert _schema(copy) == before
    with Store(copy, readonly=True) as old:
        assert old.schema_version == 1 and old.count_documents() == 4 and len(old.list_runs()) == 2


def test_a_migrated_store_has_exactly_the_schema_of_a_new_one(v1_store: Path, tmp_path: Path) -> None:
    Store(v1_store).close()
    fresh = tmp_path / "fresh.sqlite3"
    with Store(fresh) as store:
        assert store.migrated == list(range(1, SCHEMA_VERSION + 1))
    assert _schema(v1_store) == _schema(fresh)
    assert _backups(fresh) == []  # nothing to keep from an empty store


def test_opening_again_migrates_nothing_and_copies_nothing(v1_store: Path) -> None:
    Store(v1_store).close()
    with Store(v1_store) as store:
        assert store.migrated == []
    assert len(_backups(v1_store)) == 1


def test_read_only_opening_leaves_an_old_store_alone(v1_store: Path) -> None:
    with Store(v1_store, readonly=True) as store:
        assert store.schema_version == 1 and store.count_documents() == 4
        state = store.get_state("https://alfa.example/dok/0")
        assert state is not None and state.last_night == 0
    assert _backups(v1_store) == []
    with sqlite3.connect(v1_store) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    db.close()


def test_a_store_from_a_newer_kb_is_refused_untouched(v1_store: Path) -> None:
    with sqlite3.connect(v1_store) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    before = v1_store.read_bytes()
    with pytest.raises(StoreError, match=f"schemaversion {SCHEMA_VERSION + 1}.*uppgradera kb"):
        Store(v1_store)
    assert v1_store.read_bytes() == before and _backups(v1_store) == []


def test_a_failing_migration_leaves_the_store_at_the_last_good_version(v1_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE fetch_state ADD COLUMN last_night INTEGER NOT NULL DEFAULT 0")
        raise OSError("disk full halfway")

    monkeypatch.setattr(migrate, "MIGRATIONS", (migrate.to_v1, broken))
    with pytest.raises(StoreError, match="disk full halfway"):
        Store(v1_store)
    monkeypatch.undo()
    with sqlite3.connect(v1_store) as db:  # rolled back: still a clean version 1
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        assert "last_night" not in {r[1] for r in db.execute("PRAGMA table_info(fetch_state)")}
    db.close()
    with Store(v1_store) as store:  # the next start finishes the job
        assert store.schema_version == SCHEMA_VERSION and store.count_documents() == 4


def test_a_store_without_a_recorded_version_gets_its_missing_tables(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    with sqlite3.connect(path) as db:  # an early store: documents only, no meta
        db.execute(migrate._statements(migrate.V1_SCHEMA)[0])
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION and store.list_runs() == []
    assert len(_backups(path)) == 1


def test_a_store_upgraded_ad_hoc_by_an_interim_kb_migrates_cleanly(v1_store: Path) -> None:
    with sqlite3.connect(v1_store) as db:  # what the interim ensure_crawl_schema did, still recording version 1
        db.execute("ALTER TABLE fetch_state ADD COLUMN last_night INTEGER NOT NULL DEFAULT 0")
        db.execute("UPDATE fetch_state SET last_night = 7")
        db.execute("CREATE TABLE page_links (url TEXT PRIMARY KEY, links TEXT NOT NULL DEFAULT '[]')")
        db.execute("""INSERT INTO page_links VALUES ('https://alfa.example/', '[["https://alfa.example/dok/0", false]]')""")
    db.close()
    with Store(v1_store) as store:
        assert store.migrated == list(range(2, SCHEMA_VERSION + 1)) and store.schema_version == SCHEMA_VERSION
        assert store.get_state("https://alfa.example/dok/0").last_night == 7  # type: ignore[union-attr]
        assert store.get_links("https://alfa.example/") == [("https://alfa.example/dok/0", False)]
