"""Compare main-content extractors on saved pages: key sentences kept, furniture leaked, ms/page.

Run:  .venv/bin/python -m crawler.extract.measure            (demo pages and fixtures)
      .venv/bin/python -m crawler.extract.measure --bench    (public benchmarks + Swedish set; see bench.py)
Pages: every HTML page in demo/manifest.json with a key sentence, plus the saved fixture pages in
tests/crawler/fixtures/extract/cases.json. Figures go into crawler/extract/MEASUREMENTS.md by hand.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"
FIXTURES = ROOT / "tests" / "crawler" / "fixtures" / "extract"
PLACEHOLDER_BASE = "http://127.0.0.1:1"


@dataclass
class Case:
    """One saved page: its bytes, URL, a sentence that must survive and strings that must not."""

    name: str
    body: bytes
    url: str
    key_sentences: list[str]
    furniture: list[str]


def fill_placeholders(body: bytes) -> bytes:
    """Replace the demo's ``{{site:ID}}`` placeholders with a local base URL."""
    import re

    return re.sub(rb"\{\{site:[a-z0-9-]+\}\}", PLACEHOLDER_BASE.encode(), body)


def demo_cases(indexable_only: bool = True) -> list[Case]:
    """HTML pages of the demo sites that carry a key sentence."""
    manifest = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
    furniture = json.loads((DEMO / "furniture.json").read_text(encoding="utf-8"))
    cases = []
    for page in manifest:
        if page.get("kind") == "document" or not page.get("key_sentence"):
            continue
        if indexable_only and not page.get("indexable"):
            continue
        rel = page["path"].lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        body = fill_placeholders((DEMO / "sites" / page["site"] / rel).read_bytes())
        cases.append(Case(f"{page['site']}{page['path']}", body, PLACEHOLDER_BASE + page["path"],
                          [page["key_sentence"]], furniture.get(page["site"], [])))
    return cases


def fixture_cases() -> list[Case]:
    """Saved pages modelled on Swedish agency templates (tests/crawler/fixtures/extract)."""
    spec = FIXTURES / "cases.json"
    if not spec.exists():
        return []
    cases = []
    for item in json.loads(spec.read_text(encoding="utf-8")):
        cases.append(Case(item["file"], (FIXTURES / item["file"]).read_bytes(), item["url"],
                          item["key_sentences"], item["furniture"]))
    return cases


def norm(s: str) -> str:
    """Whitespace-normalised text, so a menu leaked as separate lines still matches its furniture string."""
    return " ".join(s.split())


def run_rules(case: Case) -> str:
    from crawler.extract.html import extract_html

    return extract_html(case.body, case.url, "text/html").text


def run_trafilatura(case: Case) -> str:
    import trafilatura

    return trafilatura.extract(case.body, url=case.url, include_comments=False, include_tables=True) or ""


def run_trafilatura_precision(case: Case) -> str:
    import trafilatura

    return trafilatura.extract(case.body, url=case.url, include_comments=False, include_tables=True,
                               favor_precision=True) or ""


def run_readability(case: Case) -> str:
    import lxml.html
    from readability import Document

    from crawler.extract.html import decode_html

    summary = Document(decode_html(case.body)).summary(html_partial=True)
    if not summary.strip():
        return ""
    return str(lxml.html.fromstring(summary).text_content())  # type: ignore[attr-defined]


EXTRACTORS: dict[str, Callable[[Case], str]] = {
    "rules (crawler.extract.html)": run_rules,
    "trafilatura 2.3 (default)": run_trafilatura,
    "trafilatura 2.3 (favor_precision)": run_trafilatura_precision,
    "readability-lxml 0.9": run_readability,
}


def measure(cases: list[Case], rounds: int = 3) -> list[dict[str, Any]]:
    """Score each extractor on ``cases``; returns one row per extractor."""
    rows = []
    for name, fn in EXTRACTORS.items():
        kept = leaked = 0
        leaks: dict[str, int] = {}
        missing: list[str] = []
        for case in cases:
            fn(case)  # warm-up
        t0 = time.perf_counter()
        for _ in range(rounds):
            for case in cases:
                fn(case)
        ms = (time.perf_counter() - t0) * 1000 / (rounds * len(cases))
        for case in cases:
            text = norm(fn(case))
            for s in case.key_sentences:
                if norm(s) in text:
                    kept += 1
                else:
                    missing.append(case.name)
            for f in case.furniture:
                if norm(f) in text:
                    leaked += 1
                    leaks[f[:40]] = leaks.get(f[:40], 0) + 1
        total_keys = sum(len(c.key_sentences) for c in cases)
        total_furn = sum(len(c.furniture) for c in cases)
        rows.append({"extractor": name, "kept": kept, "keys": total_keys, "leaked": leaked,
                     "furniture": total_furn, "ms": ms, "leaks": leaks, "missing": missing})
    return rows


def bench_main(argv: list[str]) -> int:
    """``--bench``: the three-set comparison table (crawler.extract.bench)."""
    import argparse

    from crawler.extract import bench

    ap = argparse.ArgumentParser(prog="python -m crawler.extract.measure --bench")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--extractors", default=",".join(bench.EXTRACTORS), help="comma-separated: kb,readability-lxml,trafilatura")
    ap.add_argument("--sets", default="scrapinghub,trafilatura,swedish")
    ap.add_argument("--limit", type=int, default=None, help="pages per public set (quick runs)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the pages each extractor gets wrong")
    args = ap.parse_args(argv)
    sets = tuple(args.sets.split(","))
    rows = []
    for name in args.extractors.split(","):
        rows.append(bench.score(name, bench.EXTRACTORS[name], sets, args.limit, args.verbose))
        sys.stderr.write(f"{name}: done\n")
    sys.stdout.write(bench.table(rows))
    for r in rows:
        for note in r.notes:
            sys.stdout.write(f"{r.name}: {note}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    argv = sys.argv[1:] if argv is None else argv
    if "--bench" in argv:
        return bench_main(argv)
    for label, cases in (("demo pages", demo_cases()), ("fixture pages", fixture_cases())):
        if not cases:
            continue
        sys.stdout.write(f"\n## {label}: {len(cases)} pages\n\n")
        sys.stdout.write("| extractor | key sentences kept | furniture strings leaked | ms/page |\n|---|---|---|---|\n")
        rows = measure(cases)
        for r in rows:
            sys.stdout.write(f"| {r['extractor']} | {r['kept']}/{r['keys']} | {r['leaked']}/{r['furniture']} "
                             f"| {r['ms']:.1f} |\n")
        for r in rows:
            sys.stdout.write(f"\n{r['extractor']}: leaks {r['leaks']} missing {r['missing'][:8]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
