"""The 'before' of every ranking figure: plain Whoosh (Snowball Swedish stemming, stock query parser) over the same store."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

from whoosh import fields, index, qparser
from whoosh.analysis import LanguageAnalyzer

from kb.settings import Settings
from kb.store import Store


@dataclass(frozen=True)
class Baseline:
    """How a first version would search: title+body, Swedish Snowball stemmer, AND (or OR) of the words."""

    name: str
    group: type[qparser.syntax.GroupNode]


BASELINES = (Baseline("Whoosh + Snowball, AND", qparser.AndGroup), Baseline("Whoosh + Snowball, OR", qparser.OrGroup))


def baseline_rankings(settings: Settings, queries: list[str], limit: int = 20) -> dict[str, list[list[tuple[str, str]]]]:
    """For each baseline, the (url, source) ranking of every query, from a throwaway index of the store."""
    analyzer = LanguageAnalyzer("sv")
    schema = fields.Schema(
        url=fields.ID(stored=True, unique=True), source=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, field_boost=2.0), body=fields.TEXT(analyzer=analyzer),
    )
    out: dict[str, list[list[tuple[str, str]]]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-baseline-") as tmp, Store(settings.store_path) as store:
        ix = index.create_in(tmp, schema)
        with ix.writer() as writer:
            for doc in store.iter_documents():
                if doc.dup_of:
                    continue
                writer.add_document(url=doc.url, source=doc.source, title=doc.title, body=doc.text)
        with ix.searcher() as searcher:
            for b in BASELINES:
                parser = qparser.MultifieldParser(["title", "body"], schema, group=b.group)
                rankings = []
                for q in queries:
                    hits = searcher.search(parser.parse(q), limit=limit)
                    rankings.append([(h["url"], h["source"]) for h in hits])
                out[b.name] = rankings
        ix.close()
    return out
