"""The Swedish analyzers: definite compounds, decompounding, folding, stop words, hyphens, abbreviations, pickling."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from index import analysis
from index.analysis import analyze, folded_analyzer, load_lexicon, swedish_analyzer
from index.schema import build_schema


def q(text: str, folded: bool = False) -> list[str]:
    return analyze(text, folded=folded, mode="query")


def idx(text: str, folded: bool = False) -> set[str]:
    return set(analyze(text, folded=folded, mode="index"))


@pytest.mark.parametrize(
    "definite, base",
    [("barnfridsbrottet", "barnfridsbrott"), ("människohandeln", "människohandel"), ("kvinnojouren", "kvinnojour")],
)
def test_definite_compound_forms_share_the_stem(definite: str, base: str) -> None:
    assert q(definite) == q(base)
    assert len(q(definite)) == 1


@pytest.mark.parametrize(
    "compound, part",
    [
        ("kvinnofridsarbete", "kvinnofrid"),
        ("kvinnofridsarbete", "arbete"),
        ("tvångsgifte", "gifte"),
        ("hedersvåldsutsatta", "hedersvåld"),
        ("hedersvåldsutsatta", "heder"),
        ("hedersvåldsutsatta", "våld"),
        ("barnfridsbrottet", "brott"),
        ("sexköpslagen", "sexköp"),
    ],
)
def test_a_part_finds_the_compound(compound: str, part: str) -> None:
    (part_term,) = q(part)
    assert part_term in idx(compound)


def test_a_compound_query_stays_whole_and_matches_the_compound() -> None:
    # Query mode does not split: a compound query is precise, and it matches the indexed compound.
    assert q("kvinnofridsarbete") == ["kvinnofridsarbet"]
    assert "kvinnofridsarbet" in idx("Kvinnofridsarbetet i kommunen")
    assert q("kvinnofridsarbete")[0] not in idx("kvinnofrid och arbete")


@pytest.mark.parametrize("word, not_part", [
    ("från", "rån"), ("hotell", "hot"), ("förslag", "lag"),
    ("förtryck", "fört"), ("förtrycket", "ryck"), ("hedersförtryck", "fört"),  # "fört" (brought) + "ryck" (jerk)
    ("misshandel", "handel"), ("misshandel", "miss"), ("barnmisshandel", "handel"), ("missbruk", "bruk"),  # miss- prefix
    # led by a particle: "underlag" is no kind of law, "uppgift" no poison
    ("underlag", "lag"), ("underhåll", "håll"), ("uppgift", "gift"), ("återfall", "fall"), ("övergrepp", "grepp"),
    ("uppehållstillstånd", "håll"), ("mottagning", "tagning"), ("medlem", "lem"), ("framtid", "tid"),
])
def test_false_friends_are_not_split(word: str, not_part: str) -> None:
    assert q(not_part)[0] not in idx(word)


@pytest.mark.parametrize(
    "compound, part, not_part",
    [  # words of the regeringen.se corpus: hunspell-sv says which side of a compound the -s- belongs to
        ("samtyckeslagen", "lag", "slag"),
        ("diskrimineringslagen", "lagen", "slagen"),
        ("utlänningslagen", "lag", "slag"),
        ("sanktionspaket", "paket", "spak"),
        ("hållbarhetsmålen", "mål", "smål"),
        ("stridsvagn", "vagn", "svag"),
        ("handslag", "slag", "lag"),  # hand- takes no -s-
        ("inkomstskatt", "skatt", "katt"),
    ],
)
def test_the_linking_s_goes_where_hunspell_puts_it(compound: str, part: str, not_part: str) -> None:
    assert q(part)[0] in idx(compound)
    assert q(not_part)[0] not in idx(compound)


def test_folded_field_matches_queries_typed_without_diacritics() -> None:
    doc = idx("Våld i nära relationer och tvångsäktenskap", folded=True)
    for term in q("vald i nara relationer tvangsaktenskap", folded=True):
        assert term in doc
    assert all(ch not in "".join(doc) for ch in "åäö")
    # The unfolded field keeps å/ä/ö apart: "vald" (chosen) is not "våld".
    assert q("vald")[0] not in idx("våld")


def test_stop_words_are_dropped_but_content_words_kept() -> None:
    assert q("och det att i en av") == []
    assert q("våld mot kvinnor") == ["våld", "kvinn"]
    assert q("pa nar", folded=True) == []  # folded "på", "när"


def test_hyphenated_coordination() -> None:
    tokens = idx("Hälso- och sjukvården ska fråga om våld")
    assert q("hälsa")[0] in tokens
    assert q("sjukvård")[0] in tokens
    assert q("hälsovård")[0] in tokens
    assert q("vård")[0] in tokens
    # A query written the same way matches the document's tokens.
    assert set(q("hälso- och sjukvård")) <= tokens


@pytest.mark.parametrize("text, token", [("VINR", "vinr"), ("FGM/C", "fgm/c"), ("NCK:s", "nck"), ("EU:s", "eu")])
def test_abbreviations_are_kept(text: str, token: str) -> None:
    assert q(f"Rutiner för {text} i regionen") == ["rutin", token, "region"]
    assert token in idx(text)


def test_slash_and_hyphen_parts_are_indexed() -> None:
    tokens = idx("FGM/C och EU-kommissionen")
    assert {"fgm/c", "fgm", "eu", "kommission"} <= tokens


def test_positions_of_parts_equal_the_compound() -> None:
    tokens = [(t.text, t.pos) for t in swedish_analyzer()("mot tvångsgifte nu", positions=True, mode="index")]
    positions = {text: pos for text, pos in tokens}
    assert positions["tvång"] == positions["gift"] == positions["tvångsgift"]


def test_highlighting_tokens_keep_stopped_words_and_chars() -> None:
    text = "Våld och tvångsgifte"
    tokens = [(t.text, t.startchar, t.endchar) for t in swedish_analyzer()(text, chars=True, mode="index", removestops=False)]
    assert ("gift", 9, 20) in tokens
    assert any(t[0] == "och" for t in tokens)


def test_missing_system_word_lists_degrade_to_the_shipped_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="index.analysis"):
        lex = load_lexicon(analysis.CURATED_PATH, tmp_path / "nope.dic", tmp_path / "nope.txt")
    assert "kvinnofrid" in lex.lemmas and "våld" in lex.lemmas
    assert len(lex.sources) == 1
    assert sum("missing" in r.getMessage() for r in caplog.records) == 2


def test_system_word_lists_are_read_as_latin1_and_utf8() -> None:
    lex = load_lexicon()
    if len(lex.sources) < 3:
        pytest.skip("wswedish or hunspell-sv not installed")
    assert "äktenskap" in lex.lemmas  # hunspell (UTF-8)
    assert "möjligheterna" in lex.forms  # wswedish (ISO-8859-1)


def test_analyzers_pickle_small_and_round_trip() -> None:
    for analyzer in (swedish_analyzer(), folded_analyzer()):
        data = pickle.dumps(analyzer)
        assert len(data) < 20_000
        again = pickle.loads(data)
        assert [t.text for t in again("Barnfridsbrottet", mode="index")] == [t.text for t in analyzer("Barnfridsbrottet", mode="index")]
    assert swedish_analyzer() == pickle.loads(pickle.dumps(swedish_analyzer()))


def test_index_toc_stays_small_and_reopens(tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    with ix.writer() as w:
        w.add_document(url="u1", title="Tvångsgifte", body="Hedersvåldsutsatta unga", folded="Tvångsgifte")
    ix.close()
    tocs = list(tmp_path.glob("*.toc"))
    assert tocs and all(p.stat().st_size < 200_000 for p in tocs)
    ix = whoosh_index.open_dir(str(tmp_path))
    with ix.searcher() as s:
        assert len(s.search(Term("body", q("våld")[0]))) == 1
        assert len(s.search(Term("folded", q("tvangsgifte", folded=True)[0]))) == 1
    ix.close()


TRICKY = [
    "Hälso- och sjukvården ska fråga om våld. EU:s direktiv, FGM/C och VINR:s rapport.",
    "I barnfridsbrottet och människohandeln: hedersvåldsutsatta flickor, kvinnofridsarbete 2021!",
    "Mäns våld mot kvinnor — tvångsgifte, barnäktenskap; é è ø æ ß. a b c x- och y-",
    "socialtjänstens och polisens hälso- eller sjukvårdsinsatser samt barn- och ungdomspsykiatrin",
    "", "   ", "och i en",
    # a Mac PDF's decomposed letters and a PDF text layer's ligatures ("ö" as "o" + U+0308, "ﬂ", "ﬀ")
    "Ko\u0308nsstympning av \ufb02ickor och hedersva\u030ald, o\ufb00er fo\u0308r va\u030ald. Ha\u0308lso- och",
]


def test_decomposed_letters_and_ligatures_are_the_words_a_keyboard_types() -> None:
    nfd = "Ko\u0308nsstympning av \ufb02ickor och va\u030aldsutsatta kvinnor"
    assert analyze(nfd) == analyze("Könsstympning av flickor och våldsutsatta kvinnor")
    assert analyze(nfd, folded=True) == analyze("Könsstympning av flickor och våldsutsatta kvinnor", folded=True)
    assert analyze("m² och ½ år") == analyze("m² och ½ år".lower())  # no typing variants: left alone


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("folded", [False, True])
@pytest.mark.parametrize("mode", ["index", "query"])
@pytest.mark.parametrize("removestops", [True, False])
def test_fast_analyzer_equals_the_reference_chain(text: str, folded: bool, mode: str, removestops: bool) -> None:
    fast = folded_analyzer() if folded else swedish_analyzer()
    ref = analysis.reference_analyzer(folded=folded)
    opts = dict(positions=True, chars=True, mode=mode, removestops=removestops, start_pos=3, start_char=7)

    def stream(analyzer: object) -> list[tuple[object, ...]]:
        return [(t.text, t.pos, t.startchar, t.endchar, t.stopped) for t in analyzer(text, **opts)]  # type: ignore[operator]

    assert stream(fast) == stream(ref)


def test_word_cache_stays_bounded_and_results_stay_right(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [t.text for t in analysis.reference_analyzer()(TRICKY[1] + " " + TRICKY[3], mode="index")]
    monkeypatch.setattr(analysis, "WORD_CACHE_SIZE", 5)
    monkeypatch.setitem(analysis._word_caches, False, {})
    for _ in range(3):
        assert analyze(TRICKY[1] + " " + TRICKY[3]) == expected
        assert len(analysis._word_caches[False]) <= 5


def test_untokenized_values_fall_back_to_the_reference_chain() -> None:
    tokens = [t.text for t in swedish_analyzer()("Barnfridsbrottet", tokenize=False, mode="query")]
    assert tokens == [t.text for t in analysis.reference_analyzer()("Barnfridsbrottet", tokenize=False, mode="query")]


def test_compound_parts_are_the_index_time_parts() -> None:
    parts = analysis.compound_parts("hedersvåldsutsatta")
    assert {q("våld")[0], q("utsatta")[0], q("hedersvåld")[0]} <= set(parts)
    assert q("hedersvåldsutsatta")[0] not in parts  # the word's own stem is not a part
    assert analysis.compound_parts("våld") == ()
    assert set(parts) | {q("hedersvåldsutsatta")[0]} == idx("hedersvåldsutsatta")


@pytest.mark.parametrize("forms", [
    ("insats", "insatser", "insatsen", "insatserna", "insatsens"),  # a base form's -s: Snowball cut it, the plural kept it
    ("resurs", "resurser", "resursen"),
    ("analys", "analyser", "analysen"),
    ("plats", "platser", "platsen"),
    ("arbetsplats", "arbetsplatser"),  # a compound, by its head
    ("hot", "hotad", "hotat", "hotats", "hotas"),  # the passive supine: "hotats" was "hotat", matching nothing
    ("misshandlat", "misshandlats", "misshandlade"),
    ("placerat", "placerats"),
    ("barn", "barns"),  # a genitive still meets its word
    ("kvinnor", "kvinnors"),
])
def test_swedish_s_endings_meet_their_word(forms: tuple[str, ...]) -> None:
    assert len({q(f)[0] for f in forms}) == 1, {f: q(f) for f in forms}


@pytest.mark.parametrize(("a", "b"), [("kurs", "kur"), ("hets", "het")])
def test_an_s_form_that_is_also_another_word_is_left_to_snowball(a: str, b: str) -> None:
    assert q(a) == q(b)  # ambiguous ("kurs"/"kur"): unchanged, as before
