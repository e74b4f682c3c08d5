"""The public search box's language: words, "phrases", -exclusion, OR and NOT, parsed safely and boundedly.

Everything else (wildcards, regex, fields, ranges) is plain text. Swedish typography and phones' ways of writing
quotes and minus signs mean the same as the ASCII ones (``kb.searchmodel.ascii_syntax``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.accents import restore_accents
from index.expansion import QUERY_STOP_WORDS
from index.morphology import STOP_WORDS, analyse_word
from kb.searchmodel import FIELD_PREFIXES, MAX_QUERY_CHARS, MAX_QUERY_TERMS, NOTICE_TRUNCATED, ascii_syntax, clean_query

NOTICE_TOO_MANY_TERMS = "Sökfrågan hade för många sökord; de första {n} används."

# A word: letters/digits, optionally joined by - / & ' (e.g. "hbtqi-personer", "FGM/C").
_WORD = r"[^\W_]+(?:[-/&'’][^\W_]+)*"
_TOKEN = re.compile(r'(?P<neg>-)?"(?P<phrase>[^"]*)(?:"|$)|(?P<neg2>(?<![^\s(])-)?(?P<word>' + _WORD + r")")
_WORD_RE = re.compile(_WORD)
# In a phrase a suspended first part keeps its hyphen, so it is analysed as the texts' "hälso- och sjukvården" is
# ('"hälso- och sjukvården"' found nothing; 23 of the demo's 80 pages say it)
_PHRASE_WORD_RE = re.compile(_WORD + r"(?:-(?=\s+(?:och|eller|samt)\b))?")


@dataclass(frozen=True)
class Clause:
    """A word or a phrase the user typed, possibly excluded with ``-`` or ``NOT``."""

    words: tuple[str, ...]
    phrase: bool = False
    negated: bool = False
    either: bool = False  # an alternative to the clause before it ("kvinnojour OR tjejjour", "kvinnojour/tjejjour")

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class ParsedQuery:
    """The cleaned query: what is searched, what is excluded, and a notice when it was cut."""

    text: str
    clauses: tuple[Clause, ...] = ()
    notice: str | None = None
    restored: tuple[tuple[str, str], ...] = ()  # (typed, searched) for words typed without å/ä/ö ("aldre", "äldre")

    @property
    def positive(self) -> list[Clause]:
        return [c for c in self.clauses if not c.negated]

    @property
    def negative(self) -> list[Clause]:
        return [c for c in self.clauses if c.negated]

    @property
    def words(self) -> list[str]:
        """Every positive word in order (for highlighting and spelling)."""
        return [w for c in self.positive for w in c.words]


_QUOTED_OR_WORD = re.compile(r'"[^"]*(?:"|$)|(?<![^\s(])-?' + _WORD)


def _split_slashes(text: str) -> str:
    """"kvinnojour/tjejjour", "hot/våld" outside quotes: a slash means either, so each piece is a word of its own (as
    one token, "kvinnojour/tjejjour" found 2 pages where "kvinnojour" finds 30, "hot/våld" only pages with both);
    "FGM/C" and "24/7" stay whole; "-hot/våld" excludes both."""
    def split(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith('"') or "/" not in token or any(len(p) < 2 for p in token.lstrip("-").split("/")):
            return token
        return token.replace("/", " -" if token.startswith("-") else " OR ")

    return _QUOTED_OR_WORD.sub(split, text)


_SUSPENDED = re.compile(r"(?<![^\s(])([^\W\d_]{2,})-(\s+)(?:och|eller|samt)(?=\s+([^\W\d_]+))", re.IGNORECASE)


def _complete_suspended(text: str) -> str:
    """"kvinno- och tjejjourer" means kvinnojourer or tjejjourer, two kinds named at once: the first word takes the
    second's last part (as the index does for its texts) and the two are alternatives (a watched search needs one of
    them). Before, "kvinno" was searched alone, found 3 of 13 pages and was "corrected" to "kvinnor- och tjejjourer".
    Inside quotes the phrase keeps its hyphen, as the texts write it."""
    def complete(m: re.Match[str]) -> str:
        head = analyse_word(m.group(3).lower())[2]
        if not head or text.count('"', 0, m.start()) % 2:
            return m.group(0)
        return m.group(1) + head + m.group(2) + "OR"

    return _SUSPENDED.sub(complete, text)


def _restored(word: str, caps_lock: bool) -> str:
    """``restore_accents``; with caps lock on, of the word as typed lower case, shown in capitals again."""
    if not caps_lock:
        return restore_accents(word)
    restored = restore_accents(word.lower())
    return word if restored == word.lower() else restored.upper()


def typed_in_capitals(text: str) -> bool:
    """Caps lock on: more than one word, all in capitals ("VALD I NARA RELATIONER"), is typing, not abbreviations."""
    return text.isupper() and len(_WORD_RE.findall(text)) > 1


def clean_text(raw: str, max_chars: int = MAX_QUERY_CHARS) -> tuple[str, str | None]:
    """``kb.searchmodel.clean_query`` with the Swedish notice the search shows when the query was cut."""
    text, shortened = clean_query(raw, max_chars)
    return text, (NOTICE_TRUNCATED.format(n=max_chars) if shortened else None)


def _counted(words: Sequence[str]) -> int:
    """Words that count towards the term cap: a pasted e-mail's "och", "att", "hur" search nothing, so they cost nothing."""
    return sum(1 for w in words if w.lower() not in STOP_WORDS and w.lower() not in QUERY_STOP_WORDS)


def _first_counted(words: Sequence[str], n: int) -> tuple[str, ...]:
    """The leading words of ``words`` holding ``n`` counted words (and the stop words among them)."""
    out: list[str] = []
    for w in words:
        if _counted((w,)) and _counted(out) >= n:
            break
        out.append(w)
    return tuple(out) if _counted(out) else ()


def parse(raw: str, max_chars: int = MAX_QUERY_CHARS, max_terms: int = MAX_QUERY_TERMS) -> ParsedQuery:
    """Parse user text; every other syntax character (``* ? [ ] : ^ ~ ( )``) only separates words."""
    text, notice = clean_text(raw, max_chars)
    clauses: list[Clause] = []
    restored: list[tuple[str, str]] = []
    seen: set[tuple[tuple[str, ...], bool, bool]] = set()
    n_words = 0
    negate_next = False
    either_next = False
    cut = False
    syntax = _complete_suspended(_split_slashes(ascii_syntax(text)))
    caps_lock = typed_in_capitals(text)
    for m in _TOKEN.finditer(syntax):
        if m.group("phrase") is not None:
            words = tuple(_PHRASE_WORD_RE.findall(m.group("phrase")))
            negated = bool(m.group("neg")) or negate_next
            is_phrase = len(words) > 1
        else:
            word = m.group("word")
            if word in ("OR", "AND", "ELLER", "OCH") and not m.group("neg2"):
                # the search ranks words as OR with a coordination bonus anyway; a watched search needs every word
                # but one of alternatives ("hedersvåld OR hedersförtryck")
                either_next = word in ("OR", "ELLER") and bool(clauses) and not clauses[-1].negated
                continue
            if word.lower() in ("eller", "or") and clauses and not clauses[-1].negated and not m.group("neg2"):
                either_next = True  # "kvinnojour eller tjejjour", as people write it ("or" is no Swedish word)
                continue
            if word == "NOT" and not m.group("neg2"):
                negate_next = True
                continue
            if word.lower() in FIELD_PREFIXES and re.match(r"\s?:", syntax[m.end():]):
                negate_next = negate_next or bool(m.group("neg2"))  # "-title:barn" excludes "barn"
                continue
            words = (word,)
            negated = bool(m.group("neg2")) or negate_next
            is_phrase = False
        either, negate_next = either_next and not negated, False
        # "kvinnojour eller en tjejjour": the alternative is the next word that searches something, not "en"
        either_next = either_next and not negated and not is_phrase and len(words) == 1 and words[0].lower() in STOP_WORDS
        if not words:
            continue
        # "aldre" means "äldre", not the stem of "aldrig"; with caps lock on ("VALD I NARA RELATIONER") as typed lower
        typed, words = words, tuple(_restored(w, caps_lock) for w in words)
        restored.extend((t, w) for t, w in zip(typed, words, strict=True) if t != w and not negated)
        counted = _counted(words)
        if n_words + counted > max_terms:
            cut = True
            words = _first_counted(words, max_terms - n_words)
            if not words:
                break
            is_phrase = is_phrase and len(words) > 1
            counted = _counted(words)
        key = (tuple(w.lower() for w in words), is_phrase, negated)
        if key in seen:
            continue
        seen.add(key)
        clauses.append(Clause(words, is_phrase, negated, either))
        n_words += counted
        if n_words >= max_terms and m.end() < len(syntax) and _TOKEN.search(syntax, m.end()):
            cut = True
            break
    if cut and notice is None:
        notice = NOTICE_TOO_MANY_TERMS.format(n=max_terms)
    return ParsedQuery(text=text, clauses=tuple(clauses), notice=notice, restored=tuple(dict.fromkeys(restored)))
