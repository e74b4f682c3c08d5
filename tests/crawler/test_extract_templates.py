"""Agency-template pages written apart from the rules: soft-hyphened h1s, dates beside the h1, listings, minified huge pages."""

from __future__ import annotations

from datetime import date

import pytest
from _extract_pages import PROSE, page

from crawler.extract.html import MAX_ELEMENTS, extract_html

FOOTER = "<footer><p>Länsstyrelsen Testlän. Organisationsnummer 202100-0000</p></footer>"


def test_soft_hyphenated_h1_is_the_title_and_not_the_first_line() -> None:
    got = extract_html(page(f"<main><h1>Heders&shy;relaterat vål&shy;d</h1><p>{PROSE}</p><p>{PROSE}</p></main>"),
                       "https://x.se/a")
    assert got.title == "Hedersrelaterat våld"
    assert not got.text.startswith("Hedersrelaterat våld")
    assert got.text.startswith("Våld i nära relationer")


def test_date_line_in_a_pruned_meta_box_dates_the_page() -> None:
    drupal = (f'<div class="region region-content"><article class="node"><h1>Barnäktenskap</h1>'
              f'<div class="node__meta"><span>Publicerad 2023-11-05</span></div>'
              f'<div class="node__content"><p>{PROSE}</p><p>{PROSE}</p></div></article></div>{FOOTER}')
    got = extract_html(page(drupal), "https://x.se/b")
    assert got.published == date(2023, 11, 5)
    assert "Publicerad" not in got.text


def test_date_portlet_beside_the_h1_portlet_dates_the_page_but_a_teaser_date_does_not() -> None:
    sitevision = (f'<div class="sv-layout"><div class="sv-column-6">'
                  f'<div class="sv-text-portlet"><h1>Stöd till våldsutsatta</h1></div>'
                  f'<div class="sv-text-portlet"><p>Publicerad 3 maj 2024</p></div>'
                  f'<div class="sv-text-portlet"><p>{PROSE}</p><p>{PROSE}</p></div></div></div>{FOOTER}')
    assert extract_html(page(sitevision), "https://x.se/c").published == date(2024, 5, 3)
    teaser = (f'<div class="col"><div class="portlet"><h1>Stöd</h1></div><div class="portlet"><p>{PROSE}</p><p>{PROSE}</p>'
              f'</div><ul><li><a href="/n">Nyhet</a><p>Publicerad 1 januari 2020</p></li></ul></div>')
    assert extract_html(page(teaser), "https://x.se/d").published is None


def test_listing_items_whose_excerpt_follows_the_date_keep_their_text() -> None:
    items = "".join(f'<li><h2><a href="/r{i}">Rapport {i} om mäns våld mot kvinnor</a></h2>'
                    f'<p>Publicerad 2024-0{i + 1}-01. Rapporten beskriver läget i länet under år {2010 + i}.</p></li>'
                    for i in range(6))
    got = extract_html(page(f'<div class="content"><h1>Publikationer</h1><ul>{items}</ul>'
                            f'<p>Publicerad 3 maj 2024</p></div>{FOOTER}'), "https://x.se/e")
    assert "Rapporten beskriver läget i länet under år 2013." in got.text
    assert "Rapport 3 om mäns våld mot kvinnor" in got.text
    assert "Publicerad 3 maj 2024" not in got.text  # a bare date line still goes
    assert not got.soft_404


def test_minified_page_past_the_element_limit_keeps_words_apart() -> None:
    rows = "".join(f'<div><p>Stycke{i} om stöd.</p><span>x</span></div>' for i in range(MAX_ELEMENTS // 3 + 10))
    got = extract_html(page(f"<main><h1>Stor sida</h1>{rows}</main>"), "https://x.se/f")
    assert "Stycke0 om stöd." in got.text.split("\n\n")
    assert "stöd.x" not in got.text and "sidaStycke0" not in got.text



SV_FOOTER = ('<div class="sv-layout" id="svid10_9"><div class="sv-text-portlet"><p>Länsstyrelsen Testlän</p>'
             '<p>Postadress: Box 123, 831 86 Östersund</p><p>Organisationsnummer: 202100-2460</p><p>Telefon: 010-225 30 00</p></div></div>')
SV_REACH = ('<div class="sv-text-portlet"><h2>Så når du oss</h2><p>Mansmottagningen nås via kommunens kontaktcenter på telefon '
            '063-14 30 00, måndag till fredag klockan 8–17, eller via e-post.</p></div>')
SV_RELATED = ('<div class="sv-text-portlet"><h2>Mer om ämnet</h2><ul><li><a href="/l1">Våldsutövare som vill ha hjälp</a></li>'
              '<li><a href="/l2">Behandling för våldsutövare</a></li><li><a href="/l3">Stöd till anhöriga</a></li></ul></div>')


@pytest.mark.parametrize("extra", [SV_REACH, SV_RELATED + SV_REACH.replace("Så når du oss", "Kontakta oss")])
def test_sitevision_footer_sharing_the_layout_class_stays_out(extra: str) -> None:
    body = (f'<div class="sv-layout" id="svid10_1"><ul><li><a href="/a">Sexuellt våld</a></li><li><a href="/b">Heder</a></li>'
            f'</ul></div><div class="sv-layout" id="svid10_3"><div class="sv-layout" id="svid12_4">'
            f'<div class="sv-text-portlet"><h1>Mansmottagning</h1></div>'
            f'<div class="sv-text-portlet"><p>{PROSE}</p><p>{PROSE}</p></div>{extra}'
            f'<div class="sv-text-portlet"><p>Sidansvarig: Anna Andersson, enhetschef, individ- och familjeomsorgen</p></div>'
            f'</div></div>{SV_FOOTER}')
    got = extract_html(page(body), "https://x.se/g")
    assert got.text.startswith("Våld i nära relationer") and got.text.count("Våld i nära relationer") == 2
    assert "Organisationsnummer" not in got.text and "Postadress" not in got.text


def test_the_h1s_main_region_beats_a_longer_comment_region_beside_it() -> None:
    comments = "".join(f'<div class="comment-body"><p>Kommentar {i}: Tack för en bra och viktig text, jag håller med om allt '
                       f'som står här och vill tillägga mycket mer, eftersom det angår oss alla i samhället varje dag.</p></div>'
                       for i in range(10))
    body = (f'<div role="main" id="a"><h1>Digitalt våld mot unga</h1><p>{PROSE}</p>'
            f'<p>Digitalt våld kan vara hot, kränkningar eller spridning av bilder.</p></div>'
            f'<div role="main" id="b"><h2>Kommentarer</h2>{comments}</div>')
    got = extract_html(page(body), "https://x.se/h")
    assert got.text.startswith("Våld i nära relationer") and "spridning av bilder" in got.text
    assert "Kommentar 3" not in got.text


def test_a_logo_marked_up_as_h1_is_not_the_title() -> None:
    body = ('<header><h1 class="logo"><a href="https://www.kommun.se/"><img alt="" src="l.png">Kommunen</a></h1>'
            '<ul><li><a href="/a">Start</a></li><li><a href="/b">Om oss</a></li></ul></header>'
            f'<div class="page"><div class="main-col"><h2>Skyddat boende för unga</h2><p>{PROSE}</p><p>{PROSE}</p></div></div>')
    html = page(body, "Skyddat boende för unga - Kommunen").replace(
        b"</head>", b'<meta property="og:title" content="Skyddat boende f\xc3\xb6r unga"></head>')
    got = extract_html(html, "https://www.kommun.se/boende")
    assert got.title == "Skyddat boende för unga"
    assert got.text.startswith("Våld i nära relationer")
    linked = extract_html(page(f'<main><h1><a href="/nyheter/ny-lag">Ny lag om kontaktförbud</a></h1><p>{PROSE}</p></main>'),
                          "https://x.se/nyheter/ny-lag")
    assert linked.title == "Ny lag om kontaktförbud"  # a headline linking to its own article is the title


def test_a_news_teaser_section_inside_main_stays_out() -> None:
    teasers = "".join(f'<article><h3><a href="/n{i}">Nyhet {i} om människohandel</a></h3>'
                      f'<p>Ingress om nyhet {i} med några fler ord här.</p></article>' for i in range(6))
    body = (f'<main id="main"><article><h1>Prostitution och människohandel</h1><p>{PROSE}</p><p>{PROSE}</p></article>'
            f'<section class="news"><h2>Senaste nyheterna</h2>{teasers}</section></main>')
    got = extract_html(page(body), "https://x.se/i")
    assert got.text.count("Våld i nära relationer") == 2
    assert "Nyhet 2" not in got.text and "Ingress om nyhet" not in got.text


def test_og_title_with_a_dash_keeps_its_second_half_when_the_site_is_named_apart() -> None:
    head = (b'<meta property="og:title" content="Barnahus \xe2\x80\x93 samverkan kring barn">'
            b'<meta property="og:site_name" content="Socialstyrelsen"></head>')
    got = extract_html(page(f'<div id="content"><p>{PROSE}</p><p>{PROSE}</p></div>', "Start | Socialstyrelsen")
                       .replace(b"</head>", head), "https://x.se/j")
    assert got.title == "Barnahus – samverkan kring barn"
    suffixed = extract_html(page(f'<main><p>{PROSE}</p></main>', "Barnahus | Socialstyrelsen.se").replace(
        b"</head>", b'<meta property="og:site_name" content="Socialstyrelsen"></head>'), "https://x.se/k")
    assert suffixed.title == "Barnahus"  # the site's name, spelled a little differently, still goes


@pytest.mark.parametrize("item", ['<ul><li>Punkt {i} om stöd, skydd och hjälp för våldsutsatta.',
                                  '<div class="item"><p>Punkt {i} om stöd, skydd och hjälp för våldsutsatta.',
                                  '<font face="Arial"><p>Punkt {i} om stöd, skydd och hjälp för våldsutsatta.</p>'])
def test_hundreds_of_unclosed_tags_do_not_cut_the_page_off(item: str) -> None:
    items = "".join(item.format(i=i) for i in range(300))
    got = extract_html(page(f"<main><h1>Gammal sida</h1>{items}</main>"), "https://x.se/l")
    assert "Punkt 0 om stöd" in got.text and "Punkt 299 om stöd" in got.text


def test_a_time_beside_the_h1_in_its_header_dates_the_page_and_leaves_the_text() -> None:
    body = ('<article><header><h1>Ny lag om kontaktförbud</h1><p>Från den 1 juli skärps reglerna om kontaktförbud för den '
            'som utsatt en närstående.</p><time datetime="2024-06-20">20 juni 2024</time></header>'
            f'<div class="post-body"><p>{PROSE}</p><p>{PROSE}</p></div></article>')
    got = extract_html(page(body), "https://x.se/m")
    assert got.published == date(2024, 6, 20)
    assert "20 juni 2024" not in got.text and got.text.startswith("Från den 1 juli")


ORGS = ["Kvinnofridslinjen", "Roks – Riksorganisationen för kvinnojourer", "Unizon", "Brottsofferjouren", "Terrafem",
        "Män för jämställdhet", "Föreningen Tris", "Barnens rätt i samhället (Bris)"]


def test_a_main_that_is_a_list_of_links_keeps_them_but_a_breadcrumb_trail_goes() -> None:
    links = "".join(f'<li><a href="https://org{i}.example.se/">{o}</a></li>' for i, o in enumerate(ORGS))
    got = extract_html(page(f'<main><h1>Här kan du få stöd</h1><ul>{links}</ul></main>{FOOTER}'), "https://x.se/n")
    assert "Kvinnofridslinjen" in got.text and "Barnens rätt i samhället (Bris)" in got.text
    short = extract_html(page('<main><ul><li><a href="/">Start</a></li><li><a href="/stod">Stöd och hjälp</a></li>'
                              '<li><a href="/stod/linjen">Kvinnofridslinjen</a></li></ul><h1>Kvinnofridslinjen</h1>'
                              '<p>Ring 020-50 50 50, dygnet runt, gratis.</p></main>'), "https://x.se/o")
    assert short.text == "Ring 020-50 50 50, dygnet runt, gratis."


def test_a_kontakt_box_listing_several_people_goes_but_a_contact_section_in_prose_stays() -> None:
    people = "".join(f'<div class="person"><p><strong>Person {i} Svensson</strong></p><p>Utvecklingsledare, Enheten för '
                     f'social hållbarhet</p><p>Telefon: 010-22{i} 33 44</p><p>E-post: person{i}.svensson@lansstyrelsen.se</p>'
                     f'</div>' for i in range(3))
    got = extract_html(page(f'<main><h1>Regional samordning</h1><p>{PROSE}</p><p>{PROSE}</p>'
                            f'<div class="sv-portlet"><h2>Kontakt</h2>{people}</div></main>'), "https://x.se/q")
    assert "Svensson" not in got.text and got.text.count("Våld i nära relationer") == 2
    how = ("Du som är utsatt kan vända dig till socialtjänsten i din kommun, som har ansvar för att ge stöd och skydd. "
           "Om du inte vet vart du ska vända dig kan du börja med att ringa en kvinnojour eller en stödlinje, "
           "som kan hjälpa dig vidare och följa med dig vid de första mötena om du vill det. ") * 2
    kept = extract_html(page(f'<main><h1>Stöd</h1><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p><section><h2>Kontakt</h2><p>{how}</p>'
                             f'</section></main>'), "https://x.se/r")
    assert "kan du börja med att ringa en kvinnojour" in kept.text


def test_a_last_changed_line_is_not_taken_for_the_publication_date() -> None:
    body = (f'<table><tr><td class="text"><b>Våld mot kvinnor i länet</b><br><br>{PROSE}<br>{PROSE}<br><br>'
            f'<i>Senast ändrad 2019-03-04</i></td></tr></table>')
    got = extract_html(page(body), "https://x.se/s")
    assert got.modified == date(2019, 3, 4) and got.published is None


def test_zero_width_joiners_and_direction_marks_leave_words_whole() -> None:
    got = extract_html(page("<main><h1>Stöd</h1><p>Hedersrelaterat för&shy;tryck drab\u200bbar flickor och poj\u200ckar, "
                            "kvin\u200dnor och\u200e män i hela landet, enligt den nationella kartläggningen.</p></main>"),
                       "https://x.se/t")
    assert "förtryck drabbar flickor och pojkar, kvinnor och män" in got.text
