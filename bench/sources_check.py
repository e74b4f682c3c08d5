"""Time `kb check`'s validation of a generated sources.yaml with thousands of sources (a benchmark, not a test).

Usage: python -m bench.sources_check [--sources 5000] [--megabytes 0] [--cli] [--regex-sizes 16,20,24]

Prints the file size, the number of sources and the wall time of kb.sources.load_sources (and, with
--cli, of a `kb check` subprocess). With --megabytes N the file is grown to at least N MB instead.
The regex figures compare Python's `re` with RE2 on the catastrophic rule `re:(a+)+$`.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import re2

from kb.sources import load_sources

ROOT = Path(__file__).resolve().parent.parent
DELOMRADEN = ("vald-i-nara-relationer", "hedersrelaterat-vald", "sexuellt-vald", "digitalt-vald")
MALGRUPPER = ("socialtjanst", "skola", "halso-och-sjukvard")
DOC_TYPES = ("rapport", "handbok", "vagledning")


def source_yaml(i: int) -> str:
    """One realistic source: a quarter share one host (like the county boards), the rest have their own."""
    if i % 4 == 0:
        base = f"https://www.lansstyrelsen.se/lan-{i}/"
        allow = f"      - {base}samhalle/\n      - {base}publikationer/\n"
    else:
        base = f"https://site-{i}.example.se/"
        allow = f"      - {base}\n"
    return (
        f"  - id: kalla-{i}\n"
        f"    name: Källa nummer {i} – mäns våld mot kvinnor\n"
        f"    organisation: Organisation {i % 300}\n"
        f"    start_urls:\n      - {base}samhalle/mans-vald-mot-kvinnor.html\n"
        f"    sitemaps: [{base}sitemap.xml]\n"
        f"    allow:\n{allow}"
        f"    deny:\n      - \"re:[?&](sv\\\\.|query=|sort=|page=)\"\n      - \"re:/(sok|search)(\\\\.html)?$\"\n      - {base}en/\n"
        f"    follow_only:\n      - {base}publikationer/\n"
        f"    delomraden: [{DELOMRADEN[i % len(DELOMRADEN)]}]\n"
        f"    malgrupp: [{MALGRUPPER[i % len(MALGRUPPER)]}]\n"
        f"    doc_type: {DOC_TYPES[i % len(DOC_TYPES)]}\n"
        f"    content_selector: 'main#innehall'\n"
        f"    max_pages: 800\n"
        f"    delay: 2\n\n"
    )


def generate(count: int, megabytes: float) -> str:
    parts = ["sources:\n"]
    size, i = 0, 0
    while i < count or size < megabytes * 1_000_000:
        part = source_yaml(i)
        parts.append(part)
        size += len(part.encode())
        i += 1
    return "".join(parts)


def time_load(path: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds of load_sources (CPU time is the steadier figure on a shared machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    sources, warnings = load_sources(path)
    return time.perf_counter() - started, time.process_time() - cpu, len(sources), len(warnings)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_cli(path: Path) -> tuple[float, float]:
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "kb.cli", "-q", "--sources", str(path), "check"], check=True, cwd=ROOT)
    return time.perf_counter() - started, _children_cpu() - cpu


def regex_figures(sizes: list[int]) -> list[tuple[int, float, float]]:
    """Seconds for one search of 'a'*n + '!' with `re` and with RE2 (what a crawled URL would cost)."""
    rows = []
    slow, fast = re.compile(r"(a+)+$"), re2.compile(r"(a+)+$")
    for n in sizes:
        text = "a" * n + "!"
        started = time.perf_counter()
        slow.search(text)
        middle = time.perf_counter()
        fast.search(text)
        rows.append((n, middle - started, time.perf_counter() - middle))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=5000)
    parser.add_argument("--megabytes", type=float, default=0.0)
    parser.add_argument("--cli", action="store_true", help="also time a `kb check` subprocess")
    parser.add_argument("--regex-sizes", default="16,20,22,24", help="input lengths for re vs RE2 on (a+)+$ (empty: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.yaml"
        path.write_text(generate(args.sources, args.megabytes), encoding="utf-8")
        wall, cpu, n, w = time_load(path)
        print(f"load_sources: {n} sources, {w} warnings, {path.stat().st_size / 1e6:.1f} MB: {wall:.2f} s wall, {cpu:.2f} s CPU")
        if args.cli:
            wall, cpu = time_cli(path)
            print(f"kb check (subprocess, interpreter start included): {wall:.2f} s wall, {cpu:.2f} s CPU")
    sizes = [int(s) for s in args.regex_sizes.split(",") if s]
    if sizes:
        print("| n | re (s) | RE2 (s) |\n|---|---|---|")
        for size, slow, fast in regex_figures(sizes):
            print(f"| {size} | {slow:.4f} | {fast:.6f} |")


if __name__ == "__main__":
    main()
