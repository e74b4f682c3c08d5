"""What surrounds an article on the public benchmarks' templates: author boxes, comment prompts, related posts, captions."""

from __future__ import annotations

from crawler.extract.html import extract_html

PROSE = ("The council has a particular responsibility to give support, protection and help to anyone who has been "
         "subjected to violence, and to the children who witnessed it, whatever their age or where they live. ")


def page(body: str) -> bytes:
    return f"<!doctype html><html lang=en><head><meta charset=utf-8><title>T</title></head><body>{body}</body></html>".encode()


def test_furniture_words_anywhere_in_a_class_name_mark_the_box() -> None:
    html = (f'<article class="post"><h1>Support</h1><div class="entry-content"><p>{PROSE}</p><p>{PROSE}</p>'
            f'<p>{PROSE}</p>'
            f'<section class="bmg-author-box"><div class="author-box--content"><p>Hi, I am a food blogger and I write '
            f'about cakes, pies and everything else that tastes good.</p></div></section>'
            f'<div class="kb-comments-add"><p>To comment on this tip, please log in or register for a free account.</p></div>'
            f'<ul class="related_post wp_rp"><li><small>Media swear the population to loyalty, for better or for worse, '
            f'and all that.</small></li></ul>'
            f'<section class="editorial-disclosure"><p>This post contains references to products from one or more of our '
            f'advertisers.</p></section>'
            f'<div class="v-A_-caption__small">The old town of Stockholm seen from the water on a summer evening</div>'
            f'<ul class="article__meta"><li class="article__meta-item">published on 3 May 2021</li></ul>'
            f'<div class="ShariffHeadline"><h5>Share this article with your friends now!</h5></div>'
            f'<div class="wp-embedded-content"><div class="wp-embed-heading">Turkey: the farewell from the West</div></div>'
            f'<span class="post-ratings"><strong>Was this article useful to you?</strong></span>'
            f'<p class="imagedescription uk-text-center">AFP / Marco Bertorello, photographer of the agency</p>'
            f'<div class="social-media-embed"><blockquote class="twitter-tweet">Yes this is real and the state spent '
            f'nearly half a million dollars on it</blockquote></div></div></article>')
    text = extract_html(page(html), "https://x.org/a").text
    assert text.count("The council has a particular responsibility") == 3
    for furniture in ("food blogger", "To comment on this tip", "Media swear", "references to products", "Stockholm",
                      "published on", "Share this article", "Turkey", "Was this article useful", "AFP"):
        assert furniture not in text
    assert "Yes this is real" in text  # an embedded post is quoted content


def test_a_body_named_after_furniture_is_kept_by_its_prose() -> None:
    html = (f'<main><h1>Support</h1><section class="article__content js-truncate-related-to-my-size">'
            f'<p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></section><div class="sidebar-teasers"><p>Other news</p></div></main>')
    assert extract_html(page(html), "https://x.org/b").text.count("The council has a particular responsibility") == 3


def test_a_caption_span_with_a_text_class_does_not_win_over_the_article() -> None:
    lead = "Car dealers expect a slow restart of business after the rules were eased this week. "
    paragraphs = "".join(f'<div class="paragraph"><p class="text">{lead}</p></div>' for _ in range(3))
    html = (f'<div id="content"><div class="con"><div class="box"><h1>Support</h1><div class="authorWrapper">'
            f'<p>Updated 20 April 2020</p></div></div></div><div class="con"><div class="box"><div class="paragraph">'
            f'<p class="text">{lead}</p><div class="mediaInfo"><span class="mediaSubtitle"><span class="mediaSubtitleText">'
            f'Car dealers in the region may open again. (Symbol photo)</span></span><span class="mediaRights">Image: IMAGO'
            f'</span></div></div>{paragraphs}</div></div></div>')
    assert extract_html(page(html), "https://x.org/c").text.count("Car dealers expect a slow restart") == 4


def test_a_heading_beside_the_content_block_after_it_goes() -> None:
    html = (f'<main><h1>Support</h1><div class="post"><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div>'
            f'<h2 id="postcomment">Say your words about this</h2></main>')
    assert "Say your words" not in extract_html(page(html), "https://x.org/d").text


def test_a_heading_at_the_end_of_the_content_block_goes_but_one_between_paragraphs_stays() -> None:
    html = (f'<article><h1>Support</h1><div class="row"><p>{PROSE}</p><h2>Help in the region</h2><p>{PROSE}</p>'
            f'<p>{PROSE}</p><h2>The most read articles on our site this week</h2></div></article>')
    text = extract_html(page(html), "https://x.org/e").text
    assert "Help in the region" in text
    assert "The most read articles" not in text


def test_a_heading_in_the_last_list_item_stays() -> None:
    html = (f'<article><h1>Support</h1><p>{PROSE}</p><p>{PROSE}</p><p>You find the concept paper here:</p>'
            f'<ul><li><h3>Concept paper on ending the epidemic situation of national scope</h3></li></ul></article>')
    assert "Concept paper on ending" in extract_html(page(html), "https://x.org/f").text


def test_a_box_that_is_a_link_or_two_goes_but_a_paragraph_with_a_link_stays() -> None:
    html = (f'<article><h1>Support</h1><div class="body"><p>{PROSE}</p><p>{PROSE} Read the <a href="/r">report</a>.</p>'
            f'<div class="np"><a href="/n">Steuerdarling: the next post in this series</a> »</div>'
            f'<div class="d-flex"><span class="icon">+</span> <a href="/e">Explore further</a></div>'
            f'<p><em>Our tip: <a href="/t">Dead pigeons in the dome: the police are investigating</a></em></p>'
            f'<p>{PROSE}</p></div></article>')
    text = extract_html(page(html), "https://x.org/g").text
    assert "Our tip" not in text
    assert "Read the report." in text
    assert "Steuerdarling" not in text
    assert "Explore further" not in text


def test_a_feed_of_other_articles_beside_the_one_under_the_h1_goes_but_a_listing_page_stays() -> None:
    teasers = "".join(f'<article class="item"><h3>Other post {i}</h3><p>The editors of this site defend their line against '
                      f'the demands of the modern age, number {i}.</p></article>' for i in range(3))
    html = (f'<div class="news-single"><h1>Support</h1><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p>'
            f'<div class="nextread">{teasers}</div></div>')
    text = extract_html(page(html), "https://x.org/h").text
    assert text.count("The council has a particular responsibility") == 3
    assert "Other post" not in text and "defend their line" not in text
    listing = "".join(f'<article><h2><a href="/n{i}">News item {i}</a></h2><p>{PROSE}</p></article>' for i in range(4))
    text = extract_html(page(f'<main><h1>News</h1><div class="list">{listing}</div></main>'), "https://x.org/i").text
    assert all(f"News item {i}" in text for i in range(4))


def test_a_source_line_under_the_news_item_goes_but_a_sentence_about_sources_stays() -> None:
    html = (f'<article><h1>Support</h1><p>{PROSE}</p><p>{PROSE}</p><p>The source: a survey of 2,000 households.</p>'
            f'<p><em>Quelle: Deutscher Jagdverband (DJV)</em></p><p>{PROSE}</p><p><em>Titelbild: Ahn Young-joon / AP</em>'
            f'</p><p>{PROSE}</p><p>Crédits photos : Bestimage</p><p>{PROSE}</p></article>')
    text = extract_html(page(html), "https://x.org/j").text
    assert "The source: a survey" in text
    for credit in ("Quelle:", "Titelbild", "Crédits photos"):
        assert credit not in text


def test_a_panel_that_a_button_opens_is_content_whatever_its_class_says() -> None:
    html = (f'<main><h1>Support</h1><p>{PROSE}</p><p>{PROSE}</p><div class="disclosure">'
            f'<button aria-expanded="false" aria-controls="p1">Who can get protected housing?</button>'
            f'<div id="p1" class="disclosure__panel"><p>Anyone who is threatened by a partner or a relative can apply '
            f'to the social services for protected housing.</p></div></div></main>')
    assert "Anyone who is threatened" in extract_html(page(html), "https://x.org/k").text
