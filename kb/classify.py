"""Sub-area (delområde), type-of-material and target-group classification of one document, explained in Swedish."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kb.corrections import Corrections
from kb.goals import GoalClassifier, GoalResult
from kb.lan import load_counties
from kb.models import Document
from kb.sources import Source
from kb.taxonomy import Category, Taxonomy
from kb.versions import FS_RE

# Field weights: where a term occurs matters more than how often.
W_TITLE = 3.0
W_HEADINGS = 2.0
W_DESCRIPTION = 1.5
W_BODY = 1.0
W_URL = 1.5  # a URL hint alone is not enough, but tips a page with any text evidence
W_DISTINCT = 0.25  # per further distinct term of the same sub-area (max 1.0)

# A sub-area is assigned when its raw evidence reaches THRESHOLD_RAW and at least
# RELATIVE_MIN of the best sub-area's; the best sub-area alone already at FLOOR_RAW.
THRESHOLD_RAW = 1.5
FLOOR_RAW = 1.2
RELATIVE_MIN = 0.2
SCALE = 3.0  # score = 1 - exp(-raw / SCALE), so THRESHOLD_RAW ≈ 0.49

# Body length normalisation: texts longer than BODY_REF_CHARS are damped by (ref/len)^BODY_EXP.
BODY_REF_CHARS = 2500
BODY_EXP = 0.35

# Leaked-menu guard: a run of term matches, each at most LIST_GAP characters from the
# next, that spans LIST_MIN_CATEGORIES sub-areas is a list of labels; each match in it counts LIST_WEIGHT.
LIST_GAP = 30
LIST_MIN_CATEGORIES = 4
LIST_WEIGHT = 0.15

# Long terms also match as the first part of a compound ("kvinnofrid" in "kvinnofridsarbetet");
# shorter ones only with an inflection ending ("heder" in "hedern", never "hederlig").
COMPOUND_MIN_LEN = 8
INFLECTIONS = frozenset(
    "s e n t a r en et na er ar or er erna arna orna ernas arnas ens ets nas ns ts as es "
    "ande andet ade at ad ad ades".split()
)

# Everyday words in the vocabulary that also occur far outside the field ("exploatering" of land,
# "återfall" in any illness, "samtycke" in data protection, "NMR" = Nordiska ministerrådet):
# they add weight to a sub-area only when a specific term of that sub-area occurs too.
WEAK_TERMS = frozenset(
    """exploatering riskbedömning riskbedömningar återfall återfallsrisk jämställdhet prevention
    samtycke kontaktförbud stödboende heder ofredande escort förövare behandlingsprogram
    barnkonventionen normkritik bystander anmälningsskyldighet NMR BBIC SRHR MVP SARA ATV THB""".split()
) | frozenset(
    ["förebyggande arbete", "förebyggande insatser", "tidiga insatser", "barnets bästa", "skyddade personuppgifter",
     "skyddad identitet", "sekretessmarkering", "gärningsperson", "gärningspersoner", "ändra beteende", "barn som far illa",
     "akut boende", "latent våld", "jämställdhetspolitiska delmålet", "använt våld", "använder våld"]
)

DOC_TYPE_HEAD_CHARS = 400  # documents (PDF …): how far into the text a type word counts
MALGRUPP_MIN = 2.0  # weighted mentions needed for a target group

# A Government Offices case number in a title ("Ju2023/01234", "S2021/04567"): a government assignment or its report.
GOV_ASSIGNMENT_RE = re.compile(r"\b(?:Ju|S|A|U|Fi|Ku|M|N|I|Fö|LI|KN|SB|UD)\d{4}/\d{3,6}\b")

FIELD_NAMES = {"title": "titeln", "headings": "rubrikerna", "description": "beskrivningen", "body": "texten"}


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`: sub-areas with scores and Swedish reasons, type of material, target groups, year."""

    delomraden: list[str]
    scores: dict[str, float]
    explanation: str
    reasons: dict[str, list[str]] = field(default_factory=dict)
    doc_type: str = "webbsida"
    malgrupp: list[str] = field(default_factory=list)
    year: str | None = None
    lan: list[str] = field(default_factory=list)  # county slugs or ["nationellt"]
    lan_explanation: str = ""
    malsattningar: list[str] = field(default_factory=list)  # the strategy goals served
    malsattning_explanation: str = ""

    def full_explanation(self) -> str:
        """Sub-areas, goals and county in one Swedish text (what the search results show)."""
        return " ".join(p for p in (self.explanation, self.malsattning_explanation, self.lan_explanation) if p)


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation factorised as a trie: far faster than a flat alternation of many words."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            body = "(?:" + body + ")?"
        return body

    return build(trie)


class _Matcher:
    """Finds whole-word vocabulary terms (lower-cased) and abbreviations (case-sensitive) in text."""

    def __init__(self, terms: dict[str, set[str]], abbreviations: dict[str, set[str]]) -> None:
        self.terms = terms
        self.abbreviations = abbreviations
        self._terms_re = re.compile(r"(?<!\w)(" + _trie_pattern(list(terms)) + r")(\w*)") if terms else None
        self._abbr_re = re.compile(r"(?<![\w/-])(" + _trie_pattern(list(abbreviations)) + r")(?![\w/])") if abbreviations else None

    def find(self, text: str, lowered: str | None = None) -> list[tuple[int, int, str, set[str]]]:
        """(start, end, term, slugs) for every match, in text order."""
        out: list[tuple[int, int, str, set[str]]] = []
        if not text:
            return out
        if self._terms_re is not None:
            low = text.lower() if lowered is None else lowered
            for m in self._terms_re.finditer(low):
                term, rest = m.group(1), m.group(2)
                if rest and not (rest in INFLECTIONS or (len(term) >= COMPOUND_MIN_LEN and len(rest) >= 3)):
                    continue
                out.append((m.start(), m.end(), term, self.terms[term]))
        if self._abbr_re is not None:
            abbr_hits = [(m.start(), m.end(), m.group(1), self.abbreviations[m.group(1)]) for m in self._abbr_re.finditer(text)]
            if abbr_hits:
                out.extend(abbr_hits)
                out.sort(key=lambda h: h[0])
        return out


def _index(categories: tuple[Category, ...], *, abbreviations: bool = True) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    terms: dict[str, set[str]] = {}
    abbrs: dict[str, set[str]] = {}
    for c in categories:
        for t in (*c.terms, c.label):
            t = " ".join(t.lower().split())
            if t:
                terms.setdefault(t, set()).add(c.slug)
        if abbreviations:
            for a in (*c.abbreviations, *c.related_abbreviations):
                abbrs.setdefault(a, set()).add(c.slug)
    return terms, abbrs


class Classifier:
    """The taxonomy compiled once into a few regexes; :meth:`classify` is pure and fast."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.slugs = taxonomy.slugs()
        self.labels = {c.slug: c.label for c in taxonomy.delomraden}
        terms, abbrs = _index(taxonomy.delomraden)
        self.delomrade_matcher = _Matcher(terms, abbrs)
        # doc types: their terms are matched case-insensitively, the upper-case codes (SOSFS) too
        dt_terms, _ = _index(tuple(c for c in taxonomy.doc_types if c.slug != "webbsida"), abbreviations=False)
        self.doc_type_matcher = _Matcher(dt_terms, {})
        mg_terms, _ = _index(taxonomy.malgrupper, abbreviations=False)
        self.malgrupp_matcher = _Matcher(mg_terms, {})
        self.doc_type_slugs = {c.slug for c in taxonomy.doc_types}
        self.malgrupp_slugs = {c.slug for c in taxonomy.malgrupper}
        self.goals = GoalClassifier(taxonomy)
        self.counties = load_counties()
        self.url_hints = [
            (c.slug, hint, re.compile(r"(?<![a-z0-9])" + re.escape(hint.lower()) + r"(?![a-z0-9])"))
            for c in taxonomy.delomraden
            for hint in c.url_hints
        ]

    # -- sub-areas ------------------------------------------------------------

    def _field_counts(self, text: str) -> dict[str, dict[str, float]]:
        """slug -> term -> weighted count in one field, menu-like lists of labels discounted."""
        hits = self.delomrade_matcher.find(text)
        weights = [1.0] * len(hits)
        # leaked-menu guard: runs of closely packed matches spanning many sub-areas
        start = 0
        while start < len(hits):
            end = start + 1
            while end < len(hits) and hits[end][0] - hits[end - 1][1] <= LIST_GAP:
                end += 1
            if end - start >= LIST_MIN_CATEGORIES:
                cats: set[str] = set()
                for h in hits[start:end]:
                    cats |= h[3]
                if len(cats) >= LIST_MIN_CATEGORIES:
                    for i in range(start, end):
                        weights[i] = LIST_WEIGHT
            start = end
        out: dict[str, dict[str, float]] = {}
        for (_s, _e, term, slugs), w in zip(hits, weights, strict=True):
            for slug in slugs:
                per = out.setdefault(slug, {})
                per[term] = per.get(term, 0.0) + w
        return out

    def _sub_areas(self, doc: Document, source: Source | None) -> tuple[dict[str, float], dict[str, list[str]], list[str]]:
        body_norm = min(1.0, (BODY_REF_CHARS / max(len(doc.text), 1)) ** BODY_EXP)
        fields_ = (
            ("title", doc.title, W_TITLE, 1.0),
            ("headings", "\n".join(doc.headings), W_HEADINGS, 1.0),
            ("description", doc.description, W_DESCRIPTION, 1.0),
            ("body", doc.text, W_BODY, body_norm),
        )
        counted = [(name, weight, norm, self._field_counts(text)) for name, text, weight, norm in fields_ if text]
        # everyday words (WEAK_TERMS) only corroborate a sub-area that a specific term established
        established = {
            slug
            for _n, _w, _m, per_slug in counted
            for slug, per_term in per_slug.items()
            if any(n >= 1.0 and term not in WEAK_TERMS for term, n in per_term.items())
        }
        raw: dict[str, float] = {}
        reasons: dict[str, list[str]] = {}
        distinct: dict[str, set[str]] = {}
        for name, weight, norm, per_slug in counted:
            for slug, per_term in per_slug.items():
                if slug not in established:
                    per_term = {t: n for t, n in per_term.items() if t not in WEAK_TERMS}
                    if not per_term:
                        continue
                n = sum(per_term.values())
                raw[slug] = raw.get(slug, 0.0) + weight * norm * math.log2(1.0 + n)
                distinct.setdefault(slug, set()).update(per_term)
                reasons.setdefault(slug, []).append(_field_reason(name, per_term))
        for slug, terms in distinct.items():
            raw[slug] += W_DISTINCT * min(4, len(terms) - 1)
        path = urlsplit(doc.url).path.lower()
        seen_hint: set[str] = set()
        for slug, hint, rx in self.url_hints:
            # a URL hint ("barn") supports text evidence; alone it does not classify
            if slug in established and slug not in seen_hint and rx.search(path):
                seen_hint.add(slug)
                raw[slug] = raw.get(slug, 0.0) + W_URL
                reasons.setdefault(slug, []).append(f"adressen innehåller ”{hint}”")
        forced = [s for s in (source.delomraden if source else ()) if s in self.labels]
        for slug in forced:
            raw[slug] = max(raw.get(slug, 0.0), THRESHOLD_RAW)
            name = source.name if source else ""
            reasons.setdefault(slug, []).append(f"källan ”{name}” är märkt {self.labels[slug]}")
        return raw, reasons, forced

    def _select(self, raw: dict[str, float], forced: list[str]) -> list[str]:
        ranked = sorted(raw, key=lambda s: (-raw[s], self.slugs.index(s)))
        if not ranked:
            return []
        top = raw[ranked[0]]
        chosen = [s for s in ranked if raw[s] >= THRESHOLD_RAW and raw[s] >= RELATIVE_MIN * top]
        if not chosen and top >= FLOOR_RAW:
            chosen = [ranked[0]]
        for slug in forced:
            if slug not in chosen:
                chosen.append(slug)
        return sorted(chosen, key=lambda s: (-raw[s], self.slugs.index(s)))

    # -- type of material, target groups --------------------------------------

    def _doc_type(self, doc: Document, source: Source | None) -> tuple[str, str]:
        if source is not None and source.doc_type and source.doc_type in self.doc_type_slugs:
            return source.doc_type, f"källan anger typen {self.taxonomy.label('doc_type', source.doc_type)}"
        m = FS_RE.search(doc.title) or (FS_RE.search(doc.text[:DOC_TYPE_HEAD_CHARS]) if doc.format != "html" else None)
        if m and "foreskrift" in self.doc_type_slugs:
            return "foreskrift", f"dokumentet har författningsnumret {m.group(0)}"
        if GOV_ASSIGNMENT_RE.search(doc.title) and "uppdrag-redovisning" in self.doc_type_slugs:
            return "uppdrag-redovisning", "titeln har ett diarienummer från Regeringskansliet"
        places = [("titeln", doc.title)]
        if doc.format != "html":
            places.append(("början av dokumentet", doc.description + "\n" + doc.text[:DOC_TYPE_HEAD_CHARS]))
        for where, text in places:
            hits = self.doc_type_matcher.find(text)
            if hits:
                _s, _e, term, slugs = hits[0]  # the earliest: "Handbok om …", "Rapport 2023:4"
                slug = sorted(slugs)[0]
                return slug, f"{where} nämner ”{term}”"
        return "webbsida", ""

    def _malgrupp(self, doc: Document, source: Source | None) -> list[str]:
        if source is not None and source.malgrupp:
            return [s for s in source.malgrupp if s in self.malgrupp_slugs]
        counts: dict[str, float] = {}
        fields = ((doc.title, W_TITLE), (doc.description, W_DESCRIPTION), ("\n".join(doc.headings), W_HEADINGS), (doc.text, W_BODY))
        for text, weight in fields:
            for _s, _e, _term, slugs in self.malgrupp_matcher.find(text):
                for slug in slugs:
                    counts[slug] = counts.get(slug, 0.0) + weight
        order = [c.slug for c in self.taxonomy.malgrupper]
        return [s for s in order if counts.get(s, 0.0) >= MALGRUPP_MIN]

    # -- all together -----------------------------------------------------------

    def classify(self, doc: Document, source: Source | None = None, corrections: Corrections | None = None) -> Classification:
        raw, reasons, forced = self._sub_areas(doc, source)
        chosen = self._select(raw, forced)
        scores = {slug: round(1.0 - math.exp(-value / SCALE), 4) for slug, value in sorted(raw.items(), key=lambda kv: -kv[1])}
        doc_type, _why = self._doc_type(doc, source)
        if chosen:
            parts = [f"{self.labels[s]} eftersom {_join(reasons[s])}" for s in chosen]
            explanation = "Klassad som " + "; som ".join(parts) + "."
        elif raw:
            best = max(raw, key=lambda s: raw[s])
            explanation = (
                f"Inte klassad i något delområde: bara svaga tecken, starkast för {self.labels[best]} "
                f"({_join(reasons[best])})."
            )
        else:
            explanation = "Inte klassad i något delområde: texten nämner inget av delområdenas ord."
        year = doc.published.year if doc.published else (doc.modified.year if doc.modified else None)
        lan_override = corrections.lan_for(doc.url) if corrections else None
        if lan_override is not None:
            labels = self.counties.labels()
            shown = _join([labels.get(s, s) for s in lan_override])
            lan, lan_why = lan_override, f"Län: {shown} eftersom en bibliotekarie har angett det (kb/corrections.yaml)."
        else:
            found = self.counties.classify(doc.url, doc.title, doc.description, doc.headings, doc.text, source)
            lan, lan_why = found.slugs, found.explanation
        goal_override = corrections.malsattning_for(doc.url) if corrections else None
        if chosen or goal_override is not None:
            goals = self.goals.classify(doc.title, doc.headings, doc.description, doc.text, goal_override)
        else:  # the strategy's goals are about material in the field: a text in no sub-area serves none of them
            goals = GoalResult([], "Målsättning: ingen, eftersom texten inte hör till något delområde.", {})
        return Classification(
            delomraden=chosen,
            scores=scores,
            explanation=explanation,
            reasons={s: reasons[s] for s in scores},
            doc_type=doc_type,
            malgrupp=self._malgrupp(doc, source),
            year=str(year) if year else None,
            lan=lan,
            lan_explanation=lan_why,
            malsattningar=goals.slugs,
            malsattning_explanation=goals.explanation,
        )


def _field_reason(name: str, per_term: dict[str, float]) -> str:
    ranked = sorted(per_term.items(), key=lambda kv: -kv[1])[:3]
    shown = []
    for term, n in ranked:
        count = round(n) if n >= 1 else 0
        if n < 1:
            shown.append(f"”{term}” (i en lista med andra delområden)")
        elif count > 1:
            shown.append(f"”{term}” ({count} gånger)")
        else:
            shown.append(f"”{term}”")
    return f"{FIELD_NAMES[name]} nämner {_join(shown)}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


_CACHE: dict[tuple[int, str], tuple[Taxonomy, Classifier]] = {}


def classifier_for(taxonomy: Taxonomy) -> Classifier:
    """The compiled classifier for a taxonomy (compiled once per taxonomy object)."""
    key = (id(taxonomy), taxonomy.version)
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not taxonomy:
        if len(_CACHE) >= 8:
            _CACHE.clear()
        hit = (taxonomy, Classifier(taxonomy))
        _CACHE[key] = hit
    return hit[1]


def classify(doc: Document, source: Source | None, taxonomy: Taxonomy, corrections: Corrections | None = None) -> Classification:
    """Classify one document: sub-areas (ordered by score), scores, Swedish explanation, doc_type, malgrupp, year,
    county and strategy goals (``corrections``: a librarian's per-document county and goals)."""
    return classifier_for(taxonomy).classify(doc, source, corrections)
