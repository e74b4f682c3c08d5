"""`kb backup FILE`: SQLite's online backup while another process keeps writing, and a restore from the copy."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb import cli
from kb.settings import Settings
from kb.store import SCHEMA_VERSION, Store

WRITER = """
import sys
from pathlib import Path
from kb.models import Document
from kb.store import Store

store = Store(sys.argv[1])
stop = Path(sys.argv[2])
i = 0
while not stop.exists():
    store.put_document(Document(url=f"https://skrivare.example/{i}", source="skrivare", organisation="Skrivaren",
                                title=f"Dokument {i}", text="Våld i nära relationer. " * 200))
    i += 1
store.close()
print(i)
"""


def run(settings: Settings, *argv: str) -> int:
    return cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *argv])


def _count(path: Path) -> int:
    with Store(path, readonly=True) as store:
        return store.count_documents()


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_backup_while_another_process_writes_is_a_consistent_snapshot(settings: Settings, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    Store(settings.store_path).close()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.store_path), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _count(settings.store_path) >= 50, "the writer never got going")
        copies = []
        for n in range(3):
            before = _count(settings.store_path)
            dest = tmp_path / f"kopia-{n}.sqlite3"
            assert run(settings, "backup", str(dest)) == 0
            after = _count(settings.store_path)
            copies.append((before, _count(dest), after, dest))
        written_during = _count(settings.store_path)
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0  # the backup never made the writer fail ("database is locked")
    assert int(out) >= written_during > copies[0][0]  # the writer kept writing while the copies were taken
    counts = [c[1] for c in copies]
    assert counts == sorted(counts)
    for before, copied, after, dest in copies:
        assert before <= copied <= after
        db = sqlite3.connect(dest)
        try:
            assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
            # a snapshot: every document's change-log entry is in the copy, and no entry without its document
            assert db.execute("SELECT COUNT(*) FROM changes").fetchone() == (copied,)
        finally:
            db.close()
        assert not Path(str(dest) + "-wal").exists()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"Säkerhetskopia: {copies[0][3]} ({copies[0][1]} dokument, schemaversion {SCHEMA_VERSION},")


def test_restore_is_copying_the_backup_back(settings: Settings, tmp_path: Path, make_document: object) -> None:
    with Store(settings.store_path) as store:
        store.put_document(make_document())  # type: ignore[operator]
        run_id = store.start_run("crawl")
        store.finish_run(run_id, "ok", 0)
    dest = tmp_path / "backups"
    dest.mkdir()
    assert run(settings, "-q", "backup", str(dest)) == 0
    (copy,) = dest.glob("kb-*.sqlite3")
    # disaster: the store is lost; restore = put the copy back (with no stale -wal/-shm next to it)
    for suffix in ("", "-wal", "-shm"):
        Path(str(settings.store_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, settings.store_path)
    with Store(settings.store_path) as store:
        assert store.count_documents() == 1 and store.list_runs()[0]["status"] == "ok"


def test_backup_refuses_a_missing_store_and_overwriting_the_store(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, "backup", str(settings.data_dir / "x.sqlite3")) == 1
    assert "inget lager att säkerhetskopiera" in capsys.readouterr().err
    Store(settings.store_path).close()
    assert run(settings, "backup", str(settings.store_path)) == 1
    assert "kan inte skrivas över själva lagret" in capsys.readouterr().err
