"""Tests of sub-area, type-of-material and target-group classification (kb.classify)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from kb.classify import Classification, classifier_for, classify
from kb.models import Document
from kb.sources import Source
from kb.taxonomy import Taxonomy, load_taxonomy

MakeDoc = Callable[..., Document]

FILLER = (
    "Myndigheten följer upp verksamheten varje år och redovisar resultaten i en årsrapport. "
    "Arbetet sker i samverkan med kommuner och regioner och bygger på aktuell kunskap. "
)

# One short page per sub-area, written the way an agency would, with the sub-area's own words.
PAGES: dict[str, tuple[str, str]] = {
    "vald-i-nara-relationer": ("Stöd till våldsutsatta kvinnor", "Partnervåld och psykiskt våld är vanligt. Kvinnor som utsätts för våld i nära relationer behöver stöd."),
    "sexuellt-vald": ("Efter en våldtäkt", "Sexuella övergrepp ska anmälas. Spårsäkring kan göras på sjukhuset även om du inte anmält våldtäkten."),
    "hedersrelaterat-vald": ("Barnäktenskap och tvångsäktenskap", "Hedersförtryck drabbar flickor och pojkar. Könsstympning är förbjuden i Sverige."),
    "prostitution-manniskohandel": ("Sexköp och människohandel", "Sexköpslagen förbjuder köp av sexuell tjänst. Människohandel för sexuella ändamål är ett allvarligt brott."),
    "barn-som-upplever-vald": ("Barn som upplever våld", "Barnfridsbrottet gäller när barn bevittnar våld. Barnahus samordnar utredningen."),
    "valdsutovare": ("Behandling för våldsutövare", "Våldsutövare kan få behandlingsprogram för att sluta utöva våld. Riskbedömning görs först."),
    "skyddat-boende": ("Skyddat boende", "Kvinnojourer och skyddade boenden tar emot kvinnor som inte kan bo kvar hemma. Stödboende kan följa."),
    "forebyggande": ("Våldsförebyggande arbete i skolan", "Våldsprevention handlar om maskulinitetsnormer. Mentorer i våldsprevention används i många skolor."),
    "digitalt-vald": ("Digitalt våld", "Näthat, hämndporr och kontroll via mobilen är former av digitalt våld. Grooming riktar sig mot barn."),
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def source(**overrides: Any) -> Source:
    values: dict[str, Any] = {"id": "exempel", "name": "Exempelmyndigheten", "organisation": "Exempelmyndigheten", "start_urls": ("https://www.example.se/",)}
    values.update(overrides)
    return Source(**values)


def doc(make_document: MakeDoc, **overrides: Any) -> Document:
    values: dict[str, Any] = {"url": "https://www.example.se/sida.html", "title": "Om oss", "text": FILLER}
    values.update(overrides)
    return make_document(**values)


@pytest.mark.parametrize("slug", sorted(PAGES))
def test_each_sub_area_is_recognised_from_its_vocabulary(make_document: MakeDoc, taxonomy: Taxonomy, slug: str) -> None:
    title, text = PAGES[slug]
    result = classify(doc(make_document, title=title, text=text + " " + FILLER), None, taxonomy)
    assert result.delomraden[0] == slug, result.explanation
    assert result.scores[slug] == max(result.scores.values())
    assert 0.0 < result.scores[slug] <= 1.0


def test_every_taxonomy_sub_area_has_a_test_page(taxonomy: Taxonomy) -> None:
    assert set(PAGES) == set(taxonomy.slugs())


def test_title_weighs_more_than_body(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    body = "Tvångsäktenskap förekommer. " + FILLER * 2
    in_title = classify(doc(make_document, title="Sexköp", text=body), None, taxonomy)
    assert in_title.scores["prostitution-manniskohandel"] > in_title.scores["hedersrelaterat-vald"]
    swapped = classify(doc(make_document, title="Tvångsäktenskap", text="Sexköp förekommer. " + FILLER * 2), None, taxonomy)
    assert swapped.scores["hedersrelaterat-vald"] > swapped.scores["prostitution-manniskohandel"]


def test_more_mentions_score_higher_with_diminishing_returns(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    def score(n: int) -> float:
        text = FILLER + " ".join(["Hedersförtryck är vanligt."] * n) + FILLER
        return classify(doc(make_document, text=text), None, taxonomy).scores["hedersrelaterat-vald"]

    one, two, eight, sixteen = score(1), score(2), score(8), score(16)
    assert one < two < eight < sixteen
    assert sixteen - eight < two - one + 0.2  # log, not linear


def test_passing_mention_in_long_text_does_not_classify(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    long_text = FILLER * 40 + "Även frågor om våldtäkt har nämnts i något sammanhang. " + FILLER * 40
    result = classify(doc(make_document, title="Årsredovisning 2023", text=long_text), None, taxonomy)
    assert result.delomraden == []
    assert result.scores["sexuellt-vald"] < 0.3
    assert result.explanation.startswith("Inte klassad")


def test_the_same_mentions_count_less_in_a_longer_text(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    mentions = "Våldtäkt och sexuella övergrepp. " * 3
    short = classify(doc(make_document, text=mentions + FILLER), None, taxonomy).scores["sexuellt-vald"]
    long = classify(doc(make_document, text=mentions + FILLER * 60), None, taxonomy).scores["sexuellt-vald"]
    assert long < short


def test_leaked_menu_listing_every_label_does_not_classify_as_everything(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    menu = "\n".join(c.label for c in taxonomy.delomraden)
    page = doc(make_document, title="Kontakta oss", text=menu + "\n" + FILLER * 3 + "Ring växeln vardagar.")
    result = classify(page, None, taxonomy)
    assert result.delomraden == []
    # the same menu on a real article leaves only the article's own sub-area
    article = doc(make_document, title="Könsstympning", text=menu + "\n" + "Kvinnlig könsstympning är ett brott. Hedersförtryck ökar risken. " + FILLER)
    result = classify(article, None, taxonomy)
    assert result.delomraden == ["hedersrelaterat-vald"], result.explanation
    assert "i en lista med andra delområden" in " ".join(r for rs in result.reasons.values() for r in rs)


def test_menu_on_one_line_separated_by_spaces_is_also_discounted(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    menu = " ".join(c.label for c in taxonomy.delomraden)
    result = classify(doc(make_document, title="Startsida", text=FILLER + menu + " " + FILLER), None, taxonomy)
    assert result.delomraden == []


def test_abbreviations_are_case_sensitive(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    wine = doc(make_document, title="Vin och mat", text="Ett glas vin till maten. Vin från Italien. Vinet var gott. " * 3)
    assert "vald-i-nara-relationer" not in classify(wine, None, taxonomy).scores
    vin = doc(make_document, title="Nätverk för VIN-frågor", text="Arbetet med VIN och VINR samordnas regionalt. " + FILLER)
    result = classify(vin, None, taxonomy)
    assert result.delomraden[0] == "vald-i-nara-relationer"
    assert "”VIN”" in result.explanation


def test_whole_words_only_and_inflected_forms_match(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    honest = doc(make_document, title="En hederlig affär", text="Han var hederlig och ärlig. " * 4)
    assert "hedersrelaterat-vald" not in classify(honest, None, taxonomy).scores
    definite = doc(make_document, title="Om barnfridsbrottet", text="Barnfridsbrottet infördes 2021. " + FILLER)
    assert classify(definite, None, taxonomy).delomraden == ["barn-som-upplever-vald"]
    compound = doc(make_document, title="Kvinnofridsarbetet i länet", text="Kvinnofridsarbetet samordnas. " + FILLER)
    assert classify(compound, None, taxonomy).delomraden == ["vald-i-nara-relationer"]


def test_everyday_words_alone_do_not_classify(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    land = doc(make_document, title="Exploatering av mark vid kusten", text="Exploateringen av strandnära mark kräver riskbedömning. " * 3)
    assert classify(land, None, taxonomy).delomraden == []
    # … but they support a sub-area that a specific term established
    trafficking = doc(make_document, title="Människohandel", text="Exploatering av kvinnor i prostitution. " + FILLER)
    result = classify(trafficking, None, taxonomy)
    assert "”exploatering”" in " ".join(result.reasons["prostitution-manniskohandel"])


def test_url_hint_supports_text_evidence_but_does_not_classify_alone(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    text = "Skyddat boende nämns här. " + FILLER * 3
    plain = classify(doc(make_document, url="https://www.example.se/om/sida.html", text=text), None, taxonomy)
    hinted = classify(doc(make_document, url="https://www.example.se/amnen/skyddat-boende/sida.html", text=text), None, taxonomy)
    assert hinted.scores["skyddat-boende"] > plain.scores["skyddat-boende"]
    assert "adressen innehåller ”skyddat-boende”" in hinted.explanation
    alone = classify(doc(make_document, url="https://www.example.se/barn/fritidskort.html", title="Fritidskort", text=FILLER), None, taxonomy)
    assert alone.delomraden == []
    # a hint matches whole path words: "barn" is not in "barnaktenskap"
    other = classify(doc(make_document, url="https://www.example.se/barnaktenskap.html", title="Barnäktenskap", text=FILLER), None, taxonomy)
    assert "barn-som-upplever-vald" not in other.scores


def test_source_sub_area_hints_are_added_and_explained(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    src = source(id="heder", name="Kompetensteamet", delomraden=("hedersrelaterat-vald",))
    result = classify(doc(make_document, title="Kontakt", text=FILLER), src, taxonomy)
    assert result.delomraden == ["hedersrelaterat-vald"]
    assert "källan ”Kompetensteamet” är märkt Hedersrelaterat våld och förtryck" in result.explanation
    # the hint adds to what the text says, it does not replace it
    result = classify(doc(make_document, title="Sexköp", text="Sexköp och koppleri. " + FILLER), src, taxonomy)
    assert set(result.delomraden) == {"hedersrelaterat-vald", "prostitution-manniskohandel"}


def test_source_overrides_win_over_detection(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    page = doc(make_document, title="Handbok om skyddat boende", text="Socialtjänsten och skolan ska samverka. Socialtjänsten ansvarar. Skolan anmäler.")
    detected = classify(page, None, taxonomy)
    assert detected.doc_type == "handbok"
    assert set(detected.malgrupp) >= {"socialtjanst", "skola"}
    overridden = classify(page, source(doc_type="rapport", malgrupp=("rattsvasende",)), taxonomy)
    assert overridden.doc_type == "rapport"
    assert overridden.malgrupp == ["rattsvasende"]


@pytest.mark.parametrize(
    ("title", "fmt", "text", "expected"),
    [
        ("Handbok om våld i nära relationer", "html", FILLER, "handbok"),
        ("Vägledning för socialtjänstens arbete", "html", FILLER, "vagledning"),
        ("Rapport 2023:4 Lägesbild", "html", FILLER, "rapport"),
        ("Regional handlingsplan för kvinnofrid 2025–2028", "html", FILLER, "handlingsplan"),
        ("Socialstyrelsens föreskrifter och allmänna råd", "html", FILLER, "foreskrift"),
        ("Webbutbildning om hedersrelaterat våld", "html", FILLER, "utbildning"),
        ("Barnahus och samverkan", "html", FILLER, "webbsida"),
        ("Våld i nära relationer", "pdf", "Handbok för hälso- och sjukvården. " + FILLER, "handbok"),
        ("Våld i nära relationer", "html", "Handbok för hälso- och sjukvården. " + FILLER, "webbsida"),
    ],
)
def test_doc_type_detection(make_document: MakeDoc, taxonomy: Taxonomy, title: str, fmt: str, text: str, expected: str) -> None:
    assert classify(doc(make_document, title=title, format=fmt, text=text), None, taxonomy).doc_type == expected


def test_malgrupp_detection_needs_more_than_one_body_mention(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    once = classify(doc(make_document, text="Polisen kom. " + FILLER), None, taxonomy)
    assert once.malgrupp == []
    twice = classify(doc(make_document, text="Polisen kom. Åklagaren beslutade. " + FILLER), None, taxonomy)
    assert twice.malgrupp == ["rattsvasende"]
    titled = classify(doc(make_document, title="Till dig som arbetar i hälso- och sjukvården", text=FILLER), None, taxonomy)
    assert "halso-och-sjukvard" in titled.malgrupp


def test_year_from_published_then_modified(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    assert classify(doc(make_document, published=date(2021, 3, 1), modified=date(2024, 1, 1)), None, taxonomy).year == "2021"
    assert classify(doc(make_document, published=None, modified=date(2024, 1, 1)), None, taxonomy).year == "2024"
    assert classify(doc(make_document, published=None, modified=None), None, taxonomy).year is None


def test_explanation_is_swedish_and_names_the_evidence(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    page = doc(
        make_document,
        url="https://www.example.se/heder/tvang.html",
        title="Tvångsäktenskap",
        text="Hedersförtryck. " * 4 + FILLER,
    )
    result = classify(page, None, taxonomy)
    assert result.explanation.startswith("Klassad som Hedersrelaterat våld och förtryck eftersom ")
    assert "titeln nämner ”tvångsäktenskap”" in result.explanation
    assert "texten nämner ”hedersförtryck” (4 gånger)" in result.explanation
    assert "adressen innehåller ”heder”" in result.explanation
    assert result.reasons["hedersrelaterat-vald"][0] == "titeln nämner ”tvångsäktenskap”"


def test_multiple_sub_areas_are_ordered_by_score(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    page = doc(
        make_document,
        title="Barn i skyddat boende",
        text="Skyddat boende och kvinnojourer. Skyddat boende för barn som upplever våld. Kvinnojouren hjälper. Barnfrid är viktigt. " + FILLER,
    )
    result = classify(page, None, taxonomy)
    assert result.delomraden == ["skyddat-boende", "barn-som-upplever-vald"]
    assert result.scores["skyddat-boende"] > result.scores["barn-som-upplever-vald"]
    assert list(result.scores) == sorted(result.scores, key=lambda s: -result.scores[s])


def test_empty_document_is_not_classified(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    result = classify(doc(make_document, title="", text=""), None, taxonomy)
    assert result == Classification(
        delomraden=[], scores={}, explanation="Inte klassad i något delområde: texten nämner inget av delområdenas ord.",
        reasons={}, doc_type="webbsida", malgrupp=[], year="2024",
        lan=["nationellt"], lan_explanation="Län: nationellt eftersom varken källan eller texten anger något län.",
        malsattningar=[], malsattning_explanation="Målsättning: ingen, eftersom texten inte hör till något delområde.",
    )


def test_classifier_is_compiled_once_per_taxonomy(taxonomy: Taxonomy) -> None:
    assert classifier_for(taxonomy) is classifier_for(taxonomy)


def test_a_related_abbreviation_classifies_but_is_no_synonym_of_the_sub_area(make_document: MakeDoc, taxonomy: Taxonomy) -> None:
    barn = taxonomy.delomrade("barn-som-upplever-vald")
    assert "BBIC" in barn.related_abbreviations and "BBIC" not in barn.abbreviations
    groups = taxonomy.synonym_groups()
    assert ("BBIC", "barn som upplever våld") not in groups and ("BBIC", "Barns behov i centrum") in groups
    assert ("VINR", "våld i nära relationer") in groups  # a name of the sub-area itself is searched as its label
    doc = make_document(title="BBIC i utredningar", text="Barnahus och BBIC. " + FILLER)
    assert "barn-som-upplever-vald" in classify(doc, None, taxonomy).delomraden  # still evidence for the sub-area
