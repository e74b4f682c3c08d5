"""The `kb` command: the one place that wires sources, crawler, store, index and web together.

Exit codes (documented in the README):
  0 all well · 1 some sources or documents failed · 2 usage error · 65 the store file is
  damaged (restore it or delete it to re-crawl) · 69 every source unreachable ·
  70 internal error (a bug: an unexpected exception; rerun with -v for the traceback) ·
  74 I/O error (old index intact) · 75 another run holds the lock · 78 configuration error.

Under -q exit 0 prints nothing and every other exit prints at least one line on stderr (kb.cli.outcome).
Messages for the user are Swedish; log lines (stderr, -v) stay English.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from kb.cli._common import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SOFTWARE,
    EXIT_TEMPFAIL,
    FACETS,
    RUNS_KEPT,
    _configure_logging,
    error_line,
    exit_code_for,
    update_lock,
)
from kb.cli.crawling import LABEL_WIDTH, _format_test_url, _prune_runs, cmd_check, cmd_crawl, cmd_index, cmd_test_url
from kb.cli.operating import add_commands as add_operating_commands
from kb.cli.operating import cmd_update_monitored
from kb.cli.querying import cmd_eval, cmd_search
from kb.cli.reporting import cmd_report, cmd_stats, collect_stats
from kb.cli.serving import cmd_demo, cmd_serve, local_base_url, serve_settings
from kb.errors import ConfigError, IndexBuildError, KbError, LockHeld, PublishCheckFailed, StoreError
from kb.settings import Settings, load_settings

__all__ = [
    "_format_test_url", "_prune_runs",
    "EXIT_OK", "LABEL_WIDTH", "RUNS_KEPT", "build_parser", "collect_stats", "entrypoint", "exit_code_for", "local_base_url", "main",
    "serve_settings", "update_lock",
]
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
        epilog=(
            "Exit codes: 0 ok, 1 partial failure, 2 usage, 65 corrupt store, 69 all sources unreachable, 70 internal error, 74 I/O error, "
            "75 locked, 78 config error."
        ),
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
    p = add("update", cmd_update_monitored, "crawl, then index (what cron runs); records its outcome for monitoring")
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
    p.add_argument(
        "--baseline", action="store_true", help="also score plain Whoosh baselines (Snowball stemming, AND/OR) on the same store",
    )
    p.add_argument("--swefaq", nargs="?", const="", metavar="FILE",
                   help="also score SweFAQ dev (answers indexed as documents; default: shared/corpora beside the checkout)")
    p.add_argument("--real", metavar="QUERIES", help="also score judged queries over real text, e.g. eval/regeringen-queries.yaml")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("serve", cmd_serve, "serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; also sets the base URL unless KB_BASE_URL is set)")
    p.add_argument("--workers", type=int, default=1, help="worker processes sharing the published index (default 1)")
    p = add("demo", cmd_demo, "start the demo sites, crawl and index them, and serve the UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--sites-port", type=_port, default=8101, metavar="PORT",
                   help="first port of the five demo sites (default 8101; a taken port falls back to a free one)")
    p.add_argument("--no-serve", action="store_true", help="stop after indexing")
    add_operating_commands(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this directly)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(-1 if args.quiet else args.verbose)
    args.data_dir_given = args.data_dir is not None or bool(os.environ.get("KB_DATA_DIR"))
    try:
        settings = load_settings(sources=args.sources, data_dir=args.data_dir)
        code = int(args.func(args, settings))
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
        sys.stderr.write(
            f"kb: det nya indexet klarade inte kontrollerna och publicerades inte; det förra indexet används fortfarande: {exc}\n"
        )
        return EXIT_PARTIAL
    except (StoreError, IndexBuildError, OSError, sqlite3.Error) as exc:
        code = exit_code_for(exc)
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write(error_line(exc, code) + "\n")
        return code
    except KbError as exc:
        sys.stderr.write(f"kb: fel: {exc}\n")
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        sys.stderr.write("kb: avbruten med Ctrl-C\n")
        return 130
    except Exception as exc:  # noqa: BLE001 — the last line of defence: one clear line and exit 70, not a traceback
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write(
            f"kb: internt fel, ett programfel i kb ({type(exc).__name__}: {exc}); "
            f"kör igen med -v för detaljer och rapportera felet\n"
        )
        return EXIT_SOFTWARE
    if code != EXIT_OK and args.quiet and not getattr(args, "summarised", False):
        # cron mails only output: a non-zero exit under -q always says something
        from kb.cli.outcome import meaning_line

        sys.stderr.write(meaning_line(code, command=args.command) + "\n")
    return code


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
