"""Golden tests for each failure class of issue 15 (and the short-page soft 404 of issue 10), plus the Swedish set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract.bench import block_kept, norm
from crawler.extract.html import extract_html
from crawler.extract.html_clean import is_furniture_name
from crawler.extract.html_parse import parse
from crawler.extract.model import Extracted

SV = Path(__file__).parent / "extract_sv"
GOLD = json.loads((SV / "gold.json").read_text(encoding="utf-8"))

ARTICLE = ("<p>Kommunen har ett ansvar för att kvinnor som utsätts för våld får stöd, skydd och hjälp att bearbeta det "
           "som hänt, och socialtjänsten ska göra en utredning av behoven.</p>"
           "<p>Stödet ska vara likvärdigt i hela länet, oavsett var den som söker hjälp bor, och barnen ska få egna "
           "samtal med en behandlare som har kunskap om våld.</p>"
           "<p>Länsstyrelsen följer upp arbetet varje år, samlar kommunerna till nätverksträffar och sammanställer "
           "en lägesbild, som publiceras på webbplatsen under våren.</p>")


def page(body: str, title: str = "Sida") -> bytes:
    return f'<!DOCTYPE html><html lang="sv"><head><title>{title}</title></head><body>{body}</body></html>'.encode()


def stored(e: Extracted) -> str:
    """What the store keeps of a page and search sees: the title (the h1, kept apart) and the text."""
    return norm(e.title + "\n" + e.text)


def text(body: str, title: str = "Sida") -> str:
    return stored(extract_html(page(body, title), "https://x.example/sida"))


def test_no_main_div_soup_drops_contact_box_footer_and_news() -> None:
    t = text('<div class="top"><ul><li><a href="/a">Sexuellt våld</a></li><li><a href="/b">Skyddat boende</a></li>'
             '<li><a href="/c">Digitalt våld</a></li></ul></div><div class="row"><div class="col pagecontent">'
             f'<h1>Stöd i länet</h1>{ARTICLE}</div><div class="col">'
             '<div class="box"><h2>Kontakt</h2><p>Karin Lundqvist, utredare, 010-224 10 17</p></div>'
             '<div class="news-list"><h2>Aktuellt</h2><ul><li><a href="/n1">Konferens om människohandel</a>'
             '<p>Anmäl dig till höstens konferens om prostitution och människohandel i norra Sverige.</p></li></ul></div>'
             '</div></div><div class="site-bottom"><p>Länsstyrelsen, Organisationsnummer 202100-2742</p></div>')
    assert "Länsstyrelsen följer upp arbetet varje år" in t and "Stöd i länet" in t
    for leak in ("Karin Lundqvist", "Organisationsnummer", "konferens om prostitution", "Skyddat boende"):
        assert leak not in t, leak


@pytest.mark.parametrize("cls", ["articleContent pagination-first", "post-main-aside-container", "entry-content has-comments"])
def test_class_names_are_matched_as_whole_parts(cls: str) -> None:
    t = text(f'<div class="{cls}"><h1>Rubrik</h1>{ARTICLE}</div><div class="sidebar"><p>Annons i sidfältet här.</p></div>')
    assert "Länsstyrelsen följer upp arbetet varje år" in t
    assert "Annons i sidfältet" not in t


def test_furniture_names() -> None:
    root = parse(b'<div class="share-box"></div><div class="pagination-first"></div><div class="lst-breadcrumbs"></div>'
                 b'<div class="post-main-aside-container"></div><div id="cookieBanner"></div>')
    assert root is not None
    found = {el.get("class") or el.get("id"): is_furniture_name(el) for el in root.iter("div")}
    assert found == {"share-box": True, "pagination-first": False, "lst-breadcrumbs": True,
                     "post-main-aside-container": False, "cookieBanner": True}


def test_densest_of_several_main_regions() -> None:
    t = text('<div role="main"><h2>Senaste nytt</h2><ul><li><a href="/1">Nyhet ett</a></li><li><a href="/2">Nyhet två</a>'
             f'</li><li><a href="/3">Nyhet tre</a></li></ul></div><div role="main"><h1>Rubrik</h1>{ARTICLE}</div>')
    assert "Länsstyrelsen följer upp arbetet varje år" in t
    assert "Nyhet två" not in t


def test_comments_are_dropped() -> None:
    comment = "<p>Tack för en bra sammanfattning, vi använder den i vår utbildning om digitalt våld för lärare.</p>"
    t = text(f'<main><article><h1>Rubrik</h1>{ARTICLE}<section class="comments"><h2>Kommentarer</h2>'
             f'<article class="comment">{comment * 3}</article></section></article><div id="comments">{comment}</div></main>')
    assert "Länsstyrelsen följer upp arbetet varje år" in t
    assert "vår utbildning om digitalt våld" not in t


def test_header_in_article_and_accordion_buttons_are_kept() -> None:
    t = text('<header><a href="/">Myndigheten</a></header><main><article><header><h1>Rubrik</h1>'
             '<p class="lead">Ingressen står i artikelns header.</p></header>'
             f'{ARTICLE}<h3><button aria-expanded="false" aria-controls="p1">Kostar det något?</button></h3>'
             '<div id="p1" hidden><p>Stödet är kostnadsfritt.</p></div>'
             '<button class="faq-question">Måste jag polisanmäla?</button><div class="faq-answer collapse">'
             '<p>Nej, du får stöd ändå.</p></div></article></main>')
    for kept in ("Ingressen står i artikelns header.", "Kostar det något?", "Stödet är kostnadsfritt.",
                 "Måste jag polisanmäla?", "Nej, du får stöd ändå."):
        assert kept in t, kept
    assert "Myndigheten" not in t


def test_one_malformed_link_does_not_lose_the_page() -> None:
    e = extract_html(page(f'<main><h1>Rubrik</h1>{ARTICLE}<a href="http://[ccpa-preferences]">Integritet</a>'
                          '<a href="/ok">Vidare</a></main><link rel="canonical" href="http://[::1">'),
                     "https://x.example/sida")
    assert "Länsstyrelsen följer upp arbetet varje år" in e.text
    assert [link.url for link in e.links] == ["https://x.example/ok"]


def test_site_wide_login_box_is_not_a_soft_404() -> None:
    e = extract_html(page('<div class="login-box"><label>Användarnamn<input name="u"></label><label>Lösenord'
                          '<input type="password" name="p"></label></div><main><h1>Kort nyhet</h1>'
                          '<p>Mottagningen har stängt på fredag.</p></main>'), "https://x.example/n")
    assert not e.soft_404
    assert "Användarnamn" not in e.text


def test_login_form_in_the_content_is_a_soft_404() -> None:
    e = extract_html(page('<main><h1>Logga in</h1><form><label>Lösenord<input type="password" name="p"></label></form>'
                          '<p>Inloggning för medarbetare.</p></main>', "Logga in"), "https://x.example/login")
    assert e.soft_404


@pytest.mark.parametrize("body", [
    "<main><h1>Kontakt</h1><p>Ring 010-224 10 00.</p></main>",
    "<main><h1>Stängt i dag</h1><p>Mottagningen har stängt.</p></main>",
    "<main><h1>Nyheter</h1><p>Inga nyheter.</p></main>",
])
def test_short_real_page_is_not_a_soft_404(body: str) -> None:
    e = extract_html(page(body), "https://x.example/kort")
    assert not e.soft_404
    assert e.text


@pytest.mark.parametrize("title,body", [
    ("Sidan kunde inte hittas", "<main><h1>Oj!</h1><p>Prova sökfunktionen.</p></main>"),
    ("Myndigheten", "<main><h1>404 – sidan finns inte</h1></main>"),
    ("Page not found", "<main><p>Sorry.</p></main>"),
])
def test_error_page_signals_are_soft_404(title: str, body: str) -> None:
    assert extract_html(page(body, title), "https://x.example/borta").soft_404


@pytest.mark.parametrize("rec", GOLD, ids=[r["file"] for r in GOLD])
def test_swedish_agency_page(rec: dict) -> None:
    e = extract_html((SV / "pages" / rec["file"]).read_bytes(), rec["url"])
    t = stored(e)
    lost = [b for b in rec["gold"] if not block_kept(b, t)]
    assert not lost
    assert not e.soft_404
    leaked = {cat: p for cat, probes in rec["furniture"].items() for p in probes if norm(p) in t}
    assert not leaked


def test_swedish_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util
    import sys

    sys.path.insert(0, str(SV))
    spec = importlib.util.spec_from_file_location("extract_sv_build", SV / "build.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(tmp_path)
    assert (tmp_path / "gold.json").read_text(encoding="utf-8") == (SV / "gold.json").read_text(encoding="utf-8")
    for f in (SV / "pages").iterdir():
        assert (tmp_path / "pages" / f.name).read_bytes() == f.read_bytes(), f.name


def test_furniture_word_on_the_block_holding_the_prose_is_a_flag() -> None:
    # WordPress writes state flags and taxonomy labels into the article's classes ("share", "tag-sponsor",
    # "category-top-stories"); a long link list makes the article less than half the page's text, not of its prose
    links = "".join(f'<li><a href="/t{i}">Tema nummer {i} i arkivet över äldre artiklar</a></li>' for i in range(40))
    t = text(f'<div class="wrap"><article class="post hentry tag-sponsor category-top-stories"><h1>Rubrik</h1>'
             f'<div class="entry share">{ARTICLE}</div></article><div class="archive"><ul>{links}</ul></div></div>')
    assert "Länsstyrelsen följer upp arbetet varje år" in t


def test_body_beside_the_headline_beats_a_teaser_list() -> None:
    teaser = ('<div class="item-text"><h3><a href="/n{0}">Nyhet {0}</a></h3><p>Kort sammanfattning av en annan artikel, '
              'med kommatecken, som länkar vidare, till en annan sida, på webbplatsen, i länet, i regionen, i kommunen, i staden, i byn, '
              'för den som vill läsa mer.</p></div>')
    body = ("<p>Regionen har öppnat en ny mottagning, och den som har utsatts för våld kan boka tid via telefon, "
            "utan remiss, och få stöd av en kurator.</p><p>Mottagningen har öppet på vardagar, och tolk kan bokas.</p>"
            "<p>Den som vill vara anonym kan ringa utan att uppge sitt namn, och samtalet syns inte i journalen.</p>")
    t = text(f'<main><article><header><h1>Ny mottagning öppnar</h1></header><div class="article-body">{body}</div></article>'
             f'<section class="more"><div class="list">{"".join(teaser.format(i) for i in range(5))}</div></section></main>')
    assert "kan boka tid via telefon" in t and "tolk kan bokas" in t
    assert "Kort sammanfattning av en annan artikel" not in t


def test_soft_hyphens_do_not_split_words() -> None:
    e = extract_html(page(f'<main><h1>Rubrik</h1>{ARTICLE}<p>Hedersrelaterat våld och för&shy;tryck, våld&shy;utövare '
                          'och kvinno&shy;frid&shy;s&shy;arbetet.</p></main>'), "https://x.example/sida")
    assert "våld och förtryck, våldutövare och kvinnofridsarbetet." in e.text


@pytest.mark.parametrize("rec", GOLD[:12], ids=lambda r: r["file"])
def test_block_scores_reused_from_the_whole_page_pick_the_same_blocks(rec: dict) -> None:
    from crawler.extract.html_clean import prune
    from crawler.extract.html_container import densest_region, pick

    root = parse((SV / "pages" / rec["file"]).read_bytes())
    assert root is not None
    prune(root, set())
    region, raw = densest_region(root)
    assert pick(region, None, raw) == pick(region, None)


def test_a_paragraph_that_is_one_link_goes_a_link_in_prose_stays() -> None:
    t = text(f'<main><article><h1>Rubrik</h1>{ARTICLE}<p>Läs mer i <a href="/h">handboken om våld</a> som kom i fjol, '
             'med checklistor för handläggare.</p><p><a href="/annan">Ny rapport om hedersrelaterat våld i skolan</a></p>'
             '</article></main>')
    assert "Läs mer i handboken om våld som kom i fjol" in t
    assert "Ny rapport om hedersrelaterat våld i skolan" not in t
