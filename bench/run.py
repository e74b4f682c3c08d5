"""`make bench` / `make bench-quick`: build, search-CPU, HTTP and memory figures at 10k and 100k documents.

Usage: python -m bench.run [--quick] [--sizes 10000,100000] [--http-seconds 10] [--workers 2]
Prints a Markdown table and writes bench/results/<size>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
log = logging.getLogger("bench")


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def prepare(n: int, data_dir: Path) -> dict[str, Any]:
    """Store with n corpus documents, a full build, then a 1 % incremental update."""
    from bench.corpus import load_store, touch_share
    from index.build import build_and_publish
    from index.publish import current_generation
    from kb.settings import load_settings
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    # lexical build throughput; document vectors are timed by bench/semantic.py (embedding 100k texts takes hours)
    settings = load_settings(data_dir=data_dir, sources=data_dir / "none.yaml", index_procs=int(os.environ.get("KB_BENCH_PROCS", "2")),
                             semantic=False)
    out: dict[str, Any] = {"docs": n}
    with Store(settings.store_path) as store:
        t = time.perf_counter()
        if store.count_documents() < n:
            load_store(store, n)
        out["load_seconds"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        result = build_and_publish(settings, store, [], load_taxonomy(), full=True)
        out["build_seconds"] = round(time.perf_counter() - t, 1)
        out["build_docs_per_s"] = round(n / out["build_seconds"], 1)
        gen = current_generation(settings.index_root)
        assert gen is not None
        out["index_bytes"] = _du(gen)
        changed = touch_share(store, 0.01)
        t = time.perf_counter()
        inc = build_and_publish(settings, store, [], load_taxonomy(), full=False)
        out["incremental_docs"] = changed
        out["incremental_seconds"] = round(time.perf_counter() - t, 1)
        out["incremental_mode"] = getattr(inc, "mode", "?")
        log.info("build: %s; incremental: %s", result, inc)
    return out


def cpu_per_request(app: Any, paths: list[str], rounds: int) -> dict[str, float]:
    """Median/p95 process CPU ms per request, each path once per round (first round is warm-up)."""
    from bench.asgi import AsgiDriver

    driver = AsgiDriver(app)
    samples: list[float] = []
    try:
        for r in range(rounds + 1):
            for path in paths:
                t = time.process_time()
                status, _body = driver.get(path)
                elapsed = (time.process_time() - t) * 1000
                if status != 200:
                    raise RuntimeError(f"{path} -> {status}")
                if r:
                    samples.append(elapsed)
    finally:
        driver.close()
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(_pct(samples, 95), 2),
            "mean_ms": round(statistics.fmean(samples), 2), "n": len(samples)}


def search_cpu(data_dir: Path, rounds: int) -> dict[str, Any]:
    from bench.naive import create_naive_app
    from bench.queries import paths
    from index.publish import current_generation
    from index.service import open_backend
    from kb.settings import load_settings
    from web.app import create_app

    out: dict[str, Any] = {}
    uncached = load_settings(data_dir=data_dir, sources=data_dir / "none.yaml", cache_size=0)
    cached = load_settings(data_dir=data_dir, sources=data_dir / "none.yaml")
    out["html_uncached"] = cpu_per_request(create_app(uncached, open_backend), paths("/sok"), rounds)
    out["json_uncached"] = cpu_per_request(create_app(uncached, open_backend), paths("/api/v1/search"), rounds)
    out["html_cached"] = cpu_per_request(create_app(cached, open_backend), paths("/sok"), rounds)
    gen = current_generation(cached.index_root)
    assert gen is not None
    # The naive page knows no filters, paging or sorting: compare both on the same plain queries.
    plain = [p for p in paths("/sok") if not any(k in p for k in ("delomrade=", "page=", "sort=", "year=", "organisation=", "format="))]
    out["naive_html"] = cpu_per_request(create_naive_app(gen), plain, max(1, rounds // 2))
    out["kb_html_same_queries"] = cpu_per_request(create_app(uncached, open_backend), plain, max(1, rounds // 2))
    for stat in ("median", "mean"):
        out[f"ratio_naive_vs_kb_{stat}"] = round(out["naive_html"][f"{stat}_ms"] / max(out["kb_html_same_queries"][f"{stat}_ms"], 1e-6), 1)
    # Cold first query: a fresh process, timed from app creation to the first response.
    code = (
        "import time,sys; t0=time.perf_counter(); c0=time.process_time();"
        "from kb.settings import load_settings; from web.app import create_app; from bench.asgi import AsgiDriver;"
        "from index.service import open_backend;"
        f"from pathlib import Path; app=create_app(load_settings(data_dir=Path({str(data_dir)!r}), sources=Path({str(data_dir / 'none.yaml')!r})),"
        " open_backend); d=AsgiDriver(app);"
        "t1=time.perf_counter(); s,b=d.get('/sok?q=v%C3%A5ld+i+n%C3%A4ra+relationer'); t2=time.perf_counter();"
        "print(round((t2-t1)*1000,1), round((t2-t0)*1000,1), s)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    first, total, status = res.stdout.split()[-3:]
    out["cold_first_query_ms"] = float(first)
    out["cold_start_to_first_response_ms"] = float(total)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listeners(port: int) -> int:
    """Listening IPv4 sockets on ``port`` (each web worker binds its own with SO_REUSEPORT)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            count += 1
    return count


def _rss_peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


WRK_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, \\"p95_us\\": %%d, \\"p99_us\\": %%d, \\"errors\\": %%d, \\"non2xx\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def http_load(data_dir: Path, seconds: int, workers: int, concurrencies: list[int], cache_size: int | None = None) -> dict[str, Any]:
    """wrk against uvicorn workers on loopback; bounded in time; peak RSS of each worker."""
    from bench.queries import paths

    if not shutil.which("wrk"):
        return {"skipped": "wrk not installed (apt-get install wrk)"}
    port = _free_port()
    env = dict(os.environ, KB_DATA_DIR=str(data_dir), KB_SOURCES=str(data_dir / "none.yaml"), KB_BASE_URL=f"http://127.0.0.1:{port}")
    if cache_size is not None:
        env["KB_CACHE_SIZE"] = str(cache_size)
    server = subprocess.Popen(
        [sys.executable, "-m", "web.serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    out: dict[str, Any] = {"workers": workers}
    try:
        deadline = time.time() + 120
        while time.time() < deadline and _listeners(port) < workers:  # every worker has loaded its app
            time.sleep(0.2)
        lua = Path(tempfile.mkstemp(suffix=".lua")[1])
        lua.write_text(WRK_LUA % ", ".join(json.dumps(p) for p in paths("/sok")))
        # Warm every worker (first searcher open, caches).
        subprocess.run(["wrk", "-t1", "-c4", "-d3s", "-s", str(lua), f"http://127.0.0.1:{port}"], capture_output=True, timeout=60)
        for c in concurrencies:
            res = subprocess.run(
                ["wrk", f"-t{min(c, 2)}", f"-c{c}", f"-d{seconds}s", "--timeout", "10s", "-s", str(lua), f"http://127.0.0.1:{port}"],
                capture_output=True, text=True, timeout=seconds + 60,
            )
            line = next((ln for ln in res.stdout.splitlines() if ln.startswith("JSON ")), None)
            if line is None:
                out[f"c{c}"] = {"error": res.stdout[-500:] + res.stderr[-500:]}
                continue
            d = json.loads(line[5:])
            out[f"c{c}"] = {
                "rps": round(d["requests"] / (d["duration_us"] / 1e6), 1),
                "p50_ms": round(d["p50_us"] / 1000, 1), "p95_ms": round(d["p95_us"] / 1000, 1), "p99_ms": round(d["p99_us"] / 1000, 1),
                "errors": d["errors"], "non2xx": d["non2xx"],
            }
        kids = _children(server.pid)
        out["peak_rss_mib_per_worker"] = [round(_rss_peak_kib(p) / 1024, 1) for p in kids] or [round(_rss_peak_kib(server.pid) / 1024, 1)]
        lua.unlink()
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    return out


def run_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = RESULTS / f"data-{n}"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "none.yaml").write_text("sources: []\n")
    print(f"== {n} documents", flush=True)
    res: dict[str, Any] = {"machine": f"{os.cpu_count()} cores, {_mem_gib()} GiB, Python {sys.version.split()[0]}"}
    previous = RESULTS / f"{n}.json"
    if args.search_only and previous.exists():
        res["build"] = json.loads(previous.read_text())["build"]  # reuse the index and its build figures
    else:
        res["build"] = prepare(n, data_dir)
    print(json.dumps(res["build"], ensure_ascii=False), flush=True)
    res["search"] = search_cpu(data_dir, args.rounds)
    print(json.dumps(res["search"], ensure_ascii=False), flush=True)
    if not args.no_http:
        res["http"] = http_load(data_dir, args.http_seconds, args.workers, [1, 10, 20, 50])
        print(json.dumps(res["http"], ensure_ascii=False), flush=True)
        res["http_uncached"] = http_load(data_dir, args.http_seconds, args.workers, [20], cache_size=0)
        print(json.dumps(res["http_uncached"], ensure_ascii=False), flush=True)
    (RESULTS / f"{n}.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    return res


def _mem_gib() -> int:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return round(kib / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        return 0


def table(results: dict[int, dict[str, Any]]) -> str:
    rows = ["| figure | " + " | ".join(f"{n:,} docs" for n in results) + " |", "|---|" + "---|" * len(results)]

    def row(label: str, fn: Any) -> None:
        cells = []
        for r in results.values():
            try:
                cells.append(str(fn(r)))
            except (KeyError, TypeError, IndexError):
                cells.append("–")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("full build (s)", lambda r: r["build"]["build_seconds"])
    row("build docs/s", lambda r: r["build"]["build_docs_per_s"])
    row("incremental 1 % (s)", lambda r: r["build"]["incremental_seconds"])
    row("index size (MiB)", lambda r: round(r["build"]["index_bytes"] / 2**20, 1))
    row("HTML search CPU median / p95 (ms), uncached", lambda r: f'{r["search"]["html_uncached"]["median_ms"]} / {r["search"]["html_uncached"]["p95_ms"]}')
    row("JSON API CPU median / p95 (ms), uncached", lambda r: f'{r["search"]["json_uncached"]["median_ms"]} / {r["search"]["json_uncached"]["p95_ms"]}')
    row("HTML search CPU median (ms), cached", lambda r: r["search"]["html_cached"]["median_ms"])
    row("naive HTML CPU median / mean (ms), same plain queries", lambda r: f'{r["search"]["naive_html"]["median_ms"]} / {r["search"]["naive_html"]["mean_ms"]}')
    row("kb HTML CPU median / mean (ms), same plain queries", lambda r: f'{r["search"]["kb_html_same_queries"]["median_ms"]} / {r["search"]["kb_html_same_queries"]["mean_ms"]}')
    row("naive ÷ kb, median / mean", lambda r: f'{r["search"]["ratio_naive_vs_kb_median"]}× / {r["search"]["ratio_naive_vs_kb_mean"]}×')
    row("cold first query (ms)", lambda r: r["search"]["cold_first_query_ms"])
    for c in (1, 10, 20, 50):
        row(f"HTTP c={c}: req/s, p50/p95/p99 ms", lambda r, c=c: f'{r["http"][f"c{c}"]["rps"]}, {r["http"][f"c{c}"]["p50_ms"]}/{r["http"][f"c{c}"]["p95_ms"]}/{r["http"][f"c{c}"]["p99_ms"]}')
    row("HTTP c=20 uncached: req/s, p50/p95/p99 ms", lambda r: f'{r["http_uncached"]["c20"]["rps"]}, {r["http_uncached"]["c20"]["p50_ms"]}/{r["http_uncached"]["c20"]["p95_ms"]}/{r["http_uncached"]["c20"]["p99_ms"]}')
    row("peak RSS per worker (MiB)", lambda r: max(r["http"]["peak_rss_mib_per_worker"] + r.get("http_uncached", {}).get("peak_rss_mib_per_worker", [])))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k documents, shorter load phases")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query mix for CPU figures")
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--search-only", action="store_true", help="reuse the built index and its build figures")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sizes = [10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.http_seconds = min(args.http_seconds, 5)
        args.rounds = min(args.rounds, 3)
    results = {n: run_size(n, args) for n in sizes}
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
