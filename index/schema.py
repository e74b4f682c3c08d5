"""The Whoosh schema of the published index (field names are a contract with index/search.py)."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from index.analysis import folded_analyzer, swedish_analyzer

# Bump whenever fields change (forces a full rebuild).
SCHEMA_VERSION = "1"


def build_schema(decompound: bool = True) -> Schema:
    """The schema described in the index contract; ``decompound=False`` only for benchmarks."""
    swedish = swedish_analyzer(decompound=decompound)
    return Schema(
        url=ID(stored=True, unique=True),
        source=ID(stored=True),
        organisation=ID(stored=True, sortable=True),
        title=TEXT(analyzer=swedish, stored=True, field_boost=3.0),
        headings=TEXT(analyzer=swedish, field_boost=2.0),
        body=TEXT(analyzer=swedish, stored=True, chars=True, phrase=True),
        folded=TEXT(analyzer=folded_analyzer(decompound=decompound), stored=False, field_boost=0.5),
        delomrade=KEYWORD(commas=True, stored=True, scorable=False, lowercase=False),
        delomrade_scores=STORED(),
        explanation=STORED(),
        doc_type=ID(stored=True, sortable=True),
        malgrupp=KEYWORD(commas=True, stored=True),
        year=ID(stored=True, sortable=True),
        format=ID(stored=True, sortable=True),
        published=DATETIME(stored=True, sortable=True),
        first_seen=DATETIME(stored=True, sortable=True),
        dup_group=ID(stored=True),
        duplicates=STORED(),
        size=STORED(),
        page_count=STORED(),
        description=STORED(),
    )
