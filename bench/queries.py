"""The realistic query mix used by every benchmark (short topics, phrases, filters, page 2, newest first, misspellings)."""

from __future__ import annotations

from urllib.parse import urlencode

TOPICS = [
    "våld", "jämställdhet", "kvinnofrid", "sexköp", "människohandel", "barnäktenskap", "hedersförtryck",
    "socialtjänsten", "brottsoffer", "skolan", "polisen", "prostitution", "kvinnojourer", "barnkonventionen",
]
MULTI = [
    "mäns våld mot kvinnor", "våld i nära relationer", "hedersrelaterat våld och förtryck",
    "stöd till våldsutsatta kvinnor", "barn som upplever våld", "skyddat boende för kvinnor",
    "hur anmäler man våld i nära relation", "nationell strategi mot våld",
]
PHRASES = ['"mäns våld mot kvinnor"', '"skyddat boende"', '"våld i nära relationer"', '"sexuellt våld"']
MISSPELLED = ["jämstäldhet", "prostitusion", "manniskohandel", "vald i nara relationer", "kvinnofrids"]
ABBREV = ["VINR", "HRV", "MVK"]
QUESTIONS = [  # whole questions: re-ranked by meaning (bench/semantic.py times their vectors)
    "hur anmäler man våld i nära relation", "vad är hedersrelaterat våld", "vilka insatser finns för män som slår",
    "hur pratar man med barn om våld", "var kan en kvinna som utsatts för våld få skyddat boende",
    "vad ska socialtjänsten göra när ett barn har bevittnat våld", "hur vanligt är sexuellt våld mot unga",
    "vilket stöd kan kommunen ge till våldsutsatta kvinnor", "får man köpa sex i Sverige",
    "vad innebär kontaktförbud", "hur kan vården upptäcka våld", "när ska man göra en orosanmälan",
    "vad gör Jämställdhetsmyndigheten", "vilka lagar skyddar barn mot våld", "hur arbetar polisen med hedersbrott",
    "finns det stöd för män som utsätts för våld", "vad är en riskbedömning", "hur förebygger man våld i skolan",
    "vilka konsekvenser får våldet för barnen", "hur många kvinnor dödas av en partner varje år",
]


def mix() -> list[tuple[str, dict[str, object]]]:
    """(kind, params) pairs; params are query-string parameters for /sok and /api/v1/search."""
    out: list[tuple[str, dict[str, object]]] = []
    out += [("short", {"q": q}) for q in TOPICS]
    out += [("words", {"q": q}) for q in MULTI]
    out += [("phrase", {"q": q}) for q in PHRASES]
    out += [("misspelling", {"q": q}) for q in MISSPELLED]
    out += [("abbreviation", {"q": q}) for q in ABBREV]
    out += [("filter", {"q": "våld", "delomrade": "vald-i-nara-relationer"}),
            ("filter", {"q": "jämställdhet", "year": "2020"}),
            ("filter", {"q": "stöd", "organisation": "Regeringskansliet", "format": "html"}),
            ("filter", {"q": "barn", "delomrade": ["barn-som-upplever-vald", "hedersrelaterat-vald"]})]
    out += [("page2", {"q": "våld", "page": 2}), ("page2", {"q": "kvinnor", "page": 2})]
    out += [("newest", {"q": "våld i nära relationer", "sort": "nyast"}), ("newest", {"q": "heder", "sort": "nyast"})]
    return out


def paths(prefix: str = "/sok") -> list[str]:
    return [f"{prefix}?{urlencode(params, doseq=True)}" for _kind, params in mix()]
