"""Källor with 50 sources and 12 nights of runs: one table (failing first), a page per source, each run read once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb.models import Document, SourceReport
from kb.reasons import reason_label
from kb.settings import Settings, load_settings
from kb.store import Store
from web.app import create_app

SOURCES = 50
NIGHTS = 12


def _sources_yaml() -> str:
    lines = ["sources:"]
    for i in range(SOURCES):
        lines += [f"  - id: k{i:02}", f"    name: Källa {i:02}", f"    organisation: Organisation {i:02}",
                  f"    start_urls: [https://k{i:02}.example.se/]"]
    return "\n".join(lines) + "\n"


def _status(i: int, night: int) -> str:
    if night == NIGHTS - 1 and i in (7, 31):
        return "unreachable" if i == 7 else "partial"
    return "ok"


@pytest.fixture(scope="module")
def fifty(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root: Path = tmp_path_factory.mktemp("fifty")
    (root / "sources.yaml").write_text(_sources_yaml(), encoding="utf-8")
    settings = load_settings(env={}, data_dir=root / "data", sources=root / "sources.yaml", allowed_hosts=("testserver",))
    settings.data_dir.mkdir(parents=True)
    with Store(settings.store_path) as store:
        for night in range(NIGHTS):
            for i in range(SOURCES):  # source i gains a document on nights it divides
                if night % (i % 4 + 1) == 0:
                    store.put_document(Document(url=f"https://k{i:02}.example.se/d{night}", source=f"k{i:02}",
                                                organisation=f"Organisation {i:02}", title=f"Dokument {night}", text="Text om våld."))
            run_id = store.start_run("crawl")
            for i in range(SOURCES):
                report = SourceReport(source=f"k{i:02}", fetched=night, status=_status(i, night))
                if report.status == "partial":
                    report.failures = [(f"https://k{i:02}.example.se/trasig{n}", "http_404", "Not Found") for n in range(600)]
                store.save_source_report(run_id, report)
            store.finish_run(run_id, "ok")
    return settings


def test_fifty_sources_in_one_table_failing_first_each_run_read_once(fifty: Settings, open_backend: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    import kb.store

    reports: list[int] = []
    real = kb.store.Store.run_report

    def counting(self: Any, run_id: int) -> Any:
        reports.append(run_id)
        return real(self, run_id)

    monkeypatch.setattr(kb.store.Store, "run_report", counting)
    r = TestClient(create_app(fifty, open_backend)).get("/kallor")
    assert r.status_code == 200
    rows = r.context["rows"]
    assert len(rows) == SOURCES and r.text.count('<tr role="row"') == SOURCES + 1
    assert [row.id for row in rows[:2]] == ["k07", "k31"] and rows[0].status == "Kunde inte nås" and rows[1].status == "Delvis"
    assert [row.id for row in rows[2:]] == [f"k{i:02}" for i in range(SOURCES) if i not in (7, 31)]
    assert r.context["summary"].startswith("50 källor · 2 källor med fel vid senaste körningen · ")
    assert reports == [reports[0]], "the latest run is read once for all 50 sources"
    k00, k01 = (next(row for row in rows if row.id == sid) for sid in ("k00", "k01"))
    assert k00.change == 1 and k00.change_text == "+1"  # k00 gained a document every night
    assert k01.change == 0 and k01.change_text == "±0"  # k01 every other night; none on the last (night 11)


def test_a_source_page_of_a_failing_source_with_many_failures(fifty: Settings, open_backend: Any) -> None:
    from starlette.testclient import TestClient

    client = TestClient(create_app(fifty, open_backend))
    r = client.get("/kallor/k31")
    assert r.status_code == 200
    ctx = r.context
    assert len(ctx["history"]) == NIGHTS and ctx["chart"] is not None and len(ctx["chart"].dots) == NIGHTS
    assert ctx["source"].failed == 600 and len(ctx["failing_urls"]) == 500 and ctx["failing_hidden"] == "100 adresser"
    assert "Och 100 adresser till." in r.text
    assert ctx["by_reason"] == [{"reason": "http_404", "label": reason_label("http_404"), "count": 600}]
    assert r.text.count('<code class="reason-code">http_404</code>') == 501  # the reasons table and each URL shown
    # the chart's points rise left to right as the count grew, and the table has the same numbers newest first
    ys = [dot.y for dot in ctx["chart"].dots]
    assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]
    counts = [sum(1 for n in range(night + 1) if n % 4 == 0) for night in range(NIGHTS)]  # k31 gains every fourth night
    assert [row.count_text for row in ctx["history"]] == [str(n) for n in reversed(counts)]
