"""What cron and librarians get: exit codes derived from the stored report, the -q summary, a corrupt store, read-only access."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import cli
from kb.cli._common import update_lock, update_running
from kb.cli.outcome import EXIT_MEANINGS, quiet_summary, report_exit_code
from kb.models import CrawlReport, SourceReport
from kb.settings import Settings
from kb.store import Store

BROKEN_SOURCES = "sources:\n  - id: nck\n    delay: soon\n"


def run(settings: Settings, *argv: str) -> int:
    return cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *argv])


def _report(*reps: SourceReport) -> CrawlReport:
    return CrawlReport(run_id=7, sources={r.source: r for r in reps})


def test_informational_skips_exit_0_and_failures_exit_1() -> None:
    skipped_only = SourceReport("nck", fetched=5, skipped=2, skips=[("https://nck.uu.se/kort", "short_page", "9 ord")])
    off = SourceReport("av", status="skipped", notes=["källan är avstängd (enabled: false)"])
    assert report_exit_code(_report(skipped_only, off)) == 0
    assert quiet_summary(_report(skipped_only, off), 0) == []  # silence means all is well
    failing = SourceReport("bra", fetched=9, failed=2, status="partial",
                           failures=[("https://bra.se/a", "http_500", ""), ("https://bra.se/b", "timeout", "")])
    assert report_exit_code(_report(skipped_only, failing)) == 1
    lines = quiet_summary(_report(skipped_only, failing, off), 1)
    assert lines[0] == ("kb: bra: delvis, 2 misslyckade; 9 hämtade (nya 0, ändrade 0, borttagna 0): "
                        "1 × Serverfel hos webbplatsen (HTTP 500); 1 × Webbplatsen svarade inte i tid")
    assert len(lines) == 2 and lines[-1].startswith("kb: slutkod 1: ") and "kb report --run 7" in lines[-1]
    # many reasons would make the Swedish line run on: it keeps the codes, still one line per source
    many = SourceReport("bra", fetched=9, failed=5, status="partial", failures=[
        (f"https://bra.se/{code}", code, "") for code in ("http_500", "timeout", "robots_connection", "soft_404", "extract_trasig")])
    line = quiet_summary(_report(many), 1)[0]
    assert line.endswith(": extract_trasig 1; http_500 1; robots_connection 1; soft_404 1; timeout 1") and "\n" not in line


def test_all_unreachable_is_69_but_one_dead_source_among_live_ones_is_1() -> None:
    dead = SourceReport("borta", status="unreachable", failed=1, failures=[("http://127.0.0.1:9/", "connect_error", "refused")])
    assert report_exit_code(_report(dead)) == 69
    assert report_exit_code(_report(dead, SourceReport("nck", fetched=3, new=3))) == 1


def test_every_exit_code_has_a_meaning_and_is_in_the_readme() -> None:
    readme = (Path(cli.__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for code in (0, 1, 2, 65, 69, 70, 74, 75, 78):
        assert code in EXIT_MEANINGS
        assert f"| {code} |" in readme, code
    assert "65" in (cli.__doc__ or "") and "65" in (cli.build_parser().epilog or "")


@pytest.mark.parametrize(
    ("argv", "prepare", "code"),
    [
        (["search", "våld"], None, 1),  # no published index
        (["report"], None, 1),  # no store yet
        (["stats"], None, 1),
        (["update"], "broken_config", 78),
        (["update"], "lock", 75),
        (["report"], "corrupt", 65),
        (["stats"], "corrupt", 65),
        (["update"], "corrupt", 65),
        (["index"], "corrupt", 65),
    ],
)
def test_every_non_zero_exit_under_q_prints_a_line(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                   argv: list[str], prepare: str | None, code: int) -> None:
    settings.sources.write_text("sources: []\n" if prepare != "broken_config" else BROKEN_SOURCES, encoding="utf-8")
    if prepare == "corrupt":
        settings.data_dir.mkdir(parents=True)
        settings.store_path.write_bytes(os.urandom(64 * 1024))
    if prepare == "lock":
        with cli.update_lock(settings.lock_path):
            assert run(settings, "-q", *argv) == code
    else:
        assert run(settings, "-q", *argv) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip(), "a non-zero exit under -q must say something (cron mails only output)"
    assert "Traceback" not in err
    if prepare == "corrupt":
        assert err.count("\n") == 1 and "skadat" in err and "säkerhetskopian" in err and "kb update" in err


def test_a_truncated_store_is_corrupt_65_not_an_internal_error(settings: Settings, make_document,  # type: ignore[no-untyped-def]
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with Store(settings.store_path) as store:
        for i in range(400):
            store.put_document(make_document(url=f"https://www.example.se/sida-{i}", text="Våld i nära relationer. " * 200 + str(i)))
    size = settings.store_path.stat().st_size
    with open(settings.store_path, "r+b") as fh:  # keep the header, lose the second half of the pages
        fh.truncate(size // 2)
    assert run(settings, "-q", "stats") == 65
    err = capsys.readouterr().err
    assert "skadat" in err and err.count("\n") == 1


def test_stale_running_runs_are_marked_avbruten_by_the_next_locked_run(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(settings.store_path) as store:
        dead = store.start_run("crawl")  # its process was killed: never finished
    settings.sources.write_text("sources: []\n", encoding="utf-8")
    run(settings, "-q", "crawl")
    capsys.readouterr()
    with Store(settings.store_path, readonly=True) as store:
        runs = {r["id"]: r for r in store.list_runs()}
    assert runs[dead]["status"] == "avbruten" and runs[dead]["exit_code"] is None
    assert "kill -9" in runs[dead]["summary"]["obs"]
    assert run(settings, "report", "--list") == 0
    listed = capsys.readouterr().out
    assert "avbruten" in listed and "kill -9" in listed and "running" not in listed


def test_a_run_that_stopped_without_recording_it_reads_avbruten_until_the_next_run_marks_it(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    # a crawl stopped by a full disk that refused even its last row, or killed: the store says "running" …
    with Store(settings.store_path) as store:
        stopped = store.start_run("crawl")
    with update_lock(settings.lock_path):  # … and while a run holds the lock it is running
        assert run(settings, "report", "--list") == 0
        assert "running" in capsys.readouterr().out
    assert run(settings, "report", "--list") == 0  # nobody holds it: the run has stopped, whatever the row says
    listed = capsys.readouterr().out
    assert "avbruten" in listed and "running" not in listed and "full disk" in listed
    assert run(settings, "report") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Körning {stopped} (") and ": avbruten" in out.splitlines()[0] and "running" not in out
    assert "ingen kb-körning pågår nu" in out and "ingen källa hann bli klar" in out
    assert run(settings, "report", "--json") == 0
    assert '"status": "avbruten"' in capsys.readouterr().out
    with Store(settings.store_path, readonly=True) as store:  # readers never write: the next run marks it
        assert store.list_runs()[0]["status"] == "running"


def test_a_readers_look_at_the_lock_leaves_it_free(settings: Settings) -> None:
    assert update_running(settings.lock_path) is False  # no lock file: no run has ever held it
    with update_lock(settings.lock_path):
        assert update_running(settings.lock_path) is True
    assert update_running(settings.lock_path) is False
    with update_lock(settings.lock_path):  # the probe let go of its shared lock at once
        pass


@pytest.fixture
def nobody_copy(settings: Settings, make_document) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A copy of a data dir that only its owner (root) may write: directory 0555, database 0444."""
    if os.geteuid() != 0:
        pytest.skip("switching to another uid needs root")
    with Store(settings.store_path) as store:
        store.put_document(make_document())
        run_id = store.start_run("crawl")
        store.save_source_report(run_id, SourceReport("exempel", fetched=1, new=1))
        store.finish_run(run_id, "ok", 0)
    base = Path(tempfile.mkdtemp(prefix="kb-ro-"))  # pytest's tmp dirs are 0700: not reachable for another uid
    data = base / "data"
    data.mkdir()
    shutil.copy2(settings.store_path, data / "kb.sqlite3")  # a clean close left no -wal/-shm
    assert sorted(p.name for p in data.iterdir()) == ["kb.sqlite3"]
    os.chmod(data / "kb.sqlite3", 0o444)
    os.chmod(data, 0o555)
    os.chmod(base, 0o755)
    try:
        yield data
    finally:
        os.chmod(data, 0o755)
        shutil.rmtree(base)


def _as_nobody(argv: list[str]) -> tuple[int, str, str]:
    """Run cli.main in a forked child as uid/gid 65534 (the interpreter lives under /root, so no new process)."""
    import kb.cli.reporting
    import kb.report  # noqa: F401 — imported before the fork: the child may not read the stdlib under /root

    for mod in ("index.publish", "index.search", "kb.taxonomy"):
        __import__(mod)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover — the child
        code = 99
        try:
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            code = cli.main(argv)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    os.close(out_w)
    os.close(err_w)
    with open(out_r, encoding="utf-8") as o, open(err_r, encoding="utf-8") as e:
        out, err = o.read(), e.read()
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out, err


def test_report_and_stats_work_for_a_user_who_may_only_read(nobody_copy: Path) -> None:
    code, out, err = _as_nobody(["--data-dir", str(nobody_copy), "--sources", os.devnull, "-q", "index"])
    assert code == 74 and "I/O-fel" in err, (code, err)  # the copy really is read-only for that user: writing fails
    code, out, err = _as_nobody(["--data-dir", str(nobody_copy), "report"])
    assert code == 0, err
    assert "exempel: ok; nya 1" in out
    code, out, err = _as_nobody(["--data-dir", str(nobody_copy), "stats"])
    assert code == 0, err
    assert "Dokument i lagret: 1" in out
    assert sorted(p.name for p in nobody_copy.iterdir()) == ["kb.sqlite3"]  # nothing was written


def test_a_damaged_page_stops_the_nightly_run_before_it_writes(settings: Settings, make_document,  # type: ignore[no-untyped-def]
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with Store(settings.store_path) as store:
        for i in range(400):
            store.put_document(make_document(url=f"https://www.example.se/sida-{i}", text="Våld i nära relationer. " * 200 + str(i)))
    size = settings.store_path.stat().st_size
    with open(settings.store_path, "r+b") as fh:  # garbage over four pages of documents; the run tables still read fine
        fh.seek(size // 2 // 4096 * 4096)
        fh.write(os.urandom(4 * 4096))
    settings.sources.write_text("sources: []\n", encoding="utf-8")
    assert run(settings, "-q", "update") == 65  # without the quick_check: exit 1, "could not decode", a crawl run written
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "skadat" in err
    with Store(settings.store_path, readonly=True) as store:
        assert store.list_runs() == []  # nothing was written on top of the damage
    assert not (settings.index_root / "current").exists()


def test_report_on_a_damaged_store_exits_65_even_when_its_own_pages_read(settings: Settings, make_document,  # type: ignore[no-untyped-def]
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with Store(settings.store_path) as store:
        for i in range(400):
            store.put_document(make_document(url=f"https://www.example.se/sida-{i}", text="Våld i nära relationer. " * 200 + str(i)))
        run_id = store.start_run("crawl")
        store.save_source_report(run_id, SourceReport("exempel", new=400))
        store.finish_run(run_id, "ok", 0)
    size = settings.store_path.stat().st_size
    with open(settings.store_path, "r+b") as fh:  # garbage over four pages of documents; the run tables still read fine
        fh.seek(size // 2 // 4096 * 4096)
        fh.write(os.urandom(4 * 4096))
    with Store(settings.store_path, readonly=True) as store:
        assert store.run_report(run_id) is not None  # the report's own queries avoid the damage …
    for argv in (("report",), ("-q", "report"), ("report", "--list"), ("report", "--json"), ("-q", "stats")):
        assert run(settings, *argv) == 65, argv  # … and still it says what kb update would say
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, argv
        assert captured.err.startswith("kb: lagret är skadat och kan inte läsas") and "återställ kb.sqlite3" in captured.err


def test_verbose_shows_the_traceback_of_an_io_error_quiet_never(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.data_dir.mkdir(parents=True)
    settings.store_path.write_bytes(os.urandom(8192))
    assert run(settings, "-v", "report") == 65
    assert "Traceback" in capsys.readouterr().err
    assert run(settings, "report") == 65
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(("verbosity", "traceback_shown"), [(-1, False), (0, False), (1, True)])
def test_logged_exceptions_carry_their_traceback_only_with_v(capsys: pytest.CaptureFixture[str], verbosity: int,
                                                             traceback_shown: bool) -> None:
    import logging

    from kb.cli._common import _configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    _configure_logging(verbosity)
    try:
        raise OSError(28, "No space left on device")
    except OSError:
        logging.getLogger("crawler.test").exception("a source stopped")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    err = capsys.readouterr().err
    assert "a source stopped" in err
    assert ("Traceback" in err) is traceback_shown
    assert err.count("\n") == 1 or traceback_shown


def test_exit_code_for_a_damaged_store_is_65_wherever_it_surfaces() -> None:
    from kb.errors import StoreCorrupt, StoreError

    assert cli.exit_code_for(StoreCorrupt("store kb.sqlite3 is damaged")) == 65
    try:
        try:
            raise sqlite3.DatabaseError("database disk image is malformed")
        except Exception as inner:
            raise StoreError("store read failed") from inner
    except StoreError as wrapped:
        assert cli.exit_code_for(wrapped) == 65
    assert cli.exit_code_for(StoreError("store read failed: no such table: runs")) == 1


def test_a_source_with_failures_never_reads_ok_in_the_cron_line() -> None:
    """A known page's 404 leaves the source 'ok' in the report's status field; the cron line says 'fel'."""
    from kb.cli.outcome import source_line
    from kb.models import SourceReport

    rep = SourceReport(source="lst", fetched=0, failed=1, status="ok", failures=[("https://x.se/a", "http_404", "")])
    line = source_line(rep)
    assert line.startswith("kb: lst: fel, 1 misslyckade; 0 hämtade ") and " ok" not in line
    assert "Sidan finns inte (HTTP 404)" in line
