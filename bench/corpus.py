"""Load the regeringen.se corpus (../shared/corpora) straight into a Store, repeating it to reach N documents."""

from __future__ import annotations

import gzip
import json
import logging
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from kb.models import Document
from kb.store import Store

log = logging.getLogger(__name__)

DEFAULT_CORPUS = Path(
    os.environ.get("KB_BENCH_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpora" / "regeringen-sv.jsonl.gz")
)

# Categories become sources with plausible organisations so the facets have variety.
ORGANISATIONS = {
    "pressmeddelanden": "Regeringskansliet",
    "rattsliga-dokument": "Regeringskansliet, rättsliga dokument",
    "regeringsuppdrag": "Regeringskansliet, uppdrag",
    "artiklar": "Regeringskansliet",
    "tal": "Regeringskansliet, tal",
}


def read_corpus(path: Path = DEFAULT_CORPUS) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def documents(records: list[dict], n: int) -> Iterator[Document]:
    """N documents: the corpus in order, repeated with a suffix on the URL past its end."""
    for i in range(n):
        rec = records[i % len(records)]
        rnd = i // len(records)
        suffix = f"-{rnd}" if rnd else ""
        slug = rec["path"].rsplit(".", 1)[0]
        month = rec.get("month")
        published = date.fromisoformat(month + "-01") if month else None
        category = rec.get("category") or "ovrigt"
        yield Document(
            url=f"https://www.regeringen.se/{slug}{suffix}/",
            source=f"regeringen-{category}"[:60],
            organisation=ORGANISATIONS.get(category, "Regeringskansliet"),
            title=rec.get("title") or slug,
            text=rec.get("text") or "",
            format="html",
            published=published,
            size=len((rec.get("text") or "").encode()),
        )


def load_store(store: Store, n: int, path: Path = DEFAULT_CORPUS) -> int:
    """Fill ``store`` with n documents (idempotent: documents already there are unchanged)."""
    records = read_corpus(path)
    count = 0
    for doc in documents(records, n):
        store.put_document(doc)
        count += 1
    return count


def touch_share(store: Store, share: float, seed: int = 1) -> int:
    """Change the text of a share of the documents (for the incremental-update benchmark)."""
    import random

    rng = random.Random(seed)
    urls = sorted(store.document_urls())
    chosen = rng.sample(urls, max(1, int(len(urls) * share)))
    for url in chosen:
        doc = store.get_document(url)
        assert doc is not None
        doc.text += f"\n\nTillägg {rng.randint(0, 10**9)}: uppdaterad text om våld i nära relationer."
        doc.content_hash = ""
        doc.__post_init__()
        store.put_document(doc)
    return len(chosen)
