"""HTML extraction: encodings, main content vs furniture, metadata, links, robots, soft 404s, hostile input."""

from __future__ import annotations

import logging
import time

import pytest

from crawler.extract import ExtractError, extract, sniff_format
from crawler.extract.html import (
    MAX_HTML_BYTES,
    check_selector,
    decode_html,
    extract_html,
    strip_site_suffix,
)
from crawler.extract.worker import WorkerPool

SWEDISH = "Våld i nära relationer drabbar många. Även äldre kvinnor utsätts för våld – ”hedersrelaterat” förtryck."
MOJIBAKE = ("Ã¥", "Ã¤", "Ã¶", "\ufffd", "Ã…", "Ã„", "Ã–")


def page(body: str, head: str = "<title>Sida</title>", lang: str = "sv") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


ARTICLE = page(f"<nav><a href='/a'>Meny</a></nav><main><h1>Rubrik</h1><p>{SWEDISH}</p>"
               "<p>Socialtjänsten ska erbjuda stöd, skydd och hjälp till alla som utsätts.</p></main>")


def assert_clean(text: str) -> None:
    for bad in MOJIBAKE:
        assert bad not in text
    assert SWEDISH in text


@pytest.mark.parametrize(
    ("encoding", "content_type", "meta"),
    [
        ("utf-8", "text/html; charset=utf-8", '<meta charset="utf-8">'),
        ("utf-8", "text/html", ""),
        ("utf-8", None, ""),
        ("cp1252", "text/html; charset=windows-1252", ""),
        ("cp1252", "text/html", '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
        ("cp1252", "text/html", ""),  # no charset anywhere
        ("cp1252", "text/html; charset=utf-8", ""),  # the server lies
        ("utf-8", "text/html; charset=iso-8859-1", '<meta charset="iso-8859-1">'),  # both lie
        ("utf-8-sig", "text/html; charset=windows-1252", ""),
        ("utf-16", "text/html", ""),  # with BOM
    ],
)
def test_decodes_without_mojibake(encoding: str, content_type: str | None, meta: str) -> None:
    html = ARTICLE.replace("<title>", meta + "<title>")
    if encoding == "cp1252":
        html = html.replace("”", '"')  # keep to what windows-1252 and latin-1 both hold
        expected = SWEDISH.replace("”", '"')
    else:
        expected = SWEDISH
    body = html.encode(encoding)
    e = extract_html(body, "http://x/", content_type)
    for bad in MOJIBAKE:
        assert bad not in e.text
    assert expected in e.text


def test_mixed_page_utf8_with_stray_windows_1252_bytes() -> None:
    body = ARTICLE.encode("utf-8").replace(b"</main>", "<p>Kontakt: Åsa Öberg</p></main>".encode("cp1252"))
    text = extract_html(body, "http://x/", "text/html").text
    assert_clean(text)
    assert "Åsa Öberg" in text


def test_decode_html_prefers_valid_utf8_over_declared_latin1() -> None:
    assert decode_html("Våld".encode(), "text/html; charset=iso-8859-1") == "Våld"
    assert decode_html("Våld".encode("cp1252"), "text/html; charset=utf-8") == "Våld"


def test_control_characters_and_nuls_are_removed() -> None:
    body = ARTICLE.replace("Rubrik", "Ru\x00bri\x07k").encode() + b"\x00\x00"
    e = extract_html(body.replace(b"drabbar", b"drab\x00bar\x1b"), "http://x/")
    assert "\x00" not in e.text and "\x07" not in e.text and "\x1b" not in e.text
    assert e.title == "Rubrik"
    assert "drabbar" in e.text
    linked = extract_html('<html lang="s\x01v"><body><main><h1>Rubrik</h1><h2>Av\x02snitt</h2><p><a href="/a">L\x03\u200bnk</a></p>'
                          f"<p>{SWEDISH}</p></main></body></html>".encode(), "http://x/")
    assert [link.text for link in linked.links] == ["Lnk"] and linked.language == "sv" and "Avsnitt" in linked.headings


def test_paragraphs_headings_and_main_content() -> None:
    html = page(
        "<header><a href='/'>Myndigheten</a><form role='search'><input name='q'></form></header>"
        "<div class='cookie-banner'>Vi använder kakor för statistik.</div>"
        "<main><nav class='breadcrumb'>Du är här: <a href='/'>Start</a></nav>"
        "<h1>Skyddat boende</h1><p>Första stycket om skyddat boende och placeringar.</p>"
        "<h2>Ansvar</h2><p>Andra stycket<br>med radbrytning.</p><h3>Detaljer</h3><ul><li>Punkt ett</li>"
        "<li>Punkt två</li></ul><h4>Ingen h4</h4><p>Sista stycket.</p>"
        "<div class='share'><h2>Dela sidan</h2><a href='https://facebook.com/x'>Facebook</a></div></main>"
        "<footer>© 2025 Myndigheten</footer>")
    e = extract_html(page_bytes := html.encode(), "http://x/")
    assert e.title == "Skyddat boende"  # the h1 is the title, kept apart from the text
    assert e.text.split("\n\n") == ["Första stycket om skyddat boende och placeringar.", "Ansvar",
                                    "Andra stycket\nmed radbrytning.", "Detaljer", "Punkt ett", "Punkt två",
                                    "Ingen h4", "Sista stycket."]
    assert e.headings == ["Skyddat boende", "Ansvar", "Detaljer"]
    assert page_bytes  # the links still come from the whole page
    assert {link.url for link in e.links} >= {"http://x/", "https://facebook.com/x"}


def test_title_order_and_site_suffix() -> None:
    assert strip_site_suffix("Titel - Sajtnamn") == "Titel"
    assert strip_site_suffix("Titel | Sajt") == "Titel"
    assert strip_site_suffix("Våld – stöd och hjälp – Kommunen") == "Våld – stöd och hjälp"
    assert strip_site_suffix("Titel: undertitel - Myndigheten", "Myndigheten") == "Titel: undertitel"
    assert strip_site_suffix("Bara titel") == "Bara titel"
    body = "<div><p>" + "Text om våld i nära relationer. " * 5 + "</p></div>"
    assert extract_html(page("<main><h1>Från h1</h1>" + body + "</main>",
                             '<title>Från title - Sajt</title><meta property="og:title" content="Från og">').encode(),
                        "http://x/").title == "Från h1"
    assert extract_html(page("<main>" + body + "</main>",
                             '<title>Från title - Sajt</title><meta property="og:title" content="Från og">').encode(),
                        "http://x/").title == "Från og"
    assert extract_html(page("<main>" + body + "</main>", "<title>Från title | Sajt</title>").encode(),
                        "http://x/").title == "Från title"


def test_metadata_language_canonical_description_robots() -> None:
    head = ('<title>T</title><meta name="description" content="Kort beskrivning.">'
            '<link rel="canonical" href="/kanonisk/sida.html"><meta name="robots" content="noindex, nofollow">')
    e = extract_html(page("<main><p>" + SWEDISH * 2 + "</p></main>", head, lang="sv-SE").encode(),
                     "https://www.example.se/a/b.html?x=1")
    assert e.description == "Kort beskrivning."
    assert e.canonical == "https://www.example.se/kanonisk/sida.html"
    assert e.language == "sv"
    assert e.robots_noindex and e.robots_nofollow
    e2 = extract_html(page("<main><p>" + SWEDISH * 2 + "</p></main>",
                           '<meta property="og:description" content="OG"><meta name="robots" content="none">',
                           lang="en").encode(), "http://x/")
    assert (e2.description, e2.language, e2.robots_noindex, e2.robots_nofollow) == ("OG", "en", True, True)
    e3 = extract_html(ARTICLE.encode(), "http://x/")
    assert not e3.robots_noindex and not e3.robots_nofollow and e3.canonical is None


def test_links_absolute_with_base_nofollow_and_no_mailto() -> None:
    html = page('<nav><a href="omraden/vald/">Våld</a></nav><main><p>' + SWEDISH + '</p>'
                '<a href="../publikationer/rapport.pdf" rel="nofollow">Rapport</a>'
                '<a href="mailto:a@b.se">Mejla</a><a href="tel:0101">Ring</a><a href="javascript:void(0)">JS</a>'
                '<a href="#top">Upp</a><a href="https://annan.example.org/x#frag">Extern</a>'
                '<map><area href="/karta" alt="Karta"></map></main>',
                '<title>T</title><base href="https://www.example.se/sv/">')
    e = extract_html(html.encode(), "https://www.example.se/annat/sida.html")
    got = {(link.url, link.text, link.nofollow) for link in e.links}
    assert got == {
        ("https://www.example.se/sv/omraden/vald/", "Våld", False),
        ("https://www.example.se/publikationer/rapport.pdf", "Rapport", True),
        ("https://annan.example.org/x#frag", "Extern", False),
        ("https://www.example.se/karta", "Karta", False),
    }


def test_content_selector_and_drop_selectors() -> None:
    html = page("<div id='wrap'><div class='intro'><p>Inledning som inte ska med i texten alls.</p></div>"
                "<div class='body'><h1>Rubrik</h1><p>" + SWEDISH + "</p><div class='ad'>Annons här</div></div></div>")
    e = extract_html(html.encode(), "http://x/", content_selector="div.body", drop_selectors=(".ad",))
    assert SWEDISH in e.text
    assert "Inledning" not in e.text and "Annons" not in e.text
    e2 = extract_html(html.encode(), "http://x/", drop_selectors=(".intro",))
    assert "Inledning" not in e2.text and SWEDISH in e2.text


def test_invalid_or_unmatched_selector_falls_back_to_rules(caplog: pytest.LogCaptureFixture) -> None:
    assert check_selector("div[[") is not None
    assert check_selector("main .content > p") is None
    with caplog.at_level(logging.WARNING):
        e = extract_html(ARTICLE.encode(), "http://x/", content_selector="div[[", drop_selectors=("p[[",))
    assert SWEDISH in e.text
    assert "ogiltig CSS-väljare" in caplog.text
    assert SWEDISH in extract_html(ARTICLE.encode(), "http://x/", content_selector="#finns-inte").text


@pytest.mark.parametrize(
    "html",
    [
        page("<main><h1>Sidan kunde inte hittas</h1><p>Sidan du söker kan ha flyttats eller tagits bort. "
             "Gå till startsidan eller använd sökfunktionen för att hitta det du letar efter.</p></main>"),
        page("<main><h1>Oj!</h1><p>Sidan finns inte. Kontrollera adressen och försök igen, eller gå till "
             "startsidan och sök efter det du letar efter där.</p></main>"),
        page("<main><h1>Logga in</h1><form><label>Användarnamn<input name='u'></label>"
             "<label>Lösenord<input type='password' name='p'></label></form><p>Inloggning för medarbetare i "
             "kommunens intranät. Kontakta IT-supporten om du har glömt ditt lösenord eller behöver ett konto.</p>"
             "</main>"),
        "",
        "   \n  ",
    ],
)
def test_soft_404(html: str) -> None:
    assert extract_html(html.encode(), "http://x/").soft_404


def test_real_page_is_not_soft_404() -> None:
    assert not extract_html(ARTICLE.encode(), "http://x/").soft_404


@pytest.mark.parametrize(
    ("body", "url", "content_type", "expected"),
    [
        (b"%PDF-1.7\n...", "http://x/a", "text/html", "pdf"),
        (b"<!DOCTYPE html><html>", "http://x/a.pdf", "application/pdf", "html"),  # an error page
        (b"\n\n  <html><body>hej", "http://x/", None, "html"),
        (b"\xef\xbb\xbf<!doctype html>", "http://x/", None, "html"),
        (b"hej hopp", "http://x/", "text/html; charset=utf-8", "html"),
        (b"hej hopp", "http://x/a.txt", "text/plain", None),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "http://x/a.doc", "application/msword", None),
        (b"\x89PNG\r\n\x1a\n", "http://x/a.png", "image/png", None),
        (b"PK\x03\x04broken", "http://x/a.docx", "application/octet-stream", "docx"),
        (b"PK\x03\x04broken", "http://x/a.zip", "application/zip", None),
        (b"garbage", "http://x/a.pptx", "application/octet-stream", "pptx"),
        (b"garbage", "http://x/a.bin", "application/octet-stream", None),
    ],
)
def test_sniff_format(body: bytes, url: str, content_type: str | None, expected: str | None) -> None:
    assert sniff_format(body, url, content_type) == expected


def test_unsupported_format_is_okant_format() -> None:
    with pytest.raises(ExtractError) as info:
        extract(b"\x89PNG\r\n\x1a\n", "http://x/a.png", "image/png")
    assert info.value.reason == "okänt format"


HOSTILE = [
    ("deep nesting", ("<div>" * 10_000 + "<p>" + SWEDISH + "</p>" + "</div>" * 10_000)),
    ("5 MB single line", "<main><p>" + "a" * 5_000_000 + "</p><p>" + SWEDISH + "</p></main>"),
    ("broken markup", "<main><p>" + SWEDISH + "<table><tr><td><p><b><i></div></span><<<>>>&&&;<!-- x"),
    ("deep inline nesting", "<main>" + "<span>" * 20_000 + SWEDISH + "</main>"),
    ("many attributes", "<main><p " + " ".join(f"a{i}='{i}'" for i in range(20_000)) + ">" + SWEDISH + "</p></main>"),
]


@pytest.mark.parametrize(("name", "html"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_html_does_not_crash(name: str, html: str) -> None:
    e = extract(page(html).encode(), "http://x/", "text/html", timeout=30)
    assert isinstance(e.text, str)
    if name in ("broken markup", "many attributes"):
        assert SWEDISH in e.text


def test_huge_body_is_capped() -> None:
    body = page("<main><p>" + SWEDISH + "</p>" + "<p>fyll</p>" * 1_000_000 + "</main>").encode()
    assert len(body) > 2 * MAX_HTML_BYTES
    e = extract_html(body, "http://x/")
    assert SWEDISH in e.text
    assert 100_000 < len(e.text) < MAX_HTML_BYTES


def test_timeout_kills_the_worker_and_the_pool_recovers() -> None:
    pool = WorkerPool(size=1)
    try:
        t0 = time.monotonic()
        with pytest.raises(ExtractError) as info:
            pool.run(time.sleep, 30, timeout=0.5)
        assert info.value.reason == "tidsgräns"
        assert time.monotonic() - t0 < 15
        assert pool.run(sum, [1, 2, 3], timeout=30) == 6
    finally:
        pool.close()


def test_worker_errors_come_back_as_extract_errors() -> None:
    with pytest.raises(ExtractError) as info:
        extract(b"%PDF-1.4\nnot really a pdf", "http://x/a.pdf", "application/pdf", timeout=30)
    assert info.value.reason == "trasig"


def test_extract_in_worker_matches_inline() -> None:
    a = extract(ARTICLE.encode(), "http://x/", "text/html", timeout=30)
    b = extract(ARTICLE.encode(), "http://x/", "text/html", timeout=0)
    assert a == b
    assert a.format == "html" and SWEDISH in a.text


@pytest.mark.parametrize("base", ["https://x.se/a/b?q=1", "https://x.se", "https://x.se/a/", "https://u@x.se:8080/a/b",
                                  "https://arkiv.se/web/2007/http://x.se/a/b.html", "http://x.se/a/b;p"])
@pytest.mark.parametrize("href", ["c", "/z", "b/c?d#e", "c.html?x=1", "/a/b?", "/a/b#", "../up", "./here", "/a/./b",
                                  "//cdn.x.se/f.js", "?sida=2", "#top", "tel:123", "mailto:a@x.se", "a:b/c", "ä/ö"])
def test_plain_relative_links_join_as_urljoin_does(base: str, href: str) -> None:
    from urllib.parse import urljoin, urlsplit

    from crawler.extract.html_meta import absolute

    joined = urljoin(base, href)
    assert absolute(base, href) == (joined if urlsplit(joined).scheme in ("http", "https") and not href.startswith("#")
                                    else None)
