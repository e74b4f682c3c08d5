"""Commands for librarians that only read: report and stats."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kb.cli._common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, RUNS_KEPT, _open_store, _out, update_running
from kb.settings import Settings


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from kb.report import format_run_report, run_report_dict, runs_as_read

    if not settings.store_path.exists():
        sys.stderr.write(f"kb report: inga körningar ännu ({settings.store_path} finns inte)\n")
        return EXIT_PARTIAL
    with _open_store(settings, readonly=True) as store:
        store.quick_check()  # as kb update does: a damaged store is exit 65, even when this report's pages still read
        runs = store.list_runs(limit=RUNS_KEPT * 4 + 10)
        if any(run["status"] == "running" for run in runs):  # still going, or stopped without a word (kill -9, full disk)?
            runs = runs_as_read(runs, update_running(settings.lock_path))
        if args.list:
            if args.json:
                _out(json.dumps(runs, ensure_ascii=False, indent=2, default=str))
            else:
                for run in runs:
                    code = "–" if run["exit_code"] is None else run["exit_code"]
                    note = (run.get("summary") or {}).get("obs")
                    line = f"{run['id']:>5}  {run['kind']:<7} {run['started']}  {run['status']:<12} slutkod {code}"
                    _out(line + (f"  ({note})" if note else ""))
            return EXIT_OK
        if args.run is not None:
            run = next((r for r in runs if r["id"] == args.run), None)
            if run is None:
                sys.stderr.write(f"kb report: ingen körning {args.run} (kb report --list visar de sparade)\n")
                return EXIT_USAGE
        else:
            # the newest run that crawled something; index runs carry no per-source digest
            run = next((r for r in runs if r["kind"] != "index"), None)
            if run is None:
                sys.stderr.write("kb report: ingen crawlkörning ännu\n")
                return EXIT_PARTIAL
        report = store.run_report(run["id"])
    if report is None:  # pragma: no cover — the run was listed a moment ago
        return EXIT_PARTIAL
    if args.json:
        _out(json.dumps(run_report_dict(report, run), ensure_ascii=False, indent=2, default=str))
    else:
        _out(format_run_report(report, run, max_urls=10_000))
    return EXIT_OK


def collect_stats(settings: Settings, store: Any) -> dict[str, Any]:
    """Document counts per source/organisation/format from the store, and per sub-area/type/target group/year/county
    from the index."""
    from kb.report import directory_size

    stats: dict[str, Any] = {
        "documents": store.count_documents(),
        "store_bytes": sum(p.stat().st_size for p in settings.store_path.parent.glob(settings.store_path.name + "*") if p.is_file()),
        "counts": {key: store.counts_by(key) for key in ("source", "organisation", "format")},
        "index": None,
    }
    from index.publish import current_generation, read_generation_info

    gen = current_generation(settings.index_root)
    if gen is None:
        return stats
    info = dict(read_generation_info(gen) or {})
    info.setdefault("generation", gen.name)
    info["path"] = str(gen)
    info["size_bytes"] = directory_size(gen)
    stats["index"] = info
    from index.search import SearchService

    service = SearchService(settings)
    try:
        overview = service.facet_overview()
        info["meaning"] = _meaning(settings, info.get("vectors"), service.ranks_by_meaning)
    finally:
        service.close()
    for key in ("delomrade", "doc_type", "malgrupp", "year"):
        values = overview.get(key)
        if values:
            pairs = [(v.value, v.count) for v in values]
            if key == "year":
                pairs.sort(reverse=True)
            stats["counts"][key] = dict(pairs)
    stats["counts"]["lan"] = county_counts({v.value: v.count for v in overview.get("lan", [])})
    return stats


def _meaning(settings: Settings, vectors: object, ranks_by_meaning: bool) -> str:
    """Whether whole questions are ranked by meaning, as the web workers would: "ja", or why not."""
    if ranks_by_meaning:
        return "ja"
    if not isinstance(vectors, dict) or not vectors.get("documents"):
        return "utan-vektorer"  # built so (KB_SEMANTIC off at build, or no model there)
    if not settings.semantic:
        return "avstangd"
    from index.semantic import embedder

    return "ingen-modell" if embedder() is None else "skadade-vektorer"  # the model is here: vectors.npy is the cause


def county_counts(counts: dict[str, int]) -> dict[str, int]:
    """Documents per county as the web's /lan page lists them: the national material first, then every county
    in kb/lan.yaml's order, none left out (a county with no material shows 0)."""
    from kb.lan import NATIONAL, load_counties

    return {NATIONAL: counts.get(NATIONAL, 0)} | {c.slug: counts.get(c.slug, 0) for c in load_counties().counties}


def facet_labels() -> dict[str, dict[str, str]]:
    """Swedish labels of the facet slugs (county, delområde, type, target group, format) for human output."""
    from kb.lan import NATIONAL, load_counties
    from kb.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return {
        "lan": {c.slug: c.name for c in load_counties().counties} | {NATIONAL: "Nationellt material"},  # as on /lan
        "delomrade": {c.slug: c.label for c in taxonomy.delomraden},
        "doc_type": {c.slug: c.label for c in taxonomy.doc_types},
        "malgrupp": {c.slug: c.label for c in taxonomy.malgrupper},
        "format": {f: taxonomy.label("format", f) for f in ("html", "pdf", "docx", "pptx")},
    }


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from kb.report import format_stats

    if not settings.store_path.exists():
        sys.stderr.write(f"kb stats: inget lager ännu ({settings.store_path}); kör kb update\n")
        return EXIT_PARTIAL
    with _open_store(settings, readonly=True) as store:
        store.quick_check()  # read-only: PRAGMA quick_check reads every page and writes nothing
        stats = collect_stats(settings, store)
    if args.json:
        _out(json.dumps(stats, ensure_ascii=False, indent=2, default=str))
    else:
        _out(format_stats(stats, facet_labels()))
    return EXIT_OK
