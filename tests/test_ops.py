"""Operations for real: the update lock, kill -9 during crawl and index, a full disk, and resuming a crawl.

Every run here is a separate `python -m kb.cli` process against the local demo sites.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.server import DemoSites
from kb.settings import Settings, load_settings
from kb.store import Store

ROOT = Path(__file__).resolve().parents[1]
PAGES_SKIPPED = ("/robots.txt", "/sitemap.xml")


def kb_process(settings: Settings, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k == "KB_VECTOR_CACHE"}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "kb.cli", "--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kb_run(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = kb_process(settings, *args)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(scope="module")
def sites() -> Iterator[DemoSites]:
    with DemoSites() as s:
        yield s


def make_settings(sites: DemoSites, base: Path) -> Settings:
    base.mkdir(parents=True, exist_ok=True)
    settings = load_settings(env={}, data_dir=base / "data", sources=base / "sources.yaml")
    settings.sources.write_text(sites.render_sources(), encoding="utf-8")
    return settings


class CurrentWatcher:
    """Poll `current` in a thread: whenever it exists it must point at a complete generation."""

    def __init__(self, index_root: Path) -> None:
        self.current = index_root / "current"
        self.bad: list[str] = []
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                target = os.readlink(self.current)
            except FileNotFoundError:
                target = None
            if target is not None:
                gen = (self.current.parent / target).resolve()
                self.seen.add(gen.name)
                if not (gen / "generation.json").is_file() or not any(gen.glob("*.toc")):
                    # re-check once: the link may have been swapped and the old dir pruned in between
                    newer = (self.current.parent / os.readlink(self.current)).resolve()
                    if newer == gen or not (newer / "generation.json").is_file():
                        self.bad.append(str(gen))
            self._stop.wait(0.005)

    def __enter__(self) -> CurrentWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def search_total(service: object, q: str = "våld") -> int:
    from kb.searchmodel import SearchRequest

    return service.search(SearchRequest(q=q)).total  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def baseline(sites: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data dir with one complete update behind it."""
    settings = make_settings(sites, tmp_path_factory.mktemp("baseline"))
    result = kb_run(settings, "-q", "update")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""  # -q: silent on success, as cron needs
    return settings


def test_quiet_update_is_silent_and_records_the_run(baseline: Settings) -> None:
    with Store(baseline.store_path) as store:
        runs = store.list_runs()
    assert [(r["kind"], r["exit_code"]) for r in reversed(runs)] == [("crawl", 0), ("index", 0)]


def test_second_concurrent_run_exits_75_at_once(sites: DemoSites, tmp_path: Path) -> None:
    settings = make_settings(sites, tmp_path)
    first = kb_process(settings, "-q", "update")
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until the first run holds the lock
            assert time.monotonic() < deadline, "first run never took the lock"
            assert first.poll() is None, first.communicate()
            if settings.lock_path.exists():
                fd = os.open(settings.lock_path, os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                except BlockingIOError:
                    break
                finally:
                    os.close(fd)
            time.sleep(0.02)
        started = time.monotonic()
        second = kb_run(settings, "-q", "update")
        assert second.returncode == 75
        assert time.monotonic() - started < 10
        assert "en annan kb-körning håller låset" in second.stderr and second.stdout == ""
    finally:
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err


def _page_gets(records: list, status: int | None = None) -> list[tuple[str, str]]:
    return [
        (r.site, r.path) for r in records
        if r.method == "GET" and not r.path.endswith(PAGES_SKIPPED) and (status is None or r.status == status)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_crawl_then_resume(sites: DemoSites, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    settings = make_settings(sites, tmp_path)
    before = len(sites.requests)
    proc = kb_process(settings, "-q", "update")
    with CurrentWatcher(settings.index_root) as watcher:
        time.sleep(rng.uniform(1.0, 2.5))  # imports take ~0.7 s; the crawl itself ~3 s
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        killed = list(sites.requests)[before:]
        middle = len(sites.requests)
        result = kb_run(settings, "-q", "update")
    assert result.returncode == 0, result.stderr
    assert watcher.bad == []
    resumed = list(sites.requests)[middle:]
    first_bodies = set(_page_gets(killed, 200))
    again = [p for p in _page_gets(resumed, 200) if p in first_bodies]
    with Store(settings.store_path) as store:
        stored = store.count_documents()
    # what was stored before the kill is skipped (sitemap lastmod) or revalidated (304), not
    # downloaded again; only the few requests in flight at the kill (one per host) may repeat
    assert len(again) <= 5, again
    assert stored > 40
    info = json.loads(((settings.index_root / "current").resolve() / "generation.json").read_text(encoding="utf-8"))
    assert info["doc_count"] == stored


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_index_keeps_the_old_index_serving(baseline: Settings, seed: int) -> None:
    from index.search import SearchService

    rng = random.Random(seed)
    old_gen = (baseline.index_root / "current").resolve()
    service = SearchService(baseline)
    try:
        total = search_total(service)
        assert total > 0
        with CurrentWatcher(baseline.index_root) as watcher:
            proc = kb_process(baseline, "-q", "index", "--full")
            time.sleep(rng.uniform(0.6, 1.6))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            assert search_total(service) == total  # a searcher opened before keeps answering
            result = kb_run(baseline, "-q", "index")
            assert result.returncode == 0, result.stderr
            assert search_total(service) == total
        assert watcher.bad == []
        assert watcher.seen  # the watcher really looked
    finally:
        service.close()
    fresh = SearchService(baseline)
    try:
        assert search_total(fresh) == total
    finally:
        fresh.close()
    # no half-built generation is left behind after the next run
    for gen in baseline.index_root.glob("gen-*"):
        assert (gen / "generation.json").is_file(), gen
    assert old_gen.name in {p.name for p in baseline.index_root.glob("gen-*")} or (baseline.index_root / "current").resolve() != old_gen


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    # 20 MB: the demo data and its caches (6.3 MB of them hunspell-sv forms), with room for one more night
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(path: Path, leave: int) -> Path:
    """Write a filler file until only about ``leave`` bytes are free."""
    filler = path / "filler"
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as fh:
        remaining = max(0, free - leave)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            n = min(remaining, len(chunk))
            try:
                fh.write(chunk[:n])
                fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
            remaining -= n
    return filler


def test_disk_full_during_index_exits_74_and_keeps_the_old_index(sites: DemoSites, small_disk: Path, tmp_path: Path) -> None:
    from index.search import SearchService

    settings = load_settings(env={}, data_dir=small_disk / "data", sources=tmp_path / "sources.yaml")
    settings.sources.write_text(sites.render_sources(), encoding="utf-8")
    first = kb_run(settings, "-q", "update")
    assert first.returncode == 0, first.stderr
    old_gen = (settings.index_root / "current").resolve()
    service = SearchService(settings)
    try:
        total = search_total(service)
        filler = _fill(small_disk, leave=256 * 1024)  # the index needs about 1 MB
        result = kb_run(settings, "index", "--full")
        assert result.returncode == 74, (result.returncode, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.splitlines()[-1].startswith("kb: I/O-fel: disken är full")
        quiet = kb_run(settings, "-q", "index", "--full")
        assert quiet.returncode == 74 and quiet.stderr.count("\n") == 1 and quiet.stdout == "", quiet.stderr
        assert (settings.index_root / "current").resolve() == old_gen
        assert search_total(service) == total
        reopened = SearchService(settings)
        try:
            assert search_total(reopened) == total
        finally:
            reopened.close()
        assert [p for p in settings.index_root.glob("gen-*") if p != old_gen] == []  # the partial build was removed
        filler.unlink()
        again = kb_run(settings, "-q", "index", "--full")
        assert again.returncode == 0, again.stderr
        assert (settings.index_root / "current").resolve() != old_gen
    finally:
        service.close()
    with Store(settings.store_path) as store:
        runs = [(r["kind"], r["status"], r["exit_code"]) for r in store.list_runs()]
    assert ("index", "failed", 74) in runs


def _dead_source() -> str:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return (
        "  - id: borta\n    name: Borta\n    organisation: Borta\n"
        f"    start_urls: [http://127.0.0.1:{port}/]\n    allow_private_network: true\n    delay: 0\n"
    )


def test_all_sources_unreachable_exits_69_and_leaves_the_index(baseline: Settings, tmp_path: Path) -> None:
    dead = baseline.replace(sources=tmp_path / "dead.yaml")
    dead.sources.write_text("sources:\n" + _dead_source(), encoding="utf-8")
    gen = (baseline.index_root / "current").resolve()
    result = kb_run(dead, "-q", "update")
    assert result.returncode == 69, result.stderr
    lines = result.stderr.splitlines()
    assert result.stdout == "" and lines[0].startswith("kb: borta: onåbar") and lines[-1].startswith("kb: slutkod 69: ")
    assert (baseline.index_root / "current").resolve() == gen
    with Store(baseline.store_path) as store:
        assert store.list_runs()[0]["exit_code"] == 69


def _integrity(settings: Settings) -> tuple[str, int]:
    with Store(settings.store_path, readonly=True) as store:
        check = store._query("PRAGMA integrity_check")[0][0]
        return str(check), store.count_documents()


def test_disk_full_during_the_crawl_exits_74_with_one_line_and_loses_nothing(sites: DemoSites, small_disk: Path, tmp_path: Path) -> None:
    from index.search import SearchService

    settings = load_settings(env={}, data_dir=small_disk / "data", sources=tmp_path / "sources.yaml")
    settings.sources.write_text(sites.render_sources(), encoding="utf-8")
    first = kb_run(settings, "-q", "update", "--source", "kommunen")  # yesterday: one source
    assert first.returncode == 0, first.stderr
    old_gen = (settings.index_root / "current").resolve()
    before = _integrity(settings)
    service = SearchService(settings)
    try:
        total = search_total(service)
        filler = _fill(small_disk, leave=96 * 1024)  # tonight every source: the new documents do not fit
        quiet = kb_run(settings, "-q", "update")
        assert quiet.returncode == 74, (quiet.returncode, quiet.stderr)
        assert quiet.stdout == "" and quiet.stderr.count("\n") == 1, quiet.stderr  # one line for cron, no traceback
        assert quiet.stderr.startswith("kb: I/O-fel: disken är full") and "det förra indexet används fortfarande" in quiet.stderr
        loud = kb_run(settings, "update")
        assert loud.returncode == 74 and "Traceback" not in loud.stderr, loud.stderr
        assert loud.stderr.rstrip("\n").splitlines()[-1].startswith("kb: I/O-fel: disken är full")
        assert (settings.index_root / "current").resolve() == old_gen  # yesterday's index keeps serving
        assert search_total(service) == total
        check, docs = _integrity(settings)
        assert check == "ok" and docs >= before[1]  # the store is consistent and lost nothing
        report = kb_run(settings, "report", "--list")  # the librarians can still read what happened
        assert report.returncode == 0 and "failed" in report.stdout, report.stderr
        assert "running" not in report.stdout  # stopped by the full disk: recorded as failed, or read as avbruten
        assert "disken är full" in report.stdout or "ingen kb-körning pågår nu" in report.stdout
        filler.unlink()
        again = kb_run(settings, "-q", "update")
        assert again.returncode == 0, again.stderr
        assert _integrity(settings)[1] > before[1]
        with Store(settings.store_path, readonly=True) as store:
            runs_dbg = store.list_runs()
            statuses = [r["status"] for r in runs_dbg]
        assert "running" not in statuses and statuses[:2] == ["ok", "ok"], statuses
        full_nights = [(r["kind"], r["status"], r["exit_code"]) for r in runs_dbg[2:4]]
        # recorded as failed with 74 when the full disk still lets that one row be written, else without a code
        assert all(run in (("crawl", "failed", 74), ("crawl", "failed", None), ("crawl", "avbruten", None)) for run in full_nights)
    finally:
        service.close()


def test_a_run_killed_with_kill_9_is_marked_avbruten_by_the_next_run(sites: DemoSites, tmp_path: Path) -> None:
    from kb.errors import StoreError

    settings = make_settings(sites, tmp_path)
    proc = kb_process(settings, "-q", "update")
    deadline = time.monotonic() + 60
    while True:  # kill it once its crawl is recorded as running
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started"
        try:
            with Store(settings.store_path, readonly=True) as store:
                running = [r for r in store.list_runs() if r["status"] == "running"]
        except StoreError:
            running = []  # not created yet
        if running:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store(settings.store_path, readonly=True) as store:
        assert [r["status"] for r in store.list_runs() if r["id"] == running[0]["id"]] == ["running"]  # nobody finished it …
    on_read = kb_run(settings, "report", "--list").stdout  # … but no run holds the lock: a reader sees it stopped
    assert "running" not in on_read and "avbruten" in on_read and "ingen kb-körning pågår nu" in on_read
    result = kb_run(settings, "-q", "update")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    with Store(settings.store_path, readonly=True) as store:
        runs = store.list_runs()
    killed = next(r for r in runs if r["id"] == running[0]["id"])
    assert killed["status"] == "avbruten" and killed["exit_code"] is None and "kill -9" in killed["summary"]["obs"]
    assert [r["status"] for r in runs if r["id"] != killed["id"]] == ["ok", "ok"]  # tonight's index and crawl
    listed = kb_run(settings, "report", "--list").stdout
    assert "avbruten" in listed and "running" not in listed


def test_report_and_stats_read_a_store_on_a_read_only_filesystem(baseline: Settings, small_disk: Path) -> None:
    data = small_disk / "data"
    shutil.copytree(baseline.data_dir, data, symlinks=True)
    for side in data.glob("kb.sqlite3-*"):
        side.unlink()  # what a cleanly closed store leaves: no -wal/-shm (SQLite cannot create them here)
    remount = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True)
    assert remount.returncode == 0, remount.stderr
    ro = baseline.replace(data_dir=data)
    with pytest.raises(OSError):
        (data / "probe").write_text("x")  # writing really fails here
    report = kb_run(ro, "report")
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("Körning ") and "slutkod" in report.stdout
    stats = kb_run(ro, "stats")
    assert stats.returncode == 0, stats.stderr
    assert "Dokument i lagret:" in stats.stdout and "Publicerat index: gen-" in stats.stdout
    assert kb_run(ro, "-q", "update").returncode == 74  # and a writing command says so


def test_quiet_partial_night_mails_one_line_per_failed_source_and_agrees_with_the_report(sites: DemoSites, tmp_path: Path) -> None:
    settings = make_settings(sites, tmp_path)
    settings.sources.write_text(settings.sources.read_text(encoding="utf-8").rstrip("\n") + "\n" + _dead_source(), encoding="utf-8")
    result = kb_run(settings, "-q", "update")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert result.stdout == "" and len(lines) == 2, lines  # the dead source, then what exit 1 means
    assert lines[0].startswith("kb: borta: onåbar, ") and "misslyckade" in lines[0]
    assert lines[1].startswith("kb: slutkod 1: ") and "kb report --run " in lines[1]
    run_id = int(lines[1].rsplit("--run ", 1)[1])
    report = json.loads(kb_run(settings, "report", "--run", str(run_id), "--json").stdout)
    assert report["exit_code"] == 1 and report["status"] == "partial"  # the librarians' report says the same
    failed = sorted(sid for sid, r in report["sources"].items() if r["failed_by_reason"] or r["status"] not in ("ok", "skipped"))
    assert failed == ["borta"]
