"""Search quality on text kb was not tuned on: SweFAQ dev and judged staff queries over regeringen.se text.

Both sets are indexed exactly as crawled pages would be (a store, ``build_and_publish``, ``SearchService``)
and scored next to the plain-Whoosh baselines of ``index.baseline`` built from the same store. The corpora
stay in ``../shared/corpora`` (never copied into the repository); the judged queries over regeringen.se
are an ``eval/`` file that also fixes which documents are indexed.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from index.metrics import REAL_KINDS, RECALL_K, JudgedQuery, Metrics, QueryResult, load_queries, score_rankings
from kb.errors import ConfigError, Problem
from kb.models import Document
from kb.settings import Settings, load_settings

__all__ = [
    "CORPORA_DIR", "CorpusReport", "CorpusSet", "format_corpus_report", "real_text_set", "run_corpus_eval", "swefaq_set",
]

log = logging.getLogger(__name__)

CORPORA_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora"  # beside the checkout, as the corpora README says
SWEFAQ_FILE = CORPORA_DIR / "swefaq-dev.jsonl"
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass
class CorpusSet:
    """Documents to index, the judged key of each document URL, and the judged queries."""

    name: str
    documents: list[Document]
    keys: dict[str, str]  # document URL -> judged key
    queries: list[JudgedQuery]
    kinds: tuple[str, ...]


@dataclass
class CorpusReport:
    """kb and the baselines on one set: overall and per-kind metrics, plus what the kb index cost."""

    name: str
    doc_count: int
    systems: dict[str, tuple[Metrics, dict[str, Metrics]]]  # baseline names first, "kb" last
    results: list[QueryResult] = field(default_factory=list)  # kb's, per query
    build_seconds: float = 0.0
    index_bytes: int = 0
    kinds: tuple[str, ...] = ()


# -- the sets -------------------------------------------------------------------------------------------


def swefaq_set(path: Path = SWEFAQ_FILE) -> CorpusSet:
    """SweFAQ dev: every distinct answer one document, every question one query whose answer is relevant."""
    try:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        why = f"kan inte läsas ({_reason(exc)}): ange filen med --swefaq FIL"
        raise ConfigError([Problem(str(path), None, "swefaq", None, why)]) from None
    answers: dict[str, str] = {}  # answer text -> key
    for row in rows:
        for answer in row["candidate_answers"]:
            answers.setdefault(answer, f"svar-{len(answers):04d}")
    documents = [
        Document(url=f"https://swefaq.invalid/{key}", source="swefaq", organisation="SweFAQ", title="", text=text)
        for text, key in answers.items()
    ]
    queries = [
        JudgedQuery(row["question"], "question", {answers[row["candidate_answers"][int(row["label"])]]: 1})
        for row in rows
    ]
    return CorpusSet("SweFAQ dev", documents, {d.url: d.url.rsplit("/", 1)[1] for d in documents}, queries, ("question",))


def _document(rec: dict[str, Any]) -> Document:
    """A regeringen.se record as a crawled page: '#' lines are headings, Markdown links become their text."""
    text = _MD_LINK.sub(r"\1", str(rec.get("text") or ""))
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in text.splitlines())
    month = rec.get("month")
    slug = str(rec["path"]).rsplit(".", 1)[0]
    return Document(
        url=f"https://www.regeringen.se/{slug}/", source="regeringen", organisation="Regeringskansliet",
        title=str(rec.get("title") or slug), text=body, headings=headings,
        published=date.fromisoformat(f"{month}-01") if month else None, size=len(body.encode()),
    )


def real_text_set(queries_path: Path, corpora_dir: Path = CORPORA_DIR) -> CorpusSet:
    """The judged queries of an ``eval/`` file and the documents its ``corpus:`` section selects.

    ``corpus: {file, include, distractors, seed}``: every record whose title or text matches the ``include``
    pattern (case-insensitive), plus ``distractors`` records drawn with ``seed`` from the rest."""
    where = str(queries_path)
    try:
        spec = (yaml.safe_load(Path(queries_path).read_text(encoding="utf-8")) or {}).get("corpus") or {}
        pattern = re.compile(str(spec["include"]), re.IGNORECASE)
        corpus_file = Path(corpora_dir) / str(spec["file"])
        distractors, seed = int(spec.get("distractors", 0)), int(spec.get("seed", 0))
        with gzip.open(corpus_file, "rt", encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, re.error, yaml.YAMLError) as exc:
        why = f"dokumenten kan inte väljas ({_reason(exc)}: {getattr(exc, 'filename', None) or exc})"
        raise ConfigError([Problem(where, None, "corpus", None, why)]) from None
    chosen = [r for r in records if pattern.search(f"{r.get('title') or ''}\n{r.get('text') or ''}")]
    picked = {r["id"] for r in chosen}
    rest = [r for r in records if r["id"] not in picked]
    chosen += random.Random(seed).sample(rest, min(distractors, len(rest)))
    chosen.sort(key=lambda r: str(r["id"]))
    documents = [_document(r) for r in chosen]
    keys = {d.url: str(r["id"]) for d, r in zip(documents, chosen, strict=True)}
    queries = load_queries(Path(queries_path), known_keys=set(keys.values()), kinds=REAL_KINDS)
    return CorpusSet(f"regeringen.se ({Path(queries_path).name})", documents, keys, queries, REAL_KINDS)


# -- running ---------------------------------------------------------------------------------------------


def _load(settings: Settings, documents: list[Document]) -> None:
    """The store holds exactly ``documents`` (an unchanged store from an earlier run is kept as it is)."""
    from kb.store import Store

    with Store(settings.store_path) as store:
        wanted = {d.url for d in documents}
        for url in store.document_urls() - wanted:
            store.delete_document(url)
        have = store.document_urls()
        for doc in documents:
            if doc.url not in have:
                store.put_document(doc)


def _kb_rankings(settings: Settings, cset: CorpusSet) -> list[list[str]]:
    from index.service import SearchService
    from kb.searchmodel import SearchRequest

    service = SearchService(settings)
    try:
        return [[cset.keys.get(h.url, h.url) for h in service.search(SearchRequest(q=q.q, per_page=RECALL_K)).results]
                for q in cset.queries]
    finally:
        service.close()


def run_corpus_eval(cset: CorpusSet, work_dir: Path | None = None, baselines: bool = True, build: bool = True,
                    cache_dir: Path | None = None) -> CorpusReport:
    """Index ``cset`` in ``work_dir`` (a temporary folder when None), run its queries with kb and the baselines.

    ``build=False`` searches the index already published in ``work_dir`` (query-side experiments). ``cache_dir``
    keeps the set's document vectors between runs (embedding 5,000 pages takes minutes)."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="kb-corpus-eval-") as tmp:
            return run_corpus_eval(cset, Path(tmp), baselines, cache_dir=cache_dir)
    from index.baseline import baseline_rankings
    from index.build import BuildResult, build_and_publish
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    vector_cache = str(cache_dir / f"eval-vectors-{re.sub(r'[^a-z0-9]+', '-', cset.name.lower()).strip('-')}.sqlite3"
                       if cache_dir else "")
    settings = load_settings(env={}, data_dir=work_dir, canary_queries=(), cache_size=0, vector_cache=vector_cache)
    started = time.monotonic()
    if build:
        _load(settings, cset.documents)
        with Store(settings.store_path) as store:
            built = build_and_publish(settings, store, [], load_taxonomy())
    else:
        built = BuildResult("", "", len(cset.documents), 0, 0, 0, 0.0, 0)
    seconds = time.monotonic() - started
    systems: dict[str, tuple[Metrics, dict[str, Metrics]]] = {}
    if baselines:
        for name, ranked in baseline_rankings(settings, [q.q for q in cset.queries], RECALL_K).items():
            _r, overall, per_kind = score_rankings(cset.queries, [[cset.keys.get(u, u) for u, _s in r] for r in ranked],
                                                   cset.kinds)
            systems[name] = (overall, per_kind)
    results, overall, per_kind = score_rankings(cset.queries, _kb_rankings(settings, cset), cset.kinds)
    systems["kb"] = (overall, per_kind)
    return CorpusReport(cset.name, built.doc_count, systems, results, round(seconds, 1), built.size_bytes, cset.kinds)


def format_corpus_report(report: CorpusReport) -> str:
    """nDCG@10 per kind for each system, then MRR@10 and recall@20 overall (a Markdown table), and kb's misses."""
    systems = list(report.systems.items())
    lines = [f"{report.name}: {report.doc_count} dokument, {len(report.results)} bedömda frågor "
             f"(kb-index {report.index_bytes / 1e6:.1f} MB, byggt på {report.build_seconds:.1f} s)", "",
             "| query kind | n | " + " | ".join(name for name, _ in systems) + " |", "|---|---|" + "---|" * len(systems)]
    if len(report.kinds) > 1:
        for kind in report.kinds:
            n = sum(1 for r in report.results if r.query.kind == kind)
            lines.append(f"| {kind} | {n} | " + " | ".join(f"{k.get(kind, Metrics()).ndcg:.3f}" for _n, (_o, k) in systems) + " |")
    n = len(report.results)
    lines.append(f"| **nDCG@10 overall** | {n} | " + " | ".join(f"**{o.ndcg:.3f}**" for _n, (o, _k) in systems) + " |")
    lines.append("| MRR@10 overall | | " + " | ".join(f"{o.mrr:.3f}" for _n, (o, _k) in systems) + " |")
    lines.append("| recall@20 overall | | " + " | ".join(f"{o.recall:.3f}" for _n, (o, _k) in systems) + " |")
    misses = [r for r in report.results if r.first_relevant is None or r.first_relevant > 10]
    if misses and len(report.kinds) > 1:
        lines += ["", "Frågor utan relevant träff bland de tio första:"]
        lines += [f"  {r.query.q!r} ({r.query.kind}): " + (f"först på plats {r.first_relevant}" if r.first_relevant
                                                            else "ingen relevant träff") for r in misses]
    return "\n".join(lines)


def _reason(exc: Exception) -> str:
    """Why a corpus file could not be read, in Swedish."""
    if isinstance(exc, FileNotFoundError):
        return "filen finns inte"
    if isinstance(exc, PermissionError):
        return "behörighet saknas"
    if isinstance(exc, (ValueError, yaml.YAMLError)):
        return "ogiltigt innehåll"
    return "saknad eller felaktig nyckel" if isinstance(exc, (KeyError, TypeError, AttributeError)) else "läsfel"
