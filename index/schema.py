"""The Whoosh schema of the published index (field names are a contract with index/search.py)."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from index.analysis import folded_analyzer, swedish_analyzer

# Bump whenever fields change (forces a full rebuild).
# 2: body without character offsets, folded without positions, dscores column, url/dup_group columns.
# 3: lan and malsattning facets, superseded flag, newer_version and versions (issue 14).
# 4: last_changed (when kb last saw the text change; the feed's order and entry times).
# 5: page_starts (offsets of PDF pages / slides in body: a hit names its page).
SCHEMA_VERSION = "5"

# Fields with a column (sortable=True): readable per document without unpickling stored fields.
COLUMN_FIELDS = ("url", "organisation", "doc_type", "year", "format", "published", "first_seen", "last_changed", "dup_group", "dscores")


def format_dscores(scores: dict[str, float]) -> str:
    """Sub-area scores as the compact column string "slug=0.83;slug2=0.4" (highest score first)."""
    ranked = sorted(scores.items(), key=lambda kv: (-float(kv[1]), kv[0]))
    return ";".join(f"{slug}={float(score):.4g}" for slug, score in ranked)


def parse_dscores(value: str | bytes | None) -> dict[str, float]:
    """Inverse of ``format_dscores`` (tolerates b"" and None from a column reader)."""
    if not value:
        return {}
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    out: dict[str, float] = {}
    for item in value.split(";"):
        slug, sep, score = item.partition("=")
        if sep:
            try:
                out[slug] = float(score)
            except ValueError:
                continue
    return out


def build_schema(decompound: bool = True) -> Schema:
    """The schema described in the index contract; ``decompound=False`` only for benchmarks.

    Highlighting works on the stored body text, so ``body`` keeps positions (phrases) but no
    character offsets; ``folded`` is a fallback scored as a bag of words (no positions: index/query.py
    then matches its tokens with And instead of a phrase).
    """
    swedish = swedish_analyzer(decompound=decompound)
    return Schema(
        url=ID(stored=True, unique=True, sortable=True),
        source=ID(stored=True),
        organisation=ID(stored=True, sortable=True),
        title=TEXT(analyzer=swedish, stored=True, field_boost=3.0),
        headings=TEXT(analyzer=swedish, field_boost=2.0),
        body=TEXT(analyzer=swedish, stored=True, phrase=True),
        folded=TEXT(analyzer=folded_analyzer(decompound=decompound), stored=False, phrase=False, field_boost=0.5),
        delomrade=KEYWORD(commas=True, stored=True, scorable=False, lowercase=False),
        delomrade_scores=STORED(),
        dscores=ID(stored=False, sortable=True),
        explanation=STORED(),
        doc_type=ID(stored=True, sortable=True),
        malgrupp=KEYWORD(commas=True, stored=True),
        lan=KEYWORD(commas=True, stored=True, scorable=False, lowercase=False),
        malsattning=KEYWORD(commas=True, stored=True, scorable=False, lowercase=False),
        superseded=ID(stored=False),  # "ja" on a version that a newer one replaces (ranked lower)
        newer_version=STORED(),  # {"url", "title"} of the newest version
        versions=STORED(),  # [{"url", "title"}] every version of the work, newest first
        year=ID(stored=True, sortable=True),
        format=ID(stored=True, sortable=True),
        published=DATETIME(stored=True, sortable=True),
        first_seen=DATETIME(stored=True, sortable=True),
        last_changed=DATETIME(stored=True, sortable=True),
        dup_group=ID(stored=True, sortable=True),
        duplicates=STORED(),
        size=STORED(),
        page_count=STORED(),
        page_starts=STORED(),  # [offset in body where page/slide N+1 begins]; absent for web pages
        description=STORED(),
    )
