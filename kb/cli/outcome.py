"""A crawl's exit code and its cron summary, both derived from the stored run report the librarians read."""

from __future__ import annotations

from typing import Any

from kb.cli._common import EXIT_OK, EXIT_PARTIAL, EXIT_UNAVAILABLE
from kb.models import CrawlReport, SourceReport
from kb.reasons import reason_label

# What each exit code means, in the words of the final line under -q (README "Exit codes" says the same).
EXIT_MEANINGS = {
    0: "allt gick bra",
    1: "några källor eller dokument misslyckades; övriga är uppdaterade och indexet publicerades",
    2: "fel i kommandoraden",
    65: "lagret kb.sqlite3 är skadat; återställ det från säkerhetskopian eller radera det så hämtas allt igen",
    69: "ingen källa gick att nå; indexet är orört",
    70: "internt fel (ett programfel i kb); kör igen med -v och rapportera felet",
    74: "I/O-fel (full disk eller skrivfel); inget gick förlorat och det förra indexet används fortfarande",
    75: "en annan kb-körning höll låset; försök igen senare",
    78: "fel i konfigurationen (sources.yaml eller inställningar)",
    130: "avbruten med Ctrl-C",
}
REASONS_WIDTH = 140  # characters of Swedish reason labels on a source's -q line; past it the line keeps the codes
NOT_SOURCE_FAILURES = ("ok", "skipped")  # "skipped": switched off with enabled: false (informational skips live in rep.skips)


def source_failed(rep: SourceReport) -> bool:
    """Must a person act on this source? Failures (or a non-ok status) yes; informational skips never."""
    return bool(rep.failures) or rep.failed > 0 or rep.status not in NOT_SOURCE_FAILURES


def report_exit_code(report: CrawlReport) -> int:
    """0 when no source failed, 69 when every crawled source was unreachable, else 1."""
    crawled = [r for r in report.sources.values() if r.status != "skipped"]
    if crawled and all(r.status == "unreachable" for r in crawled):
        return EXIT_UNAVAILABLE
    return EXIT_PARTIAL if any(source_failed(r) for r in crawled) else EXIT_OK


def status_for(code: int) -> str:
    return {EXIT_OK: "ok", EXIT_PARTIAL: "partial", EXIT_UNAVAILABLE: "unreachable"}.get(code, "failed")


def _reasons(rep: SourceReport) -> str:
    """The failures by reason: Swedish ("2 × Sidan finns inte (HTTP 404)") while that fits REASONS_WIDTH, else the codes.

    A cron mail line that runs over several screen widths is harder to scan than the codes, which ``kb report``
    (named on the last line) explains in full; so many reasons fall back to the compact "http_404 2; timeout 1".
    """
    counts: dict[str, int] = {}
    for _url, reason, _detail in rep.failures:
        counts[reason] = counts.get(reason, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    labelled = "; ".join(f"{n} × {reason_label(reason, brief=True)}" for reason, n in ordered)
    if ordered and len(labelled) <= REASONS_WIDTH:
        return labelled
    parts = [f"{reason} {n}" for reason, n in ordered]
    parts.extend(rep.notes[:2] if not parts else [])
    return "; ".join(parts) or rep.status


# The source's state in the cron line, in Swedish; a source that ran but had failures says "fel", never "ok".
STATUS_WORDS = {"ok": "fel", "partial": "delvis", "unreachable": "onåbar", "skipped": "avstängd"}


def source_line(rep: SourceReport) -> str:
    """One line per failed source: state, counts and the reasons (``hämtade`` counts answers with a body)."""
    failed = max(rep.failed, len(rep.failures))
    return (
        f"kb: {rep.source}: {STATUS_WORDS.get(rep.status, rep.status)}, {failed} misslyckade; {rep.fetched} hämtade "
        f"(nya {rep.new}, ändrade {rep.changed}, borttagna {rep.removed}): {_reasons(rep)}"
    )


# Exit 1 of a command that crawls nothing means something of its own (README "Exit codes", the paragraph below the table).
EXIT_1_MEANINGS = {
    "search": "inget sökindex är publicerat ännu; kör kb update",
    "report": "det finns inget lager ännu; kör kb update",
    "stats": "det finns inget lager ännu; kör kb update",
    "test-url": "sidan skulle inte lagras",
    "eval": "en fråga av felklass hittade ingen relevant sida bland de tio första",
}


def meaning_line(code: int, run_id: int | None = None, command: str | None = None) -> str:
    """The final line under -q: what the exit code means (and where the full report is)."""
    where = f"; hela rapporten: kb report --run {run_id}" if run_id is not None and code in (EXIT_PARTIAL, EXIT_UNAVAILABLE) else ""
    meaning = EXIT_1_MEANINGS.get(command or "", "") if code == EXIT_PARTIAL else ""
    return f"kb: slutkod {code}: {meaning or EXIT_MEANINGS.get(code, 'okänd slutkod')}{where}"


def quiet_summary(report: CrawlReport | None, code: int, run: dict[str, Any] | None = None) -> list[str]:
    """What cron mails for a non-zero exit: a line per failed source, then what the exit code means; nothing for 0."""
    if code == EXIT_OK:
        return []
    lines = [source_line(r) for _sid, r in sorted((report.sources if report else {}).items()) if source_failed(r) and r.status != "skipped"]
    index = ((run or {}).get("summary") or {}).get("index")
    if index and code != EXIT_OK and str(index).startswith(("misslyckades", "orört")):
        lines.append(f"kb: index: {index}")
    lines.append(meaning_line(code, report.run_id if report else None))
    return lines
