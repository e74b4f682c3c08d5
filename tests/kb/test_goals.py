"""Tests of strategy-goal (målsättning) classification (kb.goals) and of its place in kb.classify."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kb.classify import classify
from kb.goals import GoalClassifier
from kb.models import Document
from kb.taxonomy import Taxonomy, load_taxonomy

MakeDoc = Callable[..., Document]

PAGES = {
    "forebyggande-arbete": ("Våldsförebyggande arbete i skolan", "Förebyggande insatser om maskulinitetsnormer och attityder. Våldsprevention."),
    "upptackt-skydd-stod": ("Fråga om våld", "Rutinmässiga frågor om våld gör att fler upptäcks. Skydd och stöd till våldsutsatta kvinnor och barn."),
    "brottsbekampning": ("Polisanmälan och förundersökning", "Polisen och åklagaren utreder brottet. Kontaktförbud kan beslutas."),
    "kunskap-metodutveckling": ("Utbildning och metodutveckling", "Kunskapsstöd och kompetensutveckling för yrkesverksamma. Forskning och kartläggning."),
}


@pytest.fixture(scope="module")
def goals() -> GoalClassifier:
    return GoalClassifier(load_taxonomy())


def test_taxonomy_has_the_four_goals_with_labels() -> None:
    t = load_taxonomy()
    assert [c.slug for c in t.malsattningar] == list(PAGES)
    assert t.label("malsattning", "brottsbekampning") == "Effektivare brottsbekämpning"
    assert t.label("lan", "jamtlands-lan") == "Jämtlands län"


@pytest.mark.parametrize("slug", list(PAGES))
def test_each_goal_is_recognised_and_explained(goals: GoalClassifier, slug: str) -> None:
    title, text = PAGES[slug]
    result = goals.classify(title, [], "", text)
    assert result.slugs[0] == slug, result.explanation
    assert result.explanation.startswith("Målsättning: ")
    assert " eftersom titeln nämner " in result.explanation


def test_a_text_without_goal_words_serves_no_goal(goals: GoalClassifier) -> None:
    result = goals.classify("Om webbplatsen", [], "", "Här kan du läsa om kakor och tillgänglighet.")
    assert result.slugs == []
    assert result.explanation == "Målsättning: ingen, texten nämner för lite av målsättningarnas ord."


def test_a_single_passing_mention_is_not_enough(goals: GoalClassifier) -> None:
    assert goals.classify("Kontakta oss", [], "", "Du kan också vända dig till polisen.").slugs == []


def test_override_from_corrections(goals: GoalClassifier) -> None:
    result = goals.classify("Om webbplatsen", [], "", "", override=["kunskap-metodutveckling", "okänd"])
    assert result.slugs == ["kunskap-metodutveckling"]
    assert "kb/corrections.yaml" in result.explanation


def test_classify_gives_county_goals_and_types(make_document: MakeDoc) -> None:
    t: Taxonomy = load_taxonomy()
    plan = make_document(url="https://www.lansstyrelsen.se/jamtland/plan.pdf", format="pdf",
                         title="Tillsammans mot våld – Handlingsplan 2025",
                         text="Förebyggande arbete, skydd och stöd, brottsbekämpning och kunskap. " * 3)
    c = classify(plan, None, t)
    assert c.lan == ["jamtlands-lan"] and c.doc_type == "handlingsplan"
    assert "Län: Jämtlands län" in c.full_explanation() and "Målsättning:" in c.full_explanation()
    agreement = make_document(title="Regional överenskommelse om samverkan mot våld 2021", text="Västra Götalandsregionen och kommunerna.")
    assert classify(agreement, None, t).doc_type == "regional-overenskommelse"
    rule = make_document(title="Socialstyrelsens föreskrifter (HSLF-FS 2022:39)", text="")
    assert classify(rule, None, t).doc_type == "foreskrift"
    assignment = make_document(title="Uppdrag att stödja regionala resurscentrum (A2025/00123)", text="")
    assert classify(assignment, None, t).doc_type == "uppdrag-redovisning"
    status = make_document(title="Regional lägesbild 2024", text="")
    assert classify(status, None, t).doc_type == "lagesbild"
