"""Dates: Swedish labels, meta tags, JSON-LD, <time>, and a finder that never takes a bare year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crawler.extract import dates
from crawler.extract.html import extract_html


@pytest.mark.parametrize(
    ("text", "published", "modified"),
    [
        ("Publicerad 3 maj 2024", date(2024, 5, 3), None),
        ("Publicerad: 2024-05-03", date(2024, 5, 3), None),
        ("Publicerad den 3:e maj 2024", date(2024, 5, 3), None),
        ("Senast uppdaterad 12 januari 2025", None, date(2025, 1, 12)),
        ("Publicerad 3 maj 2024 · Senast uppdaterad: 12 jan. 2025", date(2024, 5, 3), date(2025, 1, 12)),
        ("Uppdaterad: 2024-06-01", None, date(2024, 6, 1)),
        ("Granskad: 29 februari 2024", None, date(2024, 2, 29)),
        ("Sidan uppdaterades 2 september 2024", None, date(2024, 9, 2)),
        ("PUBLICERAD 7 OKTOBER 2023", date(2023, 10, 7), None),
        ("Publicerad 2024", None, None),  # a bare year is not a date
        ("Publicerad 31 februari 2024", None, None),
    ],
)
def test_labelled_swedish_dates(text: str, published: date | None, modified: date | None) -> None:
    assert dates.find_labelled(text) == (published, modified)


def test_bare_years_and_copyright_are_not_dates() -> None:
    assert dates.find_dates("© 2025 Länsstyrelsen. Handlingsplan 2024–2027, rapport 2025:04") == []
    assert dates.parse_date("2025") is None


def test_implausible_dates_are_rejected() -> None:
    future = date.today() + timedelta(days=30)
    assert dates.parse_date(future.isoformat()) is None
    assert dates.parse_date("1989-12-31") is None
    assert dates.find_dates(f"Möte {future.isoformat()} och 3 maj 1985") == []
    assert dates.parse_date("2024-13-01") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-03", date(2024, 5, 3)),
        ("2024-05-03T10:00:00+02:00", date(2024, 5, 3)),
        ("D:20250115090000Z", date(2025, 1, 15)),
        ("3 maj 2024", date(2024, 5, 3)),
        ("3/5 2024", date(2024, 5, 3)),
        ("", None),
        ("igår", None),
    ],
)
def test_parse_date(value: str, expected: date | None) -> None:
    assert dates.parse_date(value) == expected


def test_meta_and_json_ld() -> None:
    assert dates.from_meta({"article:published_time": "2021-06-15T08:00:00Z",
                            "article:modified_time": "2024-02-29"}) == (date(2021, 6, 15), date(2024, 2, 29))
    assert dates.from_meta({"dc.date.issued": "2020-01-02"}) == (date(2020, 1, 2), None)
    ld = '{"@graph": [{"@type": "WebPage", "datePublished": "2023-11-20", "dateModified": "2024-09-02"}]}'
    assert dates.from_json_ld([ld, "{broken"]) == (date(2023, 11, 20), date(2024, 9, 2))


def _page(main: str, head: str = "", footer: str = "") -> bytes:
    return (f"<html lang='sv'><head><title>T</title>{head}</head><body><main><h1>Rubrik</h1>{main}</main>"
            f"<footer>{footer}</footer></body></html>").encode()


BODY = "<p>" + "Socialtjänsten erbjuder stöd till våldsutsatta kvinnor och deras barn. " * 3 + "</p>"


def test_html_dates_from_each_source() -> None:
    e = extract_html(_page(BODY + "<p>Publicerad 3 maj 2024<br>Senast uppdaterad 12 januari 2025</p>"), "http://x/")
    assert (e.published, e.modified) == (date(2024, 5, 3), date(2025, 1, 12))
    e = extract_html(_page(BODY, head='<meta name="dcterms.date" content="2022-03-08">'), "http://x/")
    assert e.published == date(2022, 3, 8)
    e = extract_html(_page(BODY + '<p>Publicerad <time datetime="2021-01-05">5/1</time></p>'), "http://x/")
    assert e.published == date(2021, 1, 5)
    e = extract_html(_page(BODY, head='<script type="application/ld+json">{"datePublished": "2020-02-02"}</script>'),
                     "http://x/")
    assert e.published == date(2020, 2, 2)


def test_footer_copyright_is_not_a_published_date() -> None:
    e = extract_html(_page(BODY, footer="<p>© 2025 Myndigheten</p><p>Uppdaterad 2025</p>"), "http://x/")
    assert e.published is None and e.modified is None


def test_general_finder_only_reads_main_text() -> None:
    e = extract_html(_page(BODY + "<p>Lagen trädde i kraft den 1 juli 2022.</p>",
                           footer="<p>Sidan ändrad 3 mars 2025</p>"), "http://x/")
    assert e.published == date(2022, 7, 1)
    assert e.modified is None


def test_every_date_label_holds_a_prefilter_stem() -> None:
    from crawler.extract import dates

    labels = (dates._PUB_LABEL + "|" + dates._MOD_LABEL).replace(r"\s+", " ").split("|")
    for label in labels:
        assert any(stem in label for stem in dates.LABEL_STEMS), label
    assert dates.find_labelled("Sidan uppdaterades 3 maj 2024")[1] is not None
