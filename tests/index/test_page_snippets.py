"""Snippets of paged documents: the page of an offset, the cover title skipped, a passage that starts where it matches."""

from __future__ import annotations

from index.highlight import page_of, passage, snippet, term_pattern, title_end

TITLE = "Handbok om skyddat boende"
PAGES = [
    f"{TITLE}\n\nPublicerad 3 maj 2024",
    "Avsnitt 2: placering\n\nKvinnan placeras i ett skyddat boende av socialtjänsten. Boendet ska vara tryggt.",
    "Avsnitt 3: ekonomi\n\nEkonomiskt bistånd ges under tiden. Handläggaren packar inte åt kvinnan, men en "
    "flyttkartong med viktiga papper kan hämtas med polisens hjälp. Pass och personbevis hör dit.",
    "Avsnitt 4: skolgång\n\nBarnen ska gå i skolan under vistelsen.",
]


def _doc() -> tuple[str, list[int]]:
    starts, pos = [], 0
    for page in PAGES:
        starts.append(pos)
        pos += len(page) + 2
    return "\n\n".join(PAGES), starts


def test_page_of_names_the_page_of_an_offset() -> None:
    body, starts = _doc()
    assert [page_of(starts, body.index(w)) for w in ("Handbok", "placeras", "flyttkartong", "skolan")] == [1, 2, 3, 4]
    assert page_of(starts, None) is None and page_of([0], 40) is None  # no match shown, or a one-page document
    assert page_of([0, 10, 10, 20], 12) == 3  # an empty page 2 starts where page 3 does


def test_the_snippet_starts_at_the_matching_sentence_and_stays_on_its_page() -> None:
    body, starts = _doc()
    text, offset = passage(body, term_pattern(["flyttkartong"]), skip=title_end(body, TITLE), pages=starts)
    assert offset == body.index("flyttkartong") and page_of(starts, offset) == 3
    assert text.startswith("…Handläggaren packar inte åt kvinnan, men en <mark>flyttkartong</mark>")
    assert "Skolan" not in text and "Avsnitt 4" not in text and "bistånd" not in text


def test_matches_in_the_cover_title_count_only_when_nothing_later_matches() -> None:
    body, starts = _doc()
    skip = title_end(body, TITLE)
    text, offset = passage(body, term_pattern(["skydd", "handbok"]), skip=skip, pages=starts)
    assert page_of(starts, offset) == 2 and "<mark>skyddat</mark> boende av socialtjänsten" in text
    assert TITLE not in text.replace("<mark>", "").replace("</mark>", "")
    text, offset = passage(body, term_pattern(["handbok"]), skip=skip, pages=starts)
    assert offset is None and text.startswith("Publicerad 3 maj 2024") and "<mark>" not in text  # the title is above the hit
    text, offset = passage(body, term_pattern(["handbok"]), "Om boendet.", skip=skip, pages=starts)
    assert (text, offset) == ("Om boendet.", None)


def test_a_passage_the_page_end_cuts_short_begins_earlier_on_the_same_page() -> None:
    body, starts = _doc()
    text, offset = passage(body, term_pattern(["tryggt"]), skip=title_end(body, TITLE), pages=starts)
    assert page_of(starts, offset) == 2
    assert text.startswith("…Avsnitt 2: placering Kvinnan placeras") and text.endswith("<mark>tryggt</mark>. …")
    assert "Publicerad" not in text  # never from the page before


def test_title_end_finds_the_title_or_most_of_it_at_the_start() -> None:
    body = "Tillsammans mot våld - Handlingsplan\n\nLänsstyrelsens plan"
    assert body[: title_end(body, "Tillsammans mot våld – Handlingsplan 2025")] == "Tillsammans mot våld - Handlingsplan"
    assert title_end("Inledning\n\nText", TITLE) == 0
    assert title_end("Handbok om våld", "Handbok om") == len("Handbok om")
    assert title_end("Handbok om våld", "Handbok i kris") == 0  # one word is not the title
    assert title_end("text", "") == 0


def test_a_web_page_snippet_is_unchanged_by_the_paged_rules() -> None:
    body = "Inledning. " * 30 + "Här står ordet flyttkartong mitt i en lång text. " + "Avslutning. " * 30
    text = snippet(body, term_pattern(["flyttkartong"]))
    assert "<mark>flyttkartong</mark>" in text and text.startswith("…") and "Inledning" in text  # centred on the match
    assert passage(body, term_pattern(["flyttkartong"]))[0] == text


def test_a_title_repeated_as_a_running_header_is_not_the_snippet() -> None:
    pages = ["Omslag", f"{TITLE}\n\nBoendet ska vara tryggt.", f"{TITLE}\n\nSkolgången fortsätter under vistelsen i boendet."]
    body = "\n\n".join(pages)
    starts = [0, len(pages[0]) + 2, len(pages[0]) + len(pages[1]) + 4]
    text, offset = passage(body, term_pattern(["boend"]), pages=starts, title=TITLE)
    assert page_of(starts, offset) == 2 and text.startswith("…<mark>Boendet</mark> ska vara tryggt.")
    text, offset = passage(body, term_pattern(["handbok"]), "Om boendet.", pages=starts, title=TITLE)
    assert (text, offset) == ("Om boendet.", None)
