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
    assert "utanför 'allow'" in w.message and "menade du 'https://nck.uu.se/'" in w.message


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
    assert messages(warnings) == [(7, "warning", "spärrar alla start-URL:er: inget från källan kommer att crawlas")]


def test_deny_blocking_some_start_urls_names_each() -> None:
    _, warnings = load(
        "sources:\n  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls:\n      - https://bra.se/a/\n      - https://bra.se/b/\n"
        "    deny: [https://bra.se/b/]\n"
    )
    assert messages(warnings) == [(7, "warning", "start-URL:en spärras av 'deny'")]


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
    assert "ohövligt" in warnings[0].message


def test_duplicate_start_urls_within_and_across_sources() -> None:
    _, warnings = load(
        "sources:\n"
        "  - id: a\n    name: A\n    organisation: A\n"
        "    start_urls:\n      - https://bra.se/x/\n      - https://bra.se/x/\n"
        "  - id: b\n    name: B\n    organisation: B\n    start_urls: [https://bra.se/x/]\n"
    )
    got = messages(warnings)
    assert (7, "warning", "start-URL:en förekommer två gånger") in got
    assert any(line == 8 and "också start-URL för källan 'a' (rad 2)" in msg for line, _, msg in got)


def test_overlapping_sources_warn_in_both_directions() -> None:
    _, warnings = load(
        "sources:\n"
        "  - id: narrow\n    name: N\n    organisation: N\n    start_urls: [https://bra.se/statistik/]\n"
        "    allow: [https://bra.se/statistik/]\n"
        "  - id: wide\n    name: W\n    organisation: W\n    start_urls: [https://bra.se/]\n"
    )
    (w,) = warnings
    assert w.line == 2 and "ligger också inom källan 'wide' (rad 7)" in w.message and "deny" in w.message


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
    assert (6, "sources[0] (a).dealy", "okänd nyckel (menade du 'delay'?)") in got
    assert (7, "sources[0] (a).max_pages", "förväntade ett heltal från 1 till 1000000") in got
    assert (8, "sources[1].id", "obligatorisk nyckel saknas") in got
    assert (10, "sources[1].start_urls", "förväntade en fullständig URL som börjar med http:// eller https://") in got


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
    assert [(p.line, p.message) for p in info.value.problems] == [(5, "förväntade minst en URL")]
    with pytest.raises(ConfigError) as info:
        load("sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [nck.uu.se]\n")
    assert [(p.line, p.message) for p in info.value.problems] == [(5, "förväntade en fullständig URL som börjar med http:// eller https://")]


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


ONE = "sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("delay: .inf", "förväntade ett antal sekunder från 0 till 3600"),
        ("delay: .nan", "förväntade ett antal sekunder från 0 till 3600"),
        ("delay: 3601", "förväntade ett antal sekunder från 0 till 3600"),
        ("max_time: .nan", "förväntade ett antal sekunder från 0 till 604800"),
        ("max_time: 604801", "förväntade ett antal sekunder från 0 till 604800"),
        ("max_time: -.inf", "förväntade ett antal sekunder från 0 till 604800"),
        ("max_pages: 1000001", "förväntade ett heltal från 1 till 1000000"),
        ("max_depth: 101", "förväntade ett heltal från 1 till 100"),
    ],
)
def test_numbers_must_be_finite_and_within_bounds(line: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(ONE + f"    {line}\n")
    assert [(p.line, p.key.split(".")[-1], p.message) for p in info.value.problems] == [(6, line.split(":")[0], message)]


def test_numbers_at_their_bounds_are_accepted() -> None:
    (s,), _ = load(ONE + "    delay: 3600\n    max_time: 604800\n    max_pages: 1000000\n    max_depth: 100\n")
    assert (s.delay, s.max_time, s.max_pages, s.max_depth) == (3600.0, 604800.0, 1_000_000, 100)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://[::1", "ogiltig URL"),
        ("https://[zz]/", "ogiltig URL"),
        ("https://bra.se:99999/", "ogiltigt portnummer"),
        ("https://bra.se:0/", "ogiltigt portnummer"),
        ("https://bra.se:x/", "ogiltigt portnummer"),
        ("https://bra .se/", "mellanslag i värdnamnet"),
        ("https://user:pass@bra.se/", "lösenord i URL:en är inte tillåtet"),
        ("https://user@bra.se/", "lösenord i URL:en är inte tillåtet"),
    ],
)
def test_malformed_urls_are_reported_not_raised(url: str, fragment: str) -> None:
    for key in ("start_urls", "sitemaps", "allow"):
        text = ONE if key != "start_urls" else ONE.replace("[https://bra.se/]", "[PLACEHOLDER]")
        if key != "start_urls":
            text += f"    {key}: [PLACEHOLDER]\n"
        with pytest.raises(ConfigError) as info:
            load(text.replace("PLACEHOLDER", f"'{url}'"))
        (problem,) = info.value.problems
        assert problem.key.endswith("." + key) and problem.value == url and fragment in problem.message, problem


def test_empty_regex_rule_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        load(ONE + "    deny: ['re:', 're:  ']\n")
    assert [(p.line, p.value) for p in info.value.problems] == [(6, "re:"), (6, "re:  ")]
    assert "tomt reguljärt uttryck" in info.value.problems[0].message


def test_invalid_css_selectors_are_errors() -> None:
    with pytest.raises(ConfigError) as info:
        load(ONE + "    content_selector: 'main['\n    drop_selectors:\n      - nav\n      - '.cookie >'\n")
    got = [(p.line, p.key.split(".")[-1], p.value) for p in info.value.problems]
    assert got == [(6, "content_selector", "main["), (9, "drop_selectors", ".cookie >")]
    assert all(p.message.startswith("ogiltig CSS-väljare") for p in info.value.problems)
    (s,), _ = load(ONE + "    content_selector: 'main#innehall, div.sv-text-portlet'\n    drop_selectors: [nav, '.cookie > p']\n")
    assert s.content_selector == "main#innehall, div.sv-text-portlet"


def test_no_sources_is_a_warning() -> None:
    sources, warnings = load("sources: []\n")
    assert sources == [] and [(w.line, w.severity, w.message) for w in warnings] == [(1, "warning", "inga källor: ingenting kommer att crawlas")]


def test_problem_labels_are_swedish() -> None:
    assert str(Problem("s.yaml", 3, "sources[0].delay", -1, "x")) == "s.yaml:3: fel: sources[0].delay = -1: x"
    assert str(Problem("s.yaml", None, "sources", None, "y", "warning")) == "s.yaml: varning: sources: y"
