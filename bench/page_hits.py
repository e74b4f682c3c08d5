"""What page boundaries cost: extraction time, store bytes, index size, build and search time, with and without them.

Run: .venv/bin/python -m bench.page_hits [DEMO_DATA_DIR] [--copies N]
Two corpora: the demo store (``kb eval``'s data dir, crawled with page starts; default data/eval) and a synthetic
store of N copies (default 20) of a 120-page PDF (tests/_paged.py). Each is indexed twice — as stored, and with
``page_starts`` emptied — so the difference is what page hits cost. Prints a Markdown table.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _median_seconds(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def extraction(runs: int = 7) -> dict[str, float]:
    """Median extraction time of the 120-page PDF, and of joining its pages with and without recording starts."""
    from crawler.extract.model import join_pages
    from crawler.extract.pdf import extract_pdf
    from tests._paged import long_pdf

    body = long_pdf(120, {37: "Packa en flyttkartong med viktiga papper."})
    extracted = extract_pdf(body)
    pages = [extracted.text[a:b].strip() for a, b in zip(extracted.page_starts, [*extracted.page_starts[1:], len(extracted.text)], strict=True)]
    return {
        "pdf_bytes": len(body),
        "text_chars": len(extracted.text),
        "extract_s": _median_seconds(lambda: extract_pdf(body), runs),
        "join_with_starts_us": _median_seconds(lambda: join_pages(pages), 200) * 1e6,
        "join_plain_us": _median_seconds(lambda: "\n\n".join(p for p in pages if p), 200) * 1e6,
    }


def snippet_cost(runs: int = 300) -> dict[str, float]:
    """Median time of one hit's snippet on the 120-page PDF: plain, and with the title skipped and the page found."""
    from crawler.extract.pdf import extract_pdf
    from index.highlight import page_of, passage, snippet, term_pattern, title_end
    from tests._paged import long_pdf

    e = extract_pdf(long_pdf(120, {37: "Packa en flyttkartong med viktiga papper."}))
    pattern = term_pattern(["flyttkartong", "papper"])

    def paged() -> None:
        page_of(e.page_starts, passage(e.text, pattern, skip=title_end(e.text, e.title), pages=e.page_starts)[1])

    return {"plain_us": _median_seconds(lambda: snippet(e.text, pattern), runs) * 1e6,
            "paged_us": _median_seconds(paged, runs) * 1e6}


def synthetic_store(path: Path, copies: int) -> None:
    from crawler.extract.pdf import extract_pdf
    from kb.models import Document
    from kb.store import Store
    from tests._paged import long_pdf

    with Store(path) as store:
        for i in range(copies):
            e = extract_pdf(long_pdf(120, {37 + i: f"Packa en flyttkartong nummer {i} med viktiga papper."}))
            store.put_document(Document(url=f"https://myndighet.example/handbok-{i}.pdf", source="myndighet",
                                        organisation="Myndigheten", title=e.title, text=e.text, format="pdf",
                                        page_count=e.page_count, page_starts=e.page_starts))


def store_figures(path: Path) -> dict[str, float]:
    with sqlite3.connect(path) as db:
        docs, paged, text, starts = db.execute(
            "SELECT COUNT(*), SUM(page_starts != '[]'), SUM(LENGTH(CAST(text AS BLOB))), "
            "SUM(CASE WHEN page_starts = '[]' THEN 0 ELSE LENGTH(page_starts) END) FROM documents").fetchone()
    db.close()
    return {"docs": docs, "paged_docs": paged or 0, "text_bytes": text or 0, "page_starts_bytes": starts or 0}


def index_figures(store_path: Path, work: Path, query: str) -> dict[str, float]:
    """Full build time and size, and the median search time of ``query``, for the store as it is."""
    from index.build import build_and_publish
    from index.search import SearchRequest, SearchService
    from kb.settings import load_settings
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    shutil.copyfile(store_path, data / "kb.sqlite3")
    settings = load_settings(env={}, data_dir=data, sources=work / "none.yaml", semantic=False)  # vectors: bench/semantic.py
    taxonomy = load_taxonomy()
    with Store(settings.store_path) as store:
        result = build_and_publish(settings, store, [], taxonomy, full=True)
    service = SearchService(settings, taxonomy)
    try:
        request = SearchRequest(q=query, per_page=10)
        service.search(request)
        hits = service.search(request).results
        search_ms = _median_seconds(lambda: service.search(SearchRequest(q=query, per_page=10, page=1)), 30) * 1000
    finally:
        service.close()
    return {"build_s": result.seconds, "index_bytes": result.size_bytes, "search_ms": search_ms,
            "pages_shown": sum(1 for h in hits if h.page is not None)}


def without_page_starts(store_path: Path, out: Path) -> Path:
    shutil.copyfile(store_path, out)
    with sqlite3.connect(out) as db:
        db.execute("UPDATE documents SET page_starts = '[]'")
    db.close()
    return out


def compare(name: str, store_path: Path, work: Path, query: str) -> list[str]:
    plain = without_page_starts(store_path, work / "plain.sqlite3")
    s = store_figures(store_path)
    # builds and searches alternate, three rounds, medians: the machine is shared and its timings drift
    rounds = [(index_figures(plain, work / "without", query), index_figures(store_path, work / "with", query)) for _ in range(3)]
    without = {k: statistics.median(r[0][k] for r in rounds) for k in rounds[0][0]}
    with_pages = {k: statistics.median(r[1][k] for r in rounds) for k in rounds[0][1]}
    return [
        f"| {name} | {s['docs']} ({s['paged_docs']} paged) | {s['page_starts_bytes']:,} B of {s['text_bytes']:,} B text "
        f"({100 * s['page_starts_bytes'] / max(1, s['text_bytes']):.2f} %) | "
        f"{without['index_bytes']:,} → {with_pages['index_bytes']:,} B "
        f"(+{100 * (with_pages['index_bytes'] - without['index_bytes']) / max(1, without['index_bytes']):.2f} %) | "
        f"{without['build_s']:.2f} → {with_pages['build_s']:.2f} s | "
        f"{without['search_ms']:.1f} → {with_pages['search_ms']:.1f} ms ({with_pages['pages_shown']:.0f} hits with a page) |"
    ]


def main(argv: list[str]) -> int:
    copies = int(argv[argv.index("--copies") + 1]) if "--copies" in argv else 20
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] != "--copies")]
    demo_store = Path(args[0] if args else ROOT / "data" / "eval") / "kb.sqlite3"
    e = extraction()
    print(f"120-page PDF: {e['pdf_bytes']:,} bytes, {e['text_chars']:,} characters of text; extraction "
          f"{e['extract_s'] * 1000:.0f} ms (median of 7); joining its pages {e['join_plain_us']:.0f} µs plain, "
          f"{e['join_with_starts_us']:.0f} µs with page starts")
    c = snippet_cost()
    print(f"One hit's snippet on it: {c['plain_us']:.0f} µs as for a web page, {c['paged_us']:.0f} µs with the cover "
          "title skipped and the page found (median of 300)")
    print()
    print("| Corpus | Documents | page_starts in the store | Index size without → with | Full build (median of 3) | Search (median of 3 × 30) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="kb-pages-") as tmp:
        work = Path(tmp)
        if demo_store.exists():
            print("\n".join(compare("demo", demo_store, work, "våld i nära relationer")))
        synthetic = work / "synthetic.sqlite3"
        synthetic_store(synthetic, copies)
        print("\n".join(compare(f"{copies} × 120-page PDF", synthetic, work, "flyttkartong")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
