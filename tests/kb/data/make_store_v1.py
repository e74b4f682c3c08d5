"""Rebuilds store-v1.sqlite3: a version-1 store as kb wrote it before migrations existed (run with the old kb on sys.path).

Made with ``git archive 7ce097c^ kb | tar -x -C /tmp/kbv1`` and ``PYTHONPATH=/tmp/kbv1 python make_store_v1.py OUT``:
the schema before ``fetch_state.last_night`` and ``page_links`` were added.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

from kb.models import Document, FetchState, SourceReport
from kb.store import Store


def build(out: Path) -> None:
    out.unlink(missing_ok=True)
    at = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    with Store(out) as store:
        run = store.start_run("crawl")
        for i in range(3):
            url = f"https://alfa.example/dok/{i}"
            store.put_document(
                Document(url=url, source="alfa", organisation="Alfa-myndigheten", title=f"Våld i nära relationer {i}",
                         text=f"Mäns våld mot kvinnor, dokument {i}. Kvinnofrid och skydd.", headings=["Inledning"],
                         published=date(2024, 1, i + 1), extra={"doc_type": "rapport"}),
                now=at,
            )
            store.put_state(FetchState(url=url, source="alfa", status="ok", http_status=200, etag=f'"e{i}"',
                                       first_seen=at, last_fetched=at, last_changed=at))
        store.put_document(Document(url="https://beta.example/a", source="beta", organisation="Beta", title="Hedersrelaterat våld",
                                    text="Stöd till utsatta.", format="pdf", page_count=4), now=at)
        store.put_state(FetchState(url="https://beta.example/trasig", source="beta", status="error", http_status=500,
                                   failures=2, reason="http_500"))
        store.save_source_report(run, SourceReport(source="alfa", fetched=3, new=3, seconds=1.5))
        store.save_source_report(run, SourceReport(source="beta", fetched=2, new=1, failed=1, status="partial",
                                                   failures=[("https://beta.example/trasig", "http_500", "Server Error")]))
        store.finish_run(run, "partial", 1, {"dokument": 4})
        index_run = store.start_run("index")
        store.finish_run(index_run, "ok", 0, {"seconds": 0.4})
        store.set_meta("index_seq", "4")
    for suffix in ("-wal", "-shm"):
        Path(str(out) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
