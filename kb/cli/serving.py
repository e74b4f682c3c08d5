"""Commands that serve the web app: serve and demo."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from kb.cli._common import EXIT_OK, EXIT_PARTIAL, _out
from kb.cli.crawling import cmd_update
from kb.errors import ConfigError
from kb.settings import Settings


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
    from index.service import open_backend  # the index's SearchBackend factory, handed to every web worker
    from web.serve import serve

    serve(serve_settings(settings, args.host, args.port), open_backend, args.host, args.port, args.workers)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from demo.prepare import prepare_data_dir, start_sites
    from index.service import open_backend
    from web.serve import serve

    data_dir = settings.data_dir if args.data_dir_given else Path("data/demo")
    sites = start_sites(args.sites_port)
    try:
        # same addresses as the last run: an ordinary update; new ones: the demo store starts afresh
        demo, afresh = prepare_data_dir(settings.replace(data_dir=data_dir, base_url=local_base_url(args.host, args.port)), sites)
        if not args.quiet:
            _out("Demosajter: " + ", ".join(f"{k} {v}" for k, v in sites.urls.items()))
            if afresh:
                _out(f"Demosajterna har nya adresser sedan förra körningen: lagret och indexet i {data_dir} byggs om från början.")
        ns = argparse.Namespace(source=None, quiet=args.quiet, full=afresh)  # a rerun indexes only what changed
        started = time.monotonic()
        code = cmd_update(ns, demo)  # the same recorded crawl + index runs as the nightly update
        if code not in (EXIT_OK, EXIT_PARTIAL):
            return code
        if not args.quiet:
            _out(f"Klart på {time.monotonic() - started:.1f} s")
        if args.no_serve:
            return code
        _out(f"Sök på {demo.base_url}/  (Ctrl-C avslutar)")
        serve(demo, open_backend, args.host, args.port)
    finally:
        sites.stop()
    return EXIT_OK
