"""sources.yaml loading: every error at once with its line, and warnings for likely mistakes with suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import ConfigError, Problem
from kb.sources import SOURCE_KEYS, load_sources

SLUGS = {"vald-i-nara-relationer", "hedersrelaterat-vald", "sexuellt-vald"}


def load(text: str) -> tuple[list, list[Problem]]:
    return load_sources("s.yaml", taxonomy_slugs=SLUGS, text=text)


def messages(problems: list[Problem]) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.severity, p.message) for p in problems]


def test_minimal_source_gets_defaults_and_host_allow() -> None:
    sources, warnings = load(
        "sources:\n  - id: nck\n    name: NCK\n    organisation: NCK\n    start_urls: [https://nck.uu.se/kunskapsbanken/]\n"
    )
    assert warnings == []
    (s,) = sources
    assert s.line == 2
    assert [r.raw for r in s.allow] == ["https://nck.uu.se/"]
    assert s.delay == SOURCE_KEYS["delay"][1] == 1.0
    assert s.in_scope("https://nck.uu.se/x") and not s.in_scope("https://example.org/")


def test_start_url_outside_allow_suggests_the_close_rule() -> None:
    _, warnings = load(
        "sources:\n"
        "  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls:\n      - https://www.nck.uu.se/\n"
        "    allow: [https://nck.uu.se/]\n"
    )
    (w,) = warnings
    assert w.severity == "warning" and w.line == 6
    assert "outside 'allow'" in w.message and "menade du 'https://nck.uu.se/'" in w.message


def test_start_url_outside_allow_without_close_rule_suggests_adding_it() -> None:
    _, warnings = load(
        "sources:\n  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls: [https://polisen.se/utsatt/]\n    allow: [https://bra.se/statistik/]\n"
    )
    assert "lägg till 'https://polisen.se/' i allow" in warnings[0].message


def test_deny_blocking_every_start_url_is_one_warning_on_the_deny_line() -> None:
    _, warnings = load(
        "sources:\n  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls: [https://bra.se/a/, https://bra.se/b/]\n"
        "    deny:\n      - https://bra.se/\n"
    )
    assert messages(warnings) == [(7, "warning", "blocks every start URL: nothing of this source will be crawled")]


def test_deny_blocking_some_start_urls_names_each() -> None:
    _, warnings = load(
        "sources:\n  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls:\n      - https://bra.se/a/\n      - https://bra.se/b/\n"
        "    deny: [https://bra.se/b/]\n"
    )
    assert messages(warnings) == [(7, "warning", "start URL is blocked by 'deny'")]


def test_unknown_subarea_hint_is_a_warning_with_suggestion_and_is_dropped() -> None:
    sources, warnings = load(
        "sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n"
        "    delomraden:\n      - hedersrelaterat-vald\n      - hedersrelaterad-vald\n"
    )
    assert sources[0].delomraden == ("hedersrelaterat-vald",)
    assert [(w.line, w.severity, w.value) for w in warnings] == [(8, "warning", "hedersrelaterad-vald")]
    assert "menade du 'hedersrelaterat-vald'" in warnings[0].message


def test_zero_delay_on_public_host_warns_but_not_on_loopback() -> None:
    _, warnings = load(
        "sources:\n"
        "  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n    delay: 0\n"
        "  - id: b\n    name: B\n    organisation: B\n    start_urls: [http://127.0.0.1:8001/]\n    delay: 0\n"
        "    allow_private_network: true\n"
    )
    assert [(w.line, w.key) for w in warnings] == [(6, "sources[0] (a).delay")]
    assert "impolite" in warnings[0].message


def test_duplicate_start_urls_within_and_across_sources() -> None:
    _, warnings = load(
        "sources:\n"
        "  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls:\n      - https://bra.se/x/\n      - https://bra.se/x/\n"
        "  - id: b\n    name: B\n    organisation: B\n    start_urls: [https://bra.se/x/]\n"
    )
    got = messages(warnings)
    assert (7, "warning", "duplicate start URL") in got
    assert any(line == 8 and "also a start URL of source 'a' (line 2)" in msg for line, _, msg in got)


def test_overlapping_sources_warn_in_both_directions() -> None:
    _, warnings = load(
        "sources:\n"
        "  - id: narrow\n    name: N\n    organisation: N\n    start_urls: [https://bra.se/statistik/]\n"
        "    allow: [https://bra.se/statistik/]\n"
        "  - id: wide\n    name: W\n    organisation: W\n    start_urls: [https://bra.se/]\n"
    )
    (w,) = warnings
    assert w.line == 2 and "also in scope of source 'wide' (line 7)" in w.message and "deny" in w.message


def test_errors_are_collected_with_lines_and_did_you_mean() -> None:
    text = (
        "sources:\n"
        "  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n"
        "    dealy: 2\n"  # line 6
        "    max_pages: many\n"  # line 7
        "  - name: B\n    organisation: B\n    start_urls: [ftp://bra.se/]\n"  # lines 8-10
    )
    with pytest.raises(ConfigError) as info:
        load(text)
    got = [(p.line, p.key, p.message) for p in info.value.problems]
    assert (6, "sources[0] (a).dealy", "unknown key (menade du 'delay'?)") in got
    assert (7, "sources[0] (a).max_pages", "expected a whole number ≥ 1") in got
    assert (8, "sources[1].id", "required key is missing") in got
    assert (10, "sources[1].start_urls", "expected an absolute http:// or https:// URL") in got


def test_repository_sources_yaml_is_clean() -> None:
    path = Path(__file__).resolve().parents[2] / "sources.yaml"
    sources, warnings = load_sources(path)
    assert warnings == []
    assert len(sources) >= 10
    for s in sources:
        assert s.delay >= 1.0, s.id
        assert not s.allow_private_network, s.id
        assert all(u.startswith("https://") for u in s.start_urls), s.id
        assert all(s.in_scope(u) for u in s.start_urls), s.id
    hosts = {u.split("/")[2] for s in sources for u in s.start_urls}
    for host in ("nck.uu.se", "kunskapsguiden.se", "www.socialstyrelsen.se", "jamstalldhetsmyndigheten.se", "bra.se",
                 "polisen.se", "liu.se", "www.hedersfortryck.se", "kvinnofridsportalen.se", "www.lansstyrelsen.se"):
        assert host in hosts


def test_empty_start_urls_is_an_error_but_bad_ones_are_reported_once() -> None:
    with pytest.raises(ConfigError) as info:
        load("sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: []\n")
    assert [(p.line, p.message) for p in info.value.problems] == [(5, "expected at least one URL")]
    with pytest.raises(ConfigError) as info:
        load("sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [nck.uu.se]\n")
    assert [(p.line, p.message) for p in info.value.problems] == [(5, "expected an absolute http:// or https:// URL")]


@pytest.mark.network
def test_repository_start_urls_answer_live() -> None:
    """Live: every start URL of the real sources.yaml answers through the crawler's fetcher (run with -m network)."""
    from crawler.fetch import Fetcher
    from kb.settings import load_settings

    sources, _ = load_sources(Path(__file__).resolve().parents[2] / "sources.yaml")
    broken = []
    with Fetcher(load_settings(env={})) as fetcher:
        for s in sources:
            for url in s.start_urls:
                try:
                    result = fetcher.fetch(url, raise_http=False, max_bytes=2_000_000)
                except Exception as exc:  # noqa: BLE001 — collect every failure for one report
                    broken.append(f"{s.id}: {url}: {exc}")
                    continue
                if result.status >= 400 or not s.in_scope(result.final_url):
                    broken.append(f"{s.id}: {url}: HTTP {result.status} → {result.final_url}")
    assert broken == []
