"""Golden extraction: every indexable demo page and every saved agency-style fixture keeps its key
sentence and leaks none of its site's furniture (menus, cookie banner, breadcrumbs, share, footer)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from crawler.extract import extract
from crawler.extract.measure import (
    DEMO,
    FIXTURES,
    PLACEHOLDER_BASE,
    fill_placeholders,
    norm,
)

MANIFEST = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
FURNITURE: dict[str, list[str]] = json.loads((DEMO / "furniture.json").read_text(encoding="utf-8"))
INDEXABLE = [p for p in MANIFEST if p.get("indexable")]
CASES = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))


def demo_file(page: dict) -> Path:
    rel = page["path"].lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return DEMO / "sites" / page["site"] / rel


def test_demo_has_pages_of_every_format() -> None:
    formats = {p.get("format", "html") for p in INDEXABLE}
    assert formats == {"html", "pdf", "docx", "pptx"}
    assert len(INDEXABLE) >= 50


@pytest.mark.parametrize("page", INDEXABLE, ids=[f"{p['site']}{p['path']}" for p in INDEXABLE])
def test_demo_page(page: dict) -> None:
    body = fill_placeholders(demo_file(page).read_bytes())
    content_type = "text/html" if page.get("format", "html") == "html" else None
    e = extract(body, PLACEHOLDER_BASE + page["path"], content_type, timeout=0)
    text = norm(e.text)
    assert norm(page["key_sentence"]) in text
    for furniture in FURNITURE[page["site"]]:
        assert norm(furniture) not in text, furniture
    assert not e.soft_404
    assert e.title
    if page.get("published") and page.get("format", "html") != "pptx":
        assert e.published == date.fromisoformat(page["published"])
    if page.get("updated"):
        assert e.modified == date.fromisoformat(page["updated"])
    for key in ("running_header", "running_footer"):
        if page.get(key):
            assert norm(page[key]) not in text
    for word in page.get("hyphenated_words", []) + page.get("line_split_phrases", []):
        assert word in text


NOT_INDEXABLE = [p for p in MANIFEST if p.get("kind") in ("noindex", "canonical-duplicate")]


@pytest.mark.parametrize("page", NOT_INDEXABLE, ids=[f"{p['site']}{p['path']}" for p in NOT_INDEXABLE])
def test_demo_noindex_and_canonical_pages_say_so(page: dict) -> None:
    e = extract(fill_placeholders(demo_file(page).read_bytes()), PLACEHOLDER_BASE + page["path"], "text/html",
                timeout=0)
    if page["kind"] == "noindex":
        assert e.robots_noindex
    else:
        assert e.canonical == PLACEHOLDER_BASE + page["canonical"]


def test_demo_menus_still_give_links() -> None:
    page = next(p for p in INDEXABLE if p.get("format", "html") == "html")
    e = extract(fill_placeholders(demo_file(page).read_bytes()), PLACEHOLDER_BASE + page["path"], "text/html",
                timeout=0)
    hubs = [link for link in e.links if "/vald-i-nara-relationer/" in link.url or "/sexuellt-vald/" in link.url]
    assert len(hubs) >= 2  # the menu is gone from the text but its links reach the crawler


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_saved_agency_page(case: dict) -> None:
    e = extract((FIXTURES / case["file"]).read_bytes(), case["url"], case["content_type"], timeout=0)
    text = norm(e.text)
    for sentence in case["key_sentences"]:
        assert norm(sentence) in text
    for furniture in case["furniture"]:
        assert norm(furniture) not in text, furniture
    for bad in ("Ã¥", "Ã¤", "Ã¶", "\ufffd"):
        assert bad not in e.text and bad not in e.title
    assert e.title == case["title"]
    assert e.headings == case["headings"]
    assert str(e.published) == case["published"]
    assert str(e.modified) == case["modified"]
    assert e.canonical == case["canonical"]
    assert e.language == case["language"]
    assert e.soft_404 is case["soft_404"]
    assert "\n\n" in e.text  # paragraphs survive


def test_saved_error_page_is_soft_404() -> None:
    e = extract((FIXTURES / "region_soft404.html").read_bytes(), "https://www.region.example.se/finns-inte",
                "text/html", timeout=0)
    assert e.soft_404
    assert "Vård och hälsa" not in e.text and "kakor" not in e.text
