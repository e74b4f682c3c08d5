"""Template context for the sources page (/kallor), built from the store's read model."""

from __future__ import annotations

from typing import Any

from kb.readmodel import RunFigures, SourceFigures, SourcesOverview
from web import formatting

STATUS_LABELS = {"ok": "OK", "partial": "Delvis", "unreachable": "Kunde inte nås", "skipped": "Hoppades över"}
PROBLEM_TEXTS = {
    "sources": "Källförteckningen kunde inte läsas; visar de källor som finns i dokumentlagret.",
    "store": "Dokumentlagret kunde inte läsas just nu.",
}
FAILING_URLS_SHOWN = 10


def _when(value: str) -> dict[str, str] | None:
    if not value:
        return None
    date_value = formatting.parse_date(value)
    return {"iso": value[:10], "text": formatting.swedish_date(date_value) if date_value else value}


def _status(run: RunFigures) -> str:
    return STATUS_LABELS.get(run.status, run.status)


def source_row(source: SourceFigures) -> dict[str, Any]:
    """Plain figures for one source."""
    last_ok, latest = source.last_ok, source.latest
    return {
        "id": source.id,
        "name": source.name,
        "organisation": source.organisation,
        "count": source.count,
        "count_text": formatting.swedish_number(source.count),
        "last_ok": _when(last_ok.started) if last_ok else None,
        "latest_status": _status(latest) if latest else None,
        "latest_when": _when(latest.started) if latest else None,
        "history": [{"when": _when(h.started), "count": formatting.swedish_number(h.doc_count), "status": _status(h)}
                    for h in source.history],
        "failed_total": len(source.failures),
        "by_reason": [{"reason": r, "count": n} for r, n in source.failed_by_reason],
        "failing_urls": [{"url": u, "reason": r, "detail": d} for u, r, d in source.failures[:FAILING_URLS_SHOWN]],
    }


def sources_context(overview: SourcesOverview) -> dict[str, Any]:
    """``sources`` (one row per source) and ``config_error`` (a Swedish sentence, or None)."""
    return {
        "sources": [source_row(s) for s in overview.sources],
        "config_error": PROBLEM_TEXTS[overview.problem] if overview.problem else None,
    }
