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
from kb.cli.swedish import use_swedish
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
    use_swedish()
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Kunskapsbank om mäns våld mot kvinnor: crawla källor, bygg sökindex och sök.",
        epilog=(
            "Slutkoder: 0 klart, 1 delvis misslyckat, 2 fel användning, 65 trasig databas, 69 ingen källa nåbar, 70 internt fel, "
            "74 läs- eller skrivfel, 75 låst av en annan körning, 78 fel i konfigurationen."
        ),
    )
    parser.add_argument("--sources", type=Path, default=None, help="källfilen (standard sources.yaml, miljövariabel KB_SOURCES)")
    parser.add_argument("--data-dir", type=Path, default=None, help="datakatalogen (standard data/, miljövariabel KB_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="mer logg (två gånger: felsökning)")
    parser.add_argument("-q", "--quiet", action="store_true", help="skriv inget när allt gick bra (för cron)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, func: Callable[[argparse.Namespace, Settings], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    add("check", cmd_check, "kontrollera sources.yaml och lista varje fel")
    p = add("crawl", cmd_crawl, "hämta källorna till databasen")
    p.add_argument("--source", action="append", metavar="ID", help="bara den här källan (kan upprepas)")
    p = add("index", cmd_index, "bygg sökindexet från databasen och publicera det i ett steg")
    p.add_argument("--full", action="store_true", help="bygg om från början i stället för att uppdatera")
    p = add("update", cmd_update_monitored, "hämta och indexera (det cron kör); sparar utfallet för övervakningen")
    p.add_argument("--source", action="append", metavar="ID", help="bara den här källan (kan upprepas)")
    p.add_argument("--full", action="store_true", help="bygg om hela indexet")
    p = add("search", cmd_search, "sök i det publicerade indexet")
    p.add_argument("query", nargs="+", help="sökfrågan, som i sökrutan (citattecken behövs inte; -ord utesluter ordet)")
    p.add_argument("--json", action="store_true", help="skriv API:ets JSON")
    p.add_argument("--limit", type=int, default=10, help="träffar per sida (standard 10)")
    p.add_argument("--page", type=int, default=1, help="resultatsida (standard 1)")
    p.add_argument("--sort", choices=("relevans", "nyast"), default="relevans", help="ordning (standard relevans)")
    p.add_argument("--filter", action="append", metavar="KEY=VALUE", help=f"filter, KEY är en av {', '.join(FACETS)}")
    p.add_argument("--explain", action="store_true", help="visa varför varje träff fick sina delområden")
    p = add("report", cmd_report, "visa en körnings ändringar per källa (nya, ändrade, borttagna, oförändrade, misslyckade)")
    p.add_argument("--run", type=int, metavar="N", help="den här körningen (standard: den senaste)")
    p.add_argument("--list", action="store_true", help="lista de sparade körningarna")
    p.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    p = add("stats", cmd_stats, "dokument per källa, delområde, typ och år; indexets storlek och generation")
    p.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    p = add("test-url", cmd_test_url, "hämta en URL som crawlern gör och visa vad som skulle sparas")
    p.add_argument("url", help="sidan eller dokumentet att hämta")
    p.add_argument("--source", metavar="ID", help="använd den här källans regler (standard: källan vars område matchar)")
    p.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    p = add("eval", cmd_eval, "mät sökkvaliteten på demosajterna och deras bedömda frågor")
    p.add_argument("--current", action="store_true", help="mät det konfigurerade indexet i stället för ett nytt demobygge")
    p.add_argument(
        "--baseline", action="store_true", help="mät också enkla Whoosh-baslinjer (Snowball, AND/OR) på samma databas",
    )
    p.add_argument("--swefaq", nargs="?", const="", metavar="FILE",
                   help="mät också SweFAQ dev (svaren indexerade som dokument; standard: shared/corpora bredvid koden)")
    p.add_argument("--real", metavar="QUERIES", help="mät också bedömda frågor på verklig text, t.ex. eval/regeringen-queries.yaml")
    p.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    p = add("serve", cmd_serve, "starta webbappen")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000, help="port (standard 8000; sätter också bas-URL:en om inte KB_BASE_URL är satt)")
    p.add_argument("--workers", type=int, default=1, help="arbetsprocesser som delar det publicerade indexet (standard 1)")
    p = add("demo", cmd_demo, "starta demosajterna, hämta och indexera dem och starta webbappen")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--sites-port", type=_port, default=8101, metavar="PORT",
                   help="första porten för de fem demosajterna (standard 8101; en upptagen port byts mot en ledig)")
    p.add_argument("--no-serve", action="store_true", help="sluta efter indexeringen")
    add_operating_commands(add)
    return parser


def _value_options(parser: argparse.ArgumentParser) -> frozenset[str]:
    """The parser's long options that take a value ("--data-dir", "--limit"), read from the parser itself."""
    return frozenset(o for action in parser._actions if action.nargs != 0 for o in action.option_strings if o.startswith("--"))


def _takes_value(arg: str, options: frozenset[str]) -> bool:
    """An option whose value is the next word: "--data-dir", or an abbreviation argparse accepts ("--data")."""
    return len(arg) > 2 and "=" not in arg and any(option.startswith(arg) for option in options)


def _as_word(arg: str) -> str:
    """A leading space: argparse never reads " -barn" as an option, and the query parser ignores the space."""
    return " " + arg if arg.startswith("-") and len(arg) > 1 else arg


def exclusions_as_words(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """`kb search våld -barn`: after the search command, "-barn" is a word excluded from the search, as in the search
    box, not an unknown option; "-h", "--" and long options ("--limit") keep their meaning, and after "--" nothing
    changes. The options (with their values) go before the words, so words may stand on both sides of an option
    (`kb search våld --limit 5 -barn`), which argparse would otherwise refuse as unknown arguments."""
    out = list(argv)
    command, global_values = 0, _value_options(parser)
    while command < len(out) and out[command].startswith("-"):  # the global options, and the values of those taking one
        command += 2 if _takes_value(out[command], global_values) else 1
    if command >= len(out) or out[command] != "search":
        return out
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    search_values = _value_options(commands.choices["search"])
    options: list[str] = []
    words: list[str] = []
    i = command + 1
    while i < len(out) and out[i] != "--":
        arg = out[i]
        if arg.startswith("--") or arg == "-h":
            options.append(arg)
            if _takes_value(arg, search_values):
                if i + 1 == len(out) or out[i + 1] == "--":  # no value: argparse says so ("--limit: ett värde krävs")
                    return [*out[: command + 1], *words, *options, *out[i + 1:]]
                i += 1
                options.append(_as_word(out[i]))
        else:
            words.append(_as_word(arg))
        i += 1
    return [*out[: command + 1], *options, *words, *out[i:]]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this directly)."""
    parser = build_parser()
    args = parser.parse_args(exclusions_as_words(sys.argv[1:] if argv is None else argv, parser))
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
