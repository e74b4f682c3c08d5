"""`kb index` and `kb search` with the county, goal and version data: --filter lan=…, Swedish lines, JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from kb import cli
from kb.models import Document
from kb.settings import Settings
from kb.store import Store

SOURCES = """sources:
  - id: lst
    name: Länsstyrelsen
    organisation: Länsstyrelsen i Jämtlands län
    start_urls: [https://www.lansstyrelsen.se/jamtland/]
  - id: styr
    name: Styrelsen
    organisation: Styrelsen
    start_urls: [https://styrelsen.example/]
    lan: [nationellt]
"""
BODY = " Våld i nära relationer. Skydd och stöd till våldsutsatta kvinnor och barn. Förebyggande arbete och utbildning."


def run(settings: Settings, *argv: str) -> int:
    return cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *argv])


@pytest.fixture
def indexed(settings: Settings) -> Settings:
    settings.sources.write_text(SOURCES, encoding="utf-8")
    docs = [
        Document(url="https://www.lansstyrelsen.se/jamtland/plan-2025.pdf", source="lst", organisation="", format="pdf",
                 title="Tillsammans mot våld – Handlingsplan 2025", text="Handlingsplan." + BODY, published=date(2025, 1, 2)),
        Document(url="https://styrelsen.example/gammal.html", source="styr", organisation="", title="Föreskrifter (SOSFS 2014:4)",
                 text="SOSFS 2014:4." + BODY, published=date(2014, 1, 2)),
        Document(url="https://styrelsen.example/ny.html", source="styr", organisation="", title="Föreskrifter (HSLF-FS 2022:39)",
                 text="HSLF-FS 2022:39. Dessa föreskrifter ersätter SOSFS 2014:4." + BODY, published=date(2022, 1, 2)),
    ]
    with Store(settings.store_path) as store:
        for doc in docs:
            store.put_document(doc)
    assert run(settings, "-q", "index") == 0
    return settings


def test_filter_by_county_and_national(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(indexed, "search", "våld", "--filter", "lan=jamtlands-lan", "--explain") == 0
    out = capsys.readouterr().out
    assert "1 träffar för ”våld”" in out or "1 träff" in out
    assert "Handlingsplan 2025" in out and "     Län: Jämtlands län" in out
    assert "Län: Jämtlands län eftersom adressen ligger under /jamtland/." in out
    assert run(indexed, "search", "våld", "--filter", "lan=jamtlands-lan", "--filter", "lan=nationellt", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 3 and {"lan", "malsattning"} <= set(data["facets"])


def test_superseded_regulation_in_cli_output(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(indexed, "search", "SOSFS 2014:4") == 0
    out = capsys.readouterr().out
    assert "Nyare version finns: Föreskrifter (HSLF-FS 2022:39) <https://styrelsen.example/ny.html>" in out
    assert run(indexed, "search", "föreskrifter", "--json") == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["url"] for r in results][0] == "https://styrelsen.example/ny.html"
    assert results[1]["newer_version"] == {"url": "https://styrelsen.example/ny.html", "title": "Föreskrifter (HSLF-FS 2022:39)"}
    assert results[1]["lan"] == ["nationellt"]


def test_unknown_filter_key_lists_the_new_facets(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(indexed, "search", "våld", "--filter", "county=x") == 2
    assert "lan" in capsys.readouterr().err


def test_a_sources_county_edit_is_applied_by_a_plain_kb_index(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """A librarian corrects a source's `lan:` in sources.yaml; `kb index` (no --full, no re-crawl) re-classifies its documents."""
    text = indexed.sources.read_text(encoding="utf-8")
    indexed.sources.write_text(text.replace("lan: [nationellt]", "lan: [vastra-gotalands-lan]"), encoding="utf-8")
    assert run(indexed, "-q", "index") == 0
    capsys.readouterr()
    assert run(indexed, "search", "föreskrifter", "--filter", "lan=vastra-gotalands-lan", "--json") == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert sorted(r["url"] for r in results) == ["https://styrelsen.example/gammal.html", "https://styrelsen.example/ny.html"]
    assert all(r["lan"] == ["vastra-gotalands-lan"] for r in results)


def test_an_unreadable_sources_file_does_not_rebuild_without_the_sources_counties(
        indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """`kb index` run where sources.yaml is missing keeps the published counties and says why, instead of a silent full rebuild."""
    text = indexed.sources.read_text(encoding="utf-8")
    indexed.sources.unlink()
    assert run(indexed, "index") == 0
    out, err = capsys.readouterr()
    assert "inkrementellt" in out and "sources.yaml" in err
    assert run(indexed, "search", "föreskrifter", "--filter", "lan=nationellt", "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 2
    indexed.sources.write_text(text, encoding="utf-8")
    assert run(indexed, "index") == 0
    assert "fullständigt" in capsys.readouterr().out  # the sources are back: everything is classified with them again


PAGE = ("<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>Regionalt resurscentrum mot hedersrelaterat våld</title>"
        "</head><body><main><h1>Regionalt resurscentrum mot hedersrelaterat våld och förtryck</h1><p>Från den 1 januari 2026 finns "
        "ett regionalt resurscentrum hos Länsstyrelsen Skåne. Det stödjer kommunerna i Skåne län i arbetet mot hedersrelaterat våld "
        "och förtryck, barnäktenskap och könsstympning.</p></main></body></html>").encode()


def test_test_url_shows_county_and_goals_with_the_librarians_corrections(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """`kb test-url` is where a librarian checks a page before correcting it: county and goals as `kb index` gives them."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = PAGE if self.path == "/heder.html" else b"User-agent: *\nAllow: /\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8" if self.path == "/heder.html" else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.sources.write_text(f"sources:\n  - id: s\n    name: S\n    organisation: S\n    start_urls: ['{base}/']\n"
                                f"    allow_private_network: true\n", encoding="utf-8")
    try:
        capsys.readouterr()
        assert run(settings, "test-url", f"{base}/heder.html", "--json") == 0
        data = json.loads(capsys.readouterr().out)
        assert data["lan"] == ["skane-lan"] and "Län: Skåne län eftersom" in data["explanation"]
        assert "Målsättning:" in data["explanation"] and isinstance(data["malsattningar"], list)
        assert run(settings, "test-url", f"{base}/heder.html") == 0
        assert "Län:           skane-lan" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()


def test_kb_check_checks_the_librarians_corrections_too(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """A librarian who edited kb/corrections.yaml runs `kb check` before the night; it reads that file as well."""
    from kb.corrections import DEFAULT_PATH

    capsys.readouterr()
    assert run(indexed, "check") == 0
    out = capsys.readouterr().out
    assert f"{DEFAULT_PATH}: " in out and "rättelse" in out and out.strip().endswith("2 källor, inga fel")


def test_a_correction_naming_no_document_is_reported(indexed: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """A typo in a corrected URL would silently do nothing; the build names it (identifiers are general knowledge: not named)."""
    from index.versioning import VersionTracker
    from kb.corrections import Corrections, Rule
    from kb.sources import load_sources
    from kb.versions import Supersession

    corrections = Corrections(
        supersessions=(Supersession("SOSFS 1999:1", "https://styrelsen.example/ny.html"),
                       Supersession("https://styrelsen.example/gammal.htm", "https://styrelsen.example/ny.html")),
        lan=(Rule("https://styrelsen.example/", True, ("nationellt",)), Rule("https://styrelsen.example/ny.htm", False, ("nationellt",))),
        malsattning=(Rule("https://annan.example/", True, ("brottsbekampning",)),),
    )
    tracker = VersionTracker({s.id: s for s in load_sources(indexed.sources)[0]}, corrections)
    with Store(indexed.store_path) as store, caplog.at_level("WARNING", logger="index.versioning"):
        tracker.full(store)
    named = [r.getMessage().split(": ", 1)[1].split(" names no", 1)[0] for r in caplog.records]
    assert named == ["https://styrelsen.example/gammal.htm", "https://styrelsen.example/ny.htm", "https://annan.example/"]


def test_corrections_file_outside_the_package_is_read_with_kb_corrections(
        indexed: Settings, tmp_path: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed kb keeps the librarians' corrections where an upgrade cannot overwrite them: KB_CORRECTIONS."""
    own = indexed.data_dir.parent / "rattelser.yaml"
    own.write_text('lan:\n  - {url: "https://styrelsen.example/ny.html", lan: [orebro-lan]}\n', encoding="utf-8")
    monkeypatch.setenv("KB_CORRECTIONS", str(own))
    assert run(indexed, "-q", "index") == 0
    capsys.readouterr()
    assert run(indexed, "search", "HSLF-FS 2022:39", "--json", "--filter", "lan=orebro-lan") == 0
    urls = [h["url"] for h in json.loads(capsys.readouterr().out)["results"]]
    assert urls == ["https://styrelsen.example/ny.html"]
    assert run(indexed, "check") == 0
    assert f"{own}: 1 rättelse, inga fel" in capsys.readouterr().out


def test_stats_counts_documents_per_county_in_the_webs_words(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from kb.lan import load_counties

    assert run(indexed, "stats", "--json") == 0
    lan = json.loads(capsys.readouterr().out)["counts"]["lan"]
    counties = load_counties().counties
    assert list(lan) == ["nationellt", *(c.slug for c in counties)]  # as /lan lists them: national, then all 21
    assert lan["nationellt"] == 2 and lan["jamtlands-lan"] == 1 and sum(lan.values()) == 3
    assert run(indexed, "stats") == 0
    out = capsys.readouterr().out
    section = out.split("Material per län:\n")[1].split("\n\n")[0].splitlines()
    assert len(section) == 1 + len(counties)
    assert section[0].split() == ["Nationellt", "material", "2"]
    assert any(line.split() == ["Jämtlands", "län", "1"] for line in section)
    assert any(line.split() == ["Skåne", "län", "0"] for line in section)  # a county without material is named too


def test_search_words_need_no_quotes_and_a_dash_word_is_excluded(indexed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    # as in the search box: "-ersätter" leaves out the page that says it, wherever it stands; before, argparse read
    # it as an unknown option ("de här argumenten saknas: query") and "-hur …" as -h with a value
    def urls(*argv: str) -> list[str]:
        capsys.readouterr()
        assert run(indexed, "search", "--json", *argv) == 0
        return sorted(r["url"] for r in json.loads(capsys.readouterr().out)["results"])

    both = ["https://styrelsen.example/gammal.html", "https://styrelsen.example/ny.html"]
    assert urls("föreskrifter") == urls("föreskrifter", "sosfs") == both
    assert urls("föreskrifter", "-ersätter") == urls("-ersätter", "föreskrifter") == ["https://styrelsen.example/gammal.html"]
    assert urls("--", "föreskrifter", "-ersätter") == ["https://styrelsen.example/gammal.html"]  # after "--" as before
    # global options abbreviated as argparse allows ("--data DIR", "--so FILE") still find the command after their value
    assert cli.main(["--data", str(indexed.data_dir), "--so", str(indexed.sources), "-q",
                     "search", "--json", "-ersätter", "föreskrifter"]) == 0
    assert [r["url"] for r in json.loads(capsys.readouterr().out)["results"]] == ["https://styrelsen.example/gammal.html"]
    # words on both sides of an option: before, argparse refused the later words as unknown arguments
    assert urls("föreskrifter", "--limit", "5", "-ersätter") == urls("--sort", "nyast", "-ersätter", "--limit=5", "föreskrifter") \
        == ["https://styrelsen.example/gammal.html"]
    with pytest.raises(SystemExit) as info:
        run(indexed, "search", "föreskrifter", "--limit")  # an option without its value is still named
    assert info.value.code == 2 and "--limit" in capsys.readouterr().err
    assert run(indexed, "search", "föreskrifter", "--filter", "-lan=x") == 2  # a value with "-" is named as typed
    assert "--filter '-lan=x': förväntade NYCKEL=VÄRDE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        run(indexed, "search", "-h")
    assert info.value.code == 0 and "-ord utesluter ordet" in capsys.readouterr().out
    # the installed command reads its own argv the same way
    proc = subprocess.run([sys.executable, "-m", "kb.cli", "--data-dir", str(indexed.data_dir), "--sources", str(indexed.sources),
                           "search", "-ersätter", "föreskrifter"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "1 träff" in proc.stdout and "Föreskrifter (SOSFS 2014:4)" in proc.stdout, proc.stderr
