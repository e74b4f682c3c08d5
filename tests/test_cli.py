"""The `kb` command without the network: check, report, stats, exit codes and output discipline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb import cli
from kb.models import SourceReport
from kb.settings import Settings
from kb.store import Store

GOOD = """sources:
  - id: nck
    name: NCK
    organisation: Nationellt centrum för kvinnofrid
    start_urls: [https://nck.uu.se/]
    delay: 2
"""


def run(settings: Settings, *argv: str) -> int:
    return cli.main(["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *argv])


def test_check_ok_prints_summary_and_exits_0(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(GOOD, encoding="utf-8")
    assert run(settings, "check") == 0
    out, err = capsys.readouterr()
    assert "1 källa, inga fel" in out and err == ""


def test_check_quiet_is_silent(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(GOOD, encoding="utf-8")
    assert run(settings, "-q", "check") == 0
    assert capsys.readouterr() == ("", "")


def test_check_prints_warnings_with_lines(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(GOOD.replace("delay: 2", "delay: 0"), encoding="utf-8")
    assert run(settings, "check") == 0
    out = capsys.readouterr().out
    assert f"{settings.sources}:6: varning: sources[0] (nck).delay = 0.0:" in out
    assert "1 varning" in out and "1 varningar" not in out


def test_missing_sources_file_is_config_error_78(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, "check") == 78
    out, err = capsys.readouterr()
    assert out == ""
    assert "filen finns inte" in err and "1 fel i konfigurationen" in err


def test_update_with_broken_config_exits_78_before_touching_anything(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(GOOD.replace("delay: 2", "delay: soon"), encoding="utf-8")
    assert run(settings, "-q", "update") == 78
    assert "förväntade ett antal sekunder" in capsys.readouterr().err
    assert not (settings.index_root / "current").exists()


def test_lock_held_gives_75(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(GOOD, encoding="utf-8")
    with cli.update_lock(settings.lock_path):
        for command in ("update", "crawl", "index"):
            assert run(settings, "-q", command) == 75
    assert "en annan kb-körning håller låset" in capsys.readouterr().err
    # released: the lock can be taken again
    with cli.update_lock(settings.lock_path):
        pass


def test_bad_filter_is_usage_error(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, "search", "våld", "--filter", "colour=red") == 2
    assert "förväntade NYCKEL=VÄRDE" in capsys.readouterr().err


def _store_with_runs(settings: Settings) -> tuple[int, int]:
    with Store(settings.store_path) as store:
        first = store.start_run("crawl")
        store.save_source_report(first, SourceReport("nck", fetched=3, new=3))
        store.finish_run(first, "ok", 0)
        second = store.start_run("crawl")
        store.save_source_report(
            second,
            SourceReport(
                "nck", fetched=5, new=1, changed=2, unchanged=1, removed=1, failed=3, status="partial",
                failures=[("https://nck.uu.se/a", "http_404", ""), ("https://nck.uu.se/b", "http_404", ""),
                          ("https://nck.uu.se/c.pdf", "krypterad", "lösenordsskyddad PDF")],
            ),
        )
        store.save_source_report(second, SourceReport("bra", fetched=2, unchanged=2))
        store.finish_run(second, "partial", 1, {"index": "gen-x: 40 dokument"})
        idx = store.start_run("index")
        store.finish_run(idx, "ok", 0)
    return first, second


def test_report_shows_newest_crawl_digest(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    _first, second = _store_with_runs(settings)
    assert run(settings, "report") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Körning {second} (")
    assert ": partial, slutkod 1" in out.splitlines()[0]
    assert "  nck: partial; nya 1, ändrade 2, borttagna 1, oförändrade 1, misslyckade 3" in out
    # each reason in Swedish ("what happened – what to do"), its code kept in brackets for support
    assert "    Sidan finns inte (HTTP 404) – länken är trasig" in out
    assert " [http_404]: 2\n      https://nck.uu.se/a\n      https://nck.uu.se/b\n" in out
    assert "    Filen är lösenordsskyddad eller krypterad – " in out
    assert " [krypterad]: 1\n      https://nck.uu.se/c.pdf lösenordsskyddad PDF\n" in out
    assert "  bra: ok; nya 0, ändrade 0, borttagna 0, oförändrade 2" in out
    assert "  index: gen-x: 40 dokument" in out


def test_report_json_and_run_selection(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _store_with_runs(settings)
    assert run(settings, "report", "--run", str(first), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == first and data["sources"]["nck"]["new"] == 3 and data["exit_code"] == 0
    assert run(settings, "report", "--run", str(second), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sources"]["nck"]["failed_by_reason"]["http_404"]["count"] == 2  # JSON stays keyed by the code
    assert data["sources"]["nck"]["failed_by_reason"]["http_404"]["label"].startswith("Sidan finns inte (HTTP 404)")
    assert data["totals"] == {"new": 1, "changed": 2, "removed": 1, "unchanged": 3, "failed": 3}
    assert run(settings, "report", "--run", "999") == 2
    assert "ingen körning 999" in capsys.readouterr().err


def test_report_list(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    _store_with_runs(settings)
    assert run(settings, "report", "--list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "index" in lines[0] and "slutkod 1" in lines[1]


def test_report_without_store(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, "report") == 1
    assert "inga körningar ännu" in capsys.readouterr().err
    assert not settings.store_path.exists()


def test_stats_without_index_counts_the_store(settings: Settings, capsys: pytest.CaptureFixture[str], make_document) -> None:  # type: ignore[no-untyped-def]
    with Store(settings.store_path) as store:
        store.put_document(make_document())
        store.put_document(make_document(url="https://bra.se/x.pdf", source="bra", organisation="Brå", format="pdf"))
    assert run(settings, "stats", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == 2 and data["index"] is None
    assert data["counts"]["source"] == {"exempel": 1, "bra": 1} or data["counts"]["source"] == {"bra": 1, "exempel": 1}
    assert data["counts"]["format"]["pdf"] == 1
    assert run(settings, "stats") == 0
    out = capsys.readouterr().out
    assert "Dokument i lagret: 2" in out and "inget ännu" in out and "Dokument per källa:" in out
    # human output shows the Swedish labels; JSON keeps the slugs
    per_format = out.split("Dokument per format:")[1]
    assert "PDF" in per_format and "Webbsida" in per_format and "html" not in per_format


def test_exit_code_for_maps_errors() -> None:
    import errno

    from kb.errors import ConfigError, IndexBuildError, LockHeld, PublishCheckFailed, StoreError

    assert cli.exit_code_for(ConfigError([])) == 78
    assert cli.exit_code_for(LockHeld("x")) == 75
    assert cli.exit_code_for(PublishCheckFailed("small")) == 1
    assert cli.exit_code_for(OSError(errno.ENOSPC, "No space left on device")) == 74
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise IndexBuildError("commit failed") from exc
    except IndexBuildError as wrapped:
        assert cli.exit_code_for(wrapped) == 74
    assert cli.exit_code_for(StoreError("store write failed: database or disk is full")) == 74
    assert cli.exit_code_for(IndexBuildError("no documents")) == 1


def test_generated_tables_cover_every_key_and_setting() -> None:
    from kb.report import settings_table_markdown, sources_table_markdown
    from kb.settings import setting_help
    from kb.sources import SOURCE_KEYS

    table = sources_table_markdown()
    for key in SOURCE_KEYS:
        assert f"| `{key}` |" in table
    table = settings_table_markdown()
    for name, env, _default, _help in setting_help():
        assert f"| `{name}` | `{env}` |" in table


def test_readme_has_the_generated_tables() -> None:
    from kb.report import settings_table_markdown, sources_table_markdown

    doc = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert sources_table_markdown() in doc, "README.md is stale: run python -m kb.report --write-docs"
    assert settings_table_markdown() in doc, "README.md is stale: run python -m kb.report --write-docs"


def test_repository_sources_yaml_passes_kb_check(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).resolve().parents[1] / "sources.yaml"
    assert cli.main(["--sources", str(path), "check"]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("källor, inga fel")


def test_unexpected_exception_is_one_swedish_line_and_exit_70(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: object, settings: Settings) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "cmd_check", broken)
    assert run(settings, "check") == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internt fel" in err and "ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err
    assert run(settings, "-v", "check") == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "internt fel" in err.splitlines()[-1]


def test_exit_code_70_for_a_bug_is_documented() -> None:
    assert cli.exit_code_for(RuntimeError("bug")) == 70
    assert "70 internal error" in (cli.__doc__ or "")
    assert "70 internt fel" in cli.build_parser().epilog  # the help is Swedish


def test_bad_settings_exit_78_naming_the_variable(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings.sources.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("KB_MIN_KEEP_SHARE", "5")
    assert run(settings, "check") == 78
    err = capsys.readouterr().err
    assert "miljövariabel: fel: KB_MIN_KEEP_SHARE = '5': förväntade ett tal från 0 till 1" in err


def test_check_reports_a_malformed_url_instead_of_crashing(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(GOOD.replace("[https://nck.uu.se/]", "['http://[::1']"), encoding="utf-8")
    assert run(settings, "check") == 78
    err = capsys.readouterr().err
    assert f"{settings.sources}:5: fel: sources[0] (nck).start_urls = 'http://[::1': ogiltig URL" in err


def test_search_without_an_index_says_so_on_stderr_and_exits_1(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from index.search import NOTICE_UNAVAILABLE

    assert run(settings, "search", "våld") == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"kb search: {NOTICE_UNAVAILABLE}\n"


def test_quiet_exit_1_of_a_reader_says_what_it_means_not_the_crawls_meaning(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kb -q search` without an index (or report/stats without a store) never claims sources failed and an index was published."""
    assert run(settings, "-q", "search", "våld") == 1
    assert capsys.readouterr().err.splitlines()[-1] == "kb: slutkod 1: inget sökindex är publicerat ännu; kör kb update"
    for command in ("report", "stats"):
        assert run(settings, "-q", command) == 1
        assert capsys.readouterr().err.splitlines()[-1] == "kb: slutkod 1: det finns inget lager ännu; kör kb update"


def test_serve_base_url_follows_the_port_unless_set() -> None:
    base = Settings()
    assert cli.serve_settings(base, "127.0.0.1", 8123, env={}).base_url == "http://127.0.0.1:8123"
    assert cli.serve_settings(base, "::1", 8123, env={}).base_url == "http://[::1]:8123"
    explicit = base.replace(base_url="https://kb.example.se")
    assert cli.serve_settings(explicit, "127.0.0.1", 8123, env={"KB_BASE_URL": "https://kb.example.se"}).base_url == "https://kb.example.se"
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "70000"])


def test_update_keeps_90_crawl_runs_however_many_index_runs(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        for _ in range(100):
            for kind in ("crawl", "index"):
                run_id = store.start_run(kind)
                store.finish_run(run_id, "ok", 0)
        extra = store.start_run("index")  # a manual `kb index` in between
        store.finish_run(extra, "ok", 0)
        cli._prune_runs(store)
        runs = store.list_runs(limit=1000)
    kinds = [r["kind"] for r in runs]
    assert kinds.count("crawl") == cli.RUNS_KEPT == 90
    assert kinds.count("index") == 91
    assert kinds[-1] == "crawl"  # nothing older than the oldest kept crawl


def test_test_url_output_is_aligned_and_links_are_clean() -> None:
    text = cli._format_test_url({
        "url": "https://bra.se/a", "source": "bra", "scope": "inom källan", "http_status": 200,
        "content_type": "text/html", "final_url": "https://bra.se/a", "would_store": True,
        "links": {"count": 1, "first": ["https://bra.se/b"]},
    })
    values = {line.split(":", 1)[0]: line for line in text.splitlines() if ":" in line}
    assert values["HTTP-status"] == "HTTP-status:".ljust(cli.LABEL_WIDTH) + "200"
    starts = {len(line) - len(line.split(":", 1)[1].lstrip()) for key, line in values.items()
              if key in ("URL", "Källa", "Scope", "HTTP-status", "Slutlig URL", "Innehållstyp", "Länkar")}
    assert len(starts) == 1  # every value starts in the same column
    assert "HTTP-status:200" not in text and "Innehållstyp:text" not in text
    from crawler.probe import display_links

    assert display_links(["https://bra.se/b#x", "https://bra.se/b", "https://bra.se/c#", "https://bra.se/b#y"]) == [
        "https://bra.se/b", "https://bra.se/c"]


def test_closed_stdout_is_not_an_error(settings: Settings) -> None:
    import os
    import subprocess
    import sys

    with Store(settings.store_path) as store:
        run_id = store.start_run("crawl")
        failures = [(f"https://nck.uu.se/sida-{i}", "http_404", "") for i in range(200)]
        store.save_source_report(run_id, SourceReport("nck", failed=200, failures=failures))
        store.finish_run(run_id, "partial", 1)
    root = Path(cli.__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k == "KB_VECTOR_CACHE"} | {"PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "--data-dir", str(settings.data_dir), "report"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=root)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head -0`: the reader is gone before kb writes a byte
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "Errno 32" not in err and "Broken pipe" not in err and "Traceback" not in err


def test_readonly_store_reads_without_writing(settings: Settings) -> None:
    from kb.errors import StoreError

    with Store(settings.store_path) as store:
        store.finish_run(store.start_run("crawl"), "ok", 0)
    before = settings.store_path.read_bytes(), settings.store_path.stat().st_mtime_ns
    with Store(settings.store_path, readonly=True) as ro:
        assert [r["status"] for r in ro.list_runs()] == ["ok"]
        with pytest.raises(StoreError, match="read-only"):
            ro.start_run("crawl")
    # SQLite may leave empty -wal/-shm side files for a WAL reader; the database file itself is untouched
    assert (settings.store_path.read_bytes(), settings.store_path.stat().st_mtime_ns) == before


def test_readonly_store_that_does_not_exist_is_not_created(settings: Settings) -> None:
    from kb.errors import StoreError

    with pytest.raises(StoreError):
        Store(settings.store_path, readonly=True)
    assert not settings.store_path.exists()


def test_help_and_usage_errors_are_swedish(capsys: pytest.CaptureFixture[str]) -> None:
    # librarians read these: argparse's own words too, not only kb's
    with pytest.raises(SystemExit) as info:
        cli.main(["search"])
    assert info.value.code == 2
    assert "kb search: fel: de här argumenten saknas: query" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli.main(["search", "våld", "--sort", "äldst"])
    assert info.value.code == 2
    assert "argumentet --sort: ogiltigt val 'äldst' (välj bland 'relevans', 'nyast')" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["search", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("användning: kb search") and "flaggor:" in out and "visa den här hjälpen och avsluta" in out
