"""Tests of version recognition and supersession (kb.versions) and of librarians' corrections (kb.corrections)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.corrections import load_corrections
from kb.errors import ConfigError
from kb.versions import Supersession, find_identifiers, resolve_versions, version_info, work_key

OLD_TEXT = "Socialstyrelsens föreskrifter och allmänna råd om våld i nära relationer. SOSFS 2014:4. Utkom från trycket 2014."
NEW_TEXT = ("HSLF-FS 2022:39. Socialstyrelsens föreskrifter och allmänna råd om våld i nära relationer. "
            "Dessa föreskrifter ersätter Socialstyrelsens föreskrifter och allmänna råd (SOSFS 2014:4) om våld i nära relationer.")


def test_identifiers_are_found_and_normalised() -> None:
    assert find_identifiers("enligt SOSFS 2014:4 och HSLF-FS 2022:039 samt AFS 2023:1") == ["SOSFS 2014:4", "HSLF-FS 2022:39", "AFS 2023:1"]
    assert find_identifiers("SFS 2018:1197 och sidan 2014:4") == ["SFS 2018:1197"]


def test_ersatter_links_old_to_new() -> None:
    old = version_info("https://a.se/sosfs-2014-4.pdf", "Våld i nära relationer (SOSFS 2014:4)", OLD_TEXT, "Socialstyrelsen", ["nationellt"], 2014)
    new = version_info("https://a.se/hslf-fs-2022-39.pdf", "Våld i nära relationer (HSLF-FS 2022:39)", NEW_TEXT, "Socialstyrelsen", ["nationellt"], 2022)
    assert old.own == "SOSFS 2014:4" and new.own == "HSLF-FS 2022:39" and new.replaces == ["SOSFS 2014:4"]
    states = resolve_versions([old, new])
    assert states[old.url].superseded and states[old.url].newer_url == new.url
    assert states[old.url].explanation.startswith("Version: ersatt av ”Våld i nära relationer (HSLF-FS 2022:39)” eftersom")
    assert not states[new.url].superseded and states[new.url].newer_url is None
    assert states[new.url].versions == [(new.url, new.title), (old.url, old.title)]


def test_upphavd_and_ersatts_av_in_the_old_document() -> None:
    old = version_info("https://a.se/gammal.html", "Föreskrifter om våld (SOSFS 2014:4)",
                       "SOSFS 2014:4 har upphävts och ersatts av HSLF-FS 2022:39.", "X", [], 2014)
    assert old.replaced_by == ["HSLF-FS 2022:39"] and old.superseded_marker
    alone = resolve_versions([old])
    assert alone[old.url].superseded and alone[old.url].newer_url is None  # the successor is not in the knowledge base
    new = version_info("https://a.se/ny.html", "Föreskrifter om våld (HSLF-FS 2022:39)", "Gäller från 2023.", "X", [], 2022)
    assert resolve_versions([old, new])[old.url].newer_url == new.url


def test_handbook_editions_group_newest_first() -> None:
    first = version_info("https://k.se/handbok-2019.pdf", "Handbok om våld i nära relationer", "Första upplagan 2019.", "NCK", [], 2019)
    second = version_info("https://k.se/handbok.pdf", "Handbok om våld i nära relationer – reviderad utgåva 2024",
                          "Andra upplagan.", "NCK", [], 2024)
    assert first.edition == 1 and second.edition == 2 and second.title_year == 2024
    assert first.key == second.key != ""
    states = resolve_versions([first, second])
    assert states[first.url].newer_url == second.url
    assert "samma titel från samma organisation" in states[first.url].explanation


def test_yearly_action_plans_newest_is_current_and_chains_point_to_the_newest() -> None:
    plans = [version_info(f"https://l.se/plan-{y}.pdf", f"Tillsammans mot våld – Handlingsplan {y}", "", "Länsstyrelsen", ["jamtlands-lan"], y)
             for y in (2023, 2024, 2025)]
    states = resolve_versions(plans)
    assert states[plans[0].url].newer_url == states[plans[1].url].newer_url == plans[2].url
    assert [u for u, _ in states[plans[2].url].versions] == [plans[2].url, plans[1].url, plans[0].url]


def test_same_title_from_other_county_or_organisation_is_another_work() -> None:
    a = version_info("https://l.se/a.pdf", "Handlingsplan 2024", "", "Länsstyrelsen", ["jamtlands-lan"], 2024)
    b = version_info("https://l.se/b.pdf", "Handlingsplan 2025", "", "Länsstyrelsen", ["skane-lan"], 2025)
    c = version_info("https://l.se/c.pdf", "Handlingsplan mot våld 2023", "", "Annan", ["jamtlands-lan"], 2023)
    assert resolve_versions([a, b, c]) == {}


def test_titles_without_a_year_or_edition_never_group() -> None:
    a = version_info("https://x.se/a.html", "Våld i nära relationer", "", "X", [], 2020)
    b = version_info("https://x.se/b.pdf", "Våld i nära relationer", "", "X", [], 2024)
    assert resolve_versions([a, b]) == {}
    assert work_key("X", [], "Om oss 2024") == ""  # too short to name a work


def test_librarian_states_and_undoes_supersessions() -> None:
    a = version_info("https://x.se/a.pdf", "Metodstöd A", "", "X", [], 2020)
    b = version_info("https://x.se/b.pdf", "Metodstöd B", "", "X", [], 2024)
    stated = resolve_versions([a, b], [Supersession(a.url, b.url)])
    assert stated[a.url].newer_url == b.url and "kb/corrections.yaml" in stated[a.url].explanation
    p1 = version_info("https://l.se/p1.pdf", "Handlingsplan 2024", "", "L", [], 2024)
    p2 = version_info("https://l.se/p2.pdf", "Handlingsplan 2025", "", "L", [], 2025)
    undone = resolve_versions([p1, p2], [Supersession(p1.url, None)])
    assert p1.url not in undone or not undone[p1.url].superseded


def test_a_librarian_reversing_a_detected_grouping_wins() -> None:
    """The detected direction is wrong (a misdated edition): the librarian states the opposite; no cycle, one current."""
    first = version_info("https://k.se/handbok-2019.pdf", "Handbok om våld i nära relationer 2019", "", "NCK", [], 2019)
    second = version_info("https://k.se/handbok-2024.pdf", "Handbok om våld i nära relationer 2024", "", "NCK", [], 2024)
    assert resolve_versions([first, second])[first.url].newer_url == second.url
    states = resolve_versions([first, second], [Supersession(second.url, first.url)])
    assert states[second.url].superseded and states[second.url].newer_url == first.url
    assert not states[first.url].superseded and states[first.url].newer_url is None
    assert [u for u, _ in states[first.url].versions][0] == first.url
    third = version_info("https://k.se/handbok-2025.pdf", "Handbok om våld i nära relationer 2025", "", "NCK", [], 2025)
    chain = resolve_versions([first, second, third], [Supersession(third.url, first.url)])  # 2019 → 2024 → 2025 detected
    assert [s.superseded for s in (chain[first.url], chain[second.url], chain[third.url])].count(False) == 1


def test_corrections_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "corrections.yaml"
    path.write_text("versions:\n  - {old: 'SOSFS 2014:4', new: 'HSLF-FS 2022:39'}\n  - {current: 'https://x.se/a'}\n"
                    "lan:\n  - {url_prefix: 'https://x.se/', lan: [nationellt]}\n  - {url: 'https://x.se/j', lan: [jamtlands-lan]}\n"
                    "malsattning:\n  - {url: 'https://x.se/a', malsattningar: [brottsbekampning]}\n", encoding="utf-8")
    c = load_corrections(path)
    assert c.supersessions == (Supersession("SOSFS 2014:4", "HSLF-FS 2022:39"), Supersession("https://x.se/a", None))
    assert c.lan_for("https://x.se/j") == ["jamtlands-lan"] and c.lan_for("https://x.se/k") == ["nationellt"]
    assert c.lan_for("https://y.se/") is None
    assert c.malsattning_for("https://x.se/a") == ["brottsbekampning"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("lan:\n  - {url: 'https://x.se/', lan: [jamtland]}\nversions:\n  - {old: 'x'}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_corrections(bad)
    assert "okänt värde" in str(err.value) and "versions[0]" in str(err.value)


def test_a_url_copied_from_a_pdf_hit_link_matches_its_document(tmp_path: Path) -> None:
    """The web results link a PDF hit to its page (…/plan.pdf#page=3); pasted into the file it still names the document."""
    path = tmp_path / "corrections.yaml"
    path.write_text("versions:\n  - {old: 'https://x.se/plan-2024.pdf#page=1', new: 'https://x.se/plan-2025.pdf#page=2'}\n"
                    "  - {current: 'https://x.se/h.pdf#page=4'}\n"
                    "lan:\n  - {url: 'https://x.se/plan.pdf#page=3', lan: [jamtlands-lan]}\n"
                    "malsattning:\n  - {url: ' https://x.se/r.pdf#page=1 ', malsattningar: [brottsbekampning]}\n", encoding="utf-8")
    c = load_corrections(path)
    assert c.lan_for("https://x.se/plan.pdf") == ["jamtlands-lan"] and c.malsattning_for("https://x.se/r.pdf") == ["brottsbekampning"]
    assert c.supersessions == (Supersession("https://x.se/plan-2024.pdf", "https://x.se/plan-2025.pdf"),
                               Supersession("https://x.se/h.pdf", None))


def test_a_yaml_syntax_error_in_the_corrections_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "corrections.yaml"
    path.write_text("versions:\n  - {old: 'SOSFS 2014:4', new: 'HSLF-FS 2022:39'\nlan: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_corrections(path)
    assert f"{path}:2: fel:" in str(err.value) and "klammerparentesen" in str(err.value)


def test_the_shipped_corrections_file_is_valid() -> None:
    assert Supersession("SOSFS 2014:4", "HSLF-FS 2022:39") in load_corrections().supersessions


def test_text_about_other_regulations_does_not_make_a_document_superseded() -> None:
    news = version_info("https://r.se/a", "Regeländringar beslutade den 1 mars 2018",
                        "Regeringen har beslutat om en ändring som innebär att en hänvisning till en paragraf i en upphävd "
                        "myndighetsföreskrift uppdateras. Naturvårdsverket har upphävt sin tidigare föreskrift NFS 2006:9.",
                        "Regeringskansliet", ["nationellt"], 2018)
    assert news.superseded_marker == "" and news.own is None
    brochure = version_info("https://r.se/b", "Föräldrar och barn", "Broschyren beskriver lagstiftningen. De bestämmelser som "
                            "beskrivs finns främst i föräldrabalken, SFS 1949:381.", "R", [], 2020)
    assert brochure.own is None  # a cited law is not the brochure's own identifier
    rule = version_info("https://r.se/c", "Föreskrifter om våld", "Upphävd\nSOSFS 2014:4. Föreskrifter och allmänna råd.", "R", [], 2014)
    assert rule.superseded_marker and rule.own == "SOSFS 2014:4"


def test_titles_dated_to_the_day_are_events_not_editions() -> None:
    a = version_info("https://r.se/a", "Regeländringar beslutade den 22 juni 2017", "", "R", [], 2017)
    b = version_info("https://r.se/b", "Regeländringar beslutade den 22 juni 2022", "", "R", [], 2022)
    assert a.key == b.key == "" and resolve_versions([a, b]) == {}
