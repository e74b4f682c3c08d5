"""The SQLite store: documents, change log, fetch state, run reports and pruning."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.errors import StoreError
from kb.models import Document, FetchState, SourceReport
from kb.settings import Settings
from kb.store import Store


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store(settings.store_path)
    yield s
    s.close()


def test_put_document_reports_new_changed_unchanged(store: Store, make_document: Callable[..., Document]) -> None:
    doc = make_document()
    assert store.put_document(doc) == "new"
    assert store.put_document(make_document()) == "unchanged"
    assert store.put_document(make_document(text=doc.text + "  \n")) == "unchanged"  # whitespace is not a change
    assert store.put_document(make_document(text="Ny text om skyddat boende.")) == "changed"
    got = store.get_document(doc.url)
    assert got is not None and got.text == "Ny text om skyddat boende." and got.published == doc.published
    assert store.count_documents() == 1


def test_round_trip_keeps_swedish_text_and_lists(store: Store, make_document: Callable[..., Document]) -> None:
    doc = make_document(headings=["Åtgärder för våldsutsatta", "Stöd"], locations=["https://a.se/x"], extra={"lang": "sv"})
    store.put_document(doc)
    got = store.get_document(doc.url)
    assert got is not None
    assert got.headings == doc.headings and got.locations == doc.locations and got.extra == {"lang": "sv"}
    assert got.title == "Våld i nära relationer"


def test_changes_since_collapses_upserts_and_deletes(store: Store, make_document: Callable[..., Document]) -> None:
    start = store.last_change_seq()
    store.put_document(make_document(url="https://a.se/1"))
    store.put_document(make_document(url="https://a.se/2"))
    store.delete_document("https://a.se/1")
    upserts, deletes, newest = store.changes_since(start)
    assert upserts == {"https://a.se/2"} and deletes == {"https://a.se/1"} and newest == store.last_change_seq()
    assert store.changes_since(newest)[:2] == (set(), set())
    assert store.delete_document("https://a.se/missing") is False


def test_iter_documents_in_batches_and_by_source(store: Store, make_document: Callable[..., Document]) -> None:
    for i in range(7):
        store.put_document(make_document(url=f"https://a.se/{i}", source="a" if i % 2 else "b", title=f"T{i}"))
    assert [d.url for d in store.iter_documents(batch=2)] == [f"https://a.se/{i}" for i in range(7)]
    assert {d.source for d in store.iter_documents(source="a", batch=2)} == {"a"}
    assert store.counts_by("source") == {"b": 4, "a": 3}
    with pytest.raises(ValueError):
        store.counts_by("text; DROP TABLE documents")


def test_fetch_state_round_trip(store: Store) -> None:
    now = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)
    state = FetchState("https://a.se/x", "a", status="ok", http_status=200, etag='"abc"', last_modified="Sat, 01 Mar 2025 02:00:00 GMT",
                       content_hash="h", first_seen=now, last_fetched=now, failures=0)
    store.put_state(state)
    assert store.get_state("https://a.se/x") == state
    assert store.get_state("https://a.se/missing") is None
    assert [s.url for s in store.iter_states("a")] == ["https://a.se/x"]


def test_run_report_round_trip_and_prune(store: Store) -> None:
    ids = []
    for n in range(5):
        run_id = store.start_run("crawl")
        store.save_source_report(run_id, SourceReport("a", fetched=n, failed=1, failures=[(f"https://a.se/{n}", "http_404", "")]))
        store.finish_run(run_id, "partial", 1, {"n": n})
        ids.append(run_id)
    report = store.run_report(ids[-1])
    assert report is not None and report.sources["a"].fetched == 4
    assert report.sources["a"].failures == [("https://a.se/4", "http_404", "")]
    assert store.list_runs()[0]["summary"] == {"n": 4} and store.list_runs()[0]["exit_code"] == 1
    store.prune_runs(2)
    assert [r["id"] for r in store.list_runs()] == ids[-2:][::-1]
    assert store.run_report(ids[0]) is None
    assert [h["run_id"] for h in store.source_history("a")] == ids[-2:][::-1]


def test_unwritable_store_is_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "file"
    bad.write_text("x")
    with pytest.raises(StoreError, match="cannot open store"):
        Store(bad / "kb.sqlite3")


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(path)


def test_failed_transaction_rolls_back(store: Store, make_document: Callable[..., Document]) -> None:
    store.put_document(make_document())
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as db:
            db.execute("DELETE FROM documents")
            db.execute("INSERT INTO runs(id, kind, started) VALUES (NULL, NULL, NULL)")
    assert store.count_documents() == 1
