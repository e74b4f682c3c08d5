"""Save README screenshots (start, results, sub-area) at desktop and mobile widths with headless Chromium.

Usage (after ``kb demo --no-serve --data-dir data/demo`` has built an index)::

    python -m web.screenshots --data-dir data/demo --out docs/screenshots
    python -m web.screenshots --base-url http://127.0.0.1:8000   # a server that is already running
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}
PAGES = {
    "start": "/",
    "results": "/sok?q=v%C3%A5ld&format=html",
    "delomrade": "/delomrade/vald-i-nara-relationer",
}


def take(base_url: str, out: Path, executable: str = CHROMIUM) -> list[Path]:
    """Screenshot every page in PAGES at every width in WIDTHS; returns the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            for label, (width, height) in WIDTHS.items():
                context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                              device_scale_factor=1, locale="sv-SE")
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{name}-{label}.png"
                    page.screenshot(path=str(target), full_page=False)
                    written.append(target)
                    log.info("wrote %s", target)
                context.close()
        finally:
            browser.close()
    return written


def _serve(data_dir: Path, port: int) -> tuple[object, threading.Thread]:
    import uvicorn

    from kb.settings import load_settings
    from web.app import create_app

    sources = data_dir / "demo-sources.yaml"
    settings = load_settings(data_dir=data_dir, sources=sources if sources.exists() else None,
                             base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           server_header=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    return server, thread


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save screenshots of the web UI into docs/screenshots.")
    parser.add_argument("--base-url", help="a running server; otherwise one is started over --data-dir")
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"), help="data directory with a published index")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    server = thread = None
    base_url = args.base_url
    if not base_url:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server, thread = _serve(args.data_dir, port)
        base_url = f"http://127.0.0.1:{port}"
    try:
        take(base_url.rstrip("/"), args.out, args.chromium)
    finally:
        if server is not None and thread is not None:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
