"""Commands for running kb in production: backup, publish to another host, and `kb update` with its outcome recorded."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from kb.cli._common import (
    EXIT_DATAERR,
    EXIT_IOERR,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SOFTWARE,
    EXIT_TEMPFAIL,
    _out,
    exit_code_for,
    log,
    update_lock,
)
from kb.cli.crawling import _index_step, cmd_update
from kb.errors import StoreError
from kb.settings import Settings

MB = 1024 * 1024


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _unwritable_dest(directory: Path) -> str | None:
    """Why a backup cannot be written into ``directory`` (missing, not a directory, not writable), in Swedish; None if it can."""
    if not directory.exists():
        return f"katalogen för säkerhetskopior {directory} finns inte; skapa den först (mkdir -p {directory}) eller ange en annan"
    if not directory.is_dir():
        return f"{directory} är ingen katalog; ange en katalog eller en fil i en katalog"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"kb får inte skriva i katalogen {directory}; ge användaren som kör kb skrivrätt där eller ange en annan katalog"
    return None


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """A consistent copy of the store (SQLite online backup), safe while a crawl writes to it."""
    from kb.store import Store
    from kb.storedb import utcnow

    if not settings.store_path.is_file():
        _err(f"kb: det finns inget lager att säkerhetskopiera: {settings.store_path}")
        return EXIT_PARTIAL
    dest = Path(args.file)
    # "DIR/" names a directory: never write a file called DIR (a nightly job would overwrite it every night)
    problem = _unwritable_dest(dest if str(args.file).endswith(("/", os.sep)) or dest.is_dir() else dest.parent)
    if problem:
        _err(f"kb: säkerhetskopian kan inte skrivas: {problem}; lagret är orört")
        args.summarised = True  # the line above says what to do: no general "slutkod 74" line under -q
        return EXIT_IOERR
    if dest.is_dir():
        dest = dest / f"kb-{utcnow():%Y%m%dT%H%M%SZ}.sqlite3"
    if dest.resolve() == settings.store_path.resolve():
        _err("kb: säkerhetskopian kan inte skrivas över själva lagret; ange en annan fil")
        return EXIT_PARTIAL
    started = time.monotonic()
    with Store(settings.store_path, readonly=True) as store:
        store.backup(dest)
    with Store(dest, readonly=True) as copy:
        documents, version = copy.count_documents(), copy.schema_version
    if not args.quiet:
        size = dest.stat().st_size / MB
        _out(f"Säkerhetskopia: {dest} ({documents} dokument, schemaversion {version}, {size:.1f} MB, {time.monotonic() - started:.1f} s)")
    return EXIT_OK


class _Refused(Exception):
    """A backup that cannot be restored: the exit code and the Swedish reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def _check_backup(path: Path) -> tuple[int, int]:
    """(documents, schema version) of a backup fit to restore; raises _Refused otherwise."""
    from kb.store import SCHEMA_VERSION, Store

    if not path.is_file():
        raise _Refused(EXIT_PARTIAL, f"säkerhetskopian finns inte: {path}")
    try:
        with Store(path, readonly=True) as backup:
            backup.quick_check()
            documents, version = backup.count_documents(), backup.schema_version
    except StoreError as exc:
        raise _Refused(EXIT_DATAERR, f"{path} är ingen läsbar säkerhetskopia av lagret: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise _Refused(EXIT_PARTIAL, f"{path} har schemaversion {version}, nyare än den här versionen av kb ({SCHEMA_VERSION}): "
                                     "uppgradera kb först")
    return documents, version


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Put a backup in place of the store (the old one set aside, never deleted), then rebuild the index from it in full:
    an index built from a newer store would otherwise keep documents the restored one lacks."""
    from kb.store import Store
    from kb.storedb import utcnow

    src = Path(args.file)
    try:
        documents, version = _check_backup(src)
    except _Refused as refused:
        _err(f"kb: {refused}; lagret är orört")
        return refused.code
    store_path = settings.store_path
    aside = store_path.with_name(f"{store_path.name}.ersatt-{utcnow():%Y%m%dT%H%M%SZ}")
    with update_lock(settings.lock_path):  # no update may write meanwhile
        store_path.parent.mkdir(parents=True, exist_ok=True)
        moved = False
        for suffix in ("", "-wal", "-shm"):
            current = Path(str(store_path) + suffix)
            if current.exists():
                current.replace(Path(str(aside) + suffix))
                moved = True
        with Store(src, readonly=True) as backup:
            backup.backup(store_path)
        # the operator chose this store: an index much smaller than the published one (built from the store set aside),
        # or with fewer canary hits, is the point of the restore, not a reason to keep serving the old one
        chosen = settings.replace(publish_min_share=0.0, canary_queries=())
        with Store(store_path) as store:  # migrated here if the backup is older than this kb
            result = _index_step(argparse.Namespace(full=True, quiet=args.quiet), chosen, store)
    if not args.quiet:
        _out(f"Återställt {store_path} från {src} ({documents} dokument, schemaversion {version}).")
        if moved:
            _out(f"Det tidigare lagret ligger kvar som {aside}.")
        _out(str(result))
    return EXIT_OK


def _target_settings(settings: Settings, other: Path) -> Settings:
    return settings.replace(data_dir=Path(other))


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the published index generation (and a store snapshot for the Källor pages) to another data directory,
    which switches to it atomically once the copy is complete (``--to``: push from here; ``--from``: pull to here)."""
    from index.publish import copy_generation, current_generation
    from kb.store import Store

    source, target = (settings, _target_settings(settings, args.to)) if args.to else (_target_settings(settings, args.from_), settings)
    if source.data_dir.resolve() == target.data_dir.resolve():
        _err("kb: källa och mål är samma datakatalog")
        return EXIT_PARTIAL
    if current_generation(source.index_root) is None:
        _err(f"kb: inget publicerat index i {source.data_dir} att kopiera")
        return EXIT_PARTIAL
    with update_lock(target.lock_path):  # one sync (or update) at a time per target
        result = copy_generation(source.index_root, target.index_root, target.keep_generations)
        if source.store_path.is_file() and not args.index_only:
            with Store(source.store_path, readonly=True) as store:
                store.backup(target.store_path)
    if not args.quiet:
        what = (f"{result.files} filer, {result.bytes / MB:.1f} MB kopierade på {result.seconds:.1f} s" if result.copied
                else "fanns redan där")
        _out(f"Publicerat {result.generation} i {target.data_dir} ({what})")
    return EXIT_OK


def _outcome_figures(settings: Settings, since: str) -> tuple[dict[str, int], dict[str, int]]:
    """(documents per source, failed URLs per source of the crawl run that started at or after ``since``)."""
    from kb.store import Store

    try:
        with Store(settings.store_path, readonly=True) as store:
            documents = store.counts_by("source")
            runs = [r for r in store.list_runs(limit=10) if r["kind"] == "crawl" and str(r["started"]) >= since]
            report = store.run_report(int(runs[0]["id"])) if runs else None
    except (StoreError, OSError) as exc:
        log.warning("could not read the update's figures for monitoring: %s", exc)
        return {}, {}
    failures = {source: sr.failed for source, sr in report.sources.items()} if report is not None else {}
    return documents, failures


def record_update(settings: Settings, code: int, started: float, seconds: float, since: str) -> None:
    """Write the update's outcome for monitoring (kb.updatestatus); never raises."""
    from kb.updatestatus import UpdateOutcome, write_outcome

    try:
        documents, failures = _outcome_figures(settings, since)
        write_outcome(settings.data_dir, UpdateOutcome(code, started, seconds, documents, failures), settings.update_textfile)
    except Exception as exc:  # noqa: BLE001 — monitoring must not change the update's exit code
        log.warning("could not record the update outcome: %s", exc)


def cmd_update_monitored(args: argparse.Namespace, settings: Settings) -> int:
    """`kb update`, then its outcome (exit code, duration, documents and failures per source) for monitoring.

    A run refused because another holds the lock (75) is not an update and is not recorded."""
    from kb.storedb import iso, utcnow

    started, clock, since = time.time(), time.monotonic(), str(iso(utcnow()))
    code: Any = EXIT_SOFTWARE
    try:
        code = cmd_update(args, settings)
        return int(code)
    except BaseException as exc:
        code = exit_code_for(exc) if isinstance(exc, Exception) else 130
        raise
    finally:
        if code != EXIT_TEMPFAIL:
            record_update(settings, int(code), started, time.monotonic() - clock, since)


def add_commands(add: Any) -> None:
    """Register backup and publish on the parser (``add(name, func, help)`` returns the subparser)."""
    p = add("backup", cmd_backup, "kopiera databasen till FILE med SQLites onlinebackup (säkert medan en körning pågår)")
    # a str, not a Path: Path() drops the trailing "/" that says DIR/ must be a directory
    p.add_argument("file", metavar="FILE", help="kopian (en katalog, eller DIR/ som måste finnas: kb-<tid>.sqlite3 i den)")
    p = add("restore", cmd_restore, "ersätt databasen med en backup FILE (den gamla sparas undan) och bygg om indexet från den")
    p.add_argument("file", type=Path, metavar="FILE", help="en kopia gjord med kb backup")
    p = add("publish", cmd_publish, "kopiera den publicerade indexgenerationen till en annan datakatalog, bytt i ett steg")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", type=Path, metavar="DIR", help="skicka: den här datakatalogens generation till DIR")
    where.add_argument("--from", dest="from_", type=Path, metavar="DIR", help="hämta: DIR:s generation till den här datakatalogen")
    p.add_argument("--index-only", action="store_true", help="kopiera bara indexet, inte en ögonblicksbild av databasen för Källor-sidorna")
