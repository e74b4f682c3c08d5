"""`kb check` scales linearly: overlap warnings from an index equal the pairwise answer; the validation stays table-driven."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.sources_check import generate
from kb.errors import ConfigError, Problem
from kb.sources import Source, load_sources
from kb.sources_fields import FIELDS, Field

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    ("wide", "https://bra.se/", "[https://bra.se/]"),
    ("narrow", "https://bra.se/statistik/", "[https://bra.se/statistik/]"),
    ("same-start", "https://bra.se/statistik/", "[https://bra.se/statistik/]"),
    ("regex", "https://polisen.se/x/", "['re:^https://(polisen|bra)\\.se/']"),
    ("denied", "https://polisen.se/y/", "[https://polisen.se/]"),
    ("alone", "https://nck.uu.se/", "[https://nck.uu.se/]"),
)


def _pairwise(sources: list[Source]) -> set[tuple[int | None, str, str]]:
    """The warnings as the old quadratic loop found them: every pair, both directions."""
    found = set()
    for i, a in enumerate(sources):
        for b in sources[i + 1 :]:
            for url in set(a.start_urls) & set(b.start_urls):
                found.add((b.line, url, f"också start-URL för källan '{a.id}'"))
            for first, second in ((a, b), (b, a)):
                for url in second.start_urls:
                    if url not in first.start_urls and first.in_scope(url):
                        found.add((second.line, url, f"ligger också inom källan '{first.id}'"))
    return found


def _found(warnings: list[Problem]) -> set[tuple[int | None, str, str]]:
    out = set()
    for w in warnings:
        for marker in ("också start-URL för källan '", "ligger också inom källan '"):
            if marker in w.message:
                sid = w.message.split(marker, 1)[1].split("'", 1)[0]
                out.add((w.line, str(w.value), f"{marker}{sid}'"))
    return out


def test_indexed_overlap_warnings_equal_the_pairwise_ones() -> None:
    text = "sources:\n"
    for sid, start, allow in SOURCES:
        text += f"  - id: {sid}\n    name: N\n    organisation: O\n    start_urls: [{start}]\n    allow: {allow}\n"
        text += "    deny: [https://polisen.se/y/]\n" if sid == "regex" else ""
    sources, warnings = load_sources("s.yaml", text=text)
    expected = _pairwise(sources)
    assert len(expected) >= 6  # the case exercises shared starts, prefix scopes, a regex scope and a deny
    assert _found(warnings) == expected


def test_sources_on_separate_scopes_are_never_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = Source.in_scope

    def counting(self: Source, url: str) -> bool:
        calls.append(url)
        return original(self, url)

    monkeypatch.setattr(Source, "in_scope", counting)
    sources, warnings = load_sources("s.yaml", text=generate(400, 0))
    assert len(sources) == 400 and warnings == []
    assert calls == []  # the pairwise loop made 400 * 399 of these calls


def test_a_large_generated_file_loads_completely() -> None:
    text = generate(3000, 0)
    sources, warnings = load_sources("s.yaml", text=text)
    assert len(sources) == 3000 and warnings == []
    assert sources[-1].id == "kalla-2999" and sources[-1].line == text[: text.index("  - id: kalla-2999")].count("\n") + 1


@pytest.mark.parametrize("spec", FIELDS, ids=[f.name for f in FIELDS])
def test_each_fields_swedish_expectation_is_its_type_error(spec: Field) -> None:
    keys = {"id": "a", "name": "A", "organisation": "A", "start_urls": "[https://bra.se/]"}
    keys[spec.name] = "[{x: 1}]" if spec.many else "{x: 1}"  # a mapping where a value (or list item) belongs
    text = "sources:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in keys.items()) + "\n"
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=text)
    assert [(p.key.rsplit(".", 1)[-1], p.message) for p in info.value.problems] == [(spec.name, spec.expected)]
    assert spec.expected.startswith("förväntade")


def test_validation_stays_simple_and_small() -> None:
    modules = sorted((ROOT / "kb").glob("sources*.py"))
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "C901", "--config", "lint.mccabe.max-complexity=10", *map(str, modules)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout
    assert {m.name: len(m.read_text(encoding="utf-8").splitlines()) <= 400 for m in modules} == {m.name: True for m in modules}
