"""`re:` URL rules run on RE2 (linear time); patterns RE2 cannot run are errors with line and a Swedish reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kb import cli
from kb.errors import ConfigError
from kb.settings import Settings
from kb.sources import RegexRejected, UrlRule, load_sources

ONE = "sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n"
ROOT = Path(__file__).resolve().parents[2]


def _errors(deny: str) -> list[tuple[int | None, str, object, str]]:
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=ONE + f"    deny:\n      - {deny}\n")
    return [(p.line, p.key, p.value, p.message) for p in info.value.problems]


def test_catastrophic_pattern_runs_on_re2_in_linear_time() -> None:
    (s,), _ = load_sources("s.yaml", text=ONE + "    deny: ['re:(a+)+$']\n")
    (rule,) = s.deny
    assert type(rule.regex).__module__.startswith("re2")  # not Python's backtracking `re`
    # 10,000 characters: Python's re would need about 2**10000 steps here.
    assert rule.matches("https://bra.se/" + "a" * 10_000) and not rule.matches("https://bra.se/" + "a" * 10_000 + "!")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "bakåtreferenser (\\1, \\2 …) stöds inte"),
        (r"/x(?=y)", "lookahead (?=…) stöds inte"),
        (r"/x(?!y)", "negativ lookahead (?!…) stöds inte"),
        (r"(?<=/)x", "lookbehind (?<=…)/(?<!…) stöds inte"),
        (r"(?<!/)x", "lookbehind (?<=…)/(?<!…) stöds inte"),
        (r"sok\Z", "\\Z stöds inte; skriv \\z"),
        (r"/a{,3}", "{,3} stöds inte; skriv {0,3} i stället"),
        (r"(?>ab)", "atomära grupper"),
        (r"a++", "dubbla upprepningstecken"),
        (r"[a-", "en hakparentes [ stängs aldrig"),
        (r"(ab", "en parentes ( stängs aldrig"),
        (r"a{1001}", "upprepningen {n,m} är för stor"),
    ],
)
def test_patterns_re2_cannot_run_are_errors_with_line_and_reason(pattern: str, reason: str) -> None:
    ((line, key, value, message),) = _errors(f"'re:{pattern}'")
    assert (line, key, value) == (7, "sources[0] (a).deny", f"re:{pattern}")
    assert message.startswith("ogiltigt reguljärt uttryck") and reason in message, message
    assert "invalid" not in message  # RE2's English stays out of the librarians' message


def test_parse_raises_regex_rejected_for_code_that_builds_rules() -> None:
    with pytest.raises(RegexRejected, match="bakåtreferenser"):
        UrlRule.parse(r"re:(a)\1")
    assert UrlRule.parse("re:x") == UrlRule.parse("re:x")  # equality by the written rule


def _repository_patterns() -> list[str]:
    data = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    rules = {r for s in data["sources"] for key in ("allow", "deny", "follow_only") for r in s.get(key) or ()}
    return sorted(r[3:] for r in rules if r.startswith("re:"))


URLS = [
    "https://bra.se/", "https://bra.se/sok", "https://bra.se/sok.html", "https://bra.se/search/?q=1", "https://bra.se/a?page=2",
    "https://bra.se/a?sort=x&q=y", "https://bra.se/a?sv.target=1", "https://bra.se/nyheter/", "https://bra.se/nyheter/2026/x",
    "https://bra.se/Publikationer/Rapport.PDF", "https://bra.se/a/b_c-d%C3%B6/", "https://bra.se/1234/", "https://bra.se/en/",
]
PATTERNS = [
    r"/nyheter/$", r"[?&](s|q|query|sort|page)=", r"(?i)\.pdf$", r"^https://bra\.se/\d+/$", r"/\w+/$", r"\bsok\b", r"/(en|de)/",
    r"(?i)publikationer/.*rapport", r"[^/]$", r"/a/b_c-d%C3%B6/$", r"\.html?$", r"(a+)+$",
]


@pytest.mark.parametrize("pattern", _repository_patterns() + PATTERNS)
def test_re2_answers_as_python_search_did_on_normalised_urls(pattern: str) -> None:
    rule = UrlRule.parse("re:" + pattern)
    assert [rule.matches(u) for u in URLS] == [re.search(pattern, u) is not None for u in URLS]


def test_kb_check_rejects_a_backreference_in_swedish(settings: Settings, capfd: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(ONE + "    follow_only: ['re:/(x)/\\1']\n", encoding="utf-8")
    assert cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), "check"]) == 78
    err = capfd.readouterr().err  # capfd: RE2 would log to file descriptor 2 directly
    assert f"{settings.sources}:6: fel: sources[0] (a).follow_only = 're:/(x)/\\\\1': ogiltigt reguljärt uttryck" in err
    assert "bakåtreferenser" in err and "Error parsing" not in err
