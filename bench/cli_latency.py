"""Latency of one `kb search` on the command line (a fresh process each time), with where the time goes.

Run: .venv/bin/python -m bench.cli_latency [DATA_DIR] [N]
(DATA_DIR defaults to data/demo, which `kb demo --no-serve` fills; N runs per figure, default 7, medians shown.)

"warm" is the usual case: the analyzer's lexicon and the stemmed thesaurus are read from DATA_DIR/cache/
(index.wordcache, index.thesaurus); "cold" deletes those cache files before every run, which is what every search
cost before the caches (and what the first search after a new word list, thesaurus or analyzer costs now). The
breakdown runs the same steps in a child process.

Measured 2026-12-06 on the demo index (80 documents), "hedersrelaterat våld", the same tree with and without these
changes, runs interleaved, medians of 11 (7 for the breakdown), two cores shared with other work (load ~3):
  whole `kb search` process:  before 2.08 s wall, 1.79 s CPU;  after 0.87 s wall, 0.80 s CPU
  breakdown, CPU s       imports  lexicon  thesaurus  taxonomy  open index  search   sum
    before                  0.34     0.36       0.61      0.12        0.06    0.01  1.51
    after                   0.35     0.10       0.04      0.02        0.08    0.01  0.60
(lexicon: hunspell-sv and wswedish parsed -> data/cache/lexicon.tsv; thesaurus: 12k headwords stemmed ->
data/cache/thesaurus-*.tsv; taxonomy: libyaml, the county regex compiled on first use; "open index" now stems the
curated synonyms the thesaurus used to warm up. What is left is mostly importing numpy and Whoosh.)
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "hedersrelaterat våld"

# One fresh interpreter: the steps of `kb search` in order, each one's CPU time (seconds, as JSON on stdout).
_STEPS = r"""
import json, sys, time
from pathlib import Path
data_dir, query = Path(sys.argv[1]), sys.argv[2]
out = {}
t = time.process_time()
import kb.cli
import index.search
out["imports"] = time.process_time() - t
from index import thesaurus, wordcache
t = time.process_time(); wordcache.load_lexicon_cached(data_dir / "cache"); out["lexicon"] = time.process_time() - t
t = time.process_time(); thesaurus.load_thesaurus(thesaurus.THESAURUS_PATH, data_dir / "cache"); out["thesaurus"] = time.process_time() - t
from kb.taxonomy import load_taxonomy
t = time.process_time(); taxonomy = load_taxonomy(); out["taxonomy"] = time.process_time() - t
from kb.settings import load_settings
t = time.process_time(); svc = index.search.SearchService(load_settings(env={}, data_dir=data_dir), taxonomy)
out["open index"] = time.process_time() - t
t = time.process_time(); svc.search(index.search.SearchRequest(q=query)); out["search"] = time.process_time() - t
svc.close()
print(json.dumps(out))
"""


def _cache_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "cache").glob("thesaurus-*.tsv")) + sorted((data_dir / "cache").glob("lexicon.tsv"))


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def run(data_dir: Path, n: int) -> None:
    kb = [str(ROOT / ".venv" / "bin" / "kb"), "--data-dir", str(data_dir), "search", QUERY]
    steps = [sys.executable, "-c", _STEPS, str(data_dir), QUERY]
    for label in ("cold", "warm"):
        walls, cpus, parts = [], [], []
        if label == "warm":
            _timed(kb)  # the first search writes the caches
        for _ in range(n):
            if label == "cold":
                for f in _cache_files(data_dir):
                    f.unlink()
            wall, cpu, _out = _timed(kb)
            walls.append(wall)
            cpus.append(cpu)
            if label == "cold":
                for f in _cache_files(data_dir):
                    f.unlink()
            parts.append(json.loads(_timed(steps)[2]))
        breakdown = ", ".join(f"{k} {statistics.median(p[k] for p in parts):.2f}" for k in parts[0])
        sys.stdout.write(f"kb search, caches {label}: wall median {statistics.median(walls):.2f} s "
                         f"(min {min(walls):.2f}, max {max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s\n"
                         f"  breakdown, CPU s: {breakdown}\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    data = Path(args[0]) if args else ROOT / "data" / "demo"
    if not (data / "index" / "current").exists():
        sys.exit(f"no published index in {data}: run `.venv/bin/kb --data-dir {data} demo --no-serve` first")
    run(data, int(args[1]) if len(args) > 1 else 7)
