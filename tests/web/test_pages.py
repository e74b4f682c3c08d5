"""HTML pages over a real index: template context (typed, precomputed) and the rendered Swedish HTML."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from _web_corpus import HOSTILE_ORG

from web import formatting, views


def _params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_start_page_has_search_form_areas_recent_and_help(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.template.name == "index.html"
    html = r.text
    assert '<html lang="sv">' in html
    assert '<form class="search-form" role="search"' in html
    assert '<label for="sok-q"' in html
    areas = {a.slug: a for a in r.context["areas"]}
    assert all(isinstance(a, views.AreaCard) for a in areas.values())
    assert areas["vald-i-nara-relationer"].count >= 10
    assert areas["vald-i-nara-relationer"].url == "/delomrade/vald-i-nara-relationer"
    assert 'href="/delomrade/vald-i-nara-relationer"' in html
    recent = r.context["recent"]
    assert recent and all(isinstance(h, views.HitView) for h in recent)
    assert "Nytt material" in html and "Så söker du" in html
    assert "Hoppa till innehållet" in html


def test_results_context_status_facets_and_hits(client: Any) -> None:
    r = client.get("/sok", params={"q": "våld"})
    assert r.status_code == 200 and r.template.name == "results.html"
    ctx = r.context
    total = ctx["total"]
    assert total > 10
    assert ctx["status"] == f"Visar 1–10 av {total} träffar för ”våld”"
    assert f'<p class="status" role="status">Visar 1–10 av {total} träffar för ”våld”</p>' in r.text
    assert len(ctx["hits"]) == 10
    groups = {g.key: g for g in ctx["facets"]}
    assert next(iter(groups)) == "delomrade"
    assert groups["delomrade"].label == "Delområde"
    for group in groups.values():
        counts = [o.count for o in group.options]
        assert counts == sorted(counts, reverse=True), group.key
        assert all(o.count > 0 for o in group.options), "zero-count values are hidden"
        for option in group.options:
            assert option.selected is False
            assert _params(option.toggle_url)[group.key] == [option.value]
            assert _params(option.toggle_url)["q"] == ["våld"]
    assert '<legend>Delområde</legend>' in r.text and '<legend>Typ av kunskapsstöd</legend>' in r.text
    assert '<button type="submit" class="button">Filtrera</button>' in r.text


def test_filter_selected_chip_and_counts(client: Any) -> None:
    r = client.get("/sok", params=[("q", "våld"), ("organisation", "Socialstyrelsen")])
    ctx = r.context
    assert all(h.organisation == "Socialstyrelsen" for h in ctx["hits"])
    org = next(g for g in ctx["facets"] if g.key == "organisation")
    selected = [o for o in org.options if o.selected]
    assert [o.value for o in selected] == ["Socialstyrelsen"]
    assert "organisation" not in _params(selected[0].toggle_url)  # unticking removes it
    assert [c.label for c in ctx["chips"]] == ["Socialstyrelsen"]
    assert "organisation" not in _params(ctx["chips"][0].remove_url)
    assert 'Ta bort filter </span>Organisation: Socialstyrelsen' in r.text
    assert re.search(r'name="organisation" value="Socialstyrelsen" checked', r.text)
    # facet counts in other facets reflect the active organisation filter
    fmt = {o.value: o.count for o in next(g for g in ctx["facets"] if g.key == "format").options}
    assert sum(fmt.values()) == ctx["total"]


def test_several_values_in_one_facet_are_ored(client: Any) -> None:
    one = client.get("/sok", params=[("q", "våld"), ("format", "pdf")]).context["total"]
    two = client.get("/sok", params=[("q", "våld"), ("format", "pdf"), ("format", "html")]).context
    assert two["total"] > one
    assert {h.format_text.split(",")[0] for h in two["hits"]} <= {"PDF", ""}
    assert len(two["chips"]) == 2


def test_hit_metadata_date_format_size_tags(client: Any) -> None:
    r = client.get("/sok", params={"q": "vägledning för socialtjänsten"})
    hit = next(h for h in r.context["hits"] if h.url.endswith("/vald/vagledning"))
    assert hit.date_iso == "2024-03-05" and hit.date_text == "5 mars 2024"
    assert hit.format_text == "PDF, 1,2\u00a0MB, 12 sidor"
    assert hit.organisation == "Socialstyrelsen"
    assert '<time datetime="2024-03-05">5 mars 2024</time>' in r.text
    assert any(t.url == "/delomrade/vald-i-nara-relationer" for t in hit.tags)
    assert "<mark>" in hit.snippet


def test_duplicates_are_shown(client: Any) -> None:
    r = client.get("/sok", params={"q": "kopia vägledningen"})
    hit = next(h for h in r.context["hits"] if h.url.endswith("/vald/kopia"))
    assert hit.duplicates == [("https://www.socialstyrelsen.se/arkiv/vagledning-kopia", "https://www.socialstyrelsen.se/arkiv/vagledning-kopia")]
    assert "Fler från samma dokument (1)" in r.text


def test_one_hit_and_no_hits_messages(client: Any) -> None:
    r = client.get("/sok", params={"q": "barnahus"})
    assert r.context["status"] == "1 träff för ”barnahus”"
    r = client.get("/sok", params={"q": "xyzzyqwerty"})
    assert r.status_code == 200
    assert r.context["status"] == "Inga träffar för ”xyzzyqwerty”"
    assert "Kontrollera stavningen" in r.text
    assert r.context["pagination"] is None


def test_did_you_mean_is_a_link_not_a_rewrite(client: Any) -> None:
    r = client.get("/sok", params={"q": "kvinnofrud"})
    suggestion = r.context["suggestion"]
    assert suggestion is not None, "the service should suggest a spelling"
    assert r.context["query"] == "kvinnofrud"  # no automatic rewrite
    assert _params(suggestion.url)["q"] == [suggestion.text]
    assert f'Menade du <a href="{suggestion.url.replace("&", "&amp;")}">{suggestion.text}</a>?' in r.text


def test_pagination_links_and_head_links(client: Any) -> None:
    r = client.get("/sok", params={"q": "våld", "page": "2"})
    p = r.context["pagination"]
    assert p.page == 2 and p.prev_url == "/sok?q=v%C3%A5ld" and p.next_url == "/sok?q=v%C3%A5ld&page=3"
    current = [link for link in p.pages if link and link.current]
    assert [link.number for link in current] == [2]
    assert '<nav class="pagination" aria-label="Sidnumrering">' in r.text
    assert 'aria-current="page"><span class="visually-hidden">Sida </span>2</a>' in r.text
    assert 'rel="prev"' in r.text
    assert '<link rel="prev" href="/sok?q=v%C3%A5ld">' in r.text
    first = client.get("/sok", params={"q": "våld"})
    assert '<link rel="next" href="/sok?q=v%C3%A5ld&amp;page=2">' in first.text
    assert 'rel="next">Nästa' in first.text
    urls_page1 = {h.url for h in first.context["hits"]}
    assert urls_page1.isdisjoint({h.url for h in r.context["hits"]})


def test_sort_newest_first(client: Any) -> None:
    r = client.get("/sok", params={"q": "våld", "sort": "nyast"})
    dates = [h.date_iso for h in r.context["hits"] if h.date_iso]
    assert dates == sorted(dates, reverse=True)
    links = {s.key: s for s in r.context["sort_links"]}
    assert links["nyast"].current and not links["relevans"].current
    assert "sort" not in _params(links["relevans"].url)
    # the filter form keeps the sort order
    assert '<input type="hidden" name="sort" value="nyast">' in r.text


def test_bad_page_numbers_fall_back(client: Any) -> None:
    total = client.get("/sok", params={"q": "våld"}).context["total"]
    last = views.last_page(total, 10)
    for raw, expected in (("abc", 1), ("-1", 1), ("0", 1), ("1e9", 1), ("999999999", last), ("99999999999999999999", last), ("50", last)):
        r = client.get("/sok", params={"q": "våld", "page": raw})
        assert r.status_code == 200, raw
        assert r.context["pagination"].page == expected, raw
        assert r.context["hits"], raw


def test_area_page(client: Any) -> None:
    r = client.get("/delomrade/vald-i-nara-relationer")
    assert r.status_code == 200 and r.template.name == "area.html"
    assert r.context["area"].label == "Våld i nära relationer"
    assert r.context["area"].description in r.text
    dates = [h.date_iso for h in r.context["hits"] if h.date_iso]
    assert dates == sorted(dates, reverse=True)
    assert all(any(t.url.endswith("/vald-i-nara-relationer") for t in h.tags) for h in r.context["hits"])
    assert _params(r.context["search_url"]) == {"delomrade": ["vald-i-nara-relationer"]}
    assert '<input type="hidden" name="delomrade" value="vald-i-nara-relationer">' in r.text
    assert "Sök inom Våld i nära relationer" in r.text


def test_area_page_paginates(client: Any) -> None:
    first = client.get("/delomrade/vald-i-nara-relationer")
    assert first.context["total"] > 10
    assert first.context["pagination"].next_url == "/delomrade/vald-i-nara-relationer?page=2"
    r = client.get("/delomrade/vald-i-nara-relationer", params={"page": "2"})
    assert r.status_code == 200
    assert r.context["pagination"].prev_url == "/delomrade/vald-i-nara-relationer"
    assert {h.url for h in r.context["hits"]}.isdisjoint({h.url for h in first.context["hits"]})


def test_unknown_area_is_a_swedish_404(client: Any) -> None:
    r = client.get("/delomrade/finns-inte")
    assert r.status_code == 404
    assert "Sidan finns inte" in r.text and '<html lang="sv">' in r.text
    r = client.get("/nagot/annat")
    assert r.status_code == 404 and "Sidan finns inte" in r.text


def test_sources_page(client: Any) -> None:
    r = client.get("/kallor")
    assert r.status_code == 200 and r.template.name == "sources.html"
    rows = r.context["rows"]
    assert [row.id for row in rows][0] == "lst", "the failing source comes first"
    by_id = {row.id: row for row in rows}
    assert set(by_id) == {"sos", "nck", "jamy", "lst", "elak"}
    assert by_id["sos"].count == 10 and by_id["sos"].url == "/kallor/sos"
    lst = by_id["lst"]
    assert lst.status == "Delvis" and lst.failing and lst.failed == 3
    assert lst.last_ok is not None  # the first run was ok
    assert lst.change == 0 and lst.change_text == "±0"
    assert "kl.\u00a0" in lst.last_ok.text and "+00:00" in lst.last_ok.iso
    assert r.context["summary"] == "5 källor · 1 källa med fel vid senaste körningen · 32 dokument"
    assert "Tider anges i svensk tid (Europe/Stockholm)." in r.text
    assert '<a href="/kallor/lst#fel">3<span class="visually-hidden"> fel för Länsstyrelsen Östergötland</span></a>' in r.text
    assert by_id["elak"].organisation == HOSTILE_ORG


def test_source_page_has_history_chart_table_and_failures(client: Any) -> None:
    r = client.get("/kallor/lst")
    assert r.status_code == 200 and r.template.name == "source.html"
    ctx = r.context
    assert ctx["source"].name == "Länsstyrelsen Östergötland"
    assert len(ctx["history"]) == 2 and ctx["history"][0].status == "Delvis" and ctx["history"][1].change_text == "–"
    chart = ctx["chart"]
    assert chart is not None and len(chart.dots) == 2
    assert '<svg viewBox="0 0 400 200" role="img" aria-label="Antal dokument vid de senaste 2 körningarna: från 6 till 6"' in r.text
    assert "<caption>Antal dokument per körning, nyast först</caption>" in r.text
    assert [(item["reason"], item["count"]) for item in ctx["by_reason"]] == [("http_404", 2), ("krypterad", 1)]
    # the librarian reads the Swedish explanation; the code stays beside it for support
    assert ctx["by_reason"][0]["label"].startswith("Sidan finns inte (HTTP 404) – länken är trasig")
    assert '<th scope="row">Sidan finns inte (HTTP 404) – länken är trasig' in r.text
    assert '<code class="reason-code">http_404</code></th>' in r.text
    assert ("https://www.lansstyrelsen.se/ostergotland/trasig.pdf</span> – Filen är lösenordsskyddad eller krypterad"
            ' <code class="reason-code">krypterad</code> (PDF:en är lösenordsskyddad)') in r.text
    assert client.get("/kallor/finns-inte").status_code == 404
    assert client.get("/kallor/sos").context["failing_urls"] == []


def test_sources_page_falls_back_to_store_when_sources_yaml_is_broken(built_index: Any, service: Any, tmp_path: Any) -> None:
    from starlette.testclient import TestClient

    from web.app import create_app

    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [", encoding="utf-8")
    app = create_app(built_index.replace(sources=broken), service)
    r = TestClient(app).get("/kallor")
    assert r.status_code == 200
    assert {row.id for row in r.context["rows"]} == {"sos", "nck", "jamy", "lst", "elak"}
    assert "Källförteckningen kunde inte läsas" in r.text


def test_empty_search_lists_everything(client: Any) -> None:
    r = client.get("/sok")
    assert r.status_code == 200
    assert r.context["total"] == 32


def test_without_an_index_pages_say_so(tmp_path: Any, open_backend: Any) -> None:
    from starlette.testclient import TestClient

    from kb.settings import load_settings
    from web.app import create_app

    settings = load_settings(env={}, data_dir=tmp_path / "data", sources=tmp_path / "none.yaml")
    app = create_app(settings, open_backend)
    c = TestClient(app)
    assert c.get("/").status_code == 200
    r = c.get("/sok", params={"q": "våld"})
    assert r.status_code == 503 and "inte tillgänglig" in r.text
    assert c.get("/api/v1/search", params={"q": "våld"}).headers["content-type"] == "application/problem+json"
    assert c.get("/kallor").status_code == 200
    assert not (tmp_path / "data" / "kb.sqlite3").exists(), "the sources page must not create a store"


def test_browsing_without_a_query_counts_documents(client: Any) -> None:
    assert client.get("/delomrade/vald-i-nara-relationer").context["status"].startswith("Visar 1–10 av ")
    assert client.get("/delomrade/vald-i-nara-relationer").context["status"].endswith(" dokument")
    assert client.get("/sok", params={"organisation": "Ingen sådan"}).context["status"] == "Inga dokument"


def test_swedish_formatting() -> None:
    from datetime import date

    assert formatting.swedish_date(date(2024, 3, 5)) == "5 mars 2024"
    assert formatting.swedish_number(1234567) == "1\u00a0234\u00a0567"
    assert formatting.swedish_size(1_250_000) == "1,2\u00a0MB"
    assert formatting.swedish_size(350_000) == "342\u00a0kB"
    assert formatting.quoted("våld") == "”våld”"
    assert formatting.tag_uri("https://Www.Example.se/a b?x=1", "https://kb.example.se/kb/") == \
        "tag:kb.example.se,2024:443/kb/dokument/www.example.se/a%20b?x=1"
    # the kb's port and the document's own (two demo sites on one host) both tell entries apart
    assert formatting.tag_uri("http://127.0.0.1:8101/a", "http://127.0.0.1:8000") == "tag:127.0.0.1,2024:8000/dokument/127.0.0.1:8101/a"
    assert formatting.tag_uri("http://127.0.0.1:8102/a", "http://127.0.0.1:8001") == "tag:127.0.0.1,2024:8001/dokument/127.0.0.1:8102/a"


def test_sources_page_reads_the_store_through_a_read_only_connection(app: Any, client: Any) -> None:
    from kb.errors import StoreError

    assert client.get("/kallor").status_code == 200
    store = app.state.web.reports._store  # the read model's kept connection
    assert store is not None and store.readonly
    with pytest.raises(StoreError):
        store.set_meta("written-by-the-web", "1")
