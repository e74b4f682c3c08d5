"""The store's run history: one row per crawl or index run, per-source figures and failures, stale and old runs."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from kb.models import CrawlReport, SourceReport
from kb.storedb import iso as _iso
from kb.storedb import parse_dt as _dt
from kb.storedb import utcnow


class RunHistory:
    """Mixed into kb.store.Store: the run tables (``runs``, ``run_sources``, ``failures``)."""

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...

    def start_run(self, kind: str) -> int:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO runs(kind, started) VALUES (?, ?)", (kind, _iso(utcnow())))
            return int(cur.lastrowid or 0)

    def save_source_report(self, run_id: int, report: SourceReport) -> None:
        """Store one source's figures and its failures for a run (replacing earlier ones)."""
        data = asdict(report)
        data.pop("failures")
        with self.transaction() as db:
            db.execute("DELETE FROM failures WHERE run_id = ? AND source = ?", (run_id, report.source))
            db.execute(
                "INSERT OR REPLACE INTO run_sources(run_id, source, report, doc_count) VALUES (?, ?, ?, "
                "(SELECT COUNT(*) FROM documents WHERE source = ?))",
                (run_id, report.source, json.dumps(data, ensure_ascii=False), report.source),
            )
            db.executemany(
                "INSERT INTO failures(run_id, source, url, reason, detail) VALUES (?, ?, ?, ?, ?)",
                [(run_id, report.source, url, reason, detail[:500]) for url, reason, detail in report.failures],
            )

    def finish_run(self, run_id: int, status: str, exit_code: int | None = None, summary: dict[str, Any] | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished = ?, status = ?, exit_code = ?, summary = ? WHERE id = ?",
                (_iso(utcnow()), status, exit_code, json.dumps(summary or {}, ensure_ascii=False, default=str), run_id),
            )

    def mark_stale_runs(self, note: str, keep: int | None = None) -> list[int]:
        """Mark every run still ``running`` (its process died: kill -9, power cut) as ``avbruten`` with no exit code
        and ``note`` in its summary; ``keep`` is the caller's own run. Only call while holding the update lock."""
        with self.transaction() as db:
            rows = db.execute("SELECT id, summary FROM runs WHERE status = 'running' AND id IS NOT ?", (keep,)).fetchall()
            for row in rows:
                summary = json.loads(row["summary"] or "{}") | {"obs": note}
                db.execute(
                    "UPDATE runs SET status = 'avbruten', exit_code = NULL, summary = ? WHERE id = ?",
                    (json.dumps(summary, ensure_ascii=False), row["id"]),
                )
            return [int(r["id"]) for r in rows]

    def list_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) | {"summary": json.loads(r["summary"])} for r in rows]

    def run_report(self, run_id: int) -> CrawlReport | None:
        """Rebuild a stored run's per-source reports, failures included."""
        runs = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not runs:
            return None
        report = CrawlReport(run_id=run_id, started=_dt(runs[0]["started"]), finished=_dt(runs[0]["finished"]))
        for row in self._query("SELECT source, report FROM run_sources WHERE run_id = ? ORDER BY source", (run_id,)):
            data = json.loads(row["report"])
            sr = SourceReport(**{k: v for k, v in data.items() if k in {f.name for f in fields(SourceReport)}})
            sr.failures = [
                (f["url"], f["reason"], f["detail"])
                for f in self._query(
                    "SELECT url, reason, detail FROM failures WHERE run_id = ? AND source = ? ORDER BY rowid", (run_id, row["source"])
                )
            ]
            report.sources[row["source"]] = sr
        return report

    def source_history(self, source: str, limit: int = 10) -> list[dict[str, Any]]:
        """Newest first: run id, start time, run status and this source's figures."""
        rows = self._query(
            "SELECT r.id, r.started, r.status AS run_status, s.report, s.doc_count FROM run_sources s "
            "JOIN runs r ON r.id = s.run_id WHERE s.source = ? ORDER BY r.id DESC LIMIT ?",
            (source, limit),
        )
        return [
            {"run_id": r["id"], "started": r["started"], "run_status": r["run_status"], "doc_count": r["doc_count"]}
            | json.loads(r["report"])
            for r in rows
        ]

    def prune_runs(self, keep: int) -> None:
        with self.transaction() as db:
            cutoff = db.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", (keep,)).fetchone()
            if cutoff is not None:
                for table in ("failures", "run_sources"):
                    db.execute(f"DELETE FROM {table} WHERE run_id <= ?", (cutoff["id"],))
                db.execute("DELETE FROM runs WHERE id <= ?", (cutoff["id"],))
