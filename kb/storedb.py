"""SQLite plumbing shared by the store: timestamps as stored, opening read-only, telling a damaged file apart."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from kb.errors import StoreCorrupt, StoreError


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


CORRUPT_ERRORS = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def is_corrupt(exc: BaseException) -> bool:
    """Does this SQLite error say the database file itself is damaged (not a database, malformed page)?"""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc).lower()
    return name.startswith(CORRUPT_ERRORS) or "malformed" in text or "not a database" in text


def open_error(path: Path, exc: BaseException) -> StoreError:
    if isinstance(exc, sqlite3.DatabaseError) and is_corrupt(exc):
        return StoreCorrupt(f"store {path} is damaged: {exc}")
    return StoreError(f"cannot open store {path}: {exc}")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that never writes: ``mode=ro``; if SQLite cannot create the WAL side files in a
    read-only directory (no -wal file exists then, so the database file is complete), ``immutable=1``."""
    uri = "file:" + quote(str(path.resolve())) + "?mode=ro"
    for suffix in ("", "&immutable=1"):
        db = sqlite3.connect(uri + suffix, uri=True, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the file: fails here, not later
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            readonly_dir = str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN"))
            if suffix or not readonly_dir or not path.is_file():
                raise
        except BaseException:
            db.close()
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_to(source: sqlite3.Connection, dest: Path) -> None:
    """Copy the database on ``source`` to ``dest`` with SQLite's online backup API.

    One backup step holds one read transaction: in WAL mode writers carry on meanwhile and the copy is the
    snapshot at its start (a multi-step backup would restart on every write by another connection). The copy
    is written beside ``dest``, switched to a rollback journal (one self-contained file), checked, fsynced and
    renamed into place, so ``dest`` is either the previous file or a complete copy."""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            problems = [str(r[0]) for r in target.execute("PRAGMA quick_check").fetchall() if str(r[0]) != "ok"]
        finally:
            target.close()
        if problems:
            raise StoreError(f"backup copy {dest} failed its check: {'; '.join(problems[:3])}")
        _fsync_path(tmp)
        os.replace(tmp, dest)
        _fsync_path(dest.parent, directory=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
