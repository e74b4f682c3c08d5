"""County, strategy goal and version of every indexed demo page against the authors' labels in the manifest (`kb eval`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from index.evaluate import indexed_manifest_pages
from kb.settings import Settings


@dataclass
class LabelReport:
    """How many pages got the county, goals and newer version their authors gave them."""

    pages: int = 0
    lan_right: int = 0
    lan_wrong: list[str] = field(default_factory=list)  # "key: expected → predicted"
    goal_exact: int = 0
    goal_tp: int = 0
    goal_fp: int = 0
    goal_fn: int = 0
    goal_wrong: list[str] = field(default_factory=list)
    superseded_labelled: int = 0
    superseded_right: int = 0
    version_false: list[str] = field(default_factory=list)  # a newer version found where none is labelled, or the wrong one

    @property
    def goal_precision(self) -> float:
        return self.goal_tp / (self.goal_tp + self.goal_fp) if self.goal_tp + self.goal_fp else 0.0

    @property
    def goal_recall(self) -> float:
        return self.goal_tp / (self.goal_tp + self.goal_fn) if self.goal_tp + self.goal_fn else 0.0


def _values(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [v for v in raw.split(",") if v]
    return [str(v) for v in raw or ()]


def _compare(report: LabelReport, key: str, entry: dict[str, Any], stored: dict[str, Any]) -> None:
    report.pages += 1
    lan, want_lan = sorted(_values(stored.get("lan"))), sorted(entry.get("lan") or ["nationellt"])
    if lan == want_lan:
        report.lan_right += 1
    else:
        report.lan_wrong.append(f"{key}: {', '.join(want_lan)} → {', '.join(lan)}")
    goals, want_goals = set(_values(stored.get("malsattning"))), set(entry.get("malsattningar") or ())
    report.goal_tp += len(goals & want_goals)
    report.goal_fp += len(goals - want_goals)
    report.goal_fn += len(want_goals - goals)
    if goals == want_goals:
        report.goal_exact += 1
    else:
        report.goal_wrong.append(f"{key}: {', '.join(sorted(want_goals)) or '–'} → {', '.join(sorted(goals)) or '–'}")
    newer = stored.get("newer_version")
    newer_path = urlsplit(str(newer["url"])).path if isinstance(newer, dict) and newer.get("url") else None
    wanted = entry.get("superseded_by")
    if wanted:
        report.superseded_labelled += 1
        if newer_path == wanted:
            report.superseded_right += 1
        else:
            report.version_false.append(f"{key}: nyare version {wanted} → {newer_path or '–'}")
    elif newer_path is not None:
        report.version_false.append(f"{key}: ingen nyare version → {newer_path}")


def label_report(settings: Settings, manifest: dict[str, dict[str, Any]]) -> LabelReport:
    """Compare the published index's lan, malsattning and newer_version with the manifest (indexable pages)."""
    report = LabelReport()
    for key, entry, stored in indexed_manifest_pages(settings, manifest):
        _compare(report, key, entry, stored)
    return report


def format_labels(report: LabelReport) -> str:
    """The figures in Swedish, with every miss listed."""
    lines = [
        f"Län, målsättning och version mot författarnas etiketter ({report.pages} indexerade sidor):",
        f"  län rätt {report.lan_right} av {report.pages}",
        f"  målsättning helt rätt {report.goal_exact} av {report.pages}, precision {report.goal_precision:.2f}, "
        f"recall {report.goal_recall:.2f}",
        f"  ersatta versioner rätt {report.superseded_right} av {report.superseded_labelled}, "
        f"felaktigt ersatta {sum('ingen nyare version' in v for v in report.version_false)}",
    ]
    lines += [f"  län: {w}" for w in report.lan_wrong]
    lines += [f"  målsättning: {w}" for w in report.goal_wrong]
    lines += [f"  version: {w}" for w in report.version_false]
    return "\n".join(lines)
