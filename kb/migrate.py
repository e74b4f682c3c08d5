"""Numbered store migrations: each brings the schema one version up, applied on opening with a copy kept first.

A store records its version in ``meta.schema_version``. Opening a store for writing (every command that
writes: crawl, index, update, demo) applies the missing migrations in order, each in its own transaction
together with the new version number, after copying the store with SQLite's backup API next to it
(``kb.sqlite3.v1-20250301T020000.bak``). A store newer than this kb is refused rather than guessed at.

Adding a schema change: append a function to ``MIGRATIONS`` (never edit a released one) and a test that
opens the previous version's fixture (``tests/kb/data/store-v*.sqlite3``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from kb.errors import StoreError
from kb.storedb import backup_to, utcnow

log = logging.getLogger(__name__)

# Version 1: the schema kb shipped first (documents, fetch state, change log, runs, meta).
V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    organisation TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    format TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    headings TEXT NOT NULL DEFAULT '[]',
    published TEXT,
    modified TEXT,
    language TEXT NOT NULL DEFAULT 'sv',
    page_count INTEGER,
    size INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    simhash INTEGER NOT NULL DEFAULT 0,
    dup_of TEXT,
    locations TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}',
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS fetch_state (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    first_seen TEXT,
    last_fetched TEXT,
    last_changed TEXT,
    sitemap_lastmod TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    gone_count INTEGER NOT NULL DEFAULT 0,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS fetch_state_source ON fetch_state(source);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    op TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    exit_code INTEGER,
    summary TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS run_sources (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    report TEXT NOT NULL,
    doc_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, source)
);
CREATE TABLE IF NOT EXISTS failures (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS failures_run ON failures(run_id, source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _statements(script: str) -> list[str]:
    """The statements of a schema script (it has no ';' inside a statement), for one explicit transaction."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in db.execute(f"PRAGMA table_info({table})").fetchall()}


def to_v1(db: sqlite3.Connection) -> None:
    """The first schema (tables missing from a partial store are created)."""
    for statement in _statements(V1_SCHEMA):
        db.execute(statement)


def to_v2(db: sqlite3.Connection) -> None:
    """The crawler's nightly schedule: ``fetch_state.last_night`` and the stored outgoing links (``page_links``).

    Stores that an interim kb upgraded ad hoc already have them; both steps are guarded."""
    if "last_night" not in _columns(db, "fetch_state"):
        db.execute("ALTER TABLE fetch_state ADD COLUMN last_night INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE TABLE IF NOT EXISTS page_links (url TEXT PRIMARY KEY, links TEXT NOT NULL DEFAULT '[]')")


def to_v3(db: sqlite3.Connection) -> None:
    """Page boundaries of PDFs and slide decks: ``documents.page_starts`` (JSON offsets into the text).

    Stored PDFs and decks have none yet, so their validators are dropped: the next crawl fetches each in full once
    (a 304 would keep the old row) and stores its page starts, marking it for the index."""
    if "page_starts" not in _columns(db, "documents"):
        db.execute("ALTER TABLE documents ADD COLUMN page_starts TEXT NOT NULL DEFAULT '[]'")
    db.execute(
        "UPDATE fetch_state SET etag = NULL, last_modified = NULL, last_fetched = NULL "
        "WHERE url IN (SELECT url FROM documents WHERE format IN ('pdf', 'pptx') AND page_starts = '[]')"
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (to_v1, to_v2, to_v3)
LATEST = len(MIGRATIONS)


def _user_tables(db: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()} - {"sqlite_sequence"}


def recorded_version(db: sqlite3.Connection) -> int | None:
    """``meta.schema_version`` as a number, None when the store records none."""
    if "meta" not in _user_tables(db):
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return None
    try:
        return int(row[0])
    except ValueError:
        raise StoreError(f"store schema_version {row[0]!r} is not a number") from None


def stored_version(db: sqlite3.Connection) -> int:
    """The schema version a store records: 0 for an empty file, 1 for tables without a recorded version."""
    recorded = recorded_version(db)
    if recorded is not None:
        return recorded
    return 1 if _user_tables(db) else 0


def backup_path(path: Path, version: int) -> Path:
    """Where the copy taken before migrating from ``version`` goes: next to the store, never overwriting one."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    candidate = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.v{version}-{stamp}-{n}.bak")
    return candidate


def migrate(db: sqlite3.Connection, path: Path) -> list[int]:
    """Bring the store on ``db`` (an autocommit connection to ``path``) to ``LATEST``; returns the versions applied.

    A store with data is copied first (SQLite backup API); each migration commits with its version number,
    so a crash between two leaves a consistent store one step further on."""
    recorded = recorded_version(db)
    version = stored_version(db)
    if version > LATEST:
        raise StoreError(
            f"lagret {path} har schemaversion {version}, men den här versionen av kb känner bara till version {LATEST}: "
            "uppgradera kb eller återställ en säkerhetskopia från den gamla versionen"
        )
    if version == LATEST:
        return []
    if version >= 1:
        copy = backup_path(path, version)
        backup_to(db, copy)
        log.warning("store %s is at schema version %d; copied it to %s before migrating to %d", path, version, copy, LATEST)
    applied: list[int] = []
    # A store that records no version re-runs migration 1, which only creates the tables it lacks.
    for target in range((recorded or 0) + 1, LATEST + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            if (recorded_version(db) or 0) >= target:  # another process migrated meanwhile
                db.execute("ROLLBACK")
                continue
            MIGRATIONS[target - 1](db)
            db.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(target),),
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        applied.append(target)
    if version >= 1 and applied:
        log.warning("store %s migrated from schema version %d to %d", path, version, LATEST)
    return applied
