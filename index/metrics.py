"""Judged queries and ranking metrics: the query file, nDCG@10, MRR@10, recall@20, means per query kind."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.errors import ConfigError, Problem

KINDS = ("short", "abbreviation", "misspelling", "no_diacritics", "compound", "definite_form", "question", "phrase", "synonym")
# The judged queries over real text (eval/) add the kinds the demo set lacks: derived and inflected forms, genitives.
REAL_KINDS = ("compound", "inflected", "abbreviation", "question")
NDCG_K = 10
MRR_K = 10
RECALL_K = 20


# -- judged queries ---------------------------------------------------------------


@dataclass(frozen=True)
class JudgedQuery:
    """One query as staff would type it, with graded judgments keyed "<site><path>" (2 = exact, 1 = useful)."""

    q: str
    kind: str
    relevant: dict[str, int]
    failure_class: bool = False
    note: str = ""


def load_queries(path: Path, known_keys: set[str] | None = None, kinds: tuple[str, ...] = KINDS) -> list[JudgedQuery]:
    """Read and validate the judged query set; every problem is reported at once (ConfigError)."""
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError([Problem(file, None, "queries", None, f"kan inte läsas: {why}")]) from None
    raw = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise ConfigError([Problem(file, None, "queries", None, "expected a non-empty list under 'queries:'")])
    problems: list[Problem] = []
    out: list[JudgedQuery] = []
    for i, item in enumerate(raw):
        where = f"queries[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item["q"].strip():
            problems.append(Problem(file, None, where, item, "expected a mapping with a non-empty 'q'"))
            continue
        where = f"queries[{i}] ({item['q']})"
        kind = item.get("kind")
        if kind not in kinds:
            problems.append(Problem(file, None, f"{where}.kind", kind, f"expected one of {', '.join(kinds)}"))
        relevant = item.get("relevant")
        if not isinstance(relevant, dict) or not relevant:
            problems.append(Problem(file, None, f"{where}.relevant", relevant, "expected at least one judged page"))
            continue
        for key, grade in relevant.items():
            if grade not in (1, 2):
                problems.append(Problem(file, None, f"{where}.relevant", key, f"grade must be 1 or 2, not {grade!r}"))
            if known_keys is not None and key not in known_keys:
                problems.append(Problem(file, None, f"{where}.relevant", key, "not an indexable page in the demo manifest"))
        grades = {str(k): int(v) for k, v in relevant.items()}
        out.append(JudgedQuery(item["q"], str(kind), grades, bool(item.get("failure_class", False)), str(item.get("note", ""))))
    if problems:
        raise ConfigError(problems)
    return out


# -- metrics ----------------------------------------------------------------------


def dcg(gains: Iterable[float]) -> float:
    """Discounted cumulative gain with the (2^rel - 1) / log2(rank + 1) formulation."""
    return float(sum((2.0**g - 1.0) / math.log2(rank + 2) for rank, g in enumerate(gains)))


def ndcg_at_k(ranked: list[str], relevant: dict[str, int], k: int = NDCG_K) -> float:
    """nDCG@k of a ranking (list of keys) against graded judgments; 0 when nothing is relevant."""
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg(relevant.get(key, 0) for key in ranked[:k]) / ideal


def mrr_at_k(ranked: list[str], relevant: dict[str, int], k: int = MRR_K) -> float:
    """Reciprocal rank of the first relevant result within the top k (0 when none)."""
    for rank, key in enumerate(ranked[:k], start=1):
        if relevant.get(key, 0) > 0:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: list[str], relevant: dict[str, int], k: int = RECALL_K) -> float:
    """Share of the judged-relevant documents found in the top k."""
    wanted = {key for key, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:k])) / len(wanted)


def first_relevant_rank(ranked: list[str], relevant: dict[str, int]) -> int | None:
    """1-based rank of the first relevant result (None when there is none)."""
    for rank, key in enumerate(ranked, start=1):
        if relevant.get(key, 0) > 0:
            return rank
    return None


# -- results ------------------------------------------------------------------------


@dataclass
class Metrics:
    """Mean nDCG@10, MRR@10 and recall@20 over ``count`` queries."""

    count: int = 0
    ndcg: float = 0.0
    mrr: float = 0.0
    recall: float = 0.0


@dataclass
class QueryResult:
    """One judged query's ranking (as manifest keys) and its scores."""

    query: JudgedQuery
    ranked: list[str]
    ndcg: float
    mrr: float
    recall: float
    first_relevant: int | None
    total: int
    suggestion: str | None = None


def _mean(results: list[QueryResult]) -> Metrics:
    """Mean metrics over ``results``."""
    n = len(results)
    if not n:
        return Metrics()
    return Metrics(n, sum(r.ndcg for r in results) / n, sum(r.mrr for r in results) / n, sum(r.recall for r in results) / n)


def score_rankings(
    queries: list[JudgedQuery], rankings: list[list[str]], kinds: tuple[str, ...] = KINDS
) -> tuple[list[QueryResult], Metrics, dict[str, Metrics]]:
    """Metrics for rankings already mapped to keys (one per query, in order), overall and per kind."""
    results = [
        QueryResult(q, ranked, ndcg_at_k(ranked, q.relevant), mrr_at_k(ranked, q.relevant), recall_at_k(ranked, q.relevant),
                    first_relevant_rank(ranked, q.relevant), len(ranked))
        for q, ranked in zip(queries, rankings, strict=True)
    ]
    per_kind = {kind: _mean([r for r in results if r.query.kind == kind]) for kind in kinds}
    return results, _mean(results), per_kind


def normalise_judgments(queries: list[JudgedQuery]) -> list[JudgedQuery]:
    """Keys are "<site>/<path>"; a doubled slash ("site//path") is accepted as the same key."""
    out = []
    for q in queries:
        rel = {}
        for key, grade in q.relevant.items():
            site, _, rest = key.partition("/")
            full = f"{site}/{rest.lstrip('/')}"
            rel[full] = grade
        out.append(JudgedQuery(q.q, q.kind, rel, q.failure_class, q.note))
    return out
