"""URL normalisation, tracking-parameter stripping and trap guards."""

from __future__ import annotations

import pytest

from crawler.urls import BadUrl, normalize, origin, skipped_extension, trap_reason


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("HTTP://WWW.Example.SE:80/a/b/../c?b=2&a=1#frag", "http://www.example.se/a/c?a=1&b=2"),
        ("https://example.se:443/", "https://example.se/"),
        ("https://example.se", "https://example.se/"),
        ("https://example.se:8443/x/", "https://example.se:8443/x/"),
        ("https://example.se/dir/", "https://example.se/dir/"),
        ("https://example.se/dir", "https://example.se/dir"),
        ("https://example.se/./a/./b/", "https://example.se/a/b/"),
        ("https://example.se/a?utm_source=nl&utm_medium=mail&id=7&fbclid=XYZ&gclid=1", "https://example.se/a?id=7"),
        ("https://example.se/a?utm_campaign=x", "https://example.se/a"),
        ("https://example.se/v%C3%A5ld", "https://example.se/v%C3%A5ld"),
        ("https://example.se/våld", "https://example.se/v%C3%A5ld"),
        ("https://example.se/%7Eanna", "https://example.se/~anna"),
        ("https://exämple.se/", "https://xn--exmple-cua.se/"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["ftp://example.se/", "javascript:alert(1)", "mailto:a@b.se", "http:///nohost", "https://example.se:99999/"])
def test_normalize_rejects(raw):
    with pytest.raises(BadUrl) as exc:
        normalize(raw)
    assert exc.value.reason == "bad_url"


def test_huge_url_rejected():
    with pytest.raises(BadUrl) as exc:
        normalize("https://example.se/?q=" + "x" * 3000, max_length=2048)
    assert exc.value.reason == "url_too_long"


def test_origin():
    assert origin("https://example.se:8443/a/b?c") == "https://example.se:8443"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://e.se/a/b/a/b/a/b/", "trap_repeating_path"),
        ("https://e.se/" + "/".join(f"s{i}" for i in range(30)), "trap_deep_path"),
        ("https://e.se/kalender/2024/05/2024/06/", "trap_calendar"),
        ("https://e.se/kalender?date=2199-01-01", "trap_calendar"),
        ("https://e.se/kalender?datum=1703-01-01", "trap_calendar"),
        ("https://e.se/lista?page=5000", "trap_pagination"),
        ("https://e.se/?" + "&".join(f"k{i}=1" for i in range(20)), "trap_query"),
    ],
)
def test_traps(url, reason):
    assert trap_reason(url) == reason


@pytest.mark.parametrize(
    "url",
    ["https://e.se/nyheter/2024/05/03/artikel", "https://e.se/kalender?date=2024-05-01", "https://e.se/lista?page=3", "https://e.se/a/b/c/a/"],
)
def test_not_traps(url):
    assert trap_reason(url) is None


def test_skipped_extension():
    assert skipped_extension("https://e.se/bild.JPG")
    assert skipped_extension("https://e.se/film.mp4")
    assert not skipped_extension("https://e.se/rapport.pdf")
    assert not skipped_extension("https://e.se/mall.docx")
    assert not skipped_extension("https://e.se/sida")
