"""Swedish explanations of the crawler's failure reason codes ("what happened – what to do") for librarians."""

from __future__ import annotations

# What went wrong with one request, as a lower-case phrase: used alone (capitalised) and inside the
# robots_<reason> and sitemap_<reason> families ("robots.txt gick inte att hämta (anslutningen misslyckades)").
FETCH_CAUSES = {
    "bad_url": "adressen är ogiltig",
    "url_too_long": "adressen är för lång",
    "blocked_address": "adressen leder till en intern eller otillåten nätverksadress",
    "dns": "värdnamnet gick inte att slå upp (DNS)",
    "connection": "anslutningen misslyckades",
    "tls": "den säkra anslutningen (https/certifikat) misslyckades",
    "timeout": "webbplatsen svarade inte i tid",
    "too_large": "filen är större än tillåtet",
    "redirect_loop": "omdirigeringarna går i cirkel",
    "too_many_redirects": "för många omdirigeringar i rad",
    "bad_redirect": "en omdirigering saknar måladress",
    "bad_encoding": "svaret var komprimerat på ett sätt som inte stöds eller var skadat",
    "unsupported_type": "filtypen stöds inte",
    "robots": "robots.txt tillåter inte att adressen hämtas",
    "out_of_scope": "adressen ligger utanför källans avgränsning",
    "redirect_to_claimed": "adressen omdirigerar till en sida som hämtas för sig",
    "host_skipped": "webbplatsen hoppades över i natt",
    "max_pages": "källans gräns för antal sidor (max_pages) nåddes",
    "aborted": "körningen avbröts",
}

# What to do (or what happens next) after a request failed for that reason.
FETCH_ADVICE = {
    "bad_url": "rätta länken på webbplatsen eller adressen i sources.yaml",
    "url_too_long": "adressen hoppas över",
    "blocked_address": "hämtas inte av säkerhetsskäl; kontrollera adressen i sources.yaml",
    "dns": "kontrollera att webbadressen stämmer; försöks igen nästa natt",
    "connection": "försöks igen nästa natt; lagrade dokument behålls",
    "tls": "webbplatsens certifikat kan vara fel; försöks igen nästa natt",
    "timeout": "försöks igen nästa natt; lagrade dokument behålls",
    "too_large": "filen hämtades inte",
    "redirect_loop": "webbplatsen behöver rätta sina omdirigeringar",
    "too_many_redirects": "webbplatsen behöver rätta sina omdirigeringar",
    "bad_redirect": "webbplatsen behöver rätta sin omdirigering",
    "bad_encoding": "försöks igen nästa natt",
    "unsupported_type": "filen hoppades över",
    "robots": "den hämtas inte",
    "out_of_scope": "ändra allow/deny i sources.yaml om sidan ska ingå",
    "redirect_to_claimed": "inget att göra",
    "host_skipped": "försöks igen nästa natt",
    "max_pages": "höj max_pages i sources.yaml om källan ska hämtas helt",
    "aborted": "resten hämtas vid nästa körning",
}

HTTP_TEXTS = {
    400: "webbplatsen avvisade förfrågan (HTTP 400)",
    401: "sidan kräver inloggning (HTTP 401)",
    403: "webbplatsen nekar åtkomst (HTTP 403)",
    404: "sidan finns inte (HTTP 404)",
    405: "webbplatsen avvisade förfrågan (HTTP 405)",
    408: "webbplatsen svarade inte i tid (HTTP 408)",
    410: "sidan är borttagen (HTTP 410)",
    429: "webbplatsen bad om färre förfrågningar (HTTP 429)",
    500: "serverfel hos webbplatsen (HTTP 500)",
    502: "webbplatsens server svarade felaktigt (HTTP 502)",
    503: "webbplatsen är tillfälligt otillgänglig (HTTP 503)",
    504: "webbplatsens server svarade inte i tid (HTTP 504)",
}
HTTP_ADVICE = {
    401: "sidan kan inte ingå i kunskapsbanken",
    403: "kontakta webbplatsen om spärren ska hävas",
    404: "länken är trasig eller sidan har flyttats; ett lagrat dokument tas bort om felet består",
    410: "ett lagrat dokument tas bort om felet består",
}

# The crawler's text-extraction reasons (crawler.extract.REASONS), stored as extract_<reason with _ for spaces>.
EXTRACT_LABELS = {
    "krypterad": "Filen är lösenordsskyddad eller krypterad – texten kan inte läsas; be utgivaren om en öppen version",
    "ingen text": "Filen innehåller ingen läsbar text (t.ex. en skannad PDF utan textlager) – den kan inte sökas",
    "trasig": "Filen är skadad och gick inte att läsa – försöks igen nästa natt",
    "tidsgräns": "Det tog för lång tid att läsa ut texten ur filen – filen hoppades över",
    "okänt format": "Filformatet känns inte igen – filen hoppades över",
}

# Reasons that are not a failed request: page policy, sitemaps, the crawl's own limits and errors.
OTHER_LABELS = {
    "soft_404": "Sidan visar ett felmeddelande (”sidan finns inte”) trots att webbplatsen svarar OK – kontrollera om sidan har flyttats",
    "canonical": "Sidan anger en annan adress som sin huvudadress (canonical) – den lagras under den adressen",
    "noindex": "Sidan ber att inte bli indexerad (noindex) – den lagras inte",
    "follow_only": "Adressen följs bara för sina länkar (sources.yaml) – den lagras inte",
    "redirect": "Sidan har flyttats permanent (omdirigering) – dokumentet följer med till den nya adressen",
    "redirect_temporary": "Sidan omdirigeras tillfälligt – det lagrade dokumentet behålls en tid",
    "bad_sitemap": "Webbplatskartan (sitemap) är felaktig eller tom – sidorna hittas via länkar i stället",
    "crawl_delay": "robots.txt begär för lång väntetid mellan förfrågningar – webbplatsen hoppades över i natt",
    "host_failures": "För många fel i rad från webbplatsen – den hoppades över resten av körningen",
    "internal_error": "Internt fel i kb – källans crawlning avbröts, lagrade dokument behålls; kör med -v och rapportera felet",
}


def _cap(text: str) -> str:
    return text if text.startswith("robots.txt") else text[:1].upper() + text[1:]


def _http_cause(code: str) -> str | None:
    """'http_404' -> 'sidan finns inte (HTTP 404)'; None when ``code`` is not http_<three digits>."""
    digits = code.removeprefix("http_")
    if not code.startswith("http_") or len(digits) != 3 or not digits.isdigit():
        return None
    status = int(digits)
    if status in HTTP_TEXTS:
        return HTTP_TEXTS[status]
    if 400 <= status < 500:
        return f"webbplatsen avvisade förfrågan (HTTP {status})"
    if 500 <= status < 600:
        return f"serverfel hos webbplatsen (HTTP {status})"
    return f"webbplatsen svarade med en oväntad statuskod (HTTP {status})"


def _cause(code: str) -> str | None:
    """The lower-case phrase for a fetch reason (http_NNN included), or None if unknown."""
    return FETCH_CAUSES.get(code) or _http_cause(code)


def _inner_cause(code: str) -> str | None:
    """The phrase inside "robots.txt gick inte att hämta (…)": a status code is named without nested brackets."""
    if _http_cause(code) is not None:
        return f"webbplatsen svarade med HTTP {code[5:]}"
    return FETCH_CAUSES.get(code)


def _fetch_label(code: str) -> str | None:
    cause = _cause(code)
    if cause is None:
        return None
    if code.startswith("http_"):
        status = int(code[5:])
        advice = HTTP_ADVICE.get(status) or ("försöks igen nästa natt; lagrade dokument behålls" if status >= 500 or status == 429 else "")
    else:
        advice = FETCH_ADVICE.get(code, "")
    return f"{_cap(cause)} – {advice}" if advice else _cap(cause)


def _family_label(code: str) -> str | None:
    """robots_<fetch reason>, sitemap_<fetch reason> and extract_<reason>; None when the inner reason is unknown."""
    if code.startswith("robots_"):
        cause = _inner_cause(code[len("robots_"):])
        return f"robots.txt gick inte att hämta ({cause}) – webbplatsen hoppades över i natt; lagrade dokument behålls" if cause else None
    if code.startswith("sitemap_"):
        rest = code[len("sitemap_"):]
        if rest == "host_skipped":
            return "Webbplatskartan (sitemap) lästes inte: webbplatsen hoppades över i natt – försöks igen nästa natt"
        if rest == "robots":
            return "robots.txt tillåter inte att webbplatskartan (sitemap) hämtas – sidorna hittas via länkar i stället"
        cause = _inner_cause(rest)
        return f"Webbplatskartan (sitemap) gick inte att hämta ({cause}) – sidorna hittas via länkar i stället" if cause else None
    if code.startswith("extract_"):
        return EXTRACT_LABELS.get(code[len("extract_"):].replace("_", " "))
    return None


def reason_label(code: str, *, brief: bool = False) -> str:
    """A Swedish explanation of a failure reason code: "what happened – what to do"; an unknown code is returned as is.

    ``brief`` keeps only what happened (the text before " – "), for one-line summaries.
    """
    label = OTHER_LABELS.get(code) or EXTRACT_LABELS.get(code) or _fetch_label(code) or _family_label(code) or code
    return label.partition(" – ")[0] if brief else label
