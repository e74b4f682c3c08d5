"""Wall-clock time of hostile query input (huge, nested, control characters …) through the web app, per endpoint.

Usage: python -m bench.hostile_input --data-dir data/demo   (a data directory with a published index)
Prints the slowest inputs per endpoint; tests/web asserts the behaviour (no error status) on the same inputs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import quote

HOSTILE_QUERIES = [
    "*a*", "??*", "content:[a TO ö]", "title:{a TO z}", "våld~5", "/regex.*/", "a^1000",
    " OR ".join(f"ord{i}" for i in range(2000)),
    " ".join(["ord"] * 10_000), " ".join(f"o{i % 100}" for i in range(10_000)),
    "(" * 5000, ")" * 5000, "NOT " * 500, '"unterminated', "(unterminated", '"(("', "\x00", "a\x00b", "våld\x00<script>",
    "\U0010ffff", "\u202e\u200b", "%ff%fe", "&&||!!", "-" * 300, "a" * 5000,
]
ENDPOINTS = ("/sok", "/api/v1/search", "/sok.atom", "/api/v1/suggest")


def measure(data_dir: Path, rounds: int = 3) -> dict[str, list[tuple[float, str, int]]]:
    """Per endpoint: (best-of-rounds ms, input preview, status) for every hostile input, slowest first."""
    from bench.asgi import AsgiDriver
    from index.service import open_backend
    from kb.settings import load_settings
    from web.app import create_app

    settings = load_settings(data_dir=data_dir, sources=data_dir / "none.yaml", cache_size=0)
    driver = AsgiDriver(create_app(settings, open_backend))
    out: dict[str, list[tuple[float, str, int]]] = {}
    try:
        for endpoint in ENDPOINTS:
            rows = []
            for q in HOSTILE_QUERIES:
                best, status = float("inf"), 0
                for _ in range(rounds):
                    started = time.perf_counter()
                    status, _body = driver.get(f"{endpoint}?q={quote(q)}")
                    best = min(best, (time.perf_counter() - started) * 1000)
                rows.append((round(best, 1), repr(q[:30]), status))
            out[endpoint] = sorted(rows, reverse=True)
    finally:
        driver.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    for endpoint, rows in measure(args.data_dir, args.rounds).items():
        sys.stdout.write(f"{endpoint}: slowest {rows[0][0]} ms ({rows[0][1]}, {rows[0][2]}); median {rows[len(rows) // 2][0]} ms\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
