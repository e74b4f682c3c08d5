"""Which of the national strategy's four goals (målsättningar) a document serves, from the taxonomy's vocabulary, explained in Swedish."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kb.taxonomy import Taxonomy

# Field weights as for the sub-areas: where a term occurs matters more than how often.
FIELDS = (("title", "titeln", 3.0), ("headings", "rubrikerna", 2.0), ("description", "beskrivningen", 1.5), ("body", "texten", 1.0))
BODY_REF_CHARS = 2500  # longer texts are damped by (ref/len)^BODY_EXP, so a long report does not serve every goal
BODY_EXP = 0.35
W_DISTINCT = 0.35  # per further distinct term of the same goal (at most 3 more)
THRESHOLD = 2.2  # e.g. one term in the title, or three mentions of two terms in a short text
RELATIVE_MIN = 0.35  # of the best goal's evidence
# Long terms also match as the first part of a compound ("kunskapsstöd" in "kunskapsstödet").
COMPOUND_MIN_LEN = 8
INFLECTIONS = frozenset("s e n t a r en et na er ar or erna arna orna ens ets ande ade at".split())


@dataclass(frozen=True)
class GoalResult:
    """The goals (slugs, strongest first) and why, in Swedish."""

    slugs: list[str]
    explanation: str
    scores: dict[str, float]


class GoalClassifier:
    """The goals' terms compiled into one regex; :meth:`classify` is pure."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.order = [c.slug for c in taxonomy.malsattningar]
        self.labels = {c.slug: c.label for c in taxonomy.malsattningar}
        self.terms: dict[str, set[str]] = {}
        for c in taxonomy.malsattningar:
            for t in c.terms:
                self.terms.setdefault(" ".join(t.lower().split()), set()).add(c.slug)
        words = sorted(self.terms, key=len, reverse=True)
        self._re = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(\w*)") if words else None

    def _count(self, text: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        if self._re is None or not text:
            return out
        for m in self._re.finditer(text.lower()):
            term, rest = m.group(1), m.group(2)
            if rest and not (rest in INFLECTIONS or (len(term) >= COMPOUND_MIN_LEN and len(rest) >= 3)):
                continue
            for slug in self.terms[term]:
                per = out.setdefault(slug, {})
                per[term] = per.get(term, 0) + 1
        return out

    def classify(self, title: str, headings: list[str], description: str, text: str,
                 override: list[str] | None = None) -> GoalResult:
        if override is not None:
            slugs = [s for s in override if s in self.labels]
            shown = _join([self.labels[s] for s in slugs]) or "ingen"
            return GoalResult(slugs, f"Målsättning: {shown} eftersom en bibliotekarie har angett det (kb/corrections.yaml).", {})
        values = {"title": title, "headings": "\n".join(headings), "description": description, "body": text}
        norm = min(1.0, (BODY_REF_CHARS / max(len(text), 1)) ** BODY_EXP)
        raw: dict[str, float] = {}
        distinct: dict[str, set[str]] = {}
        reasons: dict[str, list[str]] = {}
        for name, where, weight in FIELDS:
            per_slug = self._count(values[name])
            for slug, per_term in per_slug.items():
                n = sum(per_term.values())
                raw[slug] = raw.get(slug, 0.0) + weight * (norm if name == "body" else 1.0) * math.log2(1.0 + n)
                distinct.setdefault(slug, set()).update(per_term)
                top = sorted(per_term.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
                reasons.setdefault(slug, []).append(f"{where} nämner " + _join([_shown(t, k) for t, k in top]))
        for slug, terms in distinct.items():
            raw[slug] += W_DISTINCT * min(3, len(terms) - 1)
        best = max(raw.values(), default=0.0)
        chosen = [s for s in self.order if raw.get(s, 0.0) >= THRESHOLD and raw[s] >= RELATIVE_MIN * best]
        chosen.sort(key=lambda s: -raw[s])
        scores = {s: round(1.0 - math.exp(-v / 3.0), 4) for s, v in raw.items()}
        if not chosen:
            return GoalResult([], "Målsättning: ingen, texten nämner för lite av målsättningarnas ord.", scores)
        parts = [f"{self.labels[s]} eftersom {_join(reasons[s][:2])}" for s in chosen]
        return GoalResult(chosen, "Målsättning: " + "; ".join(parts) + ".", scores)


def _shown(term: str, count: int) -> str:
    return f"”{term}” ({count} gånger)" if count > 1 else f"”{term}”"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]
