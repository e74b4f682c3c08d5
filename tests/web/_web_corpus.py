"""The web tests' corpus: ~30 varied Swedish documents (hostile ones included), sources.yaml and crawl runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from kb.models import Document, SourceReport
from kb.store import Store

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE_ORG = f'Elaka "AB" {IMG}'
BASE_URL = "https://kb.example.org"

SOURCES_YAML = """\
sources:
  - id: sos
    name: Socialstyrelsen – kunskapsstöd
    organisation: Socialstyrelsen
    start_urls: [https://www.socialstyrelsen.se/kunskapsstod/]
  - id: nck
    name: Nationellt centrum för kvinnofrid
    organisation: Nationellt centrum för kvinnofrid
    start_urls: [https://nck.uu.se/kunskapsbanken/]
  - id: jamy
    name: Jämställdhetsmyndigheten
    organisation: Jämställdhetsmyndigheten
    start_urls: [https://www.jamstalldhetsmyndigheten.se/]
  - id: lst
    name: Länsstyrelsen Östergötland
    organisation: Länsstyrelsen Östergötland
    start_urls: [https://www.lansstyrelsen.se/ostergotland/]
  - id: elak
    name: Elak källa <script>alert(1)</script>
    organisation: 'Elaka "AB" "><img src=x onerror=alert(1)>'
    start_urls: [https://elak.example.se/]
"""

_ORGS = {
    "sos": "Socialstyrelsen",
    "nck": "Nationellt centrum för kvinnofrid",
    "jamy": "Jämställdhetsmyndigheten",
    "lst": "Länsstyrelsen Östergötland",
    "elak": HOSTILE_ORG,
}

# (source, path, title, text, format, published, extra fields)
_DOCS: list[tuple[str, str, str, str, str, date | None, dict[str, Any]]] = [
    ("sos", "/vald/vagledning", "Våld i nära relationer – vägledning för socialtjänsten",
     ("Vägledningen beskriver hur socialtjänsten ska upptäcka våld i nära relationer och ge stöd till våldsutsatta kvinnor. "
      "Kvinnofridskränkning och psykiskt våld tas upp."), "pdf", date(2024, 3, 5), {"size": 1_250_000, "page_count": 12, "page_starts": [0, 117]}),  # hits say "s. N"
    ("sos", "/vald/riskbedomning", "Riskbedömning vid våld i nära relationer",
     "Strukturerade riskbedömningar som FREDA hjälper socialtjänsten att bedöma risken för nytt våld.", "html", date(2023, 10, 1), {}),
    ("sos", "/vald/skyddat-boende", "Skyddat boende för våldsutsatta",
     "Kommunen ansvarar för skyddat boende. Kvinnojourer och stödboende ger skydd åt kvinnor som utsatts för våld.", "html", date(2022, 5, 17), {}),
    ("sos", "/barn/barnfrid", "Barn som upplever våld",
     "Barn som upplever våld i familjen är brottsoffer. Barnfridsbrott infördes 2021. Orosanmälan till socialtjänsten.", "pdf", date(2021, 7, 1),
     {"size": 480_000, "page_count": 24}),
    ("sos", "/heder/handbok", "Hedersrelaterat våld och förtryck – handbok",
     "Handboken handlar om hedersrelaterat våld och förtryck, barnäktenskap och tvångsäktenskap.", "docx", date(2020, 2, 2), {"size": 95_000}),
    ("sos", "/vald/halsovard", "Hälso- och sjukvårdens ansvar vid våld",
     "Hälso- och sjukvården ska fråga om våld. Rutiner för att upptäcka våld i nära relationer.", "html", date(2019, 11, 11), {}),
    ("nck", "/kunskapsbanken/sexuellt-vald", "Sexuellt våld mot kvinnor",
     "Sexuellt våld omfattar våldtäkt och sexuella övergrepp. Samtyckeslagen och spårsäkring beskrivs.", "html", date(2024, 1, 20), {}),
    ("nck", "/kunskapsbanken/vald-mot-aldre", "Våld mot äldre kvinnor",
     "Äldre våldsutsatta kvinnor utsätts för våld i nära relationer, ofta av en partner.", "html", date(2023, 4, 4), {}),
    ("nck", "/kunskapsbanken/digitalt-vald", "Digitalt våld i nära relationer",
     "Digitalt våld: kontroll via mobilen, hot i sociala medier och spridning av bilder.", "html", date(2024, 9, 9), {}),
    ("nck", "/kunskapsbanken/valdsutovare", "Behandling av våldsutövare",
     "Behandlingsprogram för våldsutövare som vill sluta utöva våld. Riskbedömning och återfall.", "pdf", date(2022, 12, 1),
     {"size": 2_600_000, "page_count": 48}),
    ("nck", "/kunskapsbanken/prostitution", "Prostitution och människohandel",
     "Människohandel för sexuella ändamål och köp av sexuell tjänst. Sexköpslagen.", "html", date(2021, 3, 3), {}),
    ("nck", "/kunskapsbanken/kvinnofrid", "Kvinnofrid – en introduktion",
     "Kvinnofrid handlar om mäns våld mot kvinnor. En introduktion till området för nyanställda.", "pptx", date(2020, 8, 8), {"size": 3_400_000}),
    ("nck", "/kunskapsbanken/lgbtq", "Våld i samkönade relationer",
     "Hbtqi-personer utsätts för våld i nära relationer i samma utsträckning som andra.", "html", date(2019, 5, 5), {}),
    ("jamy", "/forebygg/program", "Förebyggande arbete mot mäns våld",
     "Våldsförebyggande arbete i kommuner och regioner. Program för att förebygga våld innan det sker.", "pdf", date(2023, 6, 6),
     {"size": 820_000, "page_count": 30}),
    ("jamy", "/forebygg/skola", "Förebygga våld i skolan",
     "Skolan kan förebygga våld genom undervisning om jämställdhet och samtycke.", "html", date(2022, 9, 1), {}),
    ("jamy", "/heder/konsstympning", "Kvinnlig könsstympning",
     "Könsstympning av flickor är förbjudet. Vården ska uppmärksamma könsstympning och erbjuda stöd.", "html", date(2024, 2, 14), {}),
    ("jamy", "/prostitution/sexkop", "Köp av sexuell tjänst",
     "Prostitution och köp av sexuell tjänst är förbjudet i Sverige sedan 1999.", "html", date(2020, 4, 4), {}),
    ("jamy", "/vald/statistik", "Statistik om mäns våld mot kvinnor",
     "Statistiken visar hur många kvinnor som utsätts för våld i nära relationer varje år.", "html", date(2025, 1, 15), {}),
    ("lst", "/heder/stod", "Stöd vid hedersrelaterat våld",
     "Länsstyrelsen stödjer kommunerna i arbetet mot hedersrelaterat våld och förtryck.", "html", date(2023, 11, 30), {}),
    ("lst", "/vald/samverkan", "Samverkan mot våld i länet",
     "Samverkan mellan kommun, region och polis mot våld i nära relationer.", "html", date(2021, 10, 10), {}),
    ("lst", "/vald/kartlaggning", "Kartläggning av skyddade boenden",
     "Kartläggningen visar hur många skyddade boenden och kvinnojourer som finns i länet.", "pdf", date(2022, 3, 3),
     {"size": 350_000, "page_count": 9}),
    ("lst", "/barn/barnahus", "Barnahus i Östergötland",
     "Barnahus samlar polis, åklagare och socialtjänst kring barn som utsatts för våld.", "html", date(2020, 12, 12), {}),
    ("lst", "/utbildning/grund", "Grundutbildning om våld",
     "Webbutbildningen ger grundläggande kunskap om våld i nära relationer för alla som möter våldsutsatta.", "html", date(2024, 6, 1), {}),
    ("lst", "/vald/kontaktforbud", "Kontaktförbud och skydd",
     "Kontaktförbud kan ges när det finns risk för brott mot en våldsutsatt kvinna.", "html", None, {}),
    ("sos", "/vald/ekonomiskt", "Ekonomiskt våld",
     "Ekonomiskt våld är när en partner kontrollerar pengar. Det är en form av våld i nära relationer.", "html", date(2023, 2, 2), {}),
    ("sos", "/vald/kopia", "Våld i nära relationer – vägledning (kopia)",
     "Kopia av vägledningen om våld i nära relationer och stöd till våldsutsatta kvinnor.", "html", date(2024, 3, 6),
     {"locations": ["https://www.socialstyrelsen.se/arkiv/vagledning-kopia"]}),
    # Hostile documents: markup and quotes in crawled titles, bodies and organisation names.
    ("elak", "/xss/titel", f"{SCRIPT} Våld och skydd \"citat\" 'apostrof'",
     f"Våld i nära relationer {SCRIPT} och {IMG} samt \"citat\" & 'apostrof' <b>fet</b>.", "html", date(2024, 4, 1), {}),
    ("elak", "/xss/org", f"Stöd till våldsutsatta {IMG}",
     f"Stöd till kvinnor som utsatts för våld. {IMG} {SCRIPT}", "html", date(2023, 8, 8), {}),
    ("elak", "/xss/js", "Länk med javascript-adress",
     "Ett dokument om våld vars beskrivning innehåller javascript:alert(1) som text.", "html", date(2021, 1, 1), {}),
    ("sos", "/vald/psykiskt", "Psykiskt våld i nära relationer",
     "Psykiskt våld i nära relationer: hot, kontroll och kränkningar från en partner.", "html", date(2022, 1, 10), {}),
    ("nck", "/kunskapsbanken/kvinnofridskrankning", "Grov kvinnofridskränkning",
     "Grov kvinnofridskränkning är upprepade brott mot en kvinna i en nära relation. Kvinnofrid och partnervåld.", "html", date(2021, 5, 20), {}),
    ("sos", "/trauma/bemotande", "Traumamedvetet bemötande",
     "Bemötande av personer med trauma efter våld. Samtalsstöd och krisstöd.", "html", date(2018, 6, 6), {}),
]


def corpus() -> list[Document]:
    docs = []
    hosts = {"sos": "https://www.socialstyrelsen.se", "nck": "https://nck.uu.se", "jamy": "https://www.jamstalldhetsmyndigheten.se",
             "lst": "https://www.lansstyrelsen.se/ostergotland", "elak": "https://elak.example.se"}
    for source, path, title, text, fmt, published, extra in _DOCS:
        docs.append(Document(url=hosts[source] + path, source=source, organisation=_ORGS[source], title=title, text=text,
                             format=fmt, published=published, **extra))
    return docs


def record_runs(store: Store) -> None:
    """Two crawl runs so /kallor has history, a status and failures with reasons."""
    for n, status in enumerate(("ok", "partial")):
        run_id = store.start_run("crawl")
        for sid in ("sos", "nck", "jamy", "lst", "elak"):
            report = SourceReport(source=sid, fetched=5 + n, status="ok")
            if sid == "lst" and status == "partial":
                report.status = "partial"
                report.failed = 3
                report.failures = [
                    ("https://www.lansstyrelsen.se/ostergotland/trasig.pdf", "krypterad", "PDF:en är lösenordsskyddad"),
                    ("https://www.lansstyrelsen.se/ostergotland/borta", "http_404", "Not Found"),
                    (f"https://www.lansstyrelsen.se/ostergotland/{SCRIPT}", "http_404", IMG),
                ]
            store.save_source_report(run_id, report)
        store.finish_run(run_id, status)
