"""Odd answers made plain, over the real index: no searchable word, plural agreement, unknown filter values, CLI limits, times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kb import cli
from kb.searchmodel import MAX_PAGE, MAX_PER_PAGE, SearchResponse
from kb.settings import Settings
from web import formatting, views
from web.filtercheck import NO_WORDS

ALL = 32  # documents in the fixture corpus


@pytest.mark.parametrize("q", ["#", "*", '""', "- + ?", "&&||!!"])
def test_a_query_without_a_searchable_word_counts_as_no_query(client: Any, q: str) -> None:
    r = client.get("/sok", params={"q": q})
    assert r.status_code == 200
    assert r.context["total"] == ALL and r.context["status"] == f"Visar 1–10 av {ALL} dokument"
    assert any(NO_WORDS in n for n in r.context["notices"]), r.context["notices"]
    assert r.context["query"] == q and r.context["state"].q == ""  # the box keeps what was typed; no search for it
    assert "träffar för" not in r.text
    api = client.get("/api/v1/search", params={"q": q}).json()
    assert api["total"] == ALL and api["query"] == "" and NO_WORDS in api["notice"]


@pytest.mark.parametrize("q", ["OR", "NOT", "OCH", "AND ELLER"])
def test_a_query_of_bare_operators_counts_as_no_query(client: Any, q: str) -> None:
    r = client.get("/sok", params={"q": q})
    assert r.context["total"] == ALL and any(NO_WORDS in n for n in r.context["notices"]), r.context["notices"]
    assert "träffar för" not in r.text
    api = client.get("/api/v1/search", params={"q": q}).json()
    assert api["total"] == ALL and api["query"] == "" and NO_WORDS in api["notice"]


def test_operator_words_in_quotes_or_with_a_word_are_searched(client: Any) -> None:
    for q in ('"OR"', "barnahus OR", "or"):
        assert not any(NO_WORDS in n for n in client.get("/sok", params={"q": q}).context["notices"]), q


@pytest.mark.parametrize("q", ["#", "*", "OR"])
def test_cli_says_a_query_without_a_searchable_word_is_no_query(built_index: Settings, capsys: pytest.CaptureFixture[str],
                                                                q: str) -> None:
    assert _kb(built_index, q) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{ALL} dokument\n”{q}” innehåller inget sökbart ord, så allt material visas. {NO_WORDS}.\n"), out[:200]
    assert _kb(built_index, q, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "" and data["total"] == ALL and NO_WORDS in data["notice"]


def test_a_query_with_a_word_among_signs_is_searched(client: Any) -> None:
    r = client.get("/sok", params={"q": "#barnahus*"})
    assert r.context["state"].q == "#barnahus*" and not any(NO_WORDS in n for n in r.context["notices"])
    assert r.context["status"].endswith("för ”#barnahus*”")


def _response(total: int, shown: int, page: int = 1) -> SearchResponse:
    return SearchResponse("x", total, page, 10, [object()] * shown, {})  # type: ignore[list-item]


def test_swedish_plural_agreement_everywhere() -> None:
    assert [formatting.count_text(n, "träff", "träffar") for n in (0, 1, 2, 1234)] == ["0 träffar", "1 träff", "2 träffar",
                                                                                       "1\u00a0234 träffar"]
    assert views.status_message(_response(1, 1), "våld") == "1 träff för ”våld”"
    assert views.status_message(_response(2, 2), "våld") == "2 träffar för ”våld”"
    assert views.status_message(_response(0, 0), "våld") == "Inga träffar för ”våld”"
    assert views.status_message(_response(1, 1), "") == "1 dokument"
    assert views.status_message(_response(11, 1, page=2), "våld") == "Visar 11–11 av 11 träffar för ”våld”"
    assert formatting.count_text(1, "källa", "källor") == "1 källa" and formatting.count_text(3, "adress", "adresser") == "3 adresser"


def test_one_hit_on_the_page_and_in_the_cli(client: Any, built_index: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert client.get("/sok", params={"q": "barnahus"}).context["status"] == "1 träff för ”barnahus”"
    assert cli.main(["--data-dir", str(built_index.data_dir), "--sources", str(built_index.sources), "search", "barnahus"]) == 0
    assert capsys.readouterr().out.startswith("1 träff för ”barnahus”\n")


@pytest.mark.parametrize(("params", "notice"), [
    ({"organisation": "Socialstyrelsn"}, "Organisation ”Socialstyrelsn” finns inte i kunskapsbanken. Menade du ”Socialstyrelsen”?"),
    ({"delomrade": "vald-i-nara-relationr"},
     "Delområde ”vald-i-nara-relationr” finns inte i kunskapsbanken. Menade du ”Våld i nära relationer”?"),
    ({"format": "pfd"}, "Format ”pfd” finns inte i kunskapsbanken. Menade du ”PDF”?"),
    ({"organisation": "Qwxz"}, "Organisation ”Qwxz” finns inte i kunskapsbanken."),
])
def test_unknown_filter_values_are_named_with_a_did_you_mean(client: Any, params: dict[str, str], notice: str) -> None:
    r = client.get("/sok", params={"q": "våld", **params})
    assert r.status_code == 200 and r.context["total"] == 0
    assert notice in r.context["notices"]
    assert notice in r.text.replace("&#34;", '"')
    api = client.get("/api/v1/search", params={"q": "våld", **params}).json()
    assert api["total"] == 0 and api["notice"] == notice


@pytest.mark.parametrize(("params", "same"), [({"format": "PDF"}, {"format": "pdf"}),
                                              ({"organisation": "SOCIALSTYRELSEN"}, {"organisation": "Socialstyrelsen"}),
                                              ({"format": "Webbsida"}, {"format": "html"})])  # its label
def test_a_filter_value_in_another_case_or_by_its_label_is_that_value(client: Any, params: dict[str, str],
                                                                       same: dict[str, str]) -> None:
    """The sweep: "format=PDF" found nothing and said 'Format ”PDF” finns inte … Menade du ”PDF”?'."""
    want = client.get("/api/v1/search", params={"q": "våld", **same}).json()
    got = client.get("/api/v1/search", params={"q": "våld", **params}).json()
    assert want["total"] > 0 and got["total"] == want["total"] and got["notice"] is None
    assert [h["url"] for h in got["results"]] == [h["url"] for h in want["results"]]
    page = client.get("/sok", params={"q": "våld", **params})
    assert page.context["total"] == want["total"] and not page.context["notices"]
    # and the page's "Bevaka sökningen" feed, which keeps the value as typed (it had 0 entries: the second review)
    entries = [e for e in client.get("/sok.atom", params={"q": "våld", **params}).text.split("<entry>")[1:]]
    assert entries and len(entries) == len(client.get("/sok.atom", params={"q": "våld", **same}).text.split("<entry>")[1:])


@pytest.mark.parametrize("year", ["2099", "1066", "2017"])
def test_a_year_without_documents_says_so_and_names_the_years_there_are(client: Any, built_index: Settings, year: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # never "Menade du ”2019”?" for 2099: a year is no misspelling of another year (the corpus spans 2018–2025)
    notice = f"Det finns inga dokument från år {year} i kunskapsbanken. Dokumenten är från åren 2018–2025."
    r = client.get("/sok", params={"q": "våld", "year": year})
    assert r.status_code == 200 and r.context["total"] == 0
    assert r.context["notices"] == [notice]
    assert client.get("/api/v1/search", params={"q": "våld", "year": year}).json()["notice"] == notice
    _kb(built_index, "våld", "--filter", f"year={year}")
    assert notice in capsys.readouterr().out


def test_a_known_filter_value_with_no_hits_is_not_called_unknown(client: Any) -> None:
    r = client.get("/sok", params={"q": "barnahus", "organisation": "Socialstyrelsen"})
    assert r.context["total"] == 0 and r.context["notices"] == []
    assert client.get("/api/v1/search", params={"q": "barnahus", "organisation": "Socialstyrelsen"}).json()["notice"] is None


def _kb(settings: Settings, *argv: str) -> int:
    return cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), "search", *argv])


@pytest.mark.parametrize(("argv", "message"), [
    (["--limit", "0"], f"--limit måste vara ett heltal mellan 1 och {MAX_PER_PAGE}, inte 0"),
    (["--limit", str(MAX_PER_PAGE + 1)], f"--limit måste vara ett heltal mellan 1 och {MAX_PER_PAGE}, inte {MAX_PER_PAGE + 1}"),
    (["--page", "0"], f"--page måste vara ett heltal mellan 1 och {MAX_PAGE}, inte 0"),
    (["--page", "-3"], f"--page måste vara ett heltal mellan 1 och {MAX_PAGE}, inte -3"),
])
def test_cli_limits_are_refused_with_a_message_not_clamped(built_index: Settings, capsys: pytest.CaptureFixture[str],
                                                           argv: list[str], message: str) -> None:
    assert _kb(built_index, "våld", *argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"kb search: {message}\n"


def test_cli_says_a_page_past_the_last_one_is_empty(built_index: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert _kb(built_index, "barnahus", "--page", "5") == 0
    assert capsys.readouterr().out == "1 träff för ”barnahus”\nSidan 5 är tom: träffarna ryms på 1 sida med 10 per sida.\n"
    assert _kb(built_index, "#", "--limit", "10", "--page", "40") == 0
    assert capsys.readouterr().out.endswith(f"Sidan 40 är tom: träffarna ryms på {-(-ALL // 10)} sidor med 10 per sida.\n")


def test_cli_names_an_unknown_filter_value_with_what_to_type(built_index: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert _kb(built_index, "våld", "--filter", "delomrade=vald-i-nara-relationr") == 0
    out = capsys.readouterr().out
    assert out.startswith("0 träffar för ”våld”\n")
    assert ("Delområde ”vald-i-nara-relationr” finns inte i kunskapsbanken. "
            "Menade du ”Våld i nära relationer” (delomrade=vald-i-nara-relationer)?") in out
    assert _kb(built_index, "våld", "--filter", "organisation=Socialstyrelsn", "--json") == 0
    assert "Menade du ”Socialstyrelsen”?" in capsys.readouterr().out
    assert _kb(built_index, "våld", "--filter", "organisation=Socialstyrelsen", "--limit", str(MAX_PER_PAGE)) == 0
    assert "finns inte" not in capsys.readouterr().out


def test_times_are_swedish_time_and_say_so() -> None:
    summer = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # CEST, UTC+2
    winter = datetime(2024, 1, 15, 23, 30, tzinfo=UTC)  # CET, UTC+1: already the next day in Sweden
    assert formatting.swedish_datetime(summer) == "1 juli 2024 kl.\u00a014.00"
    assert formatting.swedish_datetime(winter) == "16 januari 2024 kl.\u00a000.30"
    assert formatting.parse_time("2024-07-01T12:00:00") == summer  # a stored time without a zone is UTC
    assert formatting.parse_time("2024-07-01") is None  # a date has no time of day to show
    assert "Europe/Stockholm" in formatting.TIME_ZONE_NOTE
