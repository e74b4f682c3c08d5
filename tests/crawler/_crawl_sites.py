"""Small scripted sites shared by the crawl tests."""

from __future__ import annotations

LONG = (
    "Socialtjänsten ska erbjuda stöd och skydd till kvinnor som utsatts för våld i nära relationer. "
    "Barn som bevittnat våld är också brottsoffer och ska få stöd. Hedersrelaterat våld och förtryck "
    "kräver särskilda insatser, liksom prostitution och människohandel för sexuella ändamål. "
)


def small_site(site, page_html, n=3, etag=True):
    links = [f"/sida{i}" for i in range(n)]
    site.add("/", page_html("Start", links=links), etag='"s"' if etag else None)
    for i in range(n):
        site.add(f"/sida{i}", page_html(f"Sida {i}", f"Sida {i}: " + LONG), etag=f'"e{i}"' if etag else None)
    return links
