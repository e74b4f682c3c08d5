"""Fetch one URL as the crawler would and describe what would be stored (`kb test-url`): no store, no index."""

from __future__ import annotations

from typing import Any

from kb.errors import ConfigError
from kb.settings import Settings


def test_url(settings: Settings, url: str, source_id: str | None = None) -> dict[str, Any]:
    """Fetch one URL as the crawler would and describe what would be stored (no store, no index)."""
    from crawler.extract import extract
    from crawler.fetch import Fetcher
    from crawler.policy import to_document
    from crawler.robots import RobotsCache
    from kb.classify import classify
    from kb.corrections import load_corrections
    from kb.errors import ExtractError, FetchError, Problem
    from kb.sources import load_sources
    from kb.taxonomy import load_taxonomy

    sources, _ = load_sources(settings.sources)
    if source_id is not None:
        source = next((s for s in sources if s.id == source_id), None)
        if source is None:
            raise ConfigError([Problem(str(settings.sources), None, "--source", source_id, "ingen källa har detta id")])
    else:
        source = next((s for s in sources if s.in_scope(url)), None)
    out: dict[str, Any] = {"url": url, "source": source.id if source else None, "would_store": False}
    if source is None:
        out["scope"] = "utanför alla källor: ingen källas allow-regel matchar (eller deny utesluter den)"
        return out
    in_scope, indexable = source.in_scope(url), source.indexable(url)
    out["scope"] = (
        "inom källan" if indexable else "följs för länkar men lagras inte (follow_only)" if in_scope else "utanför källan (allow/deny)"
    )
    allow_private = source.allow_private_network
    with Fetcher(settings) as fetcher:
        robots = RobotsCache(fetcher, settings).get(url, allow_private=allow_private)
        out["robots"] = "tillåten" if robots.allowed(url, settings.user_agent) else f"spärrad av robots.txt {robots.reason}".rstrip()
        if not in_scope or not robots.allowed(url, settings.user_agent):
            return out
        try:
            result = fetcher.fetch(
                url, allow_private=allow_private, raise_http=False,
                hop_check=lambda hop: None if source.in_scope(hop) else "out_of_scope",
            )
        except FetchError as exc:
            out["fetch_error"] = f"{exc.reason}: {exc.detail}".rstrip(": ")
            return out
    out.update(
        {"http_status": result.status, "final_url": result.final_url, "content_type": result.content_type, "bytes": len(result.body)}
    )
    if result.redirects:
        out["redirects"] = result.redirects
    if result.status != 200:
        return out
    try:
        ex = extract(
            result.body, result.final_url, result.content_type,
            content_selector=source.content_selector, drop_selectors=source.drop_selectors, timeout=settings.parse_timeout,
        )
    except ExtractError as exc:
        out["extract_error"] = str(exc)
        return out
    doc = to_document(ex, result.final_url, source, len(result.body))
    c = classify(doc, source, load_taxonomy(), load_corrections(settings.corrections))  # county and goals as `kb index` gives them
    links = display_links(link.url for link in ex.links)
    out.update(
        {
            "title": ex.title, "format": ex.format, "published": ex.published.isoformat() if ex.published else None,
            "modified": ex.modified.isoformat() if ex.modified else None, "language": ex.language,
            "page_count": ex.page_count, "description": ex.description, "headings": list(ex.headings)[:10],
            "text_chars": len(ex.text), "excerpt": " ".join(ex.text.split())[:500],
            "links": {"count": len(links), "first": links[:10]},
            "noindex": ex.robots_noindex, "soft_404": ex.soft_404, "canonical": ex.canonical,
            "doc_type": c.doc_type, "delomraden": list(c.delomraden), "scores": dict(c.scores),
            "reasons": {k: list(v) for k, v in c.reasons.items()}, "explanation": c.full_explanation(),
            "malgrupp": list(c.malgrupp), "year": c.year, "lan": list(c.lan), "malsattningar": list(c.malsattningar),
        }
    )
    out["would_store"] = indexable and not ex.robots_noindex and not ex.soft_404 and bool(ex.text.strip())
    return out


def display_links(urls: Any) -> list[str]:
    """Links as a librarian wants to read them: without #fragment, each once, in page order."""
    from urllib.parse import urldefrag

    return list(dict.fromkeys(urldefrag(u).url for u in urls if urldefrag(u).url))
