"""SearchService alone (no web layer): timed searches per query and filter set, and autocomplete latency.

Run: .venv/bin/python -m bench.search_service [DATA_DIR] [N] [--no-build]
(DATA_DIR defaults to bench/results/data-10000, which `make bench-quick` builds; the corpus is read
in place from ../shared/corpora, never copied.)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent / "results" / "data-10000"
QUERIES = [
    "våld", "kvinnofrid", "hur anmäler man våld i nära relation", "hedersrelaterat våld och förtryck",
    "VINR", "tvångsgifte", "sexköp", "könstympning", "prostitusion", "barnaktenskap", "valdsutovare",
    '"mäns våld mot kvinnor"', "socialtjänsten stöd barn -skola", "jämställdhet", "budget",
    "människohandel för sexuella ändamål", "regeringen beslutar", "polisen", "skyddat boende", "",
]
FILTERS = [{}, {"format": ["html"]}, {"year": ["2020", "2021"]}, {"delomrade": ["vald-i-nara-relationer"]}]


def load(root: Path, n: int) -> None:
    from bench.corpus import load_store
    from index.build import build_and_publish
    from kb.settings import load_settings
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    settings = load_settings(env={}, data_dir=root, semantic=False)  # vectors: bench/semantic.py
    with Store(settings.store_path) as store:
        if store.count_documents() < n:
            load_store(store, n)
        started = time.perf_counter()
        result = build_and_publish(settings, store, [], load_taxonomy(), full=True)
    sys.stdout.write(f"built {result} in {time.perf_counter() - started:.1f} s\n")


def _line(label: str, times: list[float], cpu: list[float]) -> str:
    times, cpu = sorted(times), sorted(cpu)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    cpu95 = cpu[max(0, int(len(cpu) * 0.95) - 1)]
    return (f"{label}: n={len(times)} wall median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
            f"max {times[-1]:.1f} ms; CPU median {statistics.median(cpu):.1f} ms, p95 {cpu95:.1f} ms, max {cpu[-1]:.1f} ms\n")


SUGGEST_PREFIXES = ["hed", "heders", "hedersrelaterat v", "skydd", "skyddat b", "vål", "våld i n", "kvinnof", "bar", "barnah",
                    "sexk", "män", "jäm", "vinr", "prostitu", "ekonomiskt", "socialtj", "tv", "stödl", "mäns våld mot k"]


def run(root: Path) -> None:
    from index.service import SearchService
    from kb.searchmodel import SearchRequest
    from kb.settings import load_settings

    requests = [SearchRequest(q=q, filters=f) for f in FILTERS for q in QUERIES]
    started, c0 = time.perf_counter(), time.process_time()
    svc = SearchService(load_settings(env={}, data_dir=root))  # the service keeps no response cache
    sys.stdout.write(f"open: {(time.perf_counter() - started) * 1000:.0f} ms wall, "
                     f"{(time.process_time() - c0) * 1000:.0f} ms CPU, {svc.doc_count} docs\n")
    per_query: dict[str, list[float]] = {}
    for rnd in range(3):
        times: list[float] = []
        cpu: list[float] = []
        for req in requests:
            t0, c0 = time.perf_counter(), time.process_time()
            svc.search(req)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            if rnd:
                per_query.setdefault(req.q or "(tom)", []).append(cpu[-1])
        first = "first pass after open" if rnd == 0 else f"pass {rnd + 1}"
        sys.stdout.write(_line(f"search, {first}", times, cpu))
    sys.stdout.write("  CPU median per query (passes 2-3, all filter sets):\n")
    for q, ts in sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1])):
        sys.stdout.write(f"   {statistics.median(ts):7.1f} ms  max {max(ts):6.1f}  {q}\n")
    for label in ("suggest, first call per prefix", "suggest, repeated (per-generation cache)"):
        times, cpu = [], []
        for prefix in SUGGEST_PREFIXES:
            t0, c0 = time.perf_counter(), time.process_time()
            svc.suggest(prefix)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        sys.stdout.write(_line(label, times, cpu))
    sys.stdout.write("  " + "; ".join(f"{p!r}: {', '.join(svc.suggest(p, 4))}" for p in SUGGEST_PREFIXES[:6]) + "\n")
    svc.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(args[0]) if args else DEFAULT_DATA
    n = int(args[1]) if len(args) > 1 else 10_000
    if "--no-build" not in sys.argv:
        load(root, n)
    run(root)
