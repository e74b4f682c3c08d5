"""The checks a new generation must pass before it is published: readable, not shrunk, canary queries answered."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import And, Or, Query, Term

from index.analysis import folded_analyzer, swedish_analyzer
from kb.errors import PublishCheckFailed
from kb.settings import Settings

log = logging.getLogger(__name__)


def canary_query(schema: Any, text: str) -> Query:
    """Every analyzed term of ``text`` in title, body or the folded field (trusted settings input only)."""
    per_field: list[Query] = []
    for field, analyzer in (("title", swedish_analyzer()), ("body", swedish_analyzer()), ("folded", folded_analyzer())):
        if field not in schema:
            continue
        terms = [Term(field, t.text) for t in analyzer(text, mode="query")]
        if terms:
            per_field.append(And(terms) if len(terms) > 1 else terms[0])
    return Or(per_field)


def _canary_hits(gen: Path, queries: tuple[str, ...]) -> dict[str, int]:
    ix = whoosh_index.open_dir(str(gen))
    try:
        with ix.searcher() as searcher:
            return {q: len(searcher.search(canary_query(ix.schema, q), limit=1)) for q in queries}
    finally:
        ix.close()


def check_generation(gen: Path, settings: Settings, prev: Path | None, prev_info: dict[str, Any]) -> int:
    """Sanity checks before publishing; returns the doc count or raises PublishCheckFailed."""
    try:
        ix = whoosh_index.open_dir(str(gen))
        try:
            with ix.searcher() as searcher:
                doc_count = int(searcher.doc_count())
                if doc_count:
                    next(iter(searcher.all_stored_fields()))
        finally:
            ix.close()
    except Exception as exc:  # any failure to open or read means: do not publish
        raise PublishCheckFailed(f"det nya indexet går inte att läsa (the new index cannot be read): {exc}") from exc
    prev_count = int(prev_info.get("doc_count", 0) or 0)
    if prev is not None and prev_count > 0 and doc_count < settings.publish_min_share * prev_count:
        raise PublishCheckFailed(
            f"det nya indexet har {doc_count} dokument mot {prev_count} i det publicerade "
            f"(under {settings.publish_min_share:.0%}; the new index is too small)"
        )
    if settings.canary_queries and prev is not None:
        try:
            before = _canary_hits(prev, settings.canary_queries)
        except Exception as exc:  # the old index may be damaged: then it cannot vouch for anything
            log.warning("could not run canary queries on the published index %s: %s", prev, exc)
            before = {}
        after = _canary_hits(gen, tuple(q for q, n in before.items() if n))
        lost = [q for q, n in after.items() if n == 0]
        if lost:
            raise PublishCheckFailed(
                "kontrollsökningar utan träffar i det nya indexet (canary queries lost their hits): " + ", ".join(lost)
            )
    return doc_count
