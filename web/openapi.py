"""The OpenAPI 3.1 description of /api/v1 (limits from kb.searchmodel and web.http11, so the document cannot drift).

tests/web/test_openapi_contract.py holds the app to it with schemathesis: every operation, parameter, status and
media type (problem+json included)."""

from __future__ import annotations

from typing import Any

from kb.models import FORMATS
from kb.searchmodel import (
    FACET_KEYS,
    MAX_FILTER_VALUE_CHARS,
    MAX_FILTER_VALUES,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_REQUEST_QUERY_CHARS,
    MAX_SUGGEST_CHARS,
    SORTS,
)
from web.http11 import MAX_REQUEST_HEAD_BYTES, MAX_REQUEST_LINE_BYTES
from web.views import PER_PAGE

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
STRINGS = {"type": "array", "items": STRING}
NULLABLE_STRING = {"type": ["string", "null"]}
CACHING_HEADERS = {
    "ETag": {"description": "Svag validator (W/\"…\"), samma för gzip och okomprimerat", "schema": STRING},
    "Cache-Control": {"schema": STRING},
    "Vary": {"schema": STRING},
}
DESCRIPTION = (
    "Sök i kunskapsbanken om mäns våld mot kvinnor. Alla svar kan komprimeras med gzip (Accept-Encoding) och har "
    "ETag: skicka If-None-Match för ett 304-svar. Fel är application/problem+json (RFC 9457): 400 för en ogiltig "
    "parameter, 404 för en okänd adress under /api/, 405 för andra metoder än GET och HEAD, 503 när sökningen är "
    f"upptagen eller saknar index. Servern svarar 414 på en begäranrad över {MAX_REQUEST_LINE_BYTES // 1024} KiB och "
    f"431 på rubriker över {MAX_REQUEST_HEAD_BYTES // 1024} KiB."
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def query_param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description, **extra}


# What the values of the newer facets are (the others are self-explanatory slugs, names and years).
FACET_VALUES = {
    "lan": "Län: en slug ur kb/lan.yaml (t.ex. jamtlands-lan, vastra-gotalands-lan) eller nationellt; "
           "lan=jamtlands-lan&lan=nationellt ger länets och det nationella materialet. ",
    "malsattning": "Den nationella strategins målsättning: forebyggande-arbete, upptackt-skydd-stod, brottsbekampning "
                   "eller kunskap-metodutveckling. ",
}


def _facet_params() -> list[dict[str, Any]]:
    item = {"type": "string", "maxLength": MAX_FILTER_VALUE_CHARS}
    return [
        query_param(key, {"type": "array", "items": item, "maxItems": MAX_FILTER_VALUES},
                    FACET_VALUES.get(key, "") +
                    f"Filter på {key}; upprepa för flera värden (ELLER inom fasetten). Ett värde som inget dokument har "
                    "ger 0 träffar och en notis med ett förslag.", required=False, style="form", explode=True)
        for key in FACET_KEYS
    ]


def _schemas() -> dict[str, Any]:
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": STRING, "title": STRING, "status": INTEGER, "detail": STRING}},
        "FacetValue": {"type": "object", "required": ["value", "label", "count", "selected"], "properties": {
            "value": STRING, "label": STRING, "count": INTEGER, "selected": {"type": "boolean"}}},
        "Hit": {"type": "object", "required": ["url", "title", "snippet", "format"], "additionalProperties": False, "properties": {
            "url": {"type": "string", "format": "uri"}, "title": STRING,
            "snippet": {"type": "string", "description": "HTML-säker text; träffar inom <mark>"},
            "organisation": STRING, "source": STRING,
            "delomraden": STRINGS, "doc_type": STRING,
            "published": {"type": ["string", "null"], "format": "date"}, "score": {"type": "number"},
            "format": {"type": "string", "enum": list(FORMATS)},
            "page": {"type": ["integer", "null"], "minimum": 1,
                     "description": "sidan (PDF) eller bilden (PowerPoint) där utdraget står; null för webbsidor och dokument på en sida"},
            "malgrupp": STRINGS, "explanation": STRING,
            "duplicates": STRINGS, "lan": STRINGS, "malsattningar": STRINGS,
            "newer_version": {"anyOf": [ref("Version"), {"type": "null"}], "description": "den nyaste versionen när denna är ersatt"},
            "versions": {"type": "array", "items": ref("Version"), "description": "alla versioner av verket, nyast först"}}},
        "Version": {"type": "object", "required": ["url", "title"], "properties": {"url": STRING, "title": STRING}},
        "SearchResponse": {"type": "object", "required": ["query", "total", "page", "per_page", "results", "facets"],
                           "additionalProperties": False, "properties": {
            "query": STRING, "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "sort": {"type": "string", "enum": list(SORTS)},
            "suggestion": NULLABLE_STRING,
            "notice": {"type": ["string", "null"], "description": "t.ex. att frågan kortats, saknar sökbara ord eller har okända filter"},
            "results": {"type": "array", "items": ref("Hit"), "maxItems": MAX_PER_PAGE},
            "facets": {"type": "object", "description": "Fasetterna " + ", ".join(FACET_KEYS) + " (lan: län, malsattning: målsättning)",
                       "propertyNames": {"enum": list(FACET_KEYS)},
                       "additionalProperties": {"type": "array", "items": ref("FacetValue")}}}},
        "Suggestions": {"type": "object", "required": ["query", "suggestions"], "properties": {
            "query": {"type": "string", "maxLength": MAX_SUGGEST_CHARS}, "suggestions": STRINGS}},
    }


def _responses(ok: str, schema: dict[str, Any], *errors: int) -> dict[str, Any]:
    problem = {"description": "Fel (RFC 9457)", "content": json_content(ref("Problem"), "application/problem+json")}
    return {
        "200": {"description": ok, "headers": CACHING_HEADERS, "content": json_content(schema)},
        "304": {"description": "Oförändrat (If-None-Match)", "headers": CACHING_HEADERS},
        **{str(status): problem for status in errors},
        # What every operation can answer besides its own errors: another method, an over-long request line or head.
        "405": {"description": "Bara GET och HEAD (RFC 9457)", "content": problem["content"]},
        "414": {"description": f"Begäranraden är längre än {MAX_REQUEST_LINE_BYTES // 1024} KiB (RFC 9457)", "content": problem["content"]},
        "431": {"description": f"Rubrikerna är större än {MAX_REQUEST_HEAD_BYTES // 1024} KiB (RFC 9457)", "content": problem["content"]},
        "default": {"description": "Annat fel, t.ex. 404 för en okänd adress under /api/ (RFC 9457)", "content": problem["content"]},
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """OpenAPI 3.1 description of /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kunskapsbanken API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/search": {"get": {
                "summary": "Sök", "operationId": "search",
                "parameters": [
                    query_param("q", {"type": "string", "maxLength": MAX_REQUEST_QUERY_CHARS},
                                "Sökfrågan. Utan bokstav eller siffra räknas den som ingen fråga (allt material, med en notis)."),
                    query_param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Sidnummer."),
                    query_param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE},
                                "Träffar per sida."),
                    query_param("sort", {"type": "string", "enum": list(SORTS), "default": "relevans"}, "Ordning."),
                    *_facet_params(),
                ],
                "responses": _responses("Sökresultat", ref("SearchResponse"), 400, 503),
            }},
            "/api/v1/suggest": {"get": {
                "summary": "Förslag medan man skriver", "operationId": "suggest",
                "parameters": [query_param("q", {"type": "string", "maxLength": MAX_SUGGEST_CHARS},
                                           "Början av det som skrivs; längre än gränsen är ett fel, inte en tyst kortning.",
                                           required=True)],
                "responses": _responses("Förslag", ref("Suggestions"), 400, 503),
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "Den här beskrivningen", "operationId": "openapi",
                "responses": _responses("OpenAPI 3.1", {"type": "object", "required": ["openapi", "paths"]}),
            }},
        },
        "components": {"schemas": _schemas()},
    }
