"""The naive baseline from the performance issue: searcher per request, facets by scanning stored fields of all hits, default highlighter."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from whoosh import index as windex
from whoosh.qparser import MultifieldParser, OrGroup

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html><html lang="sv"><head><title>{{ q }}</title></head><body>
<form><input name="q" value="{{ q }}"></form><p>{{ total }} träffar</p>
{% for name, counts in facets.items() %}<fieldset><legend>{{ name }}</legend>
{% for value, n in counts %}<label><input type="checkbox" name="{{ name }}" value="{{ value }}"> {{ value }} ({{ n }})</label>{% endfor %}</fieldset>{% endfor %}
<ol>{% for h in hits %}<li><a href="{{ h.url }}">{{ h.title }}</a><p>{{ h.snippet|safe }}</p></li>{% endfor %}</ol></body></html>"""
)

FACET_FIELDS = ("delomrade", "organisation", "doc_type", "malgrupp", "year", "format")


def create_naive_app(index_dir: Path) -> Starlette:
    """What a first version would do; kept for the side-by-side ratio."""

    def search(request: Request) -> HTMLResponse:
        q = request.query_params.get("q", "")
        ix = windex.open_dir(str(index_dir))
        with ix.searcher() as searcher:
            # OR of the words, as kb does, so that questions find something (AND finds ~nothing for them).
            query = MultifieldParser(["title", "body"], ix.schema, group=OrGroup).parse(q)
            results = searcher.search(query, limit=None)
            facets: dict[str, Counter[str]] = {f: Counter() for f in FACET_FIELDS}
            for hit in results:
                for f in FACET_FIELDS:
                    for value in str(hit.get(f) or "").split(","):
                        if value:
                            facets[f][value] += 1
            hits: list[dict[str, Any]] = []
            for hit in results[:10]:
                hits.append({"url": hit["url"], "title": hit.get("title", ""), "snippet": hit.highlights("body")})
            html = TEMPLATE.render(q=q, total=len(results), facets={k: v.most_common() for k, v in facets.items()}, hits=hits)
        return HTMLResponse(html)

    return Starlette(routes=[Route("/sok", search)])
