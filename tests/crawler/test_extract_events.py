"""Event pages keep their when-and-where lines; listing pages take no item's date as their own (Swedish agency markup)."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.extract.html import extract_html

PROSE = ("Utbildningen riktar sig till dig som i ditt arbete möter kvinnor som utsatts för våld i nära relationer, och "
         "ger kunskap om hur du upptäcker våld, ställer frågor om våld och hänvisar vidare till rätt stöd i kommunen. ")
MORE = ("Under dagen varvas föreläsningar med samtal i mindre grupper, och deltagarna får med sig ett material att "
        "använda i det egna arbetet med våldsutsatta och deras barn. ")
FOOTER = ('<footer class="sv-footer"><p>Länsstyrelsen Testlän</p><p>Organisationsnummer 202100-0000</p>'
          '<a href="/tillganglighet">Tillgänglighetsredogörelse</a></footer>')
MENU = '<nav class="sv-menu"><ul><li><a href="/">Start</a></li><li><a href="/kalendarium">Kalendarium</a></li></ul></nav>'
NEXT_YEAR = date.today().year + 1


def page(body: str, head: str = "", title: str = "Sida") -> bytes:
    return (f"<!doctype html><html lang=sv><head><meta charset=utf-8><title>{title}</title>{head}</head>"
            f"<body>{MENU}{body}{FOOTER}</body></html>").encode()


# ----------------------------------------------------------------------------- event pages


def test_sitevision_event_keeps_date_time_and_place_but_drops_its_own_publication_line() -> None:
    body = ('<div class="sv-layout"><div class="sv-column-8">'
            '<div class="sv-text-portlet"><h1 class="heading">Utbildning: Våld i nära relationer</h1></div>'
            '<div class="sv-text-portlet"><p class="normal">Publicerad: 10 januari 2025</p></div>'
            f'<div class="sv-text-portlet"><p class="normal">{PROSE}</p>'
            '<p class="normal"><strong>Datum:</strong> 12 mars 2025</p>'
            '<p class="normal"><strong>Tid:</strong> 13.00–16.00</p>'
            '<p class="normal"><strong>Plats:</strong> Länsstyrelsen, Storgatan 1</p>'
            '<p class="normal">Sista anmälningsdag: 1 mars 2025</p>'
            f'<p class="normal">{MORE}</p></div>'
            '<div class="sv-text-portlet"><p class="normal">Senast ändrad: 14 januari 2025</p></div>'
            '</div></div>')
    got = extract_html(page(body), "https://www.lansstyrelsen.example.se/kalendarium/2025-03-12-utbildning.html")
    assert "Datum: 12 mars 2025" in got.text
    assert "Tid: 13.00–16.00" in got.text
    assert "Plats: Länsstyrelsen, Storgatan 1" in got.text
    assert "Sista anmälningsdag: 1 mars 2025" in got.text
    assert "Publicerad" not in got.text and "Senast ändrad" not in got.text
    assert got.published == date(2025, 1, 10)
    assert got.modified == date(2025, 1, 14)


def test_episerver_event_facts_list_is_kept_and_the_meta_tag_dates_the_page() -> None:
    body = ('<div id="content" class="content-area"><div class="page-header"><h1>Konferens om hedersrelaterat våld</h1>'
            '</div><div class="main-body">'
            f'<p class="preamble">{PROSE}</p>'
            '<dl class="event-facts"><dt>Datum och tid</dt><dd>12 mars 2025 kl. 9.00–16.00</dd>'
            '<dt>Plats</dt><dd>Folkets hus, Kungsgatan 5, Umeå</dd>'
            '<dt>Kostnad</dt><dd>Kostnadsfri</dd></dl>'
            f'<p>{MORE}</p></div>'
            '<div class="page-footer"><p>Granskad: 2 december 2024</p></div></div>')
    head = '<meta property="article:published_time" content="2024-11-20T08:00:00+01:00">'
    got = extract_html(page(body, head), "https://www.myndighet.example.se/konferenser/heder-2025/")
    assert "Datum och tid" in got.text and "12 mars 2025 kl. 9.00–16.00" in got.text
    assert "Folkets hus, Kungsgatan 5, Umeå" in got.text
    assert "Granskad" not in got.text
    assert got.published == date(2024, 11, 20)


def test_semantic_event_with_time_elements_takes_the_time_beside_the_h1() -> None:
    body = ('<main id="main"><article class="event"><header><h1>Webbinarium om digitalt våld</h1>'
            '<p class="meta">Publicerad <time datetime="2024-10-01">1 oktober 2024</time></p></header>'
            f'<p>{PROSE}</p>'
            '<p><strong>Datum och tid:</strong> <time datetime="2025-02-05T13:00">5 februari 2025 kl. 13.00–15.00</time></p>'
            '<p><strong>Plats:</strong> Digitalt via Teams</p>'
            f'<p>{MORE}</p></article></main>')
    got = extract_html(page(body), "https://www.myndighet.example.se/kalendarium/webbinarium-digitalt-vald")
    assert "Datum och tid: 5 februari 2025 kl. 13.00–15.00" in got.text
    assert "Plats: Digitalt via Teams" in got.text
    assert "1 oktober 2024" not in got.text
    assert got.published == date(2024, 10, 1)


def test_event_line_without_a_year_is_kept() -> None:
    body = ('<div class="pagecontent"><h1>Nätverksträff för kvinnofridssamordnare</h1>'
            f'<p>{PROSE}</p><p>Datum och tid: 12 mars kl. 9.00–16.00</p><p>Plats: Regionhuset, Sal B</p>'
            f'<p>{MORE}</p></div>')
    got = extract_html(page(body), "https://www.region.example.se/utbildning/natverkstraff")
    assert "Datum och tid: 12 mars kl. 9.00–16.00" in got.text
    assert "Plats: Regionhuset, Sal B" in got.text
    assert got.published is None


def test_future_event_without_a_page_date_gets_no_publication_date() -> None:
    body = ('<main><h1>Grundutbildning om mäns våld mot kvinnor</h1>'
            f'<p>{PROSE}</p><p>Datum: 14 april {NEXT_YEAR}</p><p>Tid: 9.00–12.00</p><p>Plats: Stadshuset, Drottninggatan 2</p>'
            f'<p>{MORE}</p></main>')
    got = extract_html(page(body), "https://www.kommun.example.se/kalendarium/grundutbildning")
    assert f"Datum: 14 april {NEXT_YEAR}" in got.text
    assert got.published is None


def test_past_event_date_alone_is_not_the_publication_date() -> None:
    body = ('<div class="sv-text-portlet"><h1>Seminarium om våld mot äldre kvinnor</h1></div>'
            f'<div class="sv-text-portlet"><p>{PROSE}</p><p>Datum: 3 oktober 2024</p><p>Tid: 13.00–16.30</p>'
            f'<p>Plats: Länsstyrelsen, Storgatan 1</p><p>{MORE}</p></div>')
    got = extract_html(page(body), "https://www.lansstyrelsen.example.se/kalendarium/seminarium-aldre")
    assert "Datum: 3 oktober 2024" in got.text and "Tid: 13.00–16.30" in got.text
    assert got.published is None


def test_event_box_with_a_meta_class_is_kept() -> None:
    body = ('<main><h1>Konferens: Barn som upplever våld</h1>'
            f'<p>{PROSE}</p>'
            '<div class="event-meta"><p><span>Datum:</span> 22 maj 2025</p><p><span>Tid:</span> 10.00–15.00</p>'
            '<p><span>Plats:</span> Kulturhuset, Sergels torg</p></div>'
            f'<p>{MORE}</p><p class="page-date">Senast uppdaterad: 3 april 2025</p></main>')
    got = extract_html(page(body), "https://www.myndighet.example.se/evenemang/barn-som-upplever-vald")
    assert "Datum: 22 maj 2025" in got.text and "Plats: Kulturhuset, Sergels torg" in got.text
    assert "Senast uppdaterad" not in got.text
    assert got.modified == date(2025, 4, 3) and got.published is None


def test_a_news_page_date_line_still_goes_and_dates_the_page() -> None:
    body = (f'<main><h1>Ny rapport om våld i nära relationer</h1><p>Datum: 2024-05-03</p><p>{PROSE}</p><p>{MORE}</p></main>')
    got = extract_html(page(body), "https://www.myndighet.example.se/nyheter/ny-rapport")
    assert "Datum" not in got.text
    assert got.published == date(2024, 5, 3)


# ----------------------------------------------------------------------------- listing pages


def _sitevision_items(n: int) -> str:
    return "".join(f'<li class="sv-channel-item"><a href="/nyheter/n{i}"><span class="sv-channel-item__title">Nyhet {i} '
                   f'om stöd till våldsutsatta kvinnor i länet</span></a><span class="date">{i + 1} maj 2024</span>'
                   f'<p>Länsstyrelsen har fördelat medel till kvinnojourer och kommuner för arbetet {i}.</p></li>'
                   for i in range(5))


def test_sitevision_news_list_without_own_date_gets_none() -> None:
    body = (f'<div class="sv-layout"><div class="sv-text-portlet"><h1>Nyheter</h1></div>'
            f'<div class="sv-channel-portlet"><ul class="sv-channel">{_sitevision_items(5)}</ul></div></div>')
    got = extract_html(page(body), "https://www.lansstyrelsen.example.se/nyheter.html")
    assert "Nyhet 0 om stöd till våldsutsatta kvinnor i länet" in got.text
    assert got.published is None


def test_episerver_report_list_keeps_its_own_dates_not_the_items() -> None:
    items = "".join(f'<div class="publication-item"><h2><a href="/publikationer/r{i}">Rapport {i}: Våld i nära relationer</a></h2>'
                    f'<p class="date">Publicerad: 2024-0{i + 1}-01</p><p class="date">Uppdaterad: 2024-09-0{i + 1}</p>'
                    f'<p>Rapporten beskriver hur kommunerna i länet arbetar med stöd till våldsutsatta.</p></div>'
                    for i in range(4))
    body = (f'<div id="content"><h1>Publikationer</h1><p class="preamble">Här hittar du våra rapporter.</p>'
            f'<div class="publications">{items}</div><div class="page-info"><p>Senast ändrad: 2024-06-01</p></div></div>')
    got = extract_html(page(body), "https://www.myndighet.example.se/publikationer/")
    assert "Rapport 2: Våld i nära relationer" in got.text
    assert got.published is None
    assert got.modified == date(2024, 6, 1)


@pytest.mark.parametrize("cls", ["listing", "sv-listing", "news-listing"])
def test_a_report_list_in_a_listing_class_keeps_its_items(cls: str) -> None:
    # "list" in a class name marks a teaser list beside the content, but "listing" is what a listing page is
    items = "".join(f'<div class="publication-item"><h2><a href="/publikationer/r{i}">Rapport {i}: Våld i nära relationer</a></h2>'
                    f'<p class="date">Publicerad: 2024-0{i + 1}-01</p>'
                    f'<p>Rapporten beskriver hur kommunerna i länet arbetar med stöd till våldsutsatta.</p></div>' for i in range(4))
    body = (f'<div id="content"><h1>Publikationer</h1><p class="preamble">Här hittar du våra rapporter.</p>'
            f'<div class="{cls}">{items}</div><div class="page-info"><p>Senast ändrad: 2024-06-01</p></div></div>')
    got = extract_html(page(body), "https://www.myndighet.example.se/publikationer/")
    assert "Rapport 3: Våld i nära relationer" in got.text
    assert got.published is None and got.modified == date(2024, 6, 1)


def test_semantic_listing_with_time_elements_takes_its_meta_date() -> None:
    items = "".join(f'<article class="teaser-card"><h2><a href="/nyheter/{i}">Nyhet {i} om hedersrelaterat våld</a></h2>'
                    f'<time datetime="2024-0{i + 2}-15">15/{i + 2} 2024</time><p>En kort sammanfattning av nyheten.</p></article>'
                    for i in range(3))
    head = '<meta property="article:published_time" content="2023-01-15">'
    got = extract_html(page(f'<main><h1>Aktuellt</h1>{items}</main>', head), "https://www.myndighet.example.se/aktuellt")
    assert "Nyhet 1 om hedersrelaterat våld" in got.text
    assert got.published == date(2023, 1, 15)


def test_listing_with_json_ld_date_takes_it() -> None:
    items = "".join(f'<div class="news-item"><h3><a href="/n/{i}">Nyhet {i}</a></h3><span class="news-date">2024-0{i + 1}-10'
                    f'</span><p>Kort text om nyheten och vad den handlar om.</p></div>' for i in range(4))
    head = '<script type="application/ld+json">{"@type": "CollectionPage", "datePublished": "2022-08-30"}</script>'
    got = extract_html(page(f'<div class="pagecontent"><h1>Nyhetsarkiv</h1>{items}</div>', head), "https://x.example.se/arkiv")
    assert got.published == date(2022, 8, 30)


def test_listing_with_own_publication_line_outside_the_items_takes_it() -> None:
    items = "".join(f'<li><h2><a href="/r{i}">Rapport {i} om mäns våld mot kvinnor</a></h2>'
                    f'<p>Publicerad 2024-0{i + 1}-01. Rapporten beskriver läget i länet under år {2010 + i}.</p></li>'
                    for i in range(6))
    got = extract_html(page(f'<div class="content"><h1>Publikationer</h1><ul>{items}</ul><p>Publicerad 3 maj 2024</p></div>'),
                       "https://x.se/e")
    assert got.published == date(2024, 5, 3)
    assert "Rapporten beskriver läget i länet under år 2013." in got.text


def test_article_with_related_news_keeps_its_own_time_date() -> None:
    related = "".join(f'<li><a href="/n/{i}">Relaterad nyhet {i}</a><time datetime="2021-0{i + 1}-01">{i + 1} jan 2021</time></li>'
                      for i in range(3))
    body = ('<main><article><h1>Nya pengar till kvinnojourer</h1>'
            f'<p>{PROSE}</p><p>Publicerad <time datetime="2024-03-08">8 mars 2024</time></p><p>{MORE}</p>'
            f'</article><section class="news"><h2>Fler nyheter</h2><ul>{related}</ul></section></main>')
    got = extract_html(page(body), "https://x.se/nyhet")
    assert got.published == date(2024, 3, 8)


def test_article_with_first_time_in_its_body_is_still_dated() -> None:
    body = f'<main><h1>Ny vägledning</h1><p><time datetime="2023-09-12">12 september 2023</time></p><p>{PROSE}</p></main>'
    assert extract_html(page(body), "https://x.se/v").published == date(2023, 9, 12)


def test_two_columns_each_with_links_and_dates_are_no_listing() -> None:
    teasers = "".join(f'<li><a href="/k/{i}">Utbildning {i}</a><span class="date">{i + 1} juni 2024</span></li>' for i in range(3))
    body = ('<div class="sv-layout"><div class="sv-column-8"><div class="sv-text-portlet"><h1>Nytt stöd till kvinnojourer</h1>'
            '<p>Publicerad 12 april 2024</p></div>'
            f'<div class="sv-text-portlet"><p>{PROSE} Läs mer på <a href="/stod">sidan om stöd</a>.</p><p>{MORE}</p></div></div>'
            f'<div class="sv-column-4"><h2>Kalendarium</h2><p>Nästa träff <span>3 juni 2024</span></p><ul>{teasers}</ul></div></div>')
    got = extract_html(page(body), "https://x.se/nytt-stod")
    assert got.published == date(2024, 4, 12)
    assert "Publicerad" not in got.text


def test_a_calendar_teaser_beside_a_news_article_makes_no_event_page() -> None:
    teaser = ('<aside class="calendar-puff"><h2>Kalendarium</h2><p>Datum: 3 juni 2024</p><p>Plats: Stadshuset</p>'
              '<a href="/kalendarium/1">Frukostseminarium</a></aside>')
    body = f'<main><h1>Ny rapport</h1><p>Datum: 2024-05-03</p><p>{PROSE}</p><p>{MORE}</p></main>{teaser}'
    got = extract_html(page(body), "https://x.se/nyheter/rapport")
    assert "Datum" not in got.text and "Stadshuset" not in got.text
    assert got.published == date(2024, 5, 3)


def test_a_dt_holding_datum_keeps_its_plain_date() -> None:
    body = ('<main><h1>Kurs i bemötande</h1>'
            f'<p>{PROSE}</p><dl><dt>Datum</dt><dd>12 mars 2025</dd><dt>Plats</dt><dd>Kommunhuset, sal 3</dd></dl><p>{MORE}</p>'
            '<p>Publicerad 2 februari 2025</p></main>')
    got = extract_html(page(body), "https://x.se/kurs")
    assert "Datum\n\n12 mars 2025" in got.text
    assert "Kommunhuset, sal 3" in got.text and "Publicerad" not in got.text
    assert got.published == date(2025, 2, 2)


def test_listing_items_with_publication_lines_do_not_outrank_the_meta_date() -> None:
    items = "".join(f'<li class="search-hit"><h2><a href="/press/{i}">Pressmeddelande {i} om skyddat boende</a></h2>'
                    f'<p class="date">Publicerad: 2024-1{i}-02</p></li>' for i in range(3))
    head = '<meta name="dcterms.date" content="2021-04-01">'
    got = extract_html(page(f'<main><h1>Pressmeddelanden</h1><p>Våra senaste pressmeddelanden.</p><ul>{items}</ul></main>', head),
                       "https://x.se/press")
    assert got.published == date(2021, 4, 1)


def test_a_teaser_card_listing_with_time_elements_and_no_own_date_gets_none() -> None:
    cards = "".join(f'<div class="col"><article class="card"><a href="/aktuellt/{i}"><h3>Nyhet {i} om barnahus</h3></a>'
                    f'<time datetime="2024-0{i + 1}-20">20/{i + 1} 2024</time><p>En kort text om nyheten.</p></article></div>'
                    for i in range(4))
    got = extract_html(page(f'<div class="page"><h1>Aktuellt</h1><p>Nyheter från myndigheten.</p><div class="row">{cards}</div></div>'),
                       "https://x.se/aktuellt")
    assert got.published is None
