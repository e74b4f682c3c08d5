"""Real headless Chromium (Playwright) against uvicorn on 127.0.0.1: search, filter, paginate, sort, keyboard, no-JS.

axe-core over every page state is tests/web/test_accessibility.py."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import playwright.sync_api as playwright_sync
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true":
    # `make test` installs Debian's chromium when run as root; CI always has it, so CI never skips.
    pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    # CSP violations (inline script/style) and JS errors show up as console errors; a 404 page's own
    # status is logged too, so failed loads are checked per response instead (every asset must load).
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 404" not in msg.text else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and r.request.resource_type != "document" else None)
    yield pg
    context.close()
    assert errors == [], errors


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _status(pg: Any) -> str:
    return pg.locator("[role=status]").first.inner_text()


def test_search_filter_paginate_and_sort(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Sök i kunskapsbanken").fill("våld")
    page.get_by_label("Sök i kunskapsbanken").press("Enter")
    page.wait_for_url(re.compile(r"/sok\?q="))
    assert re.match(r"Visar 1–10 av \d+ träffar för ”våld”", _status(page))
    # filter: tick a format and submit with the Filtrera button
    page.locator("fieldset", has_text="Format").get_by_label(re.compile(r"^Webbsida")).check()
    page.get_by_role("button", name="Filtrera").click()
    page.wait_for_url(re.compile(r"format=html"))
    assert _query(page.url)["q"] == ["våld"]
    assert page.get_by_role("link", name=re.compile("Ta bort filter Format: Webbsida")).is_visible()
    # paginate
    page.get_by_role("navigation", name="Sidnumrering").get_by_role("link", name=re.compile("Nästa")).click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("nav[aria-label=Sidnumrering] [aria-current=page]").inner_text().strip().endswith("2")
    # sort
    page.get_by_role("navigation", name="Sortering").get_by_role("link", name="Nyast").click()
    page.wait_for_url(re.compile(r"sort=nyast"))
    assert "page" not in _query(page.url) and _query(page.url)["format"] == ["html"]
    dates = page.locator(".hit time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates, reverse=True)
    # remove the filter chip
    page.get_by_role("link", name=re.compile("Ta bort filter Format: Webbsida")).click()
    page.wait_for_load_state()
    assert "format" not in _query(page.url)


def _focused(page: Any) -> dict[str, str]:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), id: e.id || '', type: e.type || '', cls: e.className || '',
                text: (e.innerText || e.value || '').trim().slice(0, 80), name: e.name || '',
                hit: !!e.closest('.hit-title'), facet: !!e.closest('.facet')}; }""")


def test_keyboard_only(page: Any) -> None:
    page.goto("/sok?q=v%C3%A5ld")
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["text"] == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"
    seen: list[dict[str, str]] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        seen.append(_focused(page))
    kinds = []
    for f in seen:
        kind = "search" if f["id"] == "sok-q" else "hit" if f["hit"] else "facet" if f["facet"] else None
        if kind and (not kinds or kinds[-1] != kind):
            kinds.append(kind)
    assert kinds[:3] == ["search", "hit", "facet"], kinds
    # tick a facet with the keyboard and submit with Enter on the button
    page.locator(".facet input").first.focus()
    page.keyboard.press("Space")
    assert page.locator(".facet input").first.is_checked()
    page.get_by_role("button", name="Filtrera").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"delomrade="))
    # focus outline is visible
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_autocomplete_with_keyboard(page: Any) -> None:
    page.goto("/")
    box = page.locator("#sok-q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    box.focus()
    page.keyboard.type("kvinno", delay=20)
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    listbox.locator("[role=option]").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.get_attribute("role") == "listbox"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    option = page.locator(f"#{active}")
    assert option.get_attribute("aria-selected") == "true"
    chosen = option.inner_text()
    assert chosen.startswith("kvinno")
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    page.keyboard.press("ArrowDown")  # reopen
    listbox.locator("[role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    chosen = page.locator("#" + box.get_attribute("aria-activedescendant")).inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/sok\?q="))
    assert _query(page.url)["q"] == [chosen]


def test_works_without_javascript(browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        assert page.locator("#sok-q").get_attribute("role") is None  # no half-built combobox without JS
        page.get_by_label("Sök i kunskapsbanken").fill("skyddat boende")
        page.get_by_role("button", name="Sök", exact=True).click()
        page.wait_for_url(re.compile(r"/sok\?q=skyddat"))
        assert "träff" in _status(page)
        page.locator(".facet input").first.check()
        page.get_by_role("button", name="Filtrera").click()
        page.wait_for_url(re.compile(r"delomrade=|organisation=|doc_type=|year=|format=|malgrupp="))
        assert page.locator(".chip").count() >= 2
        assert page.locator(".hit").count() >= 1
    finally:
        context.close()
