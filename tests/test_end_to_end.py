"""The foundation's "done when": demo sites → kb update → store → index → CLI search and HTTP API, all for real."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb import cli
from kb.settings import Settings, load_settings
from kb.store import Store

DEMO = Path(__file__).resolve().parents[1] / "demo"
MOJIBAKE = ("Ã¥", "Ã¤", "Ã¶", "Ã…", "Ã„", "Ã–", "Ã©", "\ufffd")


@dataclass
class Demo:
    sites: object
    settings: Settings
    first_requests: list
    second_requests: list
    update_code: int
    crawl_code: int
    update_out: str


def _argv(settings: Settings, *rest: str) -> list[str]:
    return ["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *rest]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    from demo.server import DemoSites

    tmp = tmp_path_factory.mktemp("e2e")
    settings = load_settings(env={}, data_dir=tmp / "data", sources=tmp / "sources.yaml",
                             vector_cache=os.environ.get("KB_VECTOR_CACHE", ""))
    sites = DemoSites()
    sites.start()
    try:
        settings.sources.write_text(sites.render_sources(), encoding="utf-8")
        out = io.StringIO()  # the CLI writes through sys.stdout (kb.cli._common._out)
        with contextlib.redirect_stdout(out):
            update_code = cli.main(_argv(settings, "update"))
            first = list(sites.requests)
            crawl_code = cli.main(_argv(settings, "-q", "crawl"))
        second = list(sites.requests)[len(first):]
        yield Demo(sites, settings, first, second, update_code, crawl_code, out.getvalue().rstrip("\n"))
    finally:
        sites.stop()


def test_update_succeeds_and_publishes_an_index(demo: Demo) -> None:
    assert demo.update_code == 0
    current = demo.settings.index_root / "current"
    assert current.is_symlink()
    info = json.loads((current.resolve() / "generation.json").read_text(encoding="utf-8"))
    with Store(demo.settings.store_path) as store:
        assert info["doc_count"] == store.count_documents() > 40
        assert set(store.counts_by("source")) == {"lansstyrelsen", "kunskapscentrum", "nationella-styrelsen", "kommunen", "jamstalldhet"}
        assert set(store.counts_by("format")) >= {"html", "pdf", "docx", "pptx"}
        runs = store.list_runs()
    kinds = [(r["kind"], r["status"], r["exit_code"]) for r in reversed(runs)]
    assert kinds[:2] == [("crawl", "ok", 0), ("index", "ok", 0)]
    assert runs[-1]["summary"]["index"].startswith("Index gen-")


def test_update_prints_the_digest(demo: Demo) -> None:
    assert demo.update_out.startswith("Körning 1 (")
    assert re.search(r"^  lansstyrelsen: ok; nya \d+, ändrade 0, borttagna 0, oförändrade 0, misslyckade 0", demo.update_out, re.M)
    assert "  index: Index gen-" in demo.update_out


def _disallowed(site: str) -> list[str]:
    rules = []
    for line in (DEMO / "sites" / site / "robots.txt").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "disallow" and value.strip():
            rules.append(value.strip())
    return rules


def test_robots_disallowed_sections_were_never_requested(demo: Demo) -> None:
    requested = [(r.site, r.path) for r in demo.first_requests + demo.second_requests]
    assert any(path == "/robots.txt" for _, path in requested)
    checked = 0
    for site in {s for s, _ in requested}:
        rules = _disallowed(site)
        assert rules, site  # the demo sites do disallow something: otherwise this test proves nothing
        checked += 1
        bad = [path for s, path in requested if s == site and any(path.startswith(rule) for rule in rules)]
        assert bad == [], site
    assert checked == 5
    # …and the disallowed pages are linked from the sites, so the crawler did see them
    linked = (DEMO / "sites" / "lansstyrelsen" / "index.html").read_text(encoding="utf-8")
    assert "/intern/" in linked


def test_second_crawl_revalidates_and_downloads_no_bodies(demo: Demo) -> None:
    assert demo.crawl_code == 0
    pages = [r for r in demo.second_requests if r.method == "GET" and not r.path.endswith(("robots.txt", "sitemap.xml"))]
    assert pages, "the second crawl requested nothing"
    assert all(r.if_none_match or r.if_modified_since for r in pages)
    assert {r.status for r in pages} == {304}
    with Store(demo.settings.store_path) as store:
        report = store.run_report(store.list_runs()[0]["id"])
    assert report is not None
    assert sum(r.new + r.changed + r.removed + r.failed for r in report.sources.values()) == 0
    assert sum(r.bytes for r in report.sources.values()) == 0


def test_cli_search_returns_relevant_hits_with_facets(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(_argv(demo.settings, "search", "hedersrelaterat våld", "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] >= 5
    top = data["results"][:5]
    assert all("hedersrelaterat-vald" in hit["delomraden"] for hit in top), [h["title"] for h in top]
    assert "<mark>" in top[0]["snippet"]
    areas = {f["value"]: f["count"] for f in data["facets"]["delomrade"]}
    assert areas["hedersrelaterat-vald"] >= 5
    assert set(data["facets"]) >= {"delomrade", "organisation", "doc_type", "year", "format"}


def test_http_api_returns_the_same_json(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    from starlette.testclient import TestClient

    from index.service import open_backend
    from web.app import create_app

    capsys.readouterr()
    assert cli.main(_argv(demo.settings, "search", "hedersrelaterat våld", "--json")) == 0
    expected = json.loads(capsys.readouterr().out)
    with TestClient(create_app(demo.settings, open_backend)) as client:
        response = client.get("/api/v1/search", params={"q": "hedersrelaterat våld"})
    assert response.status_code == 200
    got = response.json()
    assert got.keys() == expected.keys()
    assert [h["url"] for h in got["results"]] == [h["url"] for h in expected["results"]]
    assert got["results"][0].keys() == expected["results"][0].keys()
    assert got["facets"] == expected["facets"]


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_no_furniture_and_no_mojibake_in_stored_text(demo: Demo) -> None:
    furniture: dict[str, list[str]] = json.loads((DEMO / "furniture.json").read_text(encoding="utf-8"))
    checked = 0
    with Store(demo.settings.store_path) as store:
        for doc in store.iter_documents():
            text = _norm(doc.title + "\n" + doc.text)
            for phrase in furniture.get(doc.source, []):
                assert _norm(phrase) not in text, (doc.url, phrase)
            for bad in MOJIBAKE:
                assert bad not in text, (doc.url, bad)
            checked += 1
    assert checked > 40
    assert all(furniture.get(s) for s in ("lansstyrelsen", "kunskapscentrum", "kommunen"))


def test_report_and_stats_after_update(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(_argv(demo.settings, "report", "--run", "1", "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 0 and data["totals"]["new"] > 40
    assert cli.main(_argv(demo.settings, "stats", "--json")) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["index"]["doc_count"] == stats["documents"]
    assert stats["index"]["size_bytes"] > 0
    assert stats["counts"]["delomrade"]["hedersrelaterat-vald"] >= 5
    assert set(stats["counts"]["doc_type"]) >= {"webbsida", "rapport"}
    assert all(re.fullmatch(r"\d{4}", y) for y in stats["counts"]["year"])


def test_test_url_shows_what_would_be_stored(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    base = demo.sites.urls["lansstyrelsen"]  # type: ignore[attr-defined]
    capsys.readouterr()
    assert cli.main(_argv(demo.settings, "test-url", f"{base}/kvinnofrid/kompetensteam-heder.html", "--json")) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["source"] == "lansstyrelsen" and r["robots"] == "tillåten" and r["http_status"] == 200
    assert r["title"] == "Kompetensteamet mot hedersrelaterat våld och förtryck"
    assert r["delomraden"][0] == "hedersrelaterat-vald" and r["reasons"]["hedersrelaterat-vald"]
    assert r["links"]["count"] > 5 and r["would_store"] is True
    # robots.txt disallows /intern/: not fetched, exit 1
    before = len(demo.sites.requests)  # type: ignore[attr-defined]
    assert cli.main(_argv(demo.settings, "test-url", f"{base}/intern/rutin-hot-och-vald.html")) == 1
    out = capsys.readouterr().out
    assert "spärrad av robots.txt" in out and "Skulle lagras: nej" in out
    assert not any(r.path.startswith("/intern/") for r in demo.sites.requests[before:])  # type: ignore[attr-defined]
    # outside every source
    assert cli.main(_argv(demo.settings, "test-url", "https://example.org/")) == 1
    assert "utanför alla källor" in capsys.readouterr().out


BROKEN = textwrap.dedent(
    """\
    sources:
      - id: nck
        name: NCK
        organisation: NCK
        start_urls: [https://nck.uu.se/]
        dealy: 2
      - id: bra
        name: Brå
        organisation: Brå
        start_urls: ["htp:/bra.se"]
      - name: Utan id
        organisation: X
        start_urls: [https://x.se/]
      - id: nck
        name: Dubblett
        organisation: NCK
        start_urls: [https://nck.uu.se/b/]
      - id: typer
        name: Typer
        organisation: T
        start_urls: https://t.se/
        max_pages: "tusen"
        enabled: "ja"
        delay: -1
    """
)


def test_check_names_every_problem_in_a_broken_file_with_its_line(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(BROKEN, encoding="utf-8")
    assert cli.main(_argv(settings, "check")) == 78
    err = capsys.readouterr().err
    f = str(settings.sources)
    lines = err.splitlines()
    expected = [
        f"{f}:6: fel: sources[0] (nck).dealy: okänd nyckel (menade du 'delay'?)",
        f"{f}:10: fel: sources[1] (bra).start_urls = 'htp:/bra.se': förväntade en fullständig URL som börjar med http:// eller https://",
        f"{f}:11: fel: sources[2].id: obligatorisk nyckel saknas",
        f"{f}:14: fel: sources[3].id = 'nck': id:t används redan (första gången på rad 2)",
        f"{f}:22: fel: sources[4] (typer).max_pages = 'tusen': förväntade ett heltal från 1 till 1000000",
        f"{f}:23: fel: sources[4] (typer).enabled = 'ja': förväntade true eller false",
        f"{f}:24: fel: sources[4] (typer).delay = -1: förväntade ett antal sekunder från 0 till 3600",
    ]
    for line in expected:
        assert line in lines, (line, err)
    assert lines[-1] == "kb: 7 fel i konfigurationen"


def test_human_search_output_shows_swedish_labels(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(_argv(demo.settings, "search", "hedersrelaterat våld", "--limit", "3")) == 0
    meta = [line for line in capsys.readouterr().out.splitlines() if " · " in line]
    assert len(meta) == 3
    assert all("Hedersrelaterat våld och förtryck" in line and "hedersrelaterat-vald" not in line for line in meta), meta
    from kb.taxonomy import load_taxonomy

    slugs = {c.slug for c in load_taxonomy().doc_types} | {"html", "pdf"}
    assert not any(part in slugs for line in meta for part in line.strip().split(" · ")), meta


def test_test_url_links_are_clean_and_columns_aligned(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{demo.sites.urls['lansstyrelsen']}/kvinnofrid/kompetensteam-heder.html"  # type: ignore[attr-defined]
    capsys.readouterr()
    assert cli.main(_argv(demo.settings, "test-url", url, "--json")) == 0
    links = json.loads(capsys.readouterr().out)["links"]
    # the page links /om-webbplatsen/#kakor twice and the start page three times
    assert links["first"] and not any("#" in u for u in links["first"])
    assert len(links["first"]) == len(set(links["first"]))
    assert cli.main(_argv(demo.settings, "test-url", url)) == 0
    out = capsys.readouterr().out
    assert "HTTP-status:   200" in out and "Innehållstyp:  text/html" in out


def test_demo_no_serve_records_its_runs_like_update(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(env={}, data_dir=tmp_path / "demo", sources=tmp_path / "unused.yaml")
    capsys.readouterr()
    assert cli.main(["--data-dir", str(settings.data_dir), "demo", "--no-serve", "--port", "8765"]) == 0
    out = capsys.readouterr().out
    assert "Sök på" not in out and "Ctrl-C" not in out
    assert "index: " in out  # the same digest `kb update` prints
    with Store(settings.store_path) as store:
        runs = store.list_runs()
    assert [(r["kind"], r["status"], r["exit_code"]) for r in reversed(runs)] == [("crawl", "ok", 0), ("index", "ok", 0)]
