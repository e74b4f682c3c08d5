"""Save README screenshots (start, results, sub-area, sources) at desktop and mobile widths with headless Chromium.

Usage, against a running server (``kb demo``, or ``kb serve`` over a data directory with a published index)::

    python -m web.screenshots --base-url http://127.0.0.1:8000 --out docs/screenshots
"""

from __future__ import annotations

import argparse
import logging
import sys
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
    "kallor": "/kallor",
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save screenshots of the web UI into docs/screenshots.")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="a running kb web server")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    take(args.base_url.rstrip("/"), args.out, args.chromium)
    return 0


if __name__ == "__main__":
    sys.exit(main())
