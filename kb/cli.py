"""The `kb` command: the one place that wires sources, crawler, store, index and web together.

Exit codes (documented in the README):
  0 all well · 1 some sources or documents failed · 2 usage error · 69 every source
  unreachable · 70 internal error (a bug: an unexpected exception; rerun with -v for the
  traceback) · 74 I/O error (old index intact) · 75 another run holds the lock ·
  78 configuration error.

Messages for the user are Swedish; log lines (stderr, -v) stay English.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import json
import logging
import os
import sqlite3
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from kb.errors import ConfigError, IndexBuildError, KbError, LockHeld, PublishCheckFailed, StoreError
from kb.settings import Settings, load_settings

log = logging.getLogger("kb")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 69
EXIT_SOFTWARE = 70
EXIT_IOERR = 74
EXIT_TEMPFAIL = 75
EXIT_CONFIG = 78

FACETS = ("delomrade", "organisation", "doc_type", "malgrupp", "year", "format")
RUNS_KEPT = 90  # crawl runs kept (about three months of nightly runs); older runs of any kind are pruned by `kb update`
IO_ERRNOS = (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG)


def _os_cause(exc: BaseException) -> OSError | None:
    """The OSError behind an exception (itself, its cause or context chain), if any."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, OSError):
            return cur
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an exception reaching the CLI boundary."""
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, LockHeld):
        return EXIT_TEMPFAIL
    if isinstance(exc, PublishCheckFailed):
        return EXIT_PARTIAL
    os_exc = _os_cause(exc)
    if os_exc is not None and (os_exc.errno in IO_ERRNOS or os_exc.errno is None and isinstance(exc, (StoreError, IndexBuildError))):
        return EXIT_IOERR
    text = str(exc).lower()
    if isinstance(exc, (StoreError, IndexBuildError)) and any(w in text for w in ("disk", "no space", "full", "i/o")):
        return EXIT_IOERR
    if isinstance(exc, sqlite3.OperationalError) and any(w in text for w in ("disk", "full", "i/o")):
        return EXIT_IOERR
    if not isinstance(exc, (KbError, OSError, sqlite3.Error)):
        return EXIT_SOFTWARE  # not an error kb raises on purpose: a bug
    return EXIT_PARTIAL


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * verbosity
    level = max(logging.DEBUG, min(logging.CRITICAL, level))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


@contextmanager
def update_lock(path: Path) -> Iterator[None]:
    """Exclusive kernel lock (flock): released by the kernel if the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"en annan kb-körning håller låset {path}; försök igen när den är klar") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def _load(settings: Settings) -> tuple[list[Any], list[Any]]:
    from kb.sources import load_sources

    return load_sources(settings.sources)


def _open_store(settings: Settings) -> Any:
    from kb.store import Store

    return Store(settings.store_path)


# -- commands ---------------------------------------------------------------


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    sources, warnings = _load(settings)
    for w in warnings:
        _out(str(w))
    if not args.quiet:
        n, w = len(sources), len(warnings)
        _out(f"{settings.sources}: {n} {'källa' if n == 1 else 'källor'}, inga fel" + (f", {w} {'varning' if w == 1 else 'varningar'}" if w else ""))
    return EXIT_OK


def _print_crawl_report(report: Any, run: dict[str, Any] | None = None) -> None:
    from kb.report import format_run_report

    _out(format_run_report(report, run))


def _find_run(store: Any, run_id: int) -> dict[str, Any] | None:
    for run in store.list_runs(limit=RUNS_KEPT * 4 + 10):
        if run["id"] == run_id:
            return dict(run)
    return None


def _record(store: Any, run_id: int, status: str, exit_code: int, extra: dict[str, Any] | None = None) -> None:
    """Set a run's final status and exit code, merging ``extra`` into its summary; never raises (the disk may be full)."""
    try:
        run = _find_run(store, run_id)
        summary = dict((run or {}).get("summary") or {})
        summary.update(extra or {})
        store.finish_run(run_id, status, exit_code, summary)
    except Exception as exc:  # noqa: BLE001 — recording must not hide the real outcome
        log.warning("could not record the outcome of run %s: %s", run_id, exc)


def _any_failed(report: Any) -> bool:
    """Did a source or document fail? (A source switched off with ``enabled: false`` is not a failure.)"""
    return any(r.failed or r.status not in ("ok", "skipped") for r in report.sources.values())


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
    return crawl(settings, sources, store, only=only or None, progress=sys.stderr.isatty() and not args.quiet)


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
        report = _crawl(args, settings, store)
        code = EXIT_UNAVAILABLE if report.all_unreachable else EXIT_PARTIAL if _any_failed(report) else EXIT_OK
        _record(store, report.run_id, {EXIT_OK: "ok", EXIT_PARTIAL: "partial"}.get(code, "unreachable"), code)
        if not args.quiet:
            _print_crawl_report(report, _find_run(store, report.run_id))
    return code


def _index(args: argparse.Namespace, settings: Settings, store: Any) -> Any:
    from index.build import build_and_publish
    from kb.taxonomy import load_taxonomy

    try:
        sources, _ = _load(settings)
    except ConfigError:
        sources = []  # re-index from the store even when sources.yaml is broken
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
        _record(store, run_id, "ok", EXIT_OK, {"index": str(result), "seconds": round(time.monotonic() - started, 2), **_result_summary(result)})
    return result


def _result_summary(result: Any) -> dict[str, Any]:
    """The BuildResult's figures for the run record (seconds are recorded separately)."""
    import dataclasses

    return {k: v for k, v in dataclasses.asdict(result).items() if k != "seconds"}


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
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
        report = _crawl(args, settings, store)
        if report.all_unreachable:
            log.error("every source was unreachable; the index is left untouched")
            _record(store, report.run_id, "unreachable", EXIT_UNAVAILABLE, {"index": "orört: alla källor onåbara"})
            if not args.quiet:
                _print_crawl_report(report, _find_run(store, report.run_id))
            return EXIT_UNAVAILABLE
        code = EXIT_PARTIAL if _any_failed(report) else EXIT_OK
        try:
            result = _index_step(args, settings, store)
        except Exception as exc:
            _record(store, report.run_id, "index_failed", exit_code_for(exc), {"index": f"misslyckades: {str(exc)[:300]}"})
            raise
        _record(store, report.run_id, "partial" if code else "ok", code, {"index": str(result)})
        try:
            _prune_runs(store)
        except StoreError as exc:
            log.warning("could not prune old run reports: %s", exc)
        if not args.quiet:
            _print_crawl_report(report, _find_run(store, report.run_id))
    return code


def _parse_filters(items: Sequence[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in FACETS:
            raise argparse.ArgumentTypeError(f"--filter {item!r}: förväntade NYCKEL=VÄRDE där NYCKEL är en av {', '.join(FACETS)}")
        filters.setdefault(key, []).append(value)
    return filters


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from index.search import SearchRequest, SearchService

    try:
        filters = _parse_filters(args.filter or [])
    except argparse.ArgumentTypeError as exc:
        sys.stderr.write(f"kb search: {exc}\n")
        return EXIT_USAGE
    import index.search as search_module
    from kb.taxonomy import load_taxonomy

    service = SearchService(settings)
    try:
        response = service.search(SearchRequest(q=args.query, filters=filters, per_page=args.limit, page=args.page, sort=args.sort))
    finally:
        service.close()
    notice = getattr(response, "notice", None)
    # no published index, or the search itself failed: not an answer, so not exit 0
    failures = {getattr(search_module, name, None) for name in ("NOTICE_UNAVAILABLE", "NOTICE_ERROR")} - {None}
    failed = notice is not None and notice in failures
    if args.json:
        _out(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        return EXIT_PARTIAL if failed else EXIT_OK
    if failed:
        sys.stderr.write(f"kb search: {notice}\n")
        return EXIT_PARTIAL
    taxonomy = load_taxonomy()
    _out(f"{response.total} träffar för ”{args.query}”")
    if notice:
        _out(notice)
    if response.suggestion:
        _out(f"Menade du: {response.suggestion}?")
    for i, hit in enumerate(response.results, start=(response.page - 1) * response.per_page + 1):
        _out(f"{i:3}. {hit.title}")
        _out(f"     {hit.url}")
        areas = ", ".join(taxonomy.label("delomrade", d) for d in hit.delomraden)
        doc_type = taxonomy.label("doc_type", hit.doc_type) if hit.doc_type else ""
        fmt = taxonomy.label("format", hit.format)
        meta = " · ".join(x for x in (hit.organisation, hit.published or "", fmt if fmt != doc_type else "", doc_type, areas) if x)
        _out(f"     {meta}")
        if hit.malgrupp:
            _out("     Målgrupp: " + ", ".join(taxonomy.label("malgrupp", m) for m in hit.malgrupp))
        if args.explain and hit.explanation:
            _out(f"     {hit.explanation}")
    return EXIT_OK


def local_base_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` for the address the server listens on (IPv6 literals in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve_settings(settings: Settings, host: str, port: int, env: Any = None) -> Settings:
    """Feeds and OpenSearch must point at the port actually served: without KB_BASE_URL, base_url follows --host/--port."""
    env = os.environ if env is None else env
    if env.get("KB_BASE_URL"):
        return settings
    url = local_base_url(host, port)
    from kb.settings import setting_problem

    problem = setting_problem("base_url", url)
    if problem:
        from kb.errors import Problem

        raise ConfigError([Problem("kommandoraden", None, "--host/--port", url, problem)])
    return settings.replace(base_url=url)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from web.serve import serve

    serve(serve_settings(settings, args.host, args.port), args.host, args.port, args.workers)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from kb.demosite import DemoSites
    from web.serve import serve

    data_dir = settings.data_dir if args.data_dir_given else Path("data/demo")
    sites = DemoSites()
    urls = sites.start()
    try:
        sources_file = data_dir / "demo-sources.yaml"
        data_dir.mkdir(parents=True, exist_ok=True)
        sources_file.write_text(sites.render_sources(), encoding="utf-8")
        demo = settings.replace(data_dir=data_dir, sources=sources_file, base_url=local_base_url(args.host, args.port))
        if not args.quiet:
            _out("Demosajter: " + ", ".join(f"{k} {v}" for k, v in urls.items()))
        ns = argparse.Namespace(source=None, quiet=args.quiet, full=True)
        started = time.monotonic()
        code = cmd_update(ns, demo)  # the same recorded crawl + index runs as the nightly update
        if code not in (EXIT_OK, EXIT_PARTIAL):
            return code
        if not args.quiet:
            _out(f"Klart på {time.monotonic() - started:.1f} s")
        if args.no_serve:
            return code
        _out(f"Sök på {demo.base_url}/  (Ctrl-C avslutar)")
        serve(demo, args.host, args.port)
    finally:
        sites.stop()
    return EXIT_OK


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from kb.report import format_run_report, run_report_dict

    if not settings.store_path.exists():
        sys.stderr.write(f"kb report: inga körningar ännu ({settings.store_path} finns inte)\n")
        return EXIT_PARTIAL
    with _open_store(settings) as store:
        runs = store.list_runs(limit=RUNS_KEPT * 4 + 10)
        if args.list:
            if args.json:
                _out(json.dumps(runs, ensure_ascii=False, indent=2, default=str))
            else:
                for run in runs:
                    _out(f"{run['id']:>5}  {run['kind']:<7} {run['started']}  {run['status']:<12} slutkod {run['exit_code']}")
            return EXIT_OK
        if args.run is not None:
            run = next((r for r in runs if r["id"] == args.run), None)
            if run is None:
                sys.stderr.write(f"kb report: ingen körning {args.run} (kb report --list visar de sparade)\n")
                return EXIT_USAGE
        else:
            # the newest run that crawled something; index runs carry no per-source digest
            run = next((r for r in runs if r["kind"] != "index"), None)
            if run is None:
                sys.stderr.write("kb report: ingen crawlkörning ännu\n")
                return EXIT_PARTIAL
        report = store.run_report(run["id"])
    if report is None:  # pragma: no cover — the run was listed a moment ago
        return EXIT_PARTIAL
    if args.json:
        _out(json.dumps(run_report_dict(report, run), ensure_ascii=False, indent=2, default=str))
    else:
        _out(format_run_report(report, run, max_urls=10_000))
    return EXIT_OK


def collect_stats(settings: Settings, store: Any) -> dict[str, Any]:
    """Document counts per source/organisation/format from the store, and per sub-area/type/target group/year from the index."""
    from kb.report import directory_size

    stats: dict[str, Any] = {
        "documents": store.count_documents(),
        "store_bytes": sum(p.stat().st_size for p in settings.store_path.parent.glob(settings.store_path.name + "*") if p.is_file()),
        "counts": {key: store.counts_by(key) for key in ("source", "organisation", "format")},
        "index": None,
    }
    from index.publish import current_generation, read_generation_info

    gen = current_generation(settings.index_root)
    if gen is None:
        return stats
    info = dict(read_generation_info(gen) or {})
    info.setdefault("generation", gen.name)
    info["path"] = str(gen)
    info["size_bytes"] = directory_size(gen)
    stats["index"] = info
    from index.search import SearchService

    service = SearchService(settings)
    try:
        overview = service.facet_overview()
    finally:
        service.close()
    for key in ("delomrade", "doc_type", "malgrupp", "year"):
        values = overview.get(key)
        if values:
            pairs = [(v.value, v.count) for v in values]
            if key == "year":
                pairs.sort(reverse=True)
            stats["counts"][key] = dict(pairs)
    return stats


def facet_labels() -> dict[str, dict[str, str]]:
    """Swedish labels of the facet slugs (delområde, type, target group, format) for human output."""
    from kb.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return {
        "delomrade": {c.slug: c.label for c in taxonomy.delomraden},
        "doc_type": {c.slug: c.label for c in taxonomy.doc_types},
        "malgrupp": {c.slug: c.label for c in taxonomy.malgrupper},
        "format": {f: taxonomy.label("format", f) for f in ("html", "pdf", "docx", "pptx")},
    }


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from kb.report import format_stats

    if not settings.store_path.exists():
        sys.stderr.write(f"kb stats: inget lager ännu ({settings.store_path}); kör kb update\n")
        return EXIT_PARTIAL
    with _open_store(settings) as store:
        stats = collect_stats(settings, store)
    if args.json:
        _out(json.dumps(stats, ensure_ascii=False, indent=2, default=str))
    else:
        _out(format_stats(stats, facet_labels()))
    return EXIT_OK


def test_url(settings: Settings, url: str, source_id: str | None = None) -> dict[str, Any]:
    """Fetch one URL as the crawler would and describe what would be stored (no store, no index)."""
    from crawler.extract import extract
    from crawler.fetch import Fetcher
    from crawler.robots import RobotsCache
    from kb.classify import classify
    from kb.errors import ExtractError, FetchError, Problem
    from kb.models import Document
    from kb.taxonomy import load_taxonomy

    sources, _ = _load(settings)
    if source_id is not None:
        source = next((s for s in sources if s.id == source_id), None)
        if source is None:
            raise ConfigError([Problem(str(settings.sources), None, "--source", source_id, "ingen källa har detta id")])
    else:
        source = next((s for s in sources if s.in_scope(url)), None)
    out: dict[str, Any] = {"url": url, "source": source.id if source else None, "would_store": False}
    if source is None:
        out["scope"] = "utanför alla källor: ingen källas allow-regel matchar (eller deny utesluter den)"
        return out
    in_scope, indexable = source.in_scope(url), source.indexable(url)
    out["scope"] = (
        "inom källan" if indexable else "följs för länkar men lagras inte (follow_only)" if in_scope else "utanför källan (allow/deny)"
    )
    allow_private = source.allow_private_network
    with Fetcher(settings) as fetcher:
        robots = RobotsCache(fetcher, settings).get(url, allow_private=allow_private)
        out["robots"] = "tillåten" if robots.allowed(url, settings.user_agent) else f"spärrad av robots.txt {robots.reason}".rstrip()
        if not in_scope or not robots.allowed(url, settings.user_agent):
            return out
        try:
            result = fetcher.fetch(
                url, allow_private=allow_private, raise_http=False,
                hop_check=lambda hop: None if source.in_scope(hop) else "out_of_scope",
            )
        except FetchError as exc:
            out["fetch_error"] = f"{exc.reason}: {exc.detail}".rstrip(": ")
            return out
    out.update({"http_status": result.status, "final_url": result.final_url, "content_type": result.content_type, "bytes": len(result.body)})
    if result.redirects:
        out["redirects"] = result.redirects
    if result.status != 200:
        return out
    try:
        ex = extract(
            result.body, result.final_url, result.content_type,
            content_selector=source.content_selector, drop_selectors=source.drop_selectors, timeout=settings.parse_timeout,
        )
    except ExtractError as exc:
        out["extract_error"] = str(exc)
        return out
    doc = Document(
        url=result.final_url, source=source.id, organisation=source.organisation, title=ex.title, text=ex.text,
        format=ex.format, description=ex.description, headings=list(ex.headings), published=ex.published,
        modified=ex.modified, language=ex.language, page_count=ex.page_count, size=len(result.body),
    )
    c = classify(doc, source, load_taxonomy())
    links = display_links(link.url for link in ex.links)
    out.update(
        {
            "title": ex.title, "format": ex.format, "published": ex.published.isoformat() if ex.published else None,
            "modified": ex.modified.isoformat() if ex.modified else None, "language": ex.language,
            "page_count": ex.page_count, "description": ex.description, "headings": list(ex.headings)[:10],
            "text_chars": len(ex.text), "excerpt": " ".join(ex.text.split())[:500],
            "links": {"count": len(links), "first": links[:10]},
            "noindex": ex.robots_noindex, "soft_404": ex.soft_404, "canonical": ex.canonical,
            "doc_type": c.doc_type, "delomraden": list(c.delomraden), "scores": dict(c.scores),
            "reasons": {k: list(v) for k, v in c.reasons.items()}, "explanation": c.explanation,
            "malgrupp": list(c.malgrupp), "year": c.year,
        }
    )
    out["would_store"] = indexable and not ex.robots_noindex and not ex.soft_404 and bool(ex.text.strip())
    return out


def display_links(urls: Any) -> list[str]:
    """Links as a librarian wants to read them: without #fragment, each once, in page order."""
    from urllib.parse import urldefrag

    return list(dict.fromkeys(urldefrag(u).url for u in urls if urldefrag(u).url))


LABEL_WIDTH = 15  # "Innehållstyp:" + two spaces


def _format_test_url(r: dict[str, Any]) -> str:
    w = LABEL_WIDTH
    lines = [f"{'URL:':<{w}}{r['url']}", f"{'Källa:':<{w}}{r['source'] or '(ingen)'}", f"{'Scope:':<{w}}{r['scope']}"]
    labels = [
        ("robots", "robots.txt"), ("fetch_error", "Hämtning"), ("http_status", "HTTP-status"), ("final_url", "Slutlig URL"),
        ("content_type", "Innehållstyp"), ("extract_error", "Extrahering"), ("title", "Titel"), ("format", "Format"),
        ("published", "Publicerad"), ("modified", "Uppdaterad"), ("page_count", "Sidor"), ("doc_type", "Typ"),
        ("malgrupp", "Målgrupp"), ("year", "År"),
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
    result = test_url(settings, args.url, args.source)
    if args.json:
        _out(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        _out(_format_test_url(result))
    return EXIT_OK if result["would_store"] else EXIT_PARTIAL


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from index.evaluate import format_eval, prepare_demo, run_eval

    if args.current:
        target = settings
    else:
        # never crawl the demo into the production data dir
        target = prepare_demo(settings if args.data_dir_given else settings.replace(data_dir=Path("data/eval")))
    report = run_eval(target)
    if args.baseline:
        from index.evaluate import format_comparison, run_baselines

        _out(format_comparison(run_baselines(target), report))
        _out()
    if args.json:
        _out(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2, default=str))
    else:
        _out(format_eval(report))
    return EXIT_PARTIAL if report.failures else EXIT_OK


# -- parser -------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"ogiltig port {text!r} (1–65535)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Kunskapsbank om mäns våld mot kvinnor: crawla källor, bygg sökindex och sök.",
        epilog="Exit codes: 0 ok, 1 partial failure, 2 usage, 69 all sources unreachable, 70 internal error, 74 I/O error, 75 locked, 78 config error.",
    )
    parser.add_argument("--sources", type=Path, default=None, help="sources.yaml (default sources.yaml, env KB_SOURCES)")
    parser.add_argument("--data-dir", type=Path, default=None, help="data directory (default data/, env KB_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (repeat for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success (for cron)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, func: Callable[[argparse.Namespace, Settings], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    add("check", cmd_check, "validate sources.yaml and list every problem")
    p = add("crawl", cmd_crawl, "crawl the sources into the store")
    p.add_argument("--source", action="append", metavar="ID", help="only this source (repeatable)")
    p = add("index", cmd_index, "build the index from the store and publish it atomically")
    p.add_argument("--full", action="store_true", help="rebuild from scratch instead of updating")
    p = add("update", cmd_update, "crawl, then index (what cron runs)")
    p.add_argument("--source", action="append", metavar="ID", help="only this source (repeatable)")
    p.add_argument("--full", action="store_true", help="full index rebuild")
    p = add("search", cmd_search, "search the published index")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    p.add_argument("--limit", type=int, default=10, help="results per page (default 10)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--sort", choices=("relevans", "nyast"), default="relevans")
    p.add_argument("--filter", action="append", metavar="KEY=VALUE", help=f"facet filter, KEY one of {', '.join(FACETS)}")
    p.add_argument("--explain", action="store_true", help="show why each hit got its sub-areas")
    p = add("report", cmd_report, "show a run's change digest per source (new, changed, removed, unchanged, failed)")
    p.add_argument("--run", type=int, metavar="N", help="this run (default: the newest crawl)")
    p.add_argument("--list", action="store_true", help="list the stored runs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("stats", cmd_stats, "documents per source, sub-area, type and year; index size and generation")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("test-url", cmd_test_url, "fetch one URL as the crawler would and show what would be stored")
    p.add_argument("url")
    p.add_argument("--source", metavar="ID", help="use this source's rules (default: the source whose scope matches)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("eval", cmd_eval, "measure search quality on the demo corpus and its judged queries")
    p.add_argument("--current", action="store_true", help="evaluate the configured index instead of a fresh demo build")
    p.add_argument("--baseline", action="store_true", help="also score plain Whoosh baselines (Snowball stemming, AND/OR) on the same store")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("serve", cmd_serve, "serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; also sets the base URL unless KB_BASE_URL is set)")
    p.add_argument("--workers", type=int, default=1, help="worker processes sharing the published index (default 1)")
    p = add("demo", cmd_demo, "start the demo sites, crawl and index them, and serve the UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--no-serve", action="store_true", help="stop after indexing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this directly)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(-1 if args.quiet else args.verbose)
    args.data_dir_given = args.data_dir is not None or bool(os.environ.get("KB_DATA_DIR"))
    try:
        settings = load_settings(sources=args.sources, data_dir=args.data_dir)
        return int(args.func(args, settings))
    except BrokenPipeError:
        return _stdout_closed()
    except ConfigError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        sys.stderr.write(f"kb: {len([p for p in exc.problems if p.severity == 'error'])} fel i konfigurationen\n")
        return EXIT_CONFIG
    except LockHeld as exc:
        sys.stderr.write(f"kb: {exc}\n")
        return EXIT_TEMPFAIL
    except PublishCheckFailed as exc:
        sys.stderr.write(f"kb: det nya indexet klarade inte kontrollerna och publicerades inte; det förra indexet används fortfarande: {exc}\n")
        return EXIT_PARTIAL
    except (StoreError, IndexBuildError, OSError, sqlite3.Error) as exc:
        code = exit_code_for(exc)
        what = "I/O-fel (det förra indexet är orört)" if code == EXIT_IOERR else "fel"
        sys.stderr.write(f"kb: {what}: {exc}\n")
        return code
    except KbError as exc:
        sys.stderr.write(f"kb: fel: {exc}\n")
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 — the last line of defence: one clear line and exit 70, not a traceback
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write(
            f"kb: internt fel, ett programfel i kb ({type(exc).__name__}: {exc}); "
            f"kör igen med -v för detaljer och rapportera felet\n"
        )
        return EXIT_SOFTWARE


def _stdout_closed() -> int:
    """The reader went away (`kb search … | head`): not an error. Point stdout at /dev/null so exit stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (tests)
    return EXIT_OK


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
