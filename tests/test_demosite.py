"""Tests for the bundled demo sites, their builder and the local demo server (demo.server)."""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from markupsafe import Markup

import demo
from demo.server import DEFAULT_ROOT, DEFAULT_SOURCES, DemoSites, fixed_ports

MANIFEST: list[dict] = json.loads(demo.MANIFEST.read_text(encoding="utf-8"))
FURNITURE: dict[str, list[str]] = json.loads(demo.FURNITURE.read_text(encoding="utf-8"))
DELOMRADEN = ["vald-i-nara-relationer", "sexuellt-vald", "hedersrelaterat-vald", "prostitution-manniskohandel",
              "barn-som-upplever-vald", "valdsutovare", "skyddat-boende", "forebyggande", "digitalt-vald"]
LABELS = ["Våld i nära relationer", "Sexuellt våld", "Hedersrelaterat våld och förtryck",
          "Prostitution och människohandel", "Barn som upplever våld", "Våldsutövare", "Skyddat boende",
          "Våldsförebyggande arbete", "Digitalt våld"]
HTML_PAGES = [m for m in MANIFEST if m["kind"] != "document"]
DOCUMENTS = [m for m in MANIFEST if m["kind"] == "document"]


@pytest.fixture(scope="module")
def sites() -> Iterator[DemoSites]:
    with DemoSites() as s:
        yield s


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def raw_get(base: str, path: str) -> tuple[int, bytes]:
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def page_text(m: dict, body: bytes) -> str:
    return body.decode("cp1252" if m.get("encoding") == "windows-1252" else "utf-8")


def test_counts_meet_minimums() -> None:
    assert len(HTML_PAGES) >= 80
    formats = [m["format"] for m in DOCUMENTS]
    assert len(DOCUMENTS) >= 6
    assert formats.count("pdf") >= 4 and "docx" in formats and "pptx" in formats
    for m in MANIFEST:
        rel = m["path"].lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        assert (DEFAULT_ROOT / m["site"] / rel).is_file(), m
    assert len(FURNITURE) >= 4 and set(FURNITURE) == {m["site"] for m in MANIFEST}


def visible_text(markup: str) -> str:
    markup = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def test_every_page_has_furniture_and_no_placeholders(sites: DemoSites) -> None:
    feedback = 0
    for m in HTML_PAGES:
        status, headers, body = fetch(sites.urls[m["site"]] + m["path"])
        assert status == 200, m["path"]
        text = page_text(m, body)
        assert "{{site:" not in text, m["path"]
        assert "Vi använder kakor" in text and "<button" in text
        assert "Du är här" in text
        assert "© 2025" in text and "Tillgänglighetsredogörelse" in text and "Om kakor" in text
        assert 'type="search"' in text or 'name="q"' in text
        nav_pos = [text.find(label) for label in LABELS]
        assert all(p >= 0 for p in nav_pos), m["path"]
        assert f"<title>{m['title']}" in text.replace("&#x27;", "'") or m["kind"] == "start"
        if m["kind"] == "article":
            assert "Dela sidan" in text and "LinkedIn" in text and "E-post" in text
            assert "Publicerad " in text
            assert m["key_sentence"] in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text))
        for s in FURNITURE[m["site"]]:
            if s in ("Var sidan till hjälp?", "Dela sidan") or " " in s and s.startswith(LABELS[0]):
                continue
            assert s.replace("&", "&amp;") in text or s in text, (m["path"], s)
    feedback = sum(1 for m in HTML_PAGES if m["kind"] == "article")
    assert feedback > 0


def test_placeholders_substituted_with_base_urls(sites: DemoSites) -> None:
    status, _, body = fetch(sites.urls["lansstyrelsen"] + "/")
    text = body.decode()
    assert sites.urls["kunskapscentrum"] + "/publikationer/handbok-vald-i-nara-relationer.pdf" in text
    for base in sites.urls.values():
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        _, _, robots = fetch(base + "/robots.txt")
        assert f"Sitemap: {base}/sitemap.xml" in robots.decode()
    rendered = yaml.safe_load(sites.render_sources())
    assert len(rendered["sources"]) == len(sites.urls)
    for src in rendered["sources"]:
        assert src["start_urls"] == [sites.urls[src["id"]] + "/"]
        assert "{{" not in json.dumps(src)
    assert "{{site:" in DEFAULT_SOURCES.read_text(encoding="utf-8")


def test_conditional_requests(sites: DemoSites) -> None:
    url = sites.urls["kunskapscentrum"] + "/kunskapsbank/sexuellt-vald.html"
    status, headers, body = fetch(url)
    assert status == 200 and headers["ETag"].startswith('"') and "Last-Modified" in headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    status2, _, body2 = fetch(url, {"If-None-Match": headers["ETag"]})
    assert status2 == 304 and body2 == b""
    status3, _, _ = fetch(url, {"If-Modified-Since": headers["Last-Modified"]})
    assert status3 == 304
    status4, _, _ = fetch(url, {"If-None-Match": '"nope"'})
    assert status4 == 200
    status5, h5, body5 = fetch(url, method="HEAD")
    assert status5 == 200 and body5 == b"" and h5["ETag"] == headers["ETag"]
    rec = [r for r in sites.requests if r.path == "/kunskapsbank/sexuellt-vald.html" and r.status == 304]
    assert any(r.if_none_match == headers["ETag"] for r in rec)
    # documents are binary and served as-is
    status, headers, body = fetch(sites.urls["kunskapscentrum"] + "/publikationer/handbok-vald-i-nara-relationer.pdf")
    assert status == 200 and body.startswith(b"%PDF") and headers["Content-Type"] == "application/pdf"


def test_robots_disallow_matches_existing_linked_pages(sites: DemoSites) -> None:
    for sid, base in sites.urls.items():
        _, _, robots = fetch(base + "/robots.txt")
        disallows = [ln.split(":", 1)[1].strip() for ln in robots.decode().splitlines() if ln.startswith("Disallow:")]
        assert "/intern/" in disallows
        blocked = [m for m in HTML_PAGES if m["site"] == sid and m["path"].startswith("/intern/")]
        assert len(blocked) >= 2 and all(not m["indexable"] for m in blocked)
        for m in blocked:
            assert fetch(base + m["path"])[0] == 200
        _, _, home = fetch(base + "/")
        assert 'href="/intern/"' in home.decode()


def test_sitemaps_parse_and_resolve(sites: DemoSites) -> None:
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    for base in sites.urls.values():
        status, headers, body = fetch(base + "/sitemap.xml")
        assert status == 200 and "xml" in headers["Content-Type"]
        root = ET.fromstring(body)
        locs = root.findall("sm:url", ns)
        assert len(locs) >= 10
        for u in locs:
            loc = u.find("sm:loc", ns).text
            assert loc.startswith(base + "/")
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", u.find("sm:lastmod", ns).text)
            assert "/intern/" not in loc
            assert fetch(loc, method="HEAD")[0] == 200


def test_every_subarea_covered() -> None:
    indexable = [m for m in MANIFEST if m["indexable"]]
    for slug in DELOMRADEN:
        hits = [m for m in indexable if slug in m["delomraden"]]
        assert len(hits) >= 3, slug
    for m in indexable:
        assert set(m["delomraden"]) <= set(DELOMRADEN)
        assert m["key_sentence"] and m["published"]
    doc_types = {m["doc_type"] for m in indexable}
    assert {"handbok", "vägledning", "metodstöd", "rapport", "föreskrift", "utbildning", "handlingsplan",
            "webbsida"} <= doc_types
    groups = {g for m in indexable for g in m["malgrupp"]}
    assert {"socialtjänst", "hälso- och sjukvård", "skola", "rättsväsende", "civilsamhälle"} <= groups


def test_special_pages(sites: DemoSites) -> None:
    kinds = {m["kind"]: m for m in MANIFEST}
    noindex, canon = kinds["noindex"], kinds["canonical-duplicate"]
    _, _, body = fetch(sites.urls[noindex["site"]] + noindex["path"])
    assert '<meta name="robots" content="noindex">' in body.decode()
    _, _, body = fetch(sites.urls[canon["site"]] + canon["path"])
    assert f'<link rel="canonical" href="{sites.urls[canon["site"]]}{canon["canonical"]}">' in body.decode()
    _, _, listing = fetch(sites.urls["kommunen"] + "/nyheter/")
    assert "?utm_source=nyhetsbrev" in listing.decode()
    # directory without trailing slash redirects
    status, headers, _ = fetch(sites.urls["kommunen"] + "/nyheter")
    assert status == 200  # urllib follows the 301


def test_windows_1252_page_served_without_charset(sites: DemoSites) -> None:
    m = next(m for m in MANIFEST if m.get("encoding") == "windows-1252")
    status, headers, body = fetch(sites.urls[m["site"]] + m["path"])
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1252")
    assert "kvinnofridsarbete" in text and "stöd" in text and "”Kvinnofridsråd”" in text
    assert m["indexable"]


def test_404_and_traversal(sites: DemoSites) -> None:
    base = sites.urls["kommunen"]
    status, headers, body = fetch(base + "/finns-inte.html")
    assert status == 404 and "Sidan finns inte" in body.decode()
    for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
                 "/nyheter/../../../etc/passwd", "/_meta.json", "/%5f%6deta.json", "//etc/passwd",
                 "/..\\..\\etc\\passwd"]:
        status, body = raw_get(base, path)
        assert status == 404, path
        assert b"root:" not in body
    assert fetch(base + "/_meta.json")[0] == 404


def test_pdfs_open_and_have_running_headers() -> None:
    pdfium = pytest.importorskip("pypdfium2")
    pdfs = [m for m in DOCUMENTS if m["format"] == "pdf"]
    assert len(pdfs) >= 4
    hyphenated = 0
    split_phrase = 0
    for m in pdfs:
        doc = pdfium.PdfDocument(str(DEFAULT_ROOT / m["site"] / m["path"].lstrip("/")))
        try:
            assert 2 <= len(doc) <= 6
            for i in range(len(doc)):
                text = doc[i].get_textpage().get_text_range()
                assert m["running_header"] in text
                assert f"Sida {i + 1} av {len(doc)}" in text
        finally:
            doc.close()
        hyphenated += len(m["hyphenated_words"])
        split_phrase += len(m["line_split_phrases"])
    assert hyphenated >= 4 and split_phrase >= 1


def test_office_documents_have_content() -> None:
    import docx
    from pptx import Presentation

    for m in DOCUMENTS:
        f = DEFAULT_ROOT / m["site"] / m["path"].lstrip("/")
        if m["format"] == "docx":
            d = docx.Document(str(f))
            text = "\n".join(p.text for p in d.paragraphs)
            assert m["key_sentence"] in text and d.tables
        elif m["format"] == "pptx":
            prs = Presentation(str(f))
            assert len(prs.slides) >= 4
            assert any(s.has_notes_slide and s.notes_slide.notes_text_frame.text for s in prs.slides)
            shapes = [sh for s in prs.slides for sh in s.shapes]
            assert any(sh.shape_type == 6 for sh in shapes)  # group
            assert any(sh.has_table for sh in shapes if hasattr(sh, "has_table"))


def test_furniture_strings_not_in_content() -> None:
    for m in MANIFEST:
        for s in FURNITURE[m["site"]]:
            assert s not in (m["key_sentence"] or ""), (m["path"], s)
            assert s not in m["title"], (m["path"], s)


def test_builder_output_equals_the_committed_sites(tmp_path: Path) -> None:
    """demo/sites is built from demo/content by demo.builder and committed: a rebuild gives the same bytes."""
    from demo.builder.__main__ import build

    manifest = build(tmp_path)
    assert manifest == MANIFEST
    built = sorted(p.relative_to(tmp_path / "sites") for p in (tmp_path / "sites").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(DEFAULT_ROOT) for p in DEFAULT_ROOT.rglob("*") if p.is_file())
    assert built == committed and len(built) > 100
    differ = [str(rel) for rel in built if (tmp_path / "sites" / rel).read_bytes() != (DEFAULT_ROOT / rel).read_bytes()]
    assert differ == [], "demo/sites is stale: run python -m demo.builder"
    assert (tmp_path / "furniture.json").read_bytes() == demo.FURNITURE.read_bytes()


def test_builder_templates_escape_what_they_insert() -> None:
    from demo.builder.site import Page, template_environment

    site = {"id": "kommunen", "name": "Ekbacka <kommun>", "address": "a & b", "phone": "1", "email": "e"}
    page = Page("/x.html", 'Titel "<script>"', "Rubrik <b>", [("Start", "/"), ("<i>", None)], Markup("<p>ok</p>"),
                ingress="<em>ingress</em>", related=[("<r>", "/r?a=1&b=2")])
    text = template_environment().get_template("kommunen.html").render(site=site, page=page, nav=[("<n>", "/n/")])
    for raw in ("<script>", "<b>", "<i>", "<em>", "<r>", "<n>", "<kommun>", "a & b", "a=1&b"):
        assert raw not in text, raw
    assert "<p>ok</p>" in text and "Rubrik &lt;b&gt;" in text and "/r?a=1&amp;b=2" in text


def test_fixed_ports_fall_back_to_a_free_port_when_taken() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        probe.listen()
        taken = probe.getsockname()[1]
        ports = {sid: 0 for sid in fixed_ports()} | {"kommunen": taken}
        with DemoSites(ports=ports) as sites:
            port = int(urlsplit(sites.urls["kommunen"]).port or 0)
            assert port not in (0, taken)
            assert fetch(sites.urls["kommunen"] + "/robots.txt")[0] == 200
    free = _free_port()
    with DemoSites(ports={"kommunen": free}) as sites:
        assert sites.urls["kommunen"] == f"http://127.0.0.1:{free}"
    assert fixed_ports(9000) == {sid: 9000 + i for i, sid in enumerate(sorted(FURNITURE))}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
