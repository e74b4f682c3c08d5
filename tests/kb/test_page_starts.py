"""Page starts in the store: written and read back, filled in for an unchanged text, migration 3 on an older store."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from kb.models import Document, FetchState
from kb.store import Store

V1 = Path(__file__).parent / "data" / "store-v1.sqlite3"


def _pdf(**overrides: object) -> Document:
    fields: dict[str, object] = {"url": "https://alfa.example/rapport.pdf", "source": "alfa", "organisation": "Alfa",
                                 "title": "Rapport", "text": "Sida ett.\n\nSida två.", "format": "pdf", "page_count": 2}
    fields.update(overrides)
    return Document(**fields)  # type: ignore[arg-type]


def test_page_starts_round_trip(tmp_path: Path) -> None:
    with Store(tmp_path / "kb.sqlite3") as store:
        assert store.put_document(_pdf(page_starts=[0, 11])) == "new"
        doc = store.get_document("https://alfa.example/rapport.pdf")
        assert doc is not None and doc.page_starts == [0, 11]
        assert store.put_document(_pdf(url="https://alfa.example/sida", format="html")) == "new"
        assert store.get_document("https://alfa.example/sida").page_starts == []  # type: ignore[union-attr]


def test_an_unchanged_text_gains_its_page_starts_and_is_indexed_again(tmp_path: Path) -> None:
    with Store(tmp_path / "kb.sqlite3") as store:
        store.put_document(_pdf())
        seq = store.last_change_seq()
        assert store.put_document(_pdf(page_starts=[0, 11])) == "unchanged"
        assert store.get_document("https://alfa.example/rapport.pdf").page_starts == [0, 11]  # type: ignore[union-attr]
        assert store.changes_since(seq)[0] == {"https://alfa.example/rapport.pdf"}
        seq = store.last_change_seq()
        assert store.put_document(_pdf(page_starts=[0, 11])) == "unchanged"
        assert store.put_document(_pdf()) == "unchanged"  # a refresh without page starts keeps the stored ones
        assert store.get_document("https://alfa.example/rapport.pdf").page_starts == [0, 11]  # type: ignore[union-attr]
        assert store.last_change_seq() == seq


def test_migration_3_adds_the_column_and_asks_for_stored_pdfs_in_full(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    shutil.copyfile(V1, path)
    with sqlite3.connect(path) as db:  # a version-1 store with a PDF the crawler fetched with validators
        db.execute("INSERT INTO fetch_state (url, source, status, etag, last_modified, last_fetched) "
                   "VALUES ('https://beta.example/a', 'beta', 'ok', '\"p1\"', 'Mon, 01 Jan 2024 00:00:00 GMT', '2024-01-02T00:00:00')")
    db.close()
    with Store(path) as store:
        assert 3 in store.migrated
        pdf = store.get_state("https://beta.example/a")
        assert pdf is not None and (pdf.etag, pdf.last_modified, pdf.last_fetched) == (None, None, None)
        html = store.get_state("https://alfa.example/dok/0")
        assert html is not None and html.etag == '"e0"'  # web pages keep their validators
        assert store.get_document("https://beta.example/a").page_starts == []  # type: ignore[union-attr]
        store.put_state(FetchState(url="https://beta.example/a", source="beta", status="ok", etag='"p2"'))
    with Store(path) as store:  # opening again changes nothing
        assert store.migrated == [] and store.get_state("https://beta.example/a").etag == '"p2"'  # type: ignore[union-attr]
