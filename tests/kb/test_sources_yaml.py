"""Encoding and YAML syntax errors in sources.yaml come out in Swedish with line, column and what to do."""

from __future__ import annotations

import pytest

from kb import cli
from kb.errors import ConfigError
from kb.settings import Settings
from kb.sources import load_sources

ONE = "sources:\n  - id: a\n    name: A\n    organisation: A\n    start_urls: [https://bra.se/]\n"
SAVE = "spara filen som UTF-8 (i Anteckningar: Spara som → Kodning: UTF-8) och kör kb check igen"


def _problem(data: bytes) -> str:
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=data)
    (problem,) = info.value.problems
    return str(problem)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (ONE.replace("name: A", "name: Länsstyrelsen").encode("cp1252"),
         f"s.yaml:3: fel: yaml: kolumn 12: filen är inte UTF-8 (byte 0xe4, troligen 'ä' i Windows-1252/ANSI); {SAVE}"),
        (ONE.encode("utf-16"), f"s.yaml:1: fel: yaml: filen är sparad som UTF-16; {SAVE}"),
        (ONE.replace("    name: A", "\tname: A").encode(),
         "s.yaml:3: fel: yaml: kolumn 1: tabbtecken i indraget; YAML tillåter bara mellanslag: ersätt tabbarna med mellanslag"),
        ((ONE + '    delay: "2\n').encode(),
         "s.yaml:6: fel: yaml: kolumn 12: ett citattecken öppnas men stängs aldrig; lägg till det avslutande citattecknet"),
        (ONE.replace("[https://bra.se/]", "[https://bra.se/").encode(),
         "s.yaml:5: fel: yaml: kolumn 17: en lista inom [ ] avslutas inte; stäng hakparentesen och sätt värden med komma inom citattecken"),
        (ONE.replace("name: A", "name: A: B").encode(),
         "s.yaml:3: fel: yaml: kolumn 12: ett kolon följt av mellanslag mitt i ett värde, eller fel indrag; "
         "sätt värdet inom citattecken (\"…\") eller rätta indraget"),
        (ONE.replace("    organisation", "   organisation").encode(),
         "s.yaml:4: fel: yaml: kolumn 4: indraget stämmer inte; nycklar i samma källa ska stå exakt lika långt in (med mellanslag) "
         "och varje källa börja med '- '"),
        (ONE.replace("name: A", "name: @A").encode(),
         "s.yaml:3: fel: yaml: kolumn 11: tecknet '@' kan inte inleda ett värde i YAML; sätt värdet inom citattecken"),
        (ONE.replace("name: A", "name: A\x01").encode(),
         f"s.yaml:3: fel: yaml: otillåtet styrtecken (0x01) i filen; ta bort det, eller {SAVE}"),
    ],
    ids=["windows-1252", "utf-16-bom", "tab", "unclosed-quote", "unclosed-bracket", "colon-in-value", "indent", "at-sign", "control"],
)
def test_encoding_and_syntax_errors_are_swedish_with_line_and_column(data: bytes, expected: str) -> None:
    message = _problem(data)
    assert message == expected.replace("(0x01)", "(U+0001)") or message == expected


def test_a_utf8_byte_order_mark_is_harmless() -> None:
    (s,), warnings = load_sources("s.yaml", text=ONE.encode("utf-8-sig"))
    assert s.id == "a" and s.line == 2 and warnings == []
    (s,), _ = load_sources("s.yaml", text="\ufeff" + ONE)
    assert s.id == "a"


def test_kb_check_reports_a_windows_1252_file_in_swedish(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_bytes(ONE.replace("name: A", "name: Kvinnofrid för alla – Örebro").encode("cp1252"))
    assert cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), "check"]) == 78
    err = capsys.readouterr().err
    assert f"{settings.sources}:3: fel: yaml: kolumn 23: filen är inte UTF-8" in err
    assert "UnicodeDecodeError" not in err and "codec" not in err


def test_no_pyyaml_english_reaches_the_librarian() -> None:
    for bad in ("sources:\n  - id: a\n   - x\n", "sources: [\n", "sources:\n  - {id: a\n", "a: *x\n", "sources: !!python/name:os.system\n"):
        with pytest.raises(ConfigError) as info:
            load_sources("s.yaml", text=bad)
        text = str(info.value)
        for english in ("while ", "expected", "found", "could not", "mapping values"):
            assert english not in text.split(": yaml: ", 1)[-1].split(" (")[0], text


def test_a_backslash_in_double_quotes_explains_single_quotes() -> None:
    message = _problem((ONE + '    deny: ["re:\\.pdf$"]\n').encode())
    assert message.startswith("s.yaml:6: fel: yaml: kolumn 16: okänt bakstreck-tecken inom dubbla citattecken")
    assert "enkla citattecken ('re:\\.pdf')" in message


def test_a_second_document_is_named() -> None:
    assert _problem((ONE + "---\n").encode()) == "s.yaml:6: fel: yaml: kolumn 1: filen innehåller flera YAML-dokument; ta bort raden '---' (eller '...')"


@pytest.mark.parametrize("value", ["2026-13-45", "!!python/name:os.system", "!!binary xx", "!!timestamp nej"])
def test_odd_scalars_are_problems_not_crashes(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=ONE + f"    max_pages: {value}\n")
    assert [(p.line, p.message) for p in info.value.problems] == [(6, "förväntade ett heltal från 1 till 1000000")]


# Nine anchors of nine aliases each: 9**9 values once filled in ("billion laughs"). Before the check `kb check` on
# eight such levels took 25 s and 950 MB and printed an 84 MB error line.
LAUGHS = "".join(
    "l{0}: &l{0} [{1}]\n".format(level, ", ".join([f"*l{level - 1}" if level else "x"] * 9)) for level in range(9)
)


def test_aliases_that_expand_to_billions_of_values_are_one_error() -> None:
    text = LAUGHS + ONE.replace("name: A", "name: *l8")
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=text)
    (problem,) = info.value.problems
    assert str(problem) == (
        "s.yaml: fel: yaml: YAML-referenserna (&ankare och *alias) blir fler än 1 000 000 värden när de fylls i; "
        "skriv ut värdena i stället för att referera i flera led"
    )


def test_shared_lists_through_aliases_still_work() -> None:
    text = "std: &deny ['re:[?&]q=', https://bra.se/en/]\nsources:\n" + "".join(
        f"  - id: s{i}\n    name: S\n    organisation: O\n    start_urls: [https://bra{i}.se/]\n    deny: *deny\n" for i in range(300)
    )
    with pytest.raises(ConfigError) as info:  # only the unknown top-level key is a problem
        load_sources("s.yaml", text=text)
    assert [p.message for p in info.value.problems] == ["okänd nyckel på översta nivån"]


def test_a_huge_value_is_shown_shortened() -> None:
    with pytest.raises(ConfigError) as info:
        load_sources("s.yaml", text=ONE + f"    max_pages: [{', '.join(['1'] * 5000)}]\n")
    (problem,) = info.value.problems
    assert len(str(problem)) < 300 and "…: förväntade" in str(problem)
