"""Template context for the sources pages: one overview row per source (failing first) and a page per source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kb.readmodel import RunFigures, SourceFigures, SourcesOverview
from kb.reasons import reason_label
from web import formatting
from web.chart import Chart, line_chart

STATUS_LABELS = {"ok": "OK", "partial": "Delvis", "unreachable": "Kunde inte nås", "skipped": "Hoppades över"}
NO_RUN = "Ingen körning än"
PROBLEM_TEXTS = {
    "sources": "Källförteckningen kunde inte läsas; visar de källor som finns i dokumentlagret.",
    "store": "Dokumentlagret kunde inte läsas just nu.",
}
FAILING_URLS_SHOWN = 500  # on a source's own page; the rest are counted
SEVERITY = {"unreachable": 0, "partial": 1, "skipped": 2, "ok": 3}


@dataclass(frozen=True)
class When:
    iso: str  # for <time datetime>
    text: str  # "5 mars 2024 kl. 14.05" (Swedish time)


@dataclass(frozen=True)
class SourceRow:
    """One source in the overview table."""

    id: str
    name: str
    organisation: str
    url: str
    status: str
    failing: bool
    count: int
    count_text: str
    change: int | None
    change_text: str
    last_ok: When | None
    latest: When | None
    failed: int


@dataclass(frozen=True)
class HistoryRow:
    when: When | None
    status: str
    count_text: str
    change_text: str


def when(value: str) -> When | None:
    """The time of a run in Swedish time ('5 mars 2024 kl. 14.05'); a bare date stays a date."""
    moment = formatting.parse_time(value)
    if moment is not None:
        return When(moment.isoformat(), formatting.swedish_datetime(moment))
    day = formatting.parse_date(value)
    return When(day.isoformat(), formatting.swedish_date(day)) if day else None


def change_text(change: int | None) -> str:
    """'+3', '−2' (a real minus sign), '±0'; '–' before there are two runs to compare."""
    if change is None:
        return "–"
    if change == 0:
        return "±0"
    return f"+{formatting.swedish_number(change)}" if change > 0 else f"\u2212{formatting.swedish_number(-change)}"


def status_label(run: RunFigures | None) -> str:
    return STATUS_LABELS.get(run.status, run.status) if run else NO_RUN


def source_row(source: SourceFigures) -> SourceRow:
    last_ok, latest = source.last_ok, source.latest
    return SourceRow(
        id=source.id, name=source.name, organisation=source.organisation, url=f"/kallor/{quote(source.id, safe='')}",
        status=status_label(latest), failing=source.failing, count=source.count,
        count_text=formatting.swedish_number(source.count), change=source.change, change_text=change_text(source.change),
        last_ok=when(last_ok.started) if last_ok else None, latest=when(latest.started) if latest else None,
        failed=len(source.failures),
    )


def _order(source: SourceFigures) -> tuple[int, int, int, str]:
    """Failing sources first (unreachable, then partial, most failures first), then sources never run, then the rest."""
    latest = source.latest
    group = 0 if source.failing else 1 if latest is None else 2
    severity = SEVERITY.get(latest.status, 0) if latest else 0
    return group, severity, -len(source.failures), source.name.casefold()


def overview_context(overview: SourcesOverview) -> dict[str, Any]:
    """``rows`` (failing first), a one-line ``summary`` and ``config_error`` (a Swedish sentence, or None)."""
    rows = [source_row(s) for s in sorted(overview.sources, key=_order)]
    failing = sum(1 for r in rows if r.failing)
    errors = f"{formatting.count_text(failing, 'källa', 'källor')} med fel" if failing else "inga fel"
    documents = formatting.count_text(sum(r.count for r in rows), "dokument", "dokument")
    parts = [formatting.count_text(len(rows), "källa", "källor"), f"{errors} vid senaste körningen", documents]
    return {
        "rows": rows,
        "summary": " · ".join(parts),
        "time_zone_note": formatting.TIME_ZONE_NOTE,
        "config_error": PROBLEM_TEXTS[overview.problem] if overview.problem else None,
    }


def _chart(source: SourceFigures) -> Chart | None:
    runs = list(reversed(source.history))  # oldest first
    if len(runs) < 2:
        return None  # one run is a number, not a trend
    texts = [t.text if t else "" for t in (when(r.started) for r in runs)]
    days = [text.partition(" kl.")[0] for text in texts]
    # the x axis is labelled at both ends: by day, or by the time of day when the runs shown are all from one day
    short = days if days[0] != days[-1] else ["kl." + text.partition(" kl.")[2] for text in texts]
    return line_chart([r.doc_count for r in runs], short, texts, [formatting.count_text(r.doc_count, "dokument", "dokument") for r in runs])


def source_context(source: SourceFigures) -> dict[str, Any]:
    """A source's own page: its row, the chart and table of documents per run, and the failing URLs with reasons."""
    history = source.history
    hidden = len(source.failures) - FAILING_URLS_SHOWN
    counts = [formatting.swedish_number(run.doc_count) for run in reversed(history)]
    summary = f"Antal dokument vid de senaste {len(counts)} körningarna: från {counts[0]} till {counts[-1]}" if len(counts) > 1 else ""
    rows = [HistoryRow(when(run.started), status_label(run), formatting.swedish_number(run.doc_count),
                       change_text(run.doc_count - history[i + 1].doc_count if i + 1 < len(history) else None))
            for i, run in enumerate(history)]
    return {
        "source": source_row(source),
        "chart": _chart(source),
        "chart_summary": summary,
        "history": rows,
        # the Swedish explanation for the librarian; the code stays beside it (in <code>) for support
        "by_reason": [{"reason": r, "label": reason_label(r), "count": n} for r, n in source.failed_by_reason],
        "failing_urls": [{"url": u, "reason": r, "label": reason_label(r, brief=True), "detail": d}
                         for u, r, d in source.failures[:FAILING_URLS_SHOWN]],
        "failing_hidden": formatting.count_text(hidden, "adress", "adresser") if hidden > 0 else "",
        "time_zone_note": formatting.TIME_ZONE_NOTE,
    }
