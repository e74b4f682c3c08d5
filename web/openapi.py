"""The OpenAPI 3.1 description of /api/v1 (limits taken from kb.searchmodel, so the document cannot drift)."""

from __future__ import annotations

from typing import Any

from kb.searchmodel import FACET_KEYS, MAX_FILTER_VALUES, MAX_PAGE, MAX_PER_PAGE, MAX_REQUEST_QUERY_CHARS, MAX_SUGGEST_CHARS, SORTS
from web.views import PER_PAGE

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
STRINGS = {"type": "array", "items": STRING}
NULLABLE_STRING = {"type": ["string", "null"]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def query_param(name: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, **extra}


def _facet_params() -> list[dict[str, Any]]:
    return [
        query_param(key, {"type": "array", "items": STRING, "maxItems": MAX_FILTER_VALUES}, required=False,
                    description=f"Filter på {key}; upprepa för flera värden (ELLER inom fasetten).", style="form", explode=True)
        for key in FACET_KEYS
    ]


def _schemas() -> dict[str, Any]:
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": STRING, "title": STRING, "status": INTEGER, "detail": STRING}},
        "FacetValue": {"type": "object", "properties": {
            "value": STRING, "label": STRING, "count": INTEGER, "selected": {"type": "boolean"}}},
        "Hit": {"type": "object", "properties": {
            "url": {"type": "string", "format": "uri"}, "title": STRING,
            "snippet": {"type": "string", "description": "HTML-säker text; träffar inom <mark>"},
            "organisation": STRING, "source": STRING,
            "delomraden": STRINGS, "doc_type": STRING,
            "published": {"type": ["string", "null"], "format": "date"}, "score": {"type": "number"},
            "format": {"type": "string", "enum": ["html", "pdf", "docx", "pptx"]},
            "malgrupp": STRINGS, "explanation": STRING,
            "duplicates": STRINGS}},
        "SearchResponse": {"type": "object", "required": ["query", "total", "page", "per_page", "results", "facets"], "properties": {
            "query": STRING, "total": INTEGER, "page": INTEGER,
            "per_page": INTEGER, "sort": {"type": "string", "enum": list(SORTS)},
            "suggestion": NULLABLE_STRING,
            "notice": NULLABLE_STRING,
            "results": {"type": "array", "items": ref("Hit")},
            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": ref("FacetValue")}}}},
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """OpenAPI 3.1 description of /api/v1."""
    problem = {"description": "Fel (RFC 9457)", "content": json_content(ref("Problem"), "application/problem+json")}
    suggestions = {"type": "object", "properties": {"query": STRING, "suggestions": STRINGS}, "required": ["query", "suggestions"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kunskapsbanken API", "version": "1.0.0",
                 "description": "Sök i kunskapsbanken om mäns våld mot kvinnor."},
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/search": {"get": {
                "summary": "Sök", "operationId": "search",
                "parameters": [
                    query_param("q", {"type": "string", "maxLength": MAX_REQUEST_QUERY_CHARS}),
                    query_param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
                    query_param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE}),
                    query_param("sort", {"type": "string", "enum": list(SORTS), "default": "relevans"}),
                    *_facet_params(),
                ],
                "responses": {
                    "200": {"description": "Sökresultat", "headers": {"ETag": {"schema": STRING}},
                            "content": json_content(ref("SearchResponse"))},
                    "304": {"description": "Oförändrat (If-None-Match)"},
                    "400": problem, "503": problem,
                },
            }},
            "/api/v1/suggest": {"get": {
                "summary": "Förslag medan man skriver", "operationId": "suggest",
                "parameters": [query_param("q", {"type": "string", "maxLength": MAX_SUGGEST_CHARS}, required=True)],
                "responses": {"200": {"description": "Förslag", "content": json_content(suggestions)}, "503": problem},
            }},
        },
        "components": {"schemas": _schemas()},
    }
