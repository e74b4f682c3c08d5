"""A small Swedish test corpus for the search tests, published through the real index build."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from kb.models import Document
from kb.settings import Settings
from kb.store import Store
from kb.taxonomy import load_taxonomy

BASE = "https://www.exempel.se"


def make_document(**overrides: Any) -> Document:
    """Same defaults as the ``make_document`` fixture, usable in module-scoped fixtures."""
    values: dict[str, Any] = {
        "url": f"{BASE}/kvinnofrid/vald-i-nara-relationer",
        "source": "exempel",
        "organisation": "Exempelmyndigheten",
        "title": "Våld i nära relationer",
        "text": "Våld i nära relationer är ett folkhälsoproblem.",
        "format": "html",
        "published": date(2024, 5, 3),
    }
    values.update(overrides)
    return Document(**values)


def corpus(make_document: Callable[..., Document] = make_document) -> list[Document]:
    """Documents chosen so each ranking, spelling and facet rule has something to prove."""
    d = make_document
    docs = [
        d(url=f"{BASE}/vinr/anmala", title="Att anmäla våld i nära relation",
          text=("Så anmäler du våld i nära relation till polisen. Hur man gör en polisanmälan när en partner "
                "utövar våld. Socialtjänsten ger stöd till våldsutsatta kvinnor. Arbetet för kvinnofrid."),
          organisation="Polismyndigheten", published=date(2024, 3, 1)),
        d(url=f"{BASE}/vinr/stod", title="Stöd till våldsutsatta",
          text="Kommunen erbjuder skyddat boende och samtalsstöd. Våld i nära relationer drabbar många.",
          organisation="Malmö kommun", published=date(2019, 6, 1)),
        d(url=f"{BASE}/relation/parterapi", title="Parterapi och relationer",
          text="Parterapi kan hjälpa par i en relation med konflikter. Nära och kära.",
          organisation="Familjerådgivningen", published=date(2023, 1, 1)),
        d(url=f"{BASE}/heder/konsstympning", title="Kvinnlig könsstympning",
          text="Könsstympning av flickor är förbjudet i Sverige. Vården ska uppmärksamma könsstympning.",
          organisation="Socialstyrelsen", published=date(2022, 2, 2), format="pdf", page_count=12),
        d(url=f"{BASE}/heder/barnaktenskap", title="Barnäktenskap och tvångsäktenskap",
          text="Barnäktenskap är förbjudna. Tvångsäktenskap är ett brott enligt brottsbalken.",
          organisation="Länsstyrelsen Östergötland", published=date(2021, 9, 9)),
        d(url=f"{BASE}/prostitution/sexkop", title="Köp av sexuell tjänst",
          text="Prostitution och köp av sexuell tjänst är förbjudet. Sexköpslagen infördes 1999.",
          organisation="Jämställdhetsmyndigheten", published=date(2020, 4, 4)),
        d(url=f"{BASE}/prostitution/exploatering", title="Människohandel för sexuella ändamål",
          text="Prostitution och människohandel hänger ihop. Stöd till personer i prostitution.",
          organisation="Jämställdhetsmyndigheten", published=None),
        d(url=f"{BASE}/forovare/behandling", title="Behandling för våldsutövare",
          text="Program för våldsutövare minskar återfall. Våldsutövare kan få behandling i kommunen.",
          organisation="Socialstyrelsen", published=date(2018, 1, 1), format="docx"),
        d(url=f"{BASE}/farlig", title="Säkerhet <script>alert(1)</script>",
          text='Texten innehåller <script>alert("x")</script> & "citat" om hedersvåld och heder.',
          organisation="Testmyndigheten", published=date(2017, 5, 5), description="Beskrivning"),
        d(url=f"{BASE}/orelaterad", title="Trafiksäkerhet på vintern",
          text="Dubbdäck och vinterväglag. Kör försiktigt på is.",
          organisation="Trafikverket", published=date(2024, 12, 1)),
    ]
    original = d(url=f"{BASE}/dubblett/original", title="Skyddat boende för kvinnor",
                 text="Skyddat boende ger våldsutsatta kvinnor en trygg plats. Kvinnojouren hjälper till.",
                 organisation="Unizon", published=date(2022, 8, 8))
    copy = d(url=f"{BASE}/dubblett/kopia", title=original.title, text=original.text,
             organisation="Unizon", published=date(2022, 8, 8), dup_of=original.url)
    original.locations = [copy.url]
    return docs + [original, copy]


def publish(settings: Settings, docs: list[Document]) -> Any:
    """Fill a real Store and publish through the real build (the index engineer's build_and_publish)."""
    from index.build import build_and_publish

    store = Store(settings.store_path)
    try:
        for doc in docs:
            store.put_document(doc)
        return build_and_publish(settings, store, [], load_taxonomy())
    finally:
        store.close()


def bulk_documents(make_document: Callable[..., Document], n: int) -> list[Document]:
    """n filler documents (for the hostile-query timings on a ~1k-document index)."""
    words = ("socialtjänst kommun stöd barn föräldrar skola hälsa vård polis domstol lag rapport "
             "utredning kvinnor män våld kvinnofrid trygghet boende arbete ekonomi region").split()
    out = []
    for i in range(n):
        text = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(60))
        out.append(make_document(url=f"{BASE}/fyll/{i}", title=f"Dokument {i} om {words[i % len(words)]}",
                                 text=text, organisation=f"Org {i % 7}", published=date(2000 + i % 25, 1, 1)))
    return out


def settings_for(tmp: Path) -> Settings:
    from kb.settings import load_settings

    return load_settings(env={}, data_dir=tmp / "data", sources=tmp / "sources.yaml",
                         vector_cache=os.environ.get("KB_VECTOR_CACHE", ""))  # the run's shared cache (conftest)


@contextmanager
def serving(tmp: Path, pages: dict[str, tuple[str, str]]) -> Iterator[Any]:
    """A SearchService over ``pages`` ({slug: (title, text)}) published under ``tmp``; closed afterwards."""
    from index.service import SearchService

    settings = settings_for(tmp)
    publish(settings, [make_document(url=f"{BASE}/{slug}", title=t, text=x) for slug, (t, x) in pages.items()])
    svc = SearchService(settings)
    try:
        yield svc
    finally:
        svc.close()


def found(service: Any, q: str, per_page: int = 50) -> list[str]:
    """The slugs (URL after BASE) a search for ``q`` lists, in order."""
    from kb.searchmodel import SearchRequest

    return [h.url.removeprefix(BASE + "/") for h in service.search(SearchRequest(q=q, per_page=per_page)).results]
