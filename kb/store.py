"""The SQLite document store: the source of truth for documents, per-URL fetch state and run reports.

Every write that changes a document appends to ``changes`` so the index can be
updated incrementally (``changes_since(seq)``) instead of rebuilt.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from kb.errors import StoreCorrupt, StoreError
from kb.migrate import LATEST, migrate, stored_version
from kb.models import Document, FetchState
from kb.store_runs import RunHistory
from kb.storedb import backup_to, is_corrupt, utcnow
from kb.storedb import connect_readonly as _connect_readonly
from kb.storedb import iso as _iso
from kb.storedb import open_error as _open_error
from kb.storedb import parse_date as _date
from kb.storedb import parse_dt as _dt

__all__ = ["SCHEMA_VERSION", "Store", "is_corrupt", "utcnow"]

SCHEMA_VERSION = LATEST  # the schema itself is the sum of the numbered migrations in kb.migrate


class Store(RunHistory):
    """A thread-safe handle on the SQLite store (one connection, WAL, serialised writes).

    ``readonly=True`` (``kb report``, ``kb stats``, the web app's Källor page) opens the file with
    ``mode=ro``: no schema writes, no WAL checkpoint, works for a user who may only read the data directory.
    """

    def __init__(self, path: Path | str, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.migrated: list[int] = []
        try:
            if readonly:
                self._db = _connect_readonly(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self.migrated = migrate(self._db, self.path)  # numbered migrations, a copy kept first (kb.migrate)
            self._db.row_factory = sqlite3.Row
        except (sqlite3.Error, OSError) as exc:
            self._close_quietly()
            raise _open_error(self.path, exc) from exc
        except BaseException:
            self._close_quietly()
            raise
        self._lock = threading.RLock()

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    @property
    def schema_version(self) -> int:
        """The schema version the file records (``SCHEMA_VERSION`` once opened for writing)."""
        with self._lock:
            try:
                return stored_version(self._db)
            except sqlite3.Error as exc:
                raise StoreError(f"store read failed: {exc}") from exc

    def backup(self, dest: Path | str) -> None:
        """A consistent copy of the store at ``dest`` (SQLite online backup; safe while a crawl writes)."""
        with self._lock:
            try:
                backup_to(self._db, Path(dest))
            except sqlite3.Error as exc:
                raise StoreError(f"backup to {dest} failed: {exc}") from exc

    def quick_check(self) -> None:
        """Raise StoreCorrupt unless SQLite's ``PRAGMA quick_check`` passes (reads every page: ~0.25 s per 100 MB)."""
        try:
            rows = self._query("PRAGMA quick_check")
        except StoreError as exc:
            if exc.__cause__ is not None and is_corrupt(exc.__cause__):
                raise StoreCorrupt(f"store {self.path} is damaged: {exc.__cause__}") from exc
            raise
        problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
        if problems:
            raise StoreCorrupt(f"store {self.path} is damaged: {'; '.join(problems[:3])}")

    # -- plumbing -------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Serialised write transaction; rolls back on any exception."""
        if self.readonly:
            raise StoreError(f"store {self.path} is open read-only")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"store write failed: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback()
                    raise StoreError(f"store commit failed: {exc}") from exc

    def _rollback(self) -> None:
        """Roll back if a transaction is still open: on SQLITE_FULL/IOERR SQLite has already rolled it back itself,
        and a second ROLLBACK would hide the real error behind "cannot rollback - no transaction is active"."""
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original exception is the one that matters

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store read failed: {exc}") from exc

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # -- documents ------------------------------------------------------
    def put_document(self, doc: Document, now: datetime | None = None) -> str:
        """Insert or update a document; returns 'new', 'changed', 'unchanged' or 'reextracted'.

        'reextracted': the text differs because a newer extractor read the page (``extra["extractor"]`` grew,
        see ``refetch_older_extractions``); it is stored and indexed again, but ``last_changed`` stays, so feeds
        and reports do not call it an edit."""
        now = now or utcnow()
        extra = json.dumps(doc.extra, ensure_ascii=False, default=str)
        with self.transaction() as db:
            row = db.execute("SELECT content_hash, first_seen, last_changed, page_starts, extra FROM documents WHERE url = ?",
                             (doc.url,)).fetchone()
            pages = json.dumps(doc.page_starts, separators=(",", ":"))
            if row is not None and row["content_hash"] == doc.content_hash:
                # Metadata-only refresh (organisation rename, dup grouping, extractor version) without a content change.
                db.execute(
                    "UPDATE documents SET organisation = ?, dup_of = ?, locations = ?, source = ?, extra = ?, "
                    "page_starts = CASE WHEN ? = '[]' THEN page_starts ELSE ? END WHERE url = ?",
                    (doc.organisation, doc.dup_of, json.dumps(doc.locations), doc.source, extra, pages, pages, doc.url),
                )
                if doc.page_starts and row["page_starts"] != pages:  # page starts first stored (migration 3): index again
                    db.execute("INSERT INTO changes(url, op) VALUES (?, 'upsert')", (doc.url,))
                return "unchanged"
            reextracted = row is not None and _extractor(row["extra"]) < _extractor(extra)
            first_seen = row["first_seen"] if row is not None else _iso(now)
            last_changed = row["last_changed"] if reextracted else _iso(now)
            db.execute(
                """INSERT OR REPLACE INTO documents (url, source, organisation, title, text, format, description,
                   headings, published, modified, language, page_count, size, content_hash, simhash, dup_of,
                   locations, extra, first_seen, last_changed, page_starts)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    doc.url, doc.source, doc.organisation, doc.title, doc.text, doc.format, doc.description,
                    json.dumps(doc.headings, ensure_ascii=False), _iso(doc.published), _iso(doc.modified),
                    doc.language, doc.page_count, doc.size, doc.content_hash, doc.simhash, doc.dup_of,
                    json.dumps(doc.locations), extra, first_seen, last_changed, pages,
                ),
            )
            db.execute("INSERT INTO changes(url, op) VALUES (?, 'upsert')", (doc.url,))
            return "reextracted" if reextracted else "changed" if row is not None else "new"

    def refetch_older_extractions(self, versions: Mapping[str, int]) -> dict[str, int]:
        """For each format whose extractor is newer than the one its stored documents were read with, drop those
        documents' validators so the next crawl fetches each in full once; returns {format: documents due}.

        The version is recorded at once (``meta``): a crawl stopped half way leaves the rest without validators,
        so they are fetched in full on a later night all the same."""
        due: dict[str, int] = {}
        with self.transaction() as db:
            for fmt, version in sorted(versions.items()):
                key = f"extractor_version.{fmt}"
                row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
                if row is not None and int(row["value"]) >= version:
                    continue
                n = db.execute(
                    "UPDATE fetch_state SET etag = NULL, last_modified = NULL, last_fetched = NULL WHERE url IN "
                    "(SELECT url FROM documents WHERE format = ? AND COALESCE(json_extract(extra, '$.extractor'), 1) < ?)",
                    (fmt, version)).rowcount
                if n:
                    due[fmt] = n
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(version)))
        return due

    def delete_document(self, url: str) -> bool:
        with self.transaction() as db:
            cur = db.execute("DELETE FROM documents WHERE url = ?", (url,))
            if cur.rowcount:
                db.execute("INSERT INTO changes(url, op) VALUES (?, 'delete')", (url,))
            return bool(cur.rowcount)

    def mark_changed(self, url: str) -> None:
        """Ask the index to re-read a document whose metadata changed (e.g. duplicate grouping)."""
        with self.transaction() as db:
            db.execute("INSERT INTO changes(url, op) VALUES (?, 'upsert')", (url,))

    @staticmethod
    def _row_to_document(row: sqlite3.Row) -> Document:
        return Document(
            url=row["url"], source=row["source"], organisation=row["organisation"], title=row["title"],
            text=row["text"], format=row["format"], description=row["description"],
            headings=json.loads(row["headings"]), published=_date(row["published"]),
            modified=_date(row["modified"]), language=row["language"], page_count=row["page_count"],
            size=row["size"], content_hash=row["content_hash"], simhash=row["simhash"], dup_of=row["dup_of"],
            locations=json.loads(row["locations"]), extra=json.loads(row["extra"]),
            page_starts=json.loads(row["page_starts"]) if "page_starts" in row.keys() else [],
        )

    def get_document(self, url: str) -> Document | None:
        rows = self._query("SELECT * FROM documents WHERE url = ?", (url,))
        return self._row_to_document(rows[0]) if rows else None

    def iter_documents(self, source: str | None = None, batch: int = 500) -> Iterator[Document]:
        """Every document in URL order, read in batches so memory stays flat."""
        last = ""
        while True:
            if source is None:
                rows = self._query("SELECT * FROM documents WHERE url > ? ORDER BY url LIMIT ?", (last, batch))
            else:
                rows = self._query("SELECT * FROM documents WHERE source = ? AND url > ? ORDER BY url LIMIT ?", (source, last, batch))
            if not rows:
                return
            for row in rows:
                yield self._row_to_document(row)
            last = rows[-1]["url"]

    def document_urls(self, source: str | None = None) -> set[str]:
        if source is None:
            return {r["url"] for r in self._query("SELECT url FROM documents")}
        return {r["url"] for r in self._query("SELECT url FROM documents WHERE source = ?", (source,))}

    def documents_by_hash(self, content_hash: str) -> list[str]:
        return [r["url"] for r in self._query("SELECT url FROM documents WHERE content_hash = ? ORDER BY url", (content_hash,))]

    def count_documents(self, source: str | None = None) -> int:
        if source is None:
            return int(self._query("SELECT COUNT(*) AS n FROM documents")[0]["n"])
        return int(self._query("SELECT COUNT(*) AS n FROM documents WHERE source = ?", (source,))[0]["n"])

    def counts_by(self, column: str) -> dict[str, int]:
        if column not in ("source", "format", "organisation", "language"):
            raise ValueError(column)
        return {r[0] or "": r[1] for r in self._query(f"SELECT {column}, COUNT(*) FROM documents GROUP BY {column} ORDER BY 2 DESC")}

    def first_seen_map(self, urls: Iterable[str] | None = None) -> dict[str, str]:
        """{url: first_seen ISO string} for every document, or for ``urls`` only (one query per 500)."""
        return self._column_map("first_seen", urls)

    def last_changed_map(self, urls: Iterable[str] | None = None) -> dict[str, str]:
        """{url: last_changed ISO string} (when the text last changed; first_seen for a new document)."""
        return self._column_map("last_changed", urls)

    def _column_map(self, column: str, urls: Iterable[str] | None) -> dict[str, str]:
        if column not in ("first_seen", "last_changed"):
            raise ValueError(column)
        if urls is None:
            return {r["url"]: r[column] for r in self._query(f"SELECT url, {column} FROM documents")}
        wanted = sorted(set(urls))
        out: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            chunk = tuple(wanted[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for r in self._query(f"SELECT url, {column} FROM documents WHERE url IN ({marks})", chunk):
                out[r["url"]] = r[column]
        return out

    def duplicate_map(self) -> dict[str, list[str]]:
        """{canonical URL: its duplicate URLs in URL order} for every stored duplicate."""
        groups: dict[str, list[str]] = {}
        for r in self._query("SELECT url, dup_of FROM documents WHERE dup_of IS NOT NULL AND dup_of != url ORDER BY url"):
            if r["dup_of"]:
                groups.setdefault(r["dup_of"], []).append(r["url"])
        return groups

    # -- incremental changes ---------------------------------------------
    def last_change_seq(self) -> int:
        return int(self._query("SELECT COALESCE(MAX(seq), 0) AS n FROM changes")[0]["n"])

    def changes_since(self, seq: int) -> tuple[set[str], set[str], int]:
        """(URLs to (re)index, URLs to delete, newest seq) for changes after ``seq``."""
        upserts: set[str] = set()
        deletes: set[str] = set()
        newest = seq
        for row in self._query("SELECT seq, url, op FROM changes WHERE seq > ? ORDER BY seq", (seq,)):
            newest = row["seq"]
            if row["op"] == "delete":
                upserts.discard(row["url"])
                deletes.add(row["url"])
            else:
                deletes.discard(row["url"])
                upserts.add(row["url"])
        return upserts, deletes, newest

    # -- fetch state ----------------------------------------------------
    def get_state(self, url: str) -> FetchState | None:
        rows = self._query("SELECT * FROM fetch_state WHERE url = ?", (url,))
        return self._row_to_state(rows[0]) if rows else None

    @staticmethod
    def _row_to_state(row: sqlite3.Row) -> FetchState:
        return FetchState(
            url=row["url"], source=row["source"], status=row["status"], http_status=row["http_status"],
            etag=row["etag"], last_modified=row["last_modified"], content_hash=row["content_hash"],
            first_seen=_dt(row["first_seen"]), last_fetched=_dt(row["last_fetched"]),
            last_changed=_dt(row["last_changed"]), sitemap_lastmod=_dt(row["sitemap_lastmod"]),
            failures=row["failures"], gone_count=row["gone_count"], reason=row["reason"],
            last_night=row["last_night"] if "last_night" in row.keys() else 0,
        )

    def ensure_crawl_schema(self) -> None:
        """The crawler's schema is there: opening for writing migrated the store (kb.migrate); raises when read-only and older."""
        if self.schema_version < SCHEMA_VERSION:
            raise StoreError(f"store {self.path} is at schema version {self.schema_version}; open it for writing to migrate it")

    def put_links(self, url: str, links: list[tuple[str, bool]]) -> None:
        """Remember a page's followable outgoing links as (url, is_pagination), so a 304 still feeds the frontier."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO page_links(url, links) VALUES (?, ?) ON CONFLICT(url) DO UPDATE SET links = excluded.links",
                (url, json.dumps(links, ensure_ascii=False)),
            )

    def get_links(self, url: str) -> list[tuple[str, bool]] | None:
        """The links stored for ``url`` by its last full fetch, or None if none were stored."""
        rows = self._query("SELECT links FROM page_links WHERE url = ?", (url,))
        return [(str(u), bool(p)) for u, p in json.loads(rows[0]["links"])] if rows else None

    def put_state(self, state: FetchState) -> None:
        values = asdict(state)
        for key in ("first_seen", "last_fetched", "last_changed", "sitemap_lastmod"):
            values[key] = _iso(values[key])
        names = [f.name for f in fields(FetchState)]
        with self.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO fetch_state ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                tuple(values[n] for n in names),
            )

    def iter_states(self, source: str | None = None) -> list[FetchState]:
        if source is None:
            rows = self._query("SELECT * FROM fetch_state ORDER BY url")
        else:
            rows = self._query("SELECT * FROM fetch_state WHERE source = ? ORDER BY url", (source,))
        return [self._row_to_state(r) for r in rows]


def _extractor(extra: str | None) -> int:
    """The extractor version a document was read with, from its ``extra`` JSON (1: before versions were kept)."""
    try:
        value = json.loads(extra or "{}").get("extractor", 1)
    except (ValueError, AttributeError):
        return 1
    return value if isinstance(value, int) else 1
