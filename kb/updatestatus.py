"""The outcome of the last `kb update` for monitoring: a JSON file in the data directory and a node exporter textfile."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

log = logging.getLogger(__name__)

STATUS_FILE = "last_update.json"  # in the data directory; the web app's /metrics and /readyz read it


@dataclass(frozen=True)
class UpdateOutcome:
    """One `kb update`: exit code, start (Unix time), duration, documents and failed URLs per source."""

    exit_code: int
    started: float
    seconds: float
    documents: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    last_success: float | None = None  # start of the newest update that exited 0 (this one or an earlier one)

    @property
    def finished(self) -> float:
        return self.started + self.seconds


def read_outcome(data_dir: Path) -> UpdateOutcome | None:
    """The last recorded update, None when there is none or the file cannot be read."""
    try:
        raw = json.loads((Path(data_dir) / STATUS_FILE).read_text(encoding="utf-8"))
        return UpdateOutcome(
            exit_code=int(raw["exit_code"]), started=float(raw["started"]), seconds=float(raw["seconds"]),
            documents={str(k): int(v) for k, v in dict(raw.get("documents") or {}).items()},
            failures={str(k): int(v) for k, v in dict(raw.get("failures") or {}).items()},
            last_success=None if raw.get("last_success") is None else float(raw["last_success"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def registry_for(outcome: UpdateOutcome) -> CollectorRegistry:
    """The outcome as Prometheus gauges (``kb_update_*``) in a registry of their own."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, value: float | None) -> None:
        if value is not None:
            Gauge(name, doc, registry=registry).set(value)

    gauge("kb_update_exit_code", "Exit code of the last kb update (0 ok, 1 partial, 69 unreachable, 74 I/O, 65 damaged store)",
          outcome.exit_code)
    gauge("kb_update_duration_seconds", "Duration of the last kb update", outcome.seconds)
    gauge("kb_update_last_run_timestamp_seconds", "When the last kb update finished (Unix time)", outcome.finished)
    gauge("kb_update_last_success_timestamp_seconds", "When the newest kb update that exited 0 started (Unix time)",
          outcome.last_success)
    docs = Gauge("kb_update_documents", "Documents stored per source after the last kb update", ["source"], registry=registry)
    for source, count in sorted(outcome.documents.items()):
        docs.labels(source).set(count)
    failed = Gauge("kb_update_failed_urls", "URLs that failed per source in the last kb update", ["source"], registry=registry)
    for source, count in sorted(outcome.failures.items()):
        failed.labels(source).set(count)
    return registry


def write_outcome(data_dir: Path, outcome: UpdateOutcome, textfile: str = "") -> UpdateOutcome:
    """Record ``outcome`` (carrying the previous success time forward unless this one succeeded) in the data
    directory and, when ``textfile`` is set, in the node exporter's textfile format; both writes are atomic.
    Never raises: monitoring must not change an update's exit code."""
    previous = read_outcome(data_dir)
    last_success = outcome.started if outcome.exit_code == 0 else (previous.last_success if previous else None)
    outcome = UpdateOutcome(outcome.exit_code, outcome.started, outcome.seconds, outcome.documents, outcome.failures, last_success)
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        _atomic_write(Path(data_dir) / STATUS_FILE, json.dumps(asdict(outcome), ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:
        log.warning("could not write the update status to %s: %s", data_dir, exc)
    if textfile:
        try:
            write_to_textfile(textfile, registry_for(outcome))
        except OSError as exc:
            log.warning("could not write the node exporter textfile %s: %s", textfile, exc)
    return outcome


def outcome_fields(outcome: UpdateOutcome | None) -> dict[str, Any]:
    """The outcome for a JSON health answer (empty when no update was recorded)."""
    if outcome is None:
        return {}
    return {"exit_code": outcome.exit_code, "finished": outcome.finished, "seconds": round(outcome.seconds, 2),
            "last_success": outcome.last_success}
