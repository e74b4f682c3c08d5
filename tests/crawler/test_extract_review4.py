"""Review 4 of issue 15: Swedish agency pages written apart from the rules, aimed at the class-word and prose rules."""

from __future__ import annotations

from _extract_pages import PROSE, page

from crawler.extract.html import extract_html

FOOTER = "<footer><p>Myndigheten för kvinnofrid. Organisationsnummer 202100-0000</p></footer>"


def test_bootstrap_caption_top_table_is_content() -> None:
    """Bootstrap 5 writes `caption-top` on a table with a caption: a layout utility, not a caption to drop."""
    table = ('<div class="table-responsive"><table class="table caption-top"><caption>Vanliga bedömningsinstrument</caption>'
             '<thead><tr><th>Instrument</th><th>Används för</th></tr></thead>'
             '<tbody><tr><td>FREDA</td><td>Kartläggning av våldsutsatthet</td></tr>'
             '<tr><td>PATRIARK</td><td>Hedersrelaterat våld</td></tr></tbody></table></div>')
    got = extract_html(page(f'<main><h1>Riskbedömning</h1><p>{PROSE}</p>{table}<p>{PROSE}</p></main>{FOOTER}'),
                       "https://x.se/risk")
    assert "Kartläggning av våldsutsatthet" in got.text
    assert "PATRIARK" in got.text
    assert "Vanliga bedömningsinstrument" in got.text


def test_event_box_beside_the_body_keeps_its_when_and_where() -> None:
    """The "Datum/Tid/Plats" box is a sibling of the body (a card's meta part): it is content, and the event's day is
    no publication date."""
    card = ('<div class="event-card"><h1>Webbinarium: Våld mot äldre kvinnor</h1>'
            '<div class="card-meta"><p>Datum: 3 juni 2025</p><p>Tid: kl. 13.00–15.00</p><p>Plats: Digitalt via Teams</p></div>'
            f'<div class="card-body"><p>{PROSE}</p><p>Webbinariet är kostnadsfritt och spelas in.</p></div></div>')
    got = extract_html(page(f'<div class="main-wrapper">{card}</div>{FOOTER}'), "https://x.se/webbinarium")
    for line in ("Datum: 3 juni 2025", "Tid: kl. 13.00–15.00", "Plats: Digitalt via Teams", "Webbinariet är kostnadsfritt"):
        assert line in got.text
    assert got.published is None


def test_event_box_lines_with_their_own_meta_classes_stay() -> None:
    """Drupal-like markup: each line of the event box carries "meta-item meta-date", one label each."""
    meta = ('<ul class="event-meta"><li class="meta-item meta-date">Datum: 14 maj 2025</li>'
            '<li class="meta-item meta-time">Tid: 09.00–16.00</li>'
            '<li class="meta-item meta-place">Plats: Länsstyrelsen, Kungsgatan 1, Örebro</li></ul>')
    node = (f'<main role="main"><article class="node node--type-event"><h1>Grundutbildning om hedersrelaterat våld</h1>{meta}'
            f'<div class="field field--name-body"><p>{PROSE}</p><p>{PROSE}</p></div></article></main>')
    got = extract_html(page(node + FOOTER), "https://x.se/utbildning")
    for line in ("Datum: 14 maj 2025", "Tid: 09.00–16.00", "Plats: Länsstyrelsen, Kungsgatan 1, Örebro"):
        assert line in got.text
    assert got.published is None


def test_meta_items_outside_an_event_box_still_go() -> None:
    """A news article's "meta-item" byline and date are still furniture (the event rule needs the event box)."""
    meta = ('<div class="article-meta"><span class="meta-item meta-author">Av Anna Andersson</span> '
            '<span class="meta-item meta-date">Publicerad 14 maj 2025</span></div>')
    got = extract_html(page(f'<main><article><h1>Ny rapport</h1>{meta}<p>{PROSE}</p><p>{PROSE}</p></article></main>{FOOTER}'),
                       "https://x.se/nyhet")
    assert "Anna Andersson" not in got.text
    assert got.published is not None and got.published.isoformat() == "2025-05-14"


def test_body_with_a_share_class_is_not_outweighed_by_a_long_comment_thread() -> None:
    """A furniture word on the body beside the h1 is a flag when the body holds half the page's prose; the comments,
    which go whatever they hold, must not be counted into that prose (the page came out empty)."""
    comments = "".join(f'<li class="comment"><div class="comment-body"><p>Kommentar {i}: Tack för en viktig text, jag arbetar '
                       'själv inom socialtjänsten och känner igen mycket av det som beskrivs, särskilt uppföljningen.</p>'
                       '</div></li>' for i in range(8))
    post = ('<div class="post type-post"><header class="entry-header"><h1>Så stöder du en kollega som utsätts för våld</h1>'
            '</header><div class="entry-content share-target">'
            '<p>Många som utsätts för våld i en nära relation berättar först för en kollega, och arbetsgivaren har ansvar.</p>'
            '<p>Visa att du tror på det kollegan berättar, och fråga vad hon behöver just nu.</p>'
            '<p>Tipsa om Kvinnofridslinjen, som är öppen dygnet runt, och om kommunens socialtjänst.</p></div></div>')
    got = extract_html(page(f'<main id="main">{post}<div id="comments" class="comments-area"><h2>8 kommentarer</h2>'
                            f'<ol class="comment-list">{comments}</ol></div></main>{FOOTER}'), "https://x.se/kollega")
    assert "berättar först för en kollega" in got.text
    assert "Tipsa om Kvinnofridslinjen" in got.text
    assert "Tack för en viktig text" not in got.text


def test_wordpress_category_named_comments_is_a_taxonomy_label_not_a_thread() -> None:
    """WordPress writes the post's categories into the article's classes: "category-kommentarer" (a Swedish
    organisation's "Kommentarer" category) is no comment thread; with the h1 above the article it lost the whole post."""
    post = ('<article id="post-44" class="post-44 post type-post format-standard category-kommentarer tag-statistik">'
            '<div class="entry-content"><p>Brottsförebyggande rådet presenterade i dag ny statistik om anmälda våldtäkter.</p>'
            f'<p>{PROSE}</p><p>{PROSE}</p></div></article>')
    got = extract_html(page(f'<div class="content-area"><header class="page-header"><h1>Vår kommentar till statistiken</h1>'
                            f'</header>{post}</div>{FOOTER}'), "https://x.se/kommentar")
    assert "presenterade i dag ny statistik" in got.text
    assert "Organisationsnummer" not in got.text
    thread = ('<div class="comments-area"><ol><li class="comment"><p>Tack för en viktig text om statistiken, den behövs verkligen'
              ' i vår kommun.</p></li></ol></div>')
    got = extract_html(page(f'<main><h1>Statistik</h1><p>{PROSE}</p><p>{PROSE}</p>{thread}</main>{FOOTER}'), "https://x.se/s")
    assert "Tack för en viktig text" not in got.text  # a real thread still goes


def test_class_names_of_dashes_only_lose_no_page() -> None:
    """A class name that splits into nothing ("--", "_") beside paragraphs is no furniture and raises nothing."""
    got = extract_html(page(f'<main><h1>Stöd</h1><div class="-- _"><p class="__">{PROSE}</p><p>{PROSE}</p></div></main>'),
                       "https://x.se/streck")
    assert "Våld i nära relationer" in got.text


def test_article_number_is_no_publication_date() -> None:
    """Socialstyrelsen-style article numbers ("Artikelnummer: 2024-3-12") look like ISO dates; they date nothing."""
    report = ('<div class="sv-layout pagecontent"><div class="sv-text-portlet"><h1>Skyddat boende – uppföljning</h1></div>'
              f'<div class="sv-text-portlet"><p>{PROSE}</p><p>Artikelnummer: 2024-3-12</p><p>Utgivningsår: 2024</p></div>'
              f'<div class="sv-text-portlet"><p>{PROSE}</p></div></div>{FOOTER}')
    got = extract_html(page(report), "https://x.se/rapport")
    assert "Artikelnummer: 2024-3-12" in got.text
    assert got.published is None
    dated = report.replace("<p>Utgivningsår: 2024</p>", "<p>Rapporten gavs ut 2024-03-01.</p>")
    assert extract_html(page(dated), "https://x.se/rapport2").published is not None  # a real date beside it still counts


LOGIN_BOX = ('<div class="loginbox"><h2>Logga in på Mina sidor</h2><input type="text" name="u">'
             '<input type="password" name="p"><button>Logga in</button></div>')


def test_header_login_box_in_a_page_without_landmarks_is_no_soft_404() -> None:
    """Without <main> the content is the whole wrapper, the site's login box above the h1 with it: a short page
    (under 150 words) is still a page, not a login page."""
    body = (f'<div id="wrapper">{LOGIN_BOX}<h1>Jourtelefon för våldsutsatta</h1>'
            '<p>Kvinnojouren har en jourtelefon som är öppen alla dagar mellan klockan 10 och 22, och du kan vara anonym.</p>'
            f'<p>Du kan också mejla oss, så svarar vi inom två dagar.</p>{FOOTER}</div>')
    got = extract_html(page(body), "https://x.se/jour")
    assert not got.soft_404
    assert "jourtelefon som är öppen" in got.text
    assert not extract_html(page(body.replace('<div id="wrapper">', "").replace(f"{FOOTER}</div>", FOOTER)),
                            "https://x.se/jour2").soft_404  # the same straight in <body>


def test_login_form_under_the_h1_without_landmarks_is_still_a_login_page() -> None:
    body = ('<div id="wrapper"><h1>Logga in</h1><p>Inloggning för medarbetare.</p>'
            '<form><input type="text" name="u"><input type="password" name="p"></form></div>')
    assert extract_html(page(body, "Logga in"), "https://x.se/login").soft_404


def test_a_sentence_that_is_mostly_a_link_is_content() -> None:
    """A sentence pointing to a regulation or a handbook is content even when the link is most of it; a "Läs även:"
    line and a bare headline link stay link lines."""
    body = ('<div class="pagecontent"><h1>Lagar om våld i nära relationer</h1>'
            f'<p>{PROSE}</p>'
            '<p>Se <a href="/sosfs">Socialstyrelsens föreskrifter och allmänna råd om våld i nära relationer (SOSFS 2014:4)</a>.</p>'
            '<p>Läs mer i <a href="/vagledning">vägledningen Våld i nära relationer – handbok för socialtjänsten</a> (2016).</p>'
            '<p>Läs även: <a href="/nyheter/1">Nya pengar till kvinnojourerna i länet fördelade för år 2025</a>.</p>'
            '<p><a href="/nyheter/2">Regeringen ger länsstyrelserna nytt uppdrag om våldsförebyggande arbete</a></p>'
            f'<p>{PROSE}</p></div>{FOOTER}')
    got = extract_html(page(body), "https://x.se/lagar")
    assert "Se Socialstyrelsens föreskrifter och allmänna råd om våld i nära relationer (SOSFS 2014:4)." in got.text
    assert "Läs mer i vägledningen Våld i nära relationer – handbok för socialtjänsten (2016)." in got.text
    assert "Nya pengar till kvinnojourerna" not in got.text
    assert "Regeringen ger länsstyrelserna nytt uppdrag" not in got.text


def test_a_legal_commentary_block_is_content() -> None:
    """Swedish "kommentar" (one commentary, as in a statute's "Kommentar" or "Allmänna råd") is not a comment thread;
    "kommentarer" (the thread) still goes."""
    body = ('<main><h1>5 kap. 11 § socialtjänstlagen</h1>'
            f'<div class="lagtext"><p>{PROSE}</p></div>'
            '<div class="kommentar"><h2>Kommentar</h2><p>Bestämmelsen innebär att nämnden ska ha en beredskap för att ta '
            'emot och utreda behovet av stöd hos våldsutsatta, oavsett om personen själv har ansökt om insatser.</p></div>'
            '<div class="kommentarer"><h2>Kommentarer (2)</h2><p>Anna skrev: Tack för en bra sammanfattning av lagen!</p>'
            '<p>Per skrev: Gäller detta även för barn som bevittnat våld i hemmet?</p></div></main>' + FOOTER)
    got = extract_html(page(body), "https://x.se/sol-5-11")
    assert "Bestämmelsen innebär att nämnden ska ha en beredskap" in got.text
    assert "Tack för en bra sammanfattning" not in got.text
