"""axe-core over every page state, at desktop width and at 375 px: WCAG 2.0/2.1 A and AA and the best-practice rules.

0 violations and no "incomplete" (needs review) result except those listed in EXPECTED_INCOMPLETE with the reason a
person checked them. Also: no horizontal scrolling at 375 px, and the skip link to the filters is visible on focus."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python.sync_playwright as axe_module
import playwright.sync_api as playwright_sync
import pytest
from _web_server import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true":
    pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WIDTHS = {"desktop": (1280, 900), "375px": (375, 812)}
# (rule, axe's reason) -> why a person looked and found it fine. Anything else "incomplete" fails the test.
EXPECTED_INCOMPLETE = {
    ("color-contrast", "shortTextContent"): "one or two characters ('0', '6', '±0', '–', '…') in the page's own text colours "
                                            "(≥ 8.9:1): axe cannot tell such text from an icon",
    ("color-contrast", "imgNode"): "the chart's axis labels, inside its role=img, in --muted (8.9:1 on white)",
}
WHILE_AUTOCOMPLETE_IS_OPEN = {
    ("color-contrast", "bgOverlap"): "page text under the open suggestion list, which covers it",
}


def _open_autocomplete(page: Any) -> None:
    box = page.locator("#sok-q")
    box.fill("")
    box.focus()
    page.keyboard.type("kvinno", delay=20)
    page.locator("[role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")


STATES: dict[str, tuple[str, Callable[[Any], None] | None]] = {
    "start": ("/", None),
    "results, many hits": ("/sok?q=v%C3%A5ld", None),
    "results, one hit": ("/sok?q=barnahus", None),
    "results, no hits": ("/sok?q=xyzzyqwerty", None),
    "results, one filter": ("/sok?q=v%C3%A5ld&format=html", None),
    "results, three filters": ("/sok?q=v%C3%A5ld&format=html&format=pdf&organisation=Socialstyrelsen", None),
    "results, page 2": ("/sok?q=v%C3%A5ld&page=2", None),
    "results, newest first": ("/sok?q=v%C3%A5ld&sort=nyast", None),
    "results, notices": ("/sok?q=%23&organisation=Socialstyrelsn", None),
    "autocomplete open": ("/", _open_autocomplete),
    "sub-area": ("/delomrade/vald-i-nara-relationer", None),
    "counties": ("/lan", None),
    "county": ("/lan/ostergotlands-lan", None),
    "sources, with failures": ("/kallor", None),
    "source page, with failures": ("/kallor/lst", None),
    "not found (404)": ("/finns-inte", None),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def unavailable_server(tmp_path_factory: pytest.TempPathFactory, open_backend: Any) -> Iterator[LiveServer]:
    """The app without a published index: searches answer the 503 page."""
    from kb.settings import load_settings
    from web.app import create_app

    root: Path = tmp_path_factory.mktemp("no-index")
    settings = load_settings(env={}, data_dir=root / "data", sources=root / "none.yaml", allowed_hosts=("127.0.0.1",))
    server = LiveServer(create_app(settings, open_backend)).start()
    yield server
    server.stop()


def _reasons(node: dict[str, Any]) -> list[str]:
    """axe's reasons for an incomplete node: the message keys of its checks (the message when there is no key)."""
    reasons = []
    for check in node["any"] + node["all"] + node["none"]:
        data = check.get("data")
        reasons.append(str(data.get("messageKey") if isinstance(data, dict) and data.get("messageKey") else check.get("message")))
    return reasons or ["(no reason given)"]


def _check(browser: Any, base_url: str, path: str, width: str, prepare: Callable[[Any], None] | None, status: int) -> None:
    w, h = WIDTHS[width]
    context = browser.new_context(base_url=base_url, viewport={"width": w, "height": h}, locale="sv-SE")
    page = context.new_page()
    try:
        response = page.goto(path)
        assert response is not None and response.status == status, path
        if prepare:
            prepare(page)
        result = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": RULES}})
        assert result.response["violations"] == [], result.generate_report()
        allowed = set(EXPECTED_INCOMPLETE) | (set(WHILE_AUTOCOMPLETE_IS_OPEN) if prepare is _open_autocomplete else set())
        unexpected = [(rule["id"], reason, node["target"]) for rule in result.response["incomplete"] for node in rule["nodes"]
                      for reason in _reasons(node) if (rule["id"], reason) not in allowed]
        assert unexpected == [], unexpected
        if w <= 375:
            assert page.evaluate("document.documentElement.scrollWidth") <= w, "no horizontal scrolling"
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("state", list(STATES))
def test_axe_over_every_page_state(browser: Any, live_server: Any, state: str, width: str) -> None:
    path, prepare = STATES[state]
    _check(browser, live_server.url, path, width, prepare, 404 if "404" in state else 200)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_on_the_unavailable_page(browser: Any, unavailable_server: LiveServer, width: str) -> None:
    _check(browser, unavailable_server.url, "/sok?q=v%C3%A5ld", width, None, 503)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_skip_link_to_the_filters_shows_on_focus_and_lands_on_them(browser: Any, live_server: Any, width: str) -> None:
    w, h = WIDTHS[width]
    context = browser.new_context(base_url=live_server.url, viewport={"width": w, "height": h})
    page = context.new_page()
    try:
        page.goto("/sok?q=v%C3%A5ld")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        link = page.locator(":focus")
        assert link.inner_text() == "Hoppa till filtren"
        box = link.bounding_box()
        assert box is not None and box["width"] > 40 and box["height"] > 16 and 0 <= box["y"] < h, box
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('.facet') !== null"), "two Tabs and Enter, then the first filter"
    finally:
        context.close()
