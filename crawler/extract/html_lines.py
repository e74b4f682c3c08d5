"""Short lines that are furniture in any language: link lines ("Read more: …", "Zurück"), ad labels, date lines."""

from __future__ import annotations

import re

from crawler.extract import dates

# A short block that starts with one of these is a link line or label under or after the text, not the text.
LINE_PHRASES = re.compile(
    r"^(?:read more(?:\s*:|$)|weiterlesen|mehr lesen|lire la suite|leer más|leia mais|läs mer:|läs också:|also read(?:\s*:|$)|"
    r"zurück(?:$| zu)|nach oben$|back to top|to top$|till toppen|upp till toppen|tillbaka till|voltar$|volver$|"
    r"comments are closed|kommentare sind geschlossen|print recipe|this slideshow requires javascript|"
    r"get short url|report (?:an )?error$|thanks for watching|"
    r"advert(?:isement)?$|anzeige$|publicidad$|publicidade$|annons$|sponsored$|"
    r"previous$|next$|zurück$|weiter$|anterior$|siguiente$|próxim[oa]$|"
    r"kategorie:|kategorien:|category:|categories:|categoria:|categorias$|kategori:|tags:?$|tags:|schlagwörter:|"
    r"schlagworte:|taggar:|etiquetas:|filed under|posted in\b|verwandte (?:themen|artikel|beiträge)|weitere beiträge|"
    r"artículos relacionados|noticias relacionadas|articles similaires|sur le même sujet|dans la même rubrique|"
    r"mira:|mire:|lea:|lee:|lea también|lee también|leia também|veja também|ver también|siehe auch|auch interessant|"
    r"empfohlener redaktioneller inhalt|related:|see also\b|more:|plus:|à voir aussi|"
    # image credits
    r"foto:|fotos:|photo:|photos:|bild:|bilder:|image:|credit:|credits:|photo by\b|bildquelle|©|"
    r"titelbild:|beitragsbild|bildnachweis|crédits? photos?\s?:|"
    # source lines under a news item; French sets a space before the colon
    r"quelle:|source\s?:|fuente:|źródło:|fonte:|catégories?\s?:)",
    re.IGNORECASE,
)
# A short block that mentions one of these anywhere is a sign-up box (the heading before it goes too).
SIGNUP = re.compile(r"\b(?:newsletter|nyhetsbrev(?:et)?|subscribe to|sign up for|abonnieren|suscr[ií]bete|inscreva-se|"
                    r"abonnez-vous)\b", re.IGNORECASE)
SIGNUP_MAX = 250
LINE_MAX = 200  # characters: a longer block that starts so is a paragraph

# A label that opens a date line in the public benchmarks' languages (Swedish labels are html_clean.DATE_LINE).
DATE_LABEL = re.compile(
    r"^\|?\s*(?:posted|published|updated|last updated|last modified|veröffentlicht|aktualisiert|erstellt am|"
    r"zuletzt aktualisiert|publicado|actualizado|atualizado|publié|mis à jour|pubblicato|aggiornato)\b",
    re.IGNORECASE,
)
DATE_MAX = 160

_NAMES = (
    "january february march april may june july august september october november december "  # en
    "januar februar märz mai juni juli oktober dezember "  # de
    "januari februari mars maj augusti "  # sv
    "janvier février avril juin juillet août septembre octobre novembre décembre "  # fr
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre "  # es
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro "  # pt
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre "  # it
    "monday tuesday wednesday thursday friday saturday sunday montag dienstag mittwoch donnerstag freitag samstag "
    "sonntag måndag tisdag onsdag torsdag fredag lördag söndag lundi mardi mercredi jeudi vendredi samedi dimanche "
    "lunes martes miércoles jueves viernes sábado domingo segunda terça quarta quinta sexta feira"
).split()
_FILLER = {"am", "pm", "at", "um", "uhr", "de", "del", "le", "den", "kl", "the", "of", "on", "à", "h", "est", "edt",
           "cst", "cdt", "pst", "pdt", "gmt", "utc", "cet", "cest", "et", "st", "nd", "rd", "th", "às", "a", "em"}
_NAME_PREFIXES = {name[:i] for name in _NAMES for i in range(3, len(name) + 1)}  # "nov", "novem", "november"
_TOKEN = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_NUMERIC_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}(?:,?\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*(?:uhr|h|am|pm))?)?",
                           re.IGNORECASE)


def is_date_only(text: str) -> bool:
    """A short line that is a date and time and nothing else ("18 Nov 2019, 19:09", "Tuesday, November 19, 2019")."""
    if len(text) > 60 or _DIGIT.search(text) is None:
        return False
    tokens = _TOKEN.findall(text.lower())
    if not any(t.isdigit() for t in tokens):
        return False
    named = 0
    for t in tokens:
        if t.isdigit():
            continue
        if t in _FILLER:
            continue
        if len(t) >= 3 and t in _NAME_PREFIXES:  # a name or its abbreviation
            named += 1
            continue
        return False
    return named > 0 or _NUMERIC_DATE.fullmatch(text.strip(" |")) is not None


SENTENCE_WORDS = 5  # words after a date line's date that end in . ! or ? are a sentence (kept)


def sentence_after_date(line: str) -> bool:
    """Does a date line go on with a sentence of its own ("Publicerad 2024-01-01. Rapporten beskriver …", a
    listing's excerpt), which is content, not a label?"""
    m = dates.DATE_RE.search(line)
    if m is None:
        return False
    rest = line[m.end():].lstrip(" .,:;|–—-")
    return len(rest.split()) >= SENTENCE_WORDS and rest.rstrip()[-1:] in ".!?"
