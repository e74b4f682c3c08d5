"""`kb restore FILE`: a backup back in place (the replaced store kept aside) and the index rebuilt from it in full."""

from __future__ import annotations

from pathlib import Path

import pytest
from _deploy import add_documents, build_index, data_settings

from index.publish import current_generation, read_generation_info
from kb import cli
from kb.settings import Settings
from kb.store import Store


def kb(settings: Settings, *argv: str) -> int:
    return cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *argv])


def _index_info(settings: Settings) -> dict[str, object]:
    gen = current_generation(settings.index_root)
    assert gen is not None
    return read_generation_info(gen)


def test_restore_puts_the_backup_back_and_rebuilds_the_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 10)
    build_index(settings)
    backup = tmp_path / "kopia.sqlite3"
    assert kb(settings, "-q", "backup", str(backup)) == 0
    add_documents(settings, 10, 5)  # the store moves on after the backup …
    build_index(settings)
    assert _index_info(settings)["doc_count"] == 15
    capsys.readouterr()

    assert kb(settings, "restore", str(backup)) == 0  # … and is then restored to the backup
    out = capsys.readouterr().out
    assert f"Återställt {settings.store_path} från {backup} (10 dokument" in out and "Det tidigare lagret ligger kvar som" in out
    with Store(settings.store_path, readonly=True) as store:
        assert store.count_documents() == 10
    info = _index_info(settings)
    assert info["mode"] == "full" and info["doc_count"] == 10  # the five newer documents are out of the index too
    (aside,) = settings.data_dir.glob("kb.sqlite3.ersatt-*")
    with Store(aside, readonly=True) as old:
        assert old.count_documents() == 15
    # the nightly job carries on from the restored store: the next incremental index counts right
    add_documents(settings, 100, 3)
    build_index(settings)
    assert _index_info(settings)["mode"] == "incremental" and _index_info(settings)["doc_count"] == 13


def test_restore_refuses_what_is_not_a_backup_and_leaves_the_store_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 2)
    before = settings.store_path.read_bytes()
    assert kb(settings, "restore", str(tmp_path / "saknas.sqlite3")) == 1
    assert "säkerhetskopian finns inte" in capsys.readouterr().err
    junk = tmp_path / "skräp.sqlite3"
    junk.write_bytes(b"inte en databas" * 100)
    assert kb(settings, "restore", str(junk)) == 65
    assert "ingen läsbar säkerhetskopia" in capsys.readouterr().err
    assert settings.store_path.read_bytes() == before and not list(settings.data_dir.glob("kb.sqlite3.ersatt-*"))


def test_backup_into_a_directory_that_does_not_exist_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "kb backup /srv/kb/backup/" before anyone made the directory: no file called "backup" that every night overwrites
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 2)
    missing = tmp_path / "backup"
    assert kb(settings, "-q", "backup", f"{missing}/") == 74
    assert f"katalogen för säkerhetskopior {missing} finns inte; skapa den först" in capsys.readouterr().err
    assert not missing.exists()
    missing.mkdir()
    assert kb(settings, "-q", "backup", f"{missing}/") == 0
    (copy,) = missing.glob("kb-*.sqlite3")
    with Store(copy, readonly=True) as store:
        assert store.count_documents() == 2


def test_backup_to_a_file_in_a_missing_directory_says_in_swedish_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the I/O class of the exit-code table (74), one Swedish line naming the directory and the fix, nothing else under -q
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 2)
    missing = tmp_path / "saknas"
    assert kb(settings, "-q", "backup", str(missing / "kb.sqlite3")) == 74
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"kb: säkerhetskopian kan inte skrivas: katalogen för säkerhetskopior {missing} finns inte; "
        f"skapa den först (mkdir -p {missing}) eller ange en annan; lagret är orört"
    ]
    assert not missing.exists()
    not_a_dir = tmp_path / "fil"
    not_a_dir.write_text("x")
    assert kb(settings, "-q", "backup", str(not_a_dir / "kb.sqlite3")) == 74
    assert f"{not_a_dir} är ingen katalog" in capsys.readouterr().err
    missing.mkdir()
    assert kb(settings, "-q", "backup", str(missing / "kb.sqlite3")) == 0
    with Store(missing / "kb.sqlite3", readonly=True) as store:
        assert store.count_documents() == 2


def test_restore_publishes_an_index_far_smaller_than_the_one_it_replaces(tmp_path: Path) -> None:
    # the shrink guard of the nightly job (publish_min_share) must not keep the old, larger index after a restore
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 2)
    backup = tmp_path / "liten.sqlite3"
    assert kb(settings, "-q", "backup", str(backup)) == 0
    add_documents(settings, 2, 18)
    build_index(settings)
    assert _index_info(settings)["doc_count"] == 20
    assert kb(settings, "-q", "restore", str(backup)) == 0
    assert _index_info(settings)["doc_count"] == 2
    # the guard still holds for the nightly job afterwards
    assert settings.publish_min_share == 0.5


def test_restore_outside_the_working_directory_warns_in_swedish_what_it_costs_and_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # run by hand from another directory than the service's WorkingDirectory: sources.yaml is not found
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 2)
    backup = tmp_path / "kopia.sqlite3"
    assert kb(settings, "-q", "backup", str(backup)) == 0
    capsys.readouterr()
    assert kb(settings, "restore", str(backup)) == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "sources.yaml" in line]
    assert f"{settings.sources} kunde inte läsas" in warning
    assert "hela indexet byggs utan källornas inställningar" in warning and "tjänstens WorkingDirectory" in warning
    assert "could not" not in warning and "classified" not in warning
