"""Short furniture lines in many languages: link lines, ad labels, caption/author/meta boxes and date lines go; prose stays."""

from __future__ import annotations

import pytest

from crawler.extract.html import extract_html
from crawler.extract.html_lines import is_date_only

PROSE = ("Socialtjänsten ska erbjuda stöd, skydd och hjälp till alla som utsätts för våld i nära relationer, "
         "och kommunen ansvarar för att stödet finns.")
MORE = "Kvinnofridslinjen är öppen dygnet runt, och samtalet syns inte på telefonräkningen."


def _text(article: str) -> str:
    html = (f"<!DOCTYPE html><html><head><title>T</title></head><body><main><h1>Rubrik</h1>"
            f"<p>{PROSE}</p>{article}<p>{MORE}</p></main></body></html>")
    return extract_html(html.encode(), "https://example.org/a").text


@pytest.mark.parametrize("line", [
    "<p><em>Read more</em>: <a href='/x'>Looted colonial art: Germany to set up new contact office</a></p>",
    "<p><a href='/list'>Zurück zur Übersicht</a></p>",
    "<div>Advertisement</div>",
    "<p>Tags: <a href='/t/a'>stock car</a>, <a href='/t/b'>brasil</a></p>",
    "<div class='metaline'><time>11 Jan 2019</time></div>",
    "<p>Posted: Fri 6:45 PM, Feb 16, 2018 | Updated: Sat 8:31 PM, Feb 17, 2018</p>",
    "<div><span>18 Nov 2019, 19:09</span></div>",
    "<figure class='wp-caption'><img src='a.jpg'><div class='media-caption'>Foto: Bildbyrån AB</div></figure>",
    "<div class='author-info'><p>Anna Berg is a Professor of Public Health at the university.</p></div>",
    "<div class='related-stories'><h5>Artículos relacionados</h5><p>Otra noticia de hoy sobre el tema</p></div>",
    "<p>Foto: Bildbyrån AB</p><p>Photo by Advertisement on Unsplash</p>",
    "<h3>Håll dig uppdaterad</h3><p>Få vårt nyhetsbrev varje månad med Otra noticia om arbetet.</p>",
    "<div><span>12.12.2022, 08:30 Uhr</span></div>",
])
def test_furniture_line_goes_and_the_prose_around_it_stays(line: str) -> None:
    text = _text(line)
    assert PROSE in text and MORE in text
    for probe in ("Looted", "Übersicht", "Advertisement", "stock car", "2019", "2018", "Bildbyrån", "Professor",
                  "Otra noticia", "uppdaterad"):
        assert probe not in text, (line, text)


@pytest.mark.parametrize("line", [
    "<p>Sexualbrott 2019</p>",
    "<p>" + "Kommunens nyhetsbrev om våld i nära relationer beskrev 2019 hur socialtjänsten, polisen och hälso- och "
    "sjukvården samverkar, och varför kvinnor som utsätts behöver ett samlat stöd från första kontakten till "
    "uppföljningen ett år senare.</p>",
    "<p>Ring +81 158-23-2012</p>",
    "<p>Read more about the law in the 2019 report, which the government commissioned after the inquiry.</p>",
    "<div class='paywall'><p>Anmälningarna ökade med 12 procent under 2019 enligt Brå.</p></div>",
])
def test_prose_that_looks_like_a_line_stays(line: str) -> None:
    text = _text(line)
    inner = line.split(">", 2)[-1].split("<")[0] if line.startswith("<div") else line[3:-4]
    assert inner in text, (inner, text)


def test_date_only() -> None:
    assert is_date_only("Tuesday, November 19, 2019")
    assert is_date_only("16.08.2019")
    assert is_date_only("| 5 maj 2021 kl 10:00")
    assert not is_date_only("Sexualbrott 2019")
    assert not is_date_only("+81 158-23-2012")
    assert not is_date_only("Lag 2018:123")


def test_short_trailing_labels_go_but_trailing_list_items_and_table_rows_stay() -> None:
    text = _text("<p>Kommentieren Sie</p><div>Like:</div>")
    assert text.endswith(MORE)
    html = (f"<html><body><main><h1>Rubrik</h1><p>{PROSE}</p><ul><li>Första samtal inom en vecka</li>"
            "<li>Gruppbehandling tjugo veckor</li></ul><table><tr><td>Mål 1</td><td>2026</td></tr></table>"
            "<h3>Top-Touren</h3></main></body></html>")
    text = extract_html(html.encode(), "https://example.org/b").text
    assert "Gruppbehandling tjugo veckor" in text and "Mål 1 2026" in text and "Top-Touren" not in text


def test_title_line_and_short_kicker_above_it_leave_the_text() -> None:
    html = (f"<html><body><main><div>BLACK DEATH FEARS</div><h1>Rubrik om stöd</h1><p>{PROSE}</p>"
            f"<p>{MORE}</p></main></body></html>")
    e = extract_html(html.encode(), "https://example.org/c")
    assert e.title == "Rubrik om stöd" and "Rubrik om stöd" in e.headings
    assert e.text.split("\n\n") == [PROSE, MORE]
