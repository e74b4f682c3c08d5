"""Commands that change the store and the index: check, crawl, index, update, test-url."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kb.cli._common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UNAVAILABLE,
    RUNS_KEPT,
    _find_run,
    _load,
    _open_store,
    _out,
    _print_crawl_report,
    _record,
    error_line,
    exit_code_for,
    log,
    update_lock,
)
from kb.cli.outcome import quiet_summary, report_exit_code, status_for
from kb.errors import ConfigError, PublishCheckFailed, StoreError
from kb.settings import Settings


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from kb.corrections import load_corrections

    sources, warnings = _load(settings)
    for w in warnings:
        _out(str(w))
    # the librarians' corrections are checked too: a typo there would stop tonight's index
    corrections = load_corrections(settings.corrections)
    if not args.quiet:
        n, w = len(sources), len(warnings)
        warned = f", {w} {'varning' if w == 1 else 'varningar'}" if w else ""
        rules = len(corrections.supersessions) + len(corrections.lan) + len(corrections.malsattning)
        _out(f"{settings.corrections}: {rules} {'rättelse' if rules == 1 else 'rättelser'}, inga fel")
        _out(f"{settings.sources}: {n} {'källa' if n == 1 else 'källor'}, inga fel" + warned)
    return EXIT_OK



def _crawl(args: argparse.Namespace, settings: Settings, store: Any) -> Any:
    from crawler.crawl import crawl

    sources, warnings = _load(settings)
    for w in warnings:
        log.warning("%s", w)
    only = list(args.source or [])
    unknown = [s for s in only if s not in {src.id for src in sources}]
    if unknown:
        from kb.errors import Problem

        raise ConfigError([Problem(str(settings.sources), None, "--source", u, "ingen källa har detta id") for u in unknown])
    newest = max((r["id"] for r in store.list_runs(limit=1)), default=0)
    try:
        return crawl(settings, sources, store, only=only or None, progress=sys.stderr.isatty() and not args.quiet,
                     describe_failure=_failure_note)
    except Exception as exc:
        # the crawl recorded its run as "failed" with its code and why, if it could write at all: once more if not
        try:
            ours = [run["id"] for run in store.list_runs(limit=5)
                    if run["id"] > newest and run["kind"] == "crawl" and run["exit_code"] is None]
        except StoreError:
            ours = []  # the store cannot even be read: the exception below says why
        code, why = _failure_note(exc)
        for run_id in ours:
            _record(store, run_id, "failed", code, {"fel": str(exc)[:300], "obs": why})
        raise


def _failure_note(exc: BaseException) -> tuple[int, str]:
    """The exit code of a crawl stopped by ``exc`` and why, in Swedish ("I/O-fel: disken är full …"), for its run record."""
    code = exit_code_for(exc) if isinstance(exc, Exception) else 130
    return code, error_line(exc, code).removeprefix("kb: ") if code != 130 else "avbruten med Ctrl-C"


def mark_stale_runs(store: Any) -> None:
    """Runs still ``running`` when we hold the update lock belong to a process that died (kill -9, power cut)."""
    from kb.store import utcnow

    note = (
        "avbruten: körningen avslutades aldrig (processen dödades, t.ex. kill -9 eller strömavbrott, "
        "eller kunde inte skriva sitt resultat, t.ex. full disk); "
        f"upptäckt {utcnow():%Y-%m-%d %H:%M} UTC"
    )
    try:
        stale = store.mark_stale_runs(note)
    except StoreError as exc:
        log.warning("could not mark runs that never finished: %s", exc)
        return
    if stale:
        log.warning("runs %s never finished (process killed); marked as avbruten", ", ".join(map(str, stale)))


def _stored_report(store: Any, report: Any) -> Any:
    """The run as the librarians' report shows it (read back from the store); the in-memory one if that fails."""
    try:
        return store.run_report(report.run_id) or report
    except StoreError as exc:
        log.warning("could not read back run %s: %s", report.run_id, exc)
        return report


def _conclude(args: argparse.Namespace, store: Any, report: Any, code: int) -> None:
    """The run's digest on stdout, or under -q (cron) a short summary on stderr when the exit code is not 0."""
    run = _find_run(store, report.run_id)
    if not args.quiet:
        _print_crawl_report(report, run)
        return
    for line in quiet_summary(report, code, run):
        sys.stderr.write(line + "\n")
    args.summarised = True


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
        store.quick_check()  # a damaged store stops the night with exit 65 before anything is written
        mark_stale_runs(store)
        report = _stored_report(store, _crawl(args, settings, store))
        code = report_exit_code(report)
        _record(store, report.run_id, status_for(code), code)
        _conclude(args, store, report, code)
    return code


def unread_sources_warning(path: Path, problem: str, full: bool) -> str:
    """The Swedish warning of an index built without sources.yaml (`kb index`/`update`/`restore` run elsewhere than
    the service's WorkingDirectory, or a broken file): what it costs, and what to do."""
    cost = ("hela indexet byggs utan källornas inställningar (lan:, organisation:, delomraden: …) tills nästa kb update "
            "eller kb index med en läsbar sources.yaml" if full else
            "dokument som ändrats sedan förra indexet klassas utan sin källas inställningar (lan:, organisation: …); "
            "övriga behåller sina klasser")
    return (f"{path} kunde inte läsas ({problem}): {cost}; kör kommandot i katalogen där sources.yaml ligger "
            "(tjänstens WorkingDirectory) eller ange den med --sources eller KB_SOURCES")


def _index(args: argparse.Namespace, settings: Settings, store: Any) -> Any:
    from index.build import build_and_publish
    from kb.taxonomy import load_taxonomy

    try:
        sources, _ = _load(settings)
    except ConfigError as exc:
        sources = []  # re-index from the store even when sources.yaml is broken
        log.warning("%s", unread_sources_warning(settings.sources, str(exc).splitlines()[0], full=getattr(args, "full", False)))
    return build_and_publish(settings, store, sources, load_taxonomy(), full=getattr(args, "full", False))


def _index_step(args: argparse.Namespace, settings: Settings, store: Any) -> Any:
    """Build and publish the index as its own recorded run (kind 'index')."""
    try:
        run_id = store.start_run("index")
    except StoreError as exc:
        log.warning("could not record the index run: %s", exc)
        run_id = None
    started = time.monotonic()
    try:
        result = _index(args, settings, store)
    except BaseException as exc:
        code = exit_code_for(exc) if isinstance(exc, Exception) else 130
        if run_id is not None:
            status = "check_failed" if isinstance(exc, PublishCheckFailed) else "failed"
            _record(store, run_id, status, code, {"error": str(exc)[:500], "seconds": round(time.monotonic() - started, 2)})
        raise
    if run_id is not None:
        seconds = round(time.monotonic() - started, 2)
        _record(store, run_id, "ok", EXIT_OK, {"index": str(result), "seconds": seconds, **_result_summary(result)})
    return result


def _result_summary(result: Any) -> dict[str, Any]:
    """The BuildResult's figures for the run record (seconds are recorded separately)."""
    import dataclasses

    return {k: v for k, v in dataclasses.asdict(result).items() if k != "seconds"}


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
        store.quick_check()  # a damaged store stops the night with exit 65 before anything is written
        mark_stale_runs(store)
        result = _index_step(args, settings, store)
    if not args.quiet:
        _out(str(result))
    return EXIT_OK


def _prune_runs(store: Any) -> None:
    """Keep the newest RUNS_KEPT crawl runs and every run (index runs too) since the oldest of them."""
    runs = store.list_runs(limit=100_000)
    crawls = [i for i, run in enumerate(runs) if run["kind"] != "index"]
    if len(crawls) < RUNS_KEPT:
        return
    store.prune_runs(crawls[RUNS_KEPT - 1] + 1)


def cmd_update(args: argparse.Namespace, settings: Settings) -> int:
    """Crawl, then index, under one lock; both recorded as runs (`kb demo` runs the same code)."""
    with update_lock(settings.lock_path), _open_store(settings) as store:
        store.quick_check()  # a damaged store stops the night with exit 65 before anything is written
        mark_stale_runs(store)
        report = _stored_report(store, _crawl(args, settings, store))
        code = report_exit_code(report)
        if code == EXIT_UNAVAILABLE:
            log.warning("every source was unreachable; the index is left untouched")
            _record(store, report.run_id, "unreachable", EXIT_UNAVAILABLE, {"index": "orört: alla källor onåbara"})
            _conclude(args, store, report, code)
            return EXIT_UNAVAILABLE
        try:
            result = _index_step(args, settings, store)
        except Exception as exc:
            _record(store, report.run_id, "index_failed", exit_code_for(exc), {"index": f"misslyckades: {str(exc)[:300]}"})
            raise
        _record(store, report.run_id, status_for(code), code, {"index": str(result)})
        try:
            _prune_runs(store)
        except StoreError as exc:
            log.warning("could not prune old run reports: %s", exc)
        _conclude(args, store, report, code)
    return code



LABEL_WIDTH = 15  # "Innehållstyp:" + two spaces


def _format_test_url(r: dict[str, Any]) -> str:
    w = LABEL_WIDTH
    lines = [f"{'URL:':<{w}}{r['url']}", f"{'Källa:':<{w}}{r['source'] or '(ingen)'}", f"{'Scope:':<{w}}{r['scope']}"]
    labels = [
        ("robots", "robots.txt"), ("fetch_error", "Hämtning"), ("http_status", "HTTP-status"), ("final_url", "Slutlig URL"),
        ("content_type", "Innehållstyp"), ("extract_error", "Extrahering"), ("title", "Titel"), ("format", "Format"),
        ("published", "Publicerad"), ("modified", "Uppdaterad"), ("page_count", "Sidor"), ("doc_type", "Typ"),
        ("malgrupp", "Målgrupp"), ("year", "År"), ("lan", "Län"), ("malsattningar", "Målsättningar"),
    ]
    for key, label in labels:
        if key in r and r[key] not in (None, [], ""):
            value = ", ".join(r[key]) if isinstance(r[key], list) else r[key]
            lines.append(f"{label + ':':<{w}}{value}")
    if "delomraden" in r:
        lines.append(f"{'Delområden:':<{w}}" + (", ".join(f"{s} ({r['scores'].get(s, 0):.2f})" for s in r["delomraden"]) or "inga"))
        for slug, reasons in r.get("reasons", {}).items():
            lines.append(f"  {slug}: {'; '.join(reasons)}")
        if r.get("explanation"):
            lines.append(f"  {r['explanation']}")
    if "links" in r:
        lines.append(f"{'Länkar:':<{w}}{r['links']['count']}")
        lines.extend(f"  {u}" for u in r["links"]["first"][:5])
    if "excerpt" in r:
        lines.append(f"Text ({r['text_chars']} tecken): {r['excerpt'][:300]}")
    lines.append("Skulle lagras: " + ("ja" if r["would_store"] else "nej"))
    return "\n".join(lines)


def cmd_test_url(args: argparse.Namespace, settings: Settings) -> int:
    from crawler.probe import test_url

    result = test_url(settings, args.url, args.source)
    if args.json:
        _out(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        _out(_format_test_url(result))
    return EXIT_OK if result["would_store"] else EXIT_PARTIAL
