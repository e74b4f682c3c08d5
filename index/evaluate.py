"""Search-quality evaluation of a published index: the judged queries and the sub-area labels, scored and reported.

The judged queries and the page manifest are passed in (the CLI takes the demo's, from the ``demo`` package,
which also crawls the demo sites and builds the index: the index never imports the crawler)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index.metrics import (
    KINDS,
    MRR_K,
    NDCG_K,
    RECALL_K,
    JudgedQuery,
    Metrics,
    QueryResult,
    dcg,
    first_relevant_rank,
    load_queries,
    mrr_at_k,
    ndcg_at_k,
    normalise_judgments,
    recall_at_k,
    score_rankings,
)
from kb.errors import ConfigError, Problem
from kb.settings import Settings

__all__ = [
    "KINDS", "MRR_K", "NDCG_K", "RECALL_K", "ClassificationReport", "DocClassification", "EvalReport",
    "JudgedQuery", "Metrics", "QueryResult", "classification_report", "dcg", "first_relevant_rank", "format_comparison",
    "format_eval", "indexable_keys", "load_manifest", "load_queries", "mrr_at_k", "ndcg_at_k",
    "recall_at_k", "run_baselines", "run_eval", "score_rankings", "url_key",
]

log = logging.getLogger(__name__)

# -- URLs back to manifest keys -------------------------------------------------------


def url_key(url: str, source: str) -> str:
    """"<site><path>" of a demo URL: scheme and host:port stripped, the site taken from the hit's source id."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{source}{path}"


def manifest_key(entry: dict[str, Any]) -> str:
    return f"{entry['site']}{entry['path']}"


def load_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The demo manifest keyed "<site><path>" (e.g. "kommunen/omsorg-och-stod/…/heder.html")."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    return {manifest_key(e): e for e in entries}


# -- reports -------------------------------------------------------------------------


@dataclass
class DocClassification:
    key: str
    gold: list[str]
    predicted: list[str]

    @property
    def exact(self) -> bool:
        return set(self.gold) == set(self.predicted)


@dataclass
class ClassificationReport:
    """Sub-area accuracy of the indexed demo documents against the manifest's author labels."""

    documents: list[DocClassification] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.documents)

    def _totals(self) -> tuple[int, int, int]:
        tp = fp = fn = 0
        for d in self.documents:
            gold, pred = set(d.gold), set(d.predicted)
            tp += len(gold & pred)
            fp += len(pred - gold)
            fn += len(gold - pred)
        return tp, fp, fn

    @property
    def precision(self) -> float:
        tp, fp, _ = self._totals()
        return tp / (tp + fp) if tp + fp else 0.0

    @property
    def recall(self) -> float:
        tp, _, fn = self._totals()
        return tp / (tp + fn) if tp + fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def exact_share(self) -> float:
        return sum(d.exact for d in self.documents) / self.count if self.count else 0.0


@dataclass
class EvalReport:
    results: list[QueryResult]
    overall: Metrics
    per_kind: dict[str, Metrics]
    classification: ClassificationReport
    generation: str = ""
    unmatched_hits: int = 0  # hits whose URL is not in the manifest (should be 0 on demo data)

    @property
    def failures(self) -> list[QueryResult]:
        """Failure-class queries with no relevant document in the top 10."""
        return [r for r in self.results if r.query.failure_class and (r.first_relevant is None or r.first_relevant > 10)]


# -- running against the published index ------------------------------------------


def indexable_keys(manifest: dict[str, dict[str, Any]]) -> set[str]:
    return {key for key, e in manifest.items() if e.get("indexable")}


def indexed_manifest_pages(settings: Settings, manifest: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(manifest key, manifest entry, stored fields) for every indexable manifest page in the published index."""
    from whoosh import index as whoosh_index

    from index.publish import current_generation

    gen = current_generation(settings.index_root)
    if gen is None:
        return
    ix = whoosh_index.open_dir(str(gen))
    try:
        with ix.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                key = url_key(stored.get("url", ""), stored.get("source", ""))
                entry = manifest.get(key)
                if entry is not None and entry.get("indexable"):
                    yield key, entry, stored
    finally:
        ix.close()


def classification_report(settings: Settings, manifest: dict[str, dict[str, Any]]) -> ClassificationReport:
    """Compare the delomraden stored in the published index with the manifest's labels (indexable pages)."""
    report = ClassificationReport()
    for key, entry, stored in indexed_manifest_pages(settings, manifest):
        raw = stored.get("delomrade") or ""
        predicted = [s for s in (raw.split(",") if isinstance(raw, str) else list(raw)) if s]
        report.documents.append(DocClassification(key, list(entry.get("delomraden") or []), predicted))
    report.documents.sort(key=lambda d: d.key)
    return report


def run_eval(settings: Settings, queries_path: Path, manifest_path: Path) -> EvalReport:
    """Run every judged query against the published index for ``settings`` and score the rankings."""
    from index.service import SearchService
    from kb.searchmodel import SearchRequest

    manifest = load_manifest(manifest_path)
    queries = normalise_judgments(load_queries(queries_path))
    known = indexable_keys(manifest)
    bad = [Problem(str(queries_path), None, f"query '{q.q}'", k, "not an indexable page in the demo manifest")
           for q in queries for k in q.relevant if k not in known]
    if bad:
        raise ConfigError(bad)
    service = SearchService(settings)
    rankings: list[list[str]] = []
    suggestions: list[str | None] = []
    totals: list[int] = []
    unmatched = 0
    generation = ""
    try:
        for q in queries:
            response = service.search(SearchRequest(q=q.q, per_page=RECALL_K))
            generation = response.generation or generation
            ranked: list[str] = []
            for hit in response.results:
                keys = [url_key(hit.url, hit.source)] + [url_key(u, hit.source) for u in hit.duplicates]
                # a hit counts as its best-judged location (duplicates are one result)
                best = max(keys, key=lambda k: q.relevant.get(k, 0))
                if keys[0] not in manifest:
                    unmatched += 1
                ranked.append(best)
            rankings.append(ranked)
            suggestions.append(response.suggestion)
            totals.append(response.total)
    finally:
        service.close()
    results, overall, per_kind = score_rankings(queries, rankings)
    for r, s, t in zip(results, suggestions, totals, strict=True):
        r.suggestion = s
        r.total = t
    return EvalReport(results, overall, per_kind, classification_report(settings, manifest), generation, unmatched)


def run_baselines(settings: Settings, queries_path: Path) -> dict[str, tuple[Metrics, dict[str, Metrics]]]:
    """The same judged queries against plain-Whoosh baselines built from the same store (the 'before' figures)."""
    from index.baseline import baseline_rankings

    queries = normalise_judgments(load_queries(queries_path))
    out: dict[str, tuple[Metrics, dict[str, Metrics]]] = {}
    for name, rankings in baseline_rankings(settings, [q.q for q in queries], RECALL_K).items():
        _results, overall, per_kind = score_rankings(queries, [[url_key(u, s) for u, s in r] for r in rankings])
        out[name] = (overall, per_kind)
    return out


def format_comparison(baselines: dict[str, tuple[Metrics, dict[str, Metrics]]], report: EvalReport) -> str:
    """nDCG@10 per query kind: each baseline next to kb (a Markdown table, as in the README)."""
    systems = list(baselines.items()) + [("kb", (report.overall, report.per_kind))]
    lines = ["| query kind | n | " + " | ".join(name for name, _ in systems) + " |", "|---|---|" + "---|" * len(systems)]
    for kind in KINDS:
        count = report.per_kind.get(kind, Metrics()).count
        cells = [f"{per_kind.get(kind, Metrics()).ndcg:.3f}" for _name, (_o, per_kind) in systems]
        lines.append(f"| {kind} | {count} | " + " | ".join(cells) + " |")
    lines.append(f"| **nDCG@10 overall** | {report.overall.count} | " + " | ".join(f"**{o.ndcg:.3f}**" for _n, (o, _k) in systems) + " |")
    lines.append("| MRR@10 overall | | " + " | ".join(f"{o.mrr:.3f}" for _n, (o, _k) in systems) + " |")
    lines.append("| recall@20 overall | | " + " | ".join(f"{o.recall:.3f}" for _n, (o, _k) in systems) + " |")
    return "\n".join(lines)


def format_eval(report: EvalReport) -> str:
    """A plain-text table of the evaluation (what `kb eval` prints)."""
    where = f", index {report.generation}" if report.generation else ""
    lines = [f"Sökkvalitet på demosajterna ({report.overall.count} bedömda frågor{where})", ""]
    lines.append(f"{'Frågetyp':<16}{'antal':>6}{'nDCG@10':>10}{'MRR@10':>9}{'recall@20':>11}")
    for kind in KINDS:
        m = report.per_kind.get(kind, Metrics())
        lines.append(f"{kind:<16}{m.count:>6}{m.ndcg:>10.3f}{m.mrr:>9.3f}{m.recall:>11.3f}")
    o = report.overall
    lines.append(f"{'totalt':<16}{o.count:>6}{o.ndcg:>10.3f}{o.mrr:>9.3f}{o.recall:>11.3f}")
    lines.append("")
    misses = [r for r in report.results if r.first_relevant is None or r.first_relevant > 10]
    if misses:
        lines.append("Frågor utan relevant träff bland de tio första:")
        for r in misses:
            where = f"först på plats {r.first_relevant}" if r.first_relevant else "ingen relevant träff"
            flag = " [felklass]" if r.query.failure_class else ""
            hint = f", menade du: {r.suggestion}" if r.suggestion else ""
            lines.append(f"  {r.query.q!r} ({r.query.kind}){flag}: {where}, {r.total} träffar{hint}")
        lines.append("")
    c = report.classification
    lines.append(
        f"Delområden mot författarnas etiketter ({c.count} indexerade sidor): precision {c.precision:.2f}, "
        f"recall {c.recall:.2f}, F1 {c.f1:.2f}, helt rätt {c.exact_share:.0%}"
    )
    for d in c.documents:
        if not d.exact:
            lines.append(f"  {d.key}: etiketter {', '.join(sorted(d.gold)) or '–'}; klassad {', '.join(d.predicted) or '–'}")
    if report.unmatched_hits:
        lines.append(f"Obs: {report.unmatched_hits} träffar fanns inte i demo/manifest.json")
    return "\n".join(lines)
