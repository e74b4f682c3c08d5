"""`malgrupp` and `doc_type` must name taxonomy values: unknown ones are errors with did-you-mean, never indexed raw."""

from __future__ import annotations

import pytest

from kb.errors import ConfigError
from kb.sources import load_sources
from kb.taxonomy import load_taxonomy

ONE = "sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n"


def _errors(extra: str) -> list[tuple[int | None, str, object, str]]:
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=ONE + extra)
    return [(p.line, p.key, p.value, p.message) for p in info.value.problems]


def test_taxonomy_values_are_accepted() -> None:
    taxonomy = load_taxonomy()
    groups = [c.slug for c in taxonomy.malgrupper]
    doc_type = taxonomy.doc_types[0].slug
    (s,), warnings = load_sources("s.yaml", text=ONE + f"    malgrupp: [{', '.join(groups)}]\n    doc_type: {doc_type}\n")
    assert (s.malgrupp, s.doc_type, warnings) == (tuple(groups), doc_type, [])


def test_unknown_malgrupp_is_an_error_naming_line_key_value_and_the_close_value() -> None:
    got = _errors("    malgrupp:\n      - skola\n      - socialtjansten\n")
    assert got == [(8, "sources[0] (a).malgrupp", "socialtjansten",
                    "finns inte bland taxonomins målgrupper (malgrupper) (kb/taxonomy.yaml) (menade du 'socialtjanst'?)")]


def test_unknown_doc_type_is_an_error_with_did_you_mean() -> None:
    assert _errors("    doc_type: rapporter\n") == [
        (6, "sources[0] (a).doc_type", "rapporter",
         "finns inte bland taxonomins typer av kunskapsstöd (doc_types) (kb/taxonomy.yaml) (menade du 'rapport'?)"),
    ]


def test_unknown_value_without_a_close_match_lists_the_allowed_ones() -> None:
    ((_line, _key, value, message),) = _errors("    doc_type: xyzzy\n")
    allowed = ", ".join(c.slug for c in load_taxonomy().doc_types)
    assert value == "xyzzy" and message.endswith(f"; tillåtna värden: {allowed}")


def test_every_problem_of_the_file_is_reported_at_once() -> None:
    got = _errors("    malgrupp: [Skola, polis]\n    doc_type: ''\n")
    assert [(line, key.split(".")[-1], value) for line, key, value, _ in got] == [
        (6, "malgrupp", "Skola"), (6, "malgrupp", "polis"), (7, "doc_type", ""),
    ]
    assert got[0][3] == "förväntade en slug (a-z, 0-9, -)" and got[2][3] == "förväntade en text som inte är tom"
