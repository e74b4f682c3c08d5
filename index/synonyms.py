"""Query-time synonyms and abbreviations: taxonomy groups and definitions found in the documents, matched on analysed tokens."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.morphology import fold

if TYPE_CHECKING:
    from index.parsing import ParsedQuery

WORDLIST = Path("/usr/share/dict/swedish")
MAX_SHORT_FORM = 5  # "Brå", "SoL", "Jämy": a capitalised word this short in a synonym group is an abbreviation


def analyze(schema: Any, fieldname: str, text: str) -> list[tuple[str, int]]:
    from index.query import analyze as field_analyze

    return field_analyze(schema, fieldname, text)


def _is_abbreviation(member: str) -> bool:
    """All capitals ("VINR", "FGM/C"), or a short capitalised form with another capital or few letters ("SoL", "Brå")."""
    letters = [c for c in member if c.isalpha()]
    if len(letters) < 2 or " " in member:
        return False
    return all(c.isupper() for c in letters) or (letters[0].isupper() and len(member) <= MAX_SHORT_FORM)


def _ambiguous_abbreviations(abbrs: set[str], wordlist: Path = WORDLIST) -> set[str]:
    """Lower-cased abbreviations that are also ordinary Swedish words ("vin"): these need capitals."""
    lowered = {a.lower() for a in abbrs}
    found: set[str] = set()
    try:
        with open(wordlist, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                w = line.strip().lower()
                if w in lowered:
                    found.add(w)
    except OSError:
        return {a for a in lowered if len(a) <= 3}
    return found


def _absent(reader: Any, fieldname: str, stem: str) -> bool:
    """True when no indexed text has ``stem`` (False without a reader to ask)."""
    return reader is not None and not reader.doc_frequency(fieldname, stem) and not reader.doc_frequency("title", stem)


@dataclass
class SynonymTable:
    """Query-time synonym groups (taxonomy synonyms + abbreviations), matched on analysed tokens."""

    groups: list[list[tuple[str, tuple[str, ...], bool]]] = field(default_factory=list)
    ambiguous: set[str] = field(default_factory=set)
    words: frozenset[str] = frozenset()  # every word of every member, lower case: none of them is a typo
    folded: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)  # a member's stems, folded

    @classmethod
    def build(cls, groups: Iterable[Sequence[str]], schema: Any, fieldname: str = "body") -> SynonymTable:
        raw_groups = [list(dict.fromkeys(str(m).strip() for m in g if str(m).strip())) for g in groups]
        abbrs = {m for g in raw_groups for m in g if _is_abbreviation(m)}
        table = cls(ambiguous=_ambiguous_abbreviations(abbrs))
        for g in raw_groups:
            members = []
            for m in g:
                stems = tuple(t for t, _ in analyze(schema, fieldname, m)) if fieldname in schema else ()
                if stems:
                    members.append((m, stems, _is_abbreviation(m)))
            if len(members) > 1:
                table.groups.append(members)
        table.words = frozenset(w.lower() for g in table.groups for m, _s, _a in g for w in re.findall(r"[^\W\d_]+", m))
        table.folded = {st: tuple(fold(t) for t in st) for g in table.groups for _m, st, _a in g}
        return table

    def expansions(self, schema: Any, parsed: ParsedQuery, fieldname: str = "body", reader: Any = None) -> list[str]:
        """Other members of every group a positive clause (or run of words) matches. An abbreviation that is also a
        word ("SoL", sun) needs its capitals, unless typed in capitals ("SOL") or, with ``reader``, the word is in
        no indexed text ("sol" on a phone found nothing at all)."""
        out: list[str] = []
        typed = {w.lower() for w in parsed.words}
        for _run, others in self.runs(schema, parsed, fieldname, reader):
            out.extend(text for text in others if text not in out and text.lower() not in typed)
        return out

    def runs(self, schema: Any, parsed: ParsedQuery, fieldname: str = "body",
             reader: Any = None) -> list[tuple[range, list[str]]]:
        """Where each group's members stand in the query: (the indices in ``parsed.words`` of the words a member
        matched, the group's other members, typed ones included)."""
        if not self.groups or fieldname not in schema:
            return []
        # (index in parsed.words, raw word, stem) of the positive words in order; a stop word has no stem
        seq: list[tuple[int, str, str]] = []
        for k, w in enumerate(parsed.words):
            for t, _ in analyze(schema, fieldname, w)[:1]:
                seq.append((k, w, t))
        stems = [s for _, _, s in seq]
        out: list[tuple[range, list[str]]] = []
        for members in self.groups:
            # every member the query has counts, and stands for all the others, typed too ("FGM könsstympning")
            for matched in self._matches(members, seq, stems, fieldname, reader):
                out.append((matched[1], [text for text, _, _ in members if text != matched[0]]))
        return out

    def _matches(self, members: list[tuple[str, tuple[str, ...], bool]], seq: list[tuple[int, str, str]],
                 stems: list[str], fieldname: str, reader: Any) -> list[tuple[str, range]]:
        """(member, the indices in the query's words it matched) for each member of a group the query has, first
        occurrence."""
        found = []
        for text, mstems, is_abbr in members:
            matched = None
            n = len(mstems)
            for i in range(len(stems) - n + 1):
                typed_run = tuple(stems[i:i + n])
                # typed without å/ä/ö ("garningsperson"): the member as folded, as search folds it
                if typed_run != mstems and (is_abbr or typed_run != self.folded.get(mstems)
                                            or not all(t.isascii() for t in typed_run)):
                    continue
                if is_abbr:
                    raw = seq[i][1]
                    if raw.lower() != text.lower():
                        continue
                    if raw != text and not raw.isupper() and (len(raw) < 3 or (
                            raw.lower() in self.ambiguous and not _absent(reader, fieldname, stems[i]))):
                        continue
                matched = (text, range(seq[i][0], seq[i + n - 1][0] + 1))
                break
            if matched:
                found.append(matched)
        return found
