"""The `kb` command: the one place that wires sources, crawler, store, index and web together.

Exit codes (documented in the README):
  0 all well · 1 some sources or documents failed · 2 usage error · 69 every source
  unreachable · 74 I/O error (old index intact) · 75 another run holds the lock ·
  78 configuration error.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import json
import logging
import os
import sys
import time
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
EXIT_IOERR = 74
EXIT_TEMPFAIL = 75
EXIT_CONFIG = 78

FACETS = ("delomrade", "organisation", "doc_type", "malgrupp", "year", "format")


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
            raise LockHeld(f"another kb run holds {path}") from None
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
        _out(f"{settings.sources}: {len(sources)} källor, inga fel" + (f", {len(warnings)} varningar" if warnings else ""))
    return EXIT_OK


def _print_crawl_report(report: Any) -> None:
    _out(f"Körning {report.run_id}:")
    for sid, r in sorted(report.sources.items()):
        _out(
            f"  {sid}: {r.status}; hämtade {r.fetched}, nya {r.new}, ändrade {r.changed}, oförändrade {r.unchanged}, "
            f"borttagna {r.removed}, misslyckade {r.failed} ({r.bytes / 1024:.0f} KiB, {r.seconds:.1f} s)"
        )
        for reason, n in sorted(r.failed_by_reason().items()):
            _out(f"    {reason}: {n}")
        for url, reason, detail in r.failures[:20]:
            _out(f"      {reason}: {url} {detail}".rstrip())
        if len(r.failures) > 20:
            _out(f"      … och {len(r.failures) - 20} till (kb report --run {report.run_id})")
        for note in r.notes:
            _out(f"    obs: {note}")


def _crawl(args: argparse.Namespace, settings: Settings, store: Any) -> Any:
    from crawler.crawl import crawl

    sources, warnings = _load(settings)
    for w in warnings:
        log.warning("%s", w)
    only = list(args.source or [])
    unknown = [s for s in only if s not in {src.id for src in sources}]
    if unknown:
        from kb.errors import Problem

        raise ConfigError([Problem(str(settings.sources), None, "--source", u, "no source with this id") for u in unknown])
    return crawl(settings, sources, store, only=only or None, progress=sys.stderr.isatty() and not args.quiet)


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
        report = _crawl(args, settings, store)
    if not args.quiet:
        _print_crawl_report(report)
    if report.all_unreachable:
        return EXIT_UNAVAILABLE
    return EXIT_PARTIAL if report.any_failed else EXIT_OK


def _index(args: argparse.Namespace, settings: Settings, store: Any) -> Any:
    from index.build import build_and_publish
    from kb.taxonomy import load_taxonomy

    try:
        sources, _ = _load(settings)
    except ConfigError:
        sources = []  # re-index from the store even when sources.yaml is broken
    return build_and_publish(settings, store, sources, load_taxonomy(), full=getattr(args, "full", False))


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
        result = _index(args, settings, store)
    if not args.quiet:
        _out(str(result))
    return EXIT_OK


def cmd_update(args: argparse.Namespace, settings: Settings) -> int:
    with update_lock(settings.lock_path), _open_store(settings) as store:
        report = _crawl(args, settings, store)
        if not args.quiet:
            _print_crawl_report(report)
        if report.all_unreachable:
            log.error("every source was unreachable; the index is left untouched")
            return EXIT_UNAVAILABLE
        result = _index(args, settings, store)
        if not args.quiet:
            _out(str(result))
    return EXIT_PARTIAL if report.any_failed else EXIT_OK


def _parse_filters(items: Sequence[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in FACETS:
            raise argparse.ArgumentTypeError(f"--filter {item!r}: expected KEY=VALUE with KEY one of {', '.join(FACETS)}")
        filters.setdefault(key, []).append(value)
    return filters


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from index.search import SearchRequest, SearchService

    try:
        filters = _parse_filters(args.filter or [])
    except argparse.ArgumentTypeError as exc:
        sys.stderr.write(f"kb search: {exc}\n")
        return EXIT_USAGE
    service = SearchService(settings)
    try:
        response = service.search(SearchRequest(q=args.query, filters=filters, per_page=args.limit, page=args.page, sort=args.sort))
    finally:
        service.close()
    if args.json:
        _out(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    _out(f"{response.total} träffar för ”{args.query}”")
    if response.suggestion:
        _out(f"Menade du: {response.suggestion}?")
    for i, hit in enumerate(response.results, start=(response.page - 1) * response.per_page + 1):
        _out(f"{i:3}. {hit.title}")
        _out(f"     {hit.url}")
        meta = " · ".join(x for x in (hit.organisation, hit.published or "", hit.doc_type, ", ".join(hit.delomraden)) if x)
        _out(f"     {meta}")
        if args.explain and hit.explanation:
            _out(f"     {hit.explanation}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from web.app import create_app

    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", server_header=False, workers=None)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from kb.demosite import DemoSites
    from web.app import create_app

    data_dir = settings.data_dir if args.data_dir_given else Path("data/demo")
    sites = DemoSites()
    urls = sites.start()
    try:
        sources_file = data_dir / "demo-sources.yaml"
        data_dir.mkdir(parents=True, exist_ok=True)
        sources_file.write_text(sites.render_sources(), encoding="utf-8")
        demo = settings.replace(data_dir=data_dir, sources=sources_file, base_url=f"http://{args.host}:{args.port}")
        _out("Demosajter: " + ", ".join(f"{k} {v}" for k, v in urls.items()))
        ns = argparse.Namespace(source=None, quiet=args.quiet, full=True)
        started = time.monotonic()
        with update_lock(demo.lock_path), _open_store(demo) as store:
            report = _crawl(ns, demo, store)
            if not args.quiet:
                _print_crawl_report(report)
            result = _index(ns, demo, store)
        _out(f"{result} ({time.monotonic() - started:.1f} s)")
        _out(f"Sök på http://{args.host}:{args.port}/  (Ctrl-C avslutar)")
        if args.no_serve:
            return EXIT_OK
        uvicorn.run(create_app(demo), host=args.host, port=args.port, log_level="warning", server_header=False)
    finally:
        sites.stop()
    return EXIT_OK


# -- parser -------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Kunskapsbank om mäns våld mot kvinnor: crawla källor, bygg sökindex och sök.",
        epilog="Exit codes: 0 ok, 1 partial failure, 2 usage, 69 all sources unreachable, 74 I/O error, 75 locked, 78 config error.",
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
    p = add("serve", cmd_serve, "serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p = add("demo", cmd_demo, "start the demo sites, crawl and index them, and serve the UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
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
    except ConfigError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        sys.stderr.write(f"kb: {len([p for p in exc.problems if p.severity == 'error'])} fel i konfigurationen\n")
        return EXIT_CONFIG
    except LockHeld as exc:
        sys.stderr.write(f"kb: {exc}\n")
        return EXIT_TEMPFAIL
    except PublishCheckFailed as exc:
        sys.stderr.write(f"kb: the new index failed its checks and was not published; the previous index keeps serving: {exc}\n")
        return EXIT_PARTIAL
    except (StoreError, IndexBuildError) as exc:
        sys.stderr.write(f"kb: {exc}\n")
        cause = exc.__cause__
        return EXIT_IOERR if isinstance(cause, OSError) or "disk" in str(exc).lower() else EXIT_PARTIAL
    except OSError as exc:
        sys.stderr.write(f"kb: I/O error: {exc}\n")
        return EXIT_IOERR if exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EACCES) else EXIT_PARTIAL
    except KbError as exc:
        sys.stderr.write(f"kb: {exc}\n")
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        return 130


def entrypoint() -> None:
    sys.exit(main())
