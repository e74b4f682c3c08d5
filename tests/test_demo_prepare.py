"""`kb demo` run again: only live links and true counts, whether the demo sites keep their ports or move (demo.prepare)."""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

import demo
from demo.prepare import SITES_FILE, SOURCES_FILE, prepare_data_dir
from demo.server import DemoSites
from kb import cli
from kb.errors import ConfigError
from kb.readmodel import SourceReports
from kb.settings import Settings, load_settings
from kb.store import Store

MANIFEST = json.loads(demo.MANIFEST.read_text(encoding="utf-8"))
INDEXABLE = Counter(m["site"] for m in MANIFEST if m["indexable"])  # pages and documents per site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_demo(data: Path, sites_port: int, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, str], str]:
    """One `kb demo --no-serve`; returns the demo sites' addresses as it printed them, and its output."""
    capsys.readouterr()
    assert cli.main(["--data-dir", str(data), "demo", "--no-serve", "--port", "8765", "--sites-port", str(sites_port)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("Demosajter: "))
    urls = dict(item.split(" ") for item in line.removeprefix("Demosajter: ").split(", "))
    assert set(urls) == set(INDEXABLE)
    return urls, out


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    assert cli.main(list(argv)) == 0
    return dict(json.loads(capsys.readouterr().out))


def _assert_true_to(settings: Settings, urls: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """Store, Källor figures and index hold each demo document once, at the addresses in ``urls``."""
    with Store(settings.store_path) as store:
        stored = [(d.source, d.url) for d in store.iter_documents()]
    assert Counter(source for source, _ in stored) == INDEXABLE
    assert all(url.startswith(urls[source] + "/") for source, url in stored), stored
    reports = SourceReports(settings)
    try:
        overview = reports.overview()
    finally:
        reports.close()
    assert overview.problem is None
    assert {row.id: row.count for row in overview.sources} == dict(INDEXABLE)  # the Källor page's counts
    data = str(settings.data_dir)
    stats = _json(capsys, "--data-dir", data, "stats", "--json")
    assert stats["documents"] == stats["index"]["doc_count"] == sum(INDEXABLE.values())
    hits = _json(capsys, "--data-dir", data, "search", "våld", "--json", "--limit", "50")["results"]
    assert len(hits) > 20
    assert all(any(hit["url"].startswith(base + "/") for base in urls.values()) for hit in hits), [h["url"] for h in hits]
    ports = {sid: int(url.rsplit(":", 1)[1]) for sid, url in urls.items()}
    with DemoSites(ports=ports) as live:  # the same addresses again: every link answers
        assert live.urls == urls
        for _, url in stored + [(hit["source"], hit["url"]) for hit in hits]:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, url


def test_demo_run_again_keeps_its_store_or_starts_afresh_when_the_sites_moved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "demo"
    settings = load_settings(env={}, data_dir=data, sources=data / SOURCES_FILE, vector_cache=os.environ.get("KB_VECTOR_CACHE", ""))
    first_port = _free_port()
    first, out = _run_demo(data, first_port, capsys)
    assert f"kommunen: ok; nya {INDEXABLE['kommunen']}, ändrade 0" in out
    again, out = _run_demo(data, first_port, capsys)  # same ports: an ordinary update of the same store
    assert again == first and "nya adresser" not in out
    assert len(re.findall(r": ok; nya 0, ändrade 0, borttagna 0, oförändrade \d+, misslyckade 0", out)) == 5, out
    assert "publicerat (inkrementellt)" in out and "0 nya, 0 ändrade, 0 borttagna" in out, out  # not "80 nya" again
    _assert_true_to(settings, again, capsys)
    with Store(settings.store_path) as store:
        assert len([r for r in store.list_runs() if r["kind"] == "crawl"]) == 2

    moved_port = _free_port()
    moved, out = _run_demo(data, moved_port, capsys)  # new ports: what a second `make demo` used to break
    assert set(moved.values()).isdisjoint(first.values())
    assert "Demosajterna har nya adresser sedan förra körningen" in out
    assert f"kommunen: ok; nya {INDEXABLE['kommunen']}, ändrade 0" in out  # everything fetched again from the new addresses
    assert json.loads((data / SITES_FILE).read_text(encoding="utf-8")) == moved
    assert all(url in (data / SOURCES_FILE).read_text(encoding="utf-8") for url in moved.values())
    _assert_true_to(settings, moved, capsys)
    with Store(settings.store_path) as store:
        assert len([r for r in store.list_runs() if r["kind"] == "crawl"]) == 1  # the store started afresh


def test_a_store_the_demo_did_not_write_is_refused_not_emptied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(env={}, data_dir=tmp_path / "prod", sources=tmp_path / "sources.yaml")
    with Store(settings.store_path) as store:
        store.set_meta("owner", "produktion")
    capsys.readouterr()
    assert cli.main(["--data-dir", str(settings.data_dir), "demo", "--no-serve", "--sites-port", str(_free_port())]) == 78
    err = capsys.readouterr().err
    assert "--data-dir" in err and "välj en tom katalog för demon" in err
    with Store(settings.store_path) as store:
        assert store.get_meta("owner") == "produktion"
    assert not (settings.data_dir / SOURCES_FILE).exists()
    with DemoSites() as sites:  # and the guard itself, without the CLI
        with pytest.raises(ConfigError):
            prepare_data_dir(settings, sites)
