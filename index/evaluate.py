"""Search-quality evaluation over the demo sites: nDCG@10, MRR@10, recall@20 per query kind, and sub-area accuracy."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from kb.errors import ConfigError, Problem
from kb.settings import Settings

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUERIES = ROOT / "eval" / "queries.yaml"
DEFAULT_MANIFEST = ROOT / "demo" / "manifest.json"
KINDS = ("short", "abbreviation", "misspelling", "no_diacritics", "compound", "definite_form", "question", "phrase", "synonym")
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


def load_queries(path: Path = DEFAULT_QUERIES, known_keys: set[str] | None = None) -> list[JudgedQuery]:
    """Read and validate the judged query set; every problem is reported at once (ConfigError)."""
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([Problem(file, None, "queries", None, f"cannot read: {exc}")]) from None
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
        if kind not in KINDS:
            problems.append(Problem(file, None, f"{where}.kind", kind, f"expected one of {', '.join(KINDS)}"))
        relevant = item.get("relevant")
        if not isinstance(relevant, dict) or not relevant:
            problems.append(Problem(file, None, f"{where}.relevant", relevant, "expected at least one judged page"))
            continue
        for key, grade in relevant.items():
            if grade not in (1, 2):
                problems.append(Problem(file, None, f"{where}.relevant", key, f"grade must be 1 or 2, not {grade!r}"))
            if known_keys is not None and key not in known_keys:
                problems.append(Problem(file, None, f"{where}.relevant", key, "not an indexable page in the demo manifest"))
        out.append(JudgedQuery(item["q"], str(kind), {str(k): int(v) for k, v in relevant.items()}, bool(item.get("failure_class", False)), str(item.get("note", ""))))
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
    for rank, key in enumerate(ranked, start=1):
        if relevant.get(key, 0) > 0:
            return rank
    return None


# -- URLs back to manifest keys -------------------------------------------------------


def url_key(url: str, source: str) -> str:
    """"<site><path>" of a demo URL: scheme and host:port stripped, the site taken from the hit's source id."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{source}{path}"


def manifest_key(entry: dict[str, Any]) -> str:
    return f"{entry['site']}{entry['path']}"


def load_manifest(path: Path = DEFAULT_MANIFEST) -> dict[str, dict[str, Any]]:
    """The demo manifest keyed "<site><path>" (e.g. "kommunen/omsorg-och-stod/…/heder.html")."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    return {manifest_key(e): e for e in entries}


# -- reports -------------------------------------------------------------------------


@dataclass
class Metrics:
    """Mean nDCG@10, MRR@10 and recall@20 over ``count`` queries."""

    count: int = 0
    ndcg: float = 0.0
    mrr: float = 0.0
    recall: float = 0.0


@dataclass
class QueryResult:
    query: JudgedQuery
    ranked: list[str]
    ndcg: float
    mrr: float
    recall: float
    first_relevant: int | None
    total: int
    suggestion: str | None = None


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


def _mean(results: list[QueryResult]) -> Metrics:
    n = len(results)
    if not n:
        return Metrics()
    return Metrics(n, sum(r.ndcg for r in results) / n, sum(r.mrr for r in results) / n, sum(r.recall for r in results) / n)


def score_rankings(queries: list[JudgedQuery], rankings: list[list[str]]) -> tuple[list[QueryResult], Metrics, dict[str, Metrics]]:
    """Metrics for rankings already mapped to keys (one per query, in order)."""
    results = [
        QueryResult(q, ranked, ndcg_at_k(ranked, q.relevant), mrr_at_k(ranked, q.relevant), recall_at_k(ranked, q.relevant), first_relevant_rank(ranked, q.relevant), len(ranked))
        for q, ranked in zip(queries, rankings, strict=True)
    ]
    per_kind = {kind: _mean([r for r in results if r.query.kind == kind]) for kind in KINDS}
    return results, _mean(results), per_kind


# -- running against the published index ------------------------------------------


def _normalise_judgments(queries: list[JudgedQuery]) -> list[JudgedQuery]:
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


def indexable_keys(manifest: dict[str, dict[str, Any]]) -> set[str]:
    return {key for key, e in manifest.items() if e.get("indexable")}


def classification_report(settings: Settings, manifest: dict[str, dict[str, Any]]) -> ClassificationReport:
    """Compare the delomraden stored in the published index with the manifest's labels (indexable pages)."""
    from whoosh import index as whoosh_index

    from index.publish import current_generation

    gen = current_generation(settings.index_root)
    report = ClassificationReport()
    if gen is None:
        return report
    ix = whoosh_index.open_dir(str(gen))
    try:
        with ix.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                key = url_key(stored.get("url", ""), stored.get("source", ""))
                entry = manifest.get(key)
                if entry is None or not entry.get("indexable"):
                    continue
                raw = stored.get("delomrade") or ""
                predicted = [s for s in (raw.split(",") if isinstance(raw, str) else list(raw)) if s]
                report.documents.append(DocClassification(key, list(entry.get("delomraden") or []), predicted))
    finally:
        ix.close()
    report.documents.sort(key=lambda d: d.key)
    return report


def run_eval(settings: Settings, queries_path: Path = DEFAULT_QUERIES, manifest_path: Path = DEFAULT_MANIFEST) -> EvalReport:
    """Run every judged query against the published index for ``settings`` and score the rankings."""
    from index.search import SearchService
    from kb.searchmodel import SearchRequest

    manifest = load_manifest(manifest_path)
    queries = _normalise_judgments(load_queries(queries_path))
    known = indexable_keys(manifest)
    bad = [Problem(str(queries_path), None, f"query '{q.q}'", k, "not an indexable page in the demo manifest") for q in queries for k in q.relevant if k not in known]
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
    for r, s, t in zip(results, suggestions, totals, strict=False):
        r.suggestion = s
        r.total = t
    return EvalReport(results, overall, per_kind, classification_report(settings, manifest), generation, unmatched)


def run_baselines(settings: Settings, queries_path: Path = DEFAULT_QUERIES) -> dict[str, tuple[Metrics, dict[str, Metrics]]]:
    """The same judged queries against plain-Whoosh baselines built from the same store (the 'before' figures)."""
    from index.baseline import baseline_rankings

    queries = _normalise_judgments(load_queries(queries_path))
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
    lines = [f"Sökkvalitet på demosajterna ({report.overall.count} bedömda frågor{', index ' + report.generation if report.generation else ''})", ""]
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


def prepare_demo(settings: Settings) -> Settings:
    """Start the demo sites, crawl them into ``settings.data_dir`` and build the index; returns settings pointing at them."""
    from crawler.crawl import crawl
    from index.build import build_and_publish
    from kb.demosite import DemoSites
    from kb.sources import load_sources
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    sources_file = data_dir / "demo-sources.yaml"
    demo = settings.replace(sources=sources_file)
    taxonomy = load_taxonomy()
    with DemoSites() as sites:
        sources_file.write_text(sites.render_sources(), encoding="utf-8")
        sources, warnings = load_sources(sources_file)
        for w in warnings:
            log.info("%s", w)
        with Store(demo.store_path) as store:
            report = crawl(demo, sources, store)
            log.info("demo crawl: %s", {sid: r.status for sid, r in report.sources.items()})
            result = build_and_publish(demo, store, sources, taxonomy, full=True)
            log.info("demo index: %s", result)
    return demo
