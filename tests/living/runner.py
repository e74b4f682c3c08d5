"""Runs the nights: real `kb -q update` processes under a fake night-time clock, then checks the index against the truth."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from .scenario import NIGHTS, Night, Rules, build_world, sources_yaml
from .sites import LivingSite, Seen
from .world import Page, World, run_time

SITE_NAMES = ("alpha", "beta", "gamma", "delta")
# Timeouts and retries small enough for a test, through the documented KB_* variables.
KB_ENV = {
    "KB_CONNECT_TIMEOUT": "2", "KB_READ_TIMEOUT": "2", "KB_FETCH_DEADLINE": "10", "KB_RETRIES": "1",
    "KB_PARSE_TIMEOUT": "20", "KB_INDEX_PROCS": "1", "KB_HOST_PARALLELISM": "4",
}
# Every source's politeness delay: small, but large enough that a crawler ignoring it (or two sources on one host
# not sharing it) shows up in the servers' logs.
DELAY = 0.05
RUN_TIMEOUT = 180.0
_FAKETIME_LIBS = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1", "/usr/lib64/faketime/libfaketime.so.1")


def faketime_library() -> str | None:
    """libfaketime (Debian package ``faketime``): each night's run sees its own date, as cron would."""
    for pattern in _FAKETIME_LIBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


@dataclass
class NightResult:
    """What one night did and every expectation it missed (each line names the night, the URL and the expectation)."""

    night: int
    events: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    killed: bool = False  # the test killed the run with SIGKILL mid-crawl
    fresh: int = 0  # changes (edits, new pages, pages back) that became searchable after this night
    up_to_date: int = 0  # live pages whose current text is searchable at their URL
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        return self.missing + self.stale + self.other

    @property
    def body_downloads(self) -> int:
        return sum(len(v) for v in self.bodies.values())


class LivingMonth:
    """Three live local sites, a data dir and a sources.yaml; ``run(night)`` mutates the sites, runs kb, checks."""

    def __init__(self, workdir: Path, rules: Rules, delay: float = DELAY) -> None:
        self.workdir = workdir
        self.rules = rules
        self.sites = {name: LivingSite(name) for name in SITE_NAMES}
        for site in self.sites.values():
            site.start()
        self.world: World = build_world(self.sites)
        self.data_dir = workdir / "data"
        self.sources = workdir / "sources.yaml"
        self.delay = delay
        self.sources.write_text(sources_yaml(self.sites, delay), encoding="utf-8")
        self.results: list[NightResult] = []
        self._confirmed: dict[str, str] = {}  # URL -> the marker last found searchable there

    def __enter__(self) -> LivingMonth:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for site in self.sites.values():
            site.stop()

    def run_all(self) -> list[NightResult]:
        for night in NIGHTS:
            self.run(night)
        return self.results

    def run(self, night: Night) -> NightResult:
        night.apply(self.world, self.rules)
        self.world.publish(night.number)
        code, out, err, seconds, killed = self._kb(night.number, night.kill_after)
        result = NightResult(night.number, night.events, code, out, err, seconds, killed=killed)
        if night.kill_after and not killed:
            result.other.append(f"night {night.number}: the run ended before the test could kill it (scenario broken)")
        self._server_side(night, result)
        self._check_index(night, result)
        self.results.append(result)
        return result

    # -- the run ----------------------------------------------------------------
    def _kb(self, night: int, kill_after: int = 0) -> tuple[int, str, str, float, bool]:
        lib = faketime_library()
        if lib is None:
            raise RuntimeError("the living-site test needs libfaketime (Debian package 'faketime'; `make system-deps` installs it)")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "FAKETIME", "LD_PRELOAD"))}
        env.update(KB_ENV)
        env["KB_GONE_AFTER_RUNS"] = str(self.rules.gone_after_runs)
        env.update({"LD_PRELOAD": lib, "FAKETIME": "@" + run_time(night).strftime("%Y-%m-%d %H:%M:%S"),
                    "TZ": "UTC"})
        argv = [sys.executable, "-c", "import sys; sys.argv[0] = 'kb'; from kb.cli import entrypoint; entrypoint()",
                "--data-dir", str(self.data_dir), "--sources", str(self.sources), "-q", "update"]
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.workdir,
                                start_new_session=True)  # its own process group: a kill takes its parser workers too
        killed = False
        if kill_after:
            while proc.poll() is None and time.monotonic() - started < RUN_TIMEOUT:
                if sum(len(site.night_requests(night)) for site in self.sites.values()) >= kill_after:
                    _kill_group(proc)  # kill -9 in the middle of the crawl, as a power cut or the OOM killer would
                    killed = True
                    break
                time.sleep(0.002)
        try:
            out, err = proc.communicate(timeout=max(1.0, RUN_TIMEOUT - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            return -1, out, f"timed out after {RUN_TIMEOUT:.0f} s\n{err}", time.monotonic() - started, False
        return proc.returncode, out, err, time.monotonic() - started, killed

    # -- what the servers saw ----------------------------------------------------
    def _server_side(self, night: Night, result: NightResult) -> None:
        n = night.number
        for name, site in self.sites.items():
            seen = site.night_requests(n)
            result.requests[name] = len(seen)
            result.bodies[name] = [r.path for r in seen if r.status == 200 and r.body_bytes and not self.world.is_sitemap(r.path)]
            self._polite(n, site, seen, result)
            asked = Counter(r.path for r in seen if r.status < 500)  # a 5xx may be retried within the run
            for path, count in sorted(asked.items()):
                if count > 1:
                    kind = "body downloaded" if result.bodies[name].count(path) > 1 else "requested"
                    rule = "robots.txt and each sitemap at most once per host" if self.world.is_sitemap(path) else "each URL at most once"
                    result.other.append(f"night {n}: {site.url(path)}: {kind} {count} times in one run (expected {rule} per run)")
        if night.quiet and result.body_downloads:
            urls = [self.sites[s].url(p) for s, paths in result.bodies.items() for p in paths]
            result.other.append(f"night {n}: quiet night (nothing changed) downloaded {len(urls)} article bodies "
                                f"(expected only 304s or no request): {', '.join(urls)}")
        if result.killed:
            return  # no exit code or output to judge; the next night must converge and mark the run avbruten
        if night.clean and result.exit_code != 0:
            result.other.append(f"night {n}: {'quiet' if night.quiet else 'clean'} night exited {result.exit_code} (expected 0); "
                                f"output: {_short(result.stdout + result.stderr)}")
        if result.exit_code != 0 and not (result.stdout.strip() or result.stderr.strip()):
            result.other.append(f"night {n}: `kb -q update` exited {result.exit_code} and printed nothing (cron would mail nothing)")
        for name in sorted(self.world.down):  # an unreachable host is a failure a person must act on (issue 10, item 2)
            if result.exit_code == 0 or name not in result.stdout + result.stderr:
                result.other.append(f"night {n}: {self.sites[name].base}: the whole site answered {self.world.down[name]}, yet "
                                    f"`kb -q update` exited {result.exit_code} with output {_short(result.stdout + result.stderr)!r} "
                                    f"(expected a non-zero exit and a line naming source '{name}')")
        if result.exit_code == 0 and (result.stdout.strip() or result.stderr.strip()):
            result.other.append(f"night {n}: `kb -q update` exited 0 but printed (cron would mail it; README: -q prints nothing "
                                f"on success): {_short(result.stdout + result.stderr)}")
        self._check_runs(n, result)

    def _check_runs(self, n: int, result: NightResult) -> None:
        """After a run that ended, no run is left ``running`` (a killed one is marked avbruten by the next run)."""
        from kb.store import Store

        with Store(self.data_dir / "kb.sqlite3", readonly=True) as store:
            runs = store.list_runs(limit=100)
        for run in runs:
            if run["status"] == "running":
                result.other.append(f"night {n}: run {run['id']} ({run['kind']}, started {run['started']}) is still 'running' "
                                    "in kb report --list (expected a killed run to be marked avbruten by the next run)")

    def _polite(self, n: int, site: LivingSite, seen: list[Seen], result: NightResult) -> None:
        """One request at a time per host, at least the delay apart (end to start), whichever source asks."""
        pages = sorted((r for r in seen if r.path != "/robots.txt"), key=lambda r: r.started)
        for before, after in zip(pages, pages[1:], strict=False):
            if before.status >= 500:
                continue  # a retry after 503 with Retry-After: 0 may follow at once
            gap = after.started - before.ended
            if gap < 0:
                result.other.append(f"night {n}: {site.url(after.path)}: requested while {before.path} was still being answered "
                                    "(expected one request at a time per host)")
            elif gap < 0.8 * self.delay:
                result.other.append(f"night {n}: {site.url(after.path)}: requested {gap * 1000:.0f} ms after {before.path} "
                                    f"(expected the delay of {self.delay * 1000:.0f} ms between requests to a host, across sources)")

    # -- what the index answers --------------------------------------------------
    def _check_index(self, night: Night, result: NightResult) -> None:
        from index.service import open_backend  # the backend factory the CLI hands to the web app
        from kb.searchmodel import SearchRequest
        from kb.settings import load_settings

        n, world, grace = night.number, self.world, self.rules.gone_after_runs
        service = open_backend(load_settings(env={}, data_dir=self.data_dir, sources=self.sources))
        cache: dict[str, list[tuple[str, list[str]]]] = {}

        def found(marker: str) -> list[tuple[str, list[str]]]:
            if marker not in cache:
                response = service.search(SearchRequest(q=marker, per_page=50))
                cache[marker] = [(h.url, list(h.duplicates)) for h in response.results]
            return cache[marker]

        def where(marker: str) -> list[str]:
            return [u for url, dups in found(marker) for u in (url, *dups)]

        try:
            for page in sorted(world.pages.values(), key=lambda p: (p.site, p.path)):
                url = world.url(page)
                if _expected_searchable(page, n):
                    if url in where(page.marker):
                        result.up_to_date += 1
                        if self._confirmed.get(url) != page.marker:
                            result.fresh += 1
                            self._confirmed[url] = page.marker
                        older = [m for m in page.markers[:-1] if url in where(m)]
                        if older:
                            result.stale.append(f"night {n}: {url}: {page.why}; its current text is searchable but so is its "
                                                f"older text ('{older[-1]}'), which the site no longer says")
                    else:
                        result.missing.append(_missing(n, url, page, where))
                elif page.gone_since is not None and n >= self._removed_by(page):
                    for marker in page.markers:
                        hits = [h for h, dups in found(marker) if url in (h, *dups)]
                        if hits:
                            left = " (left in its sitemap with its old lastmod)" if page.left_in_sitemap else ""
                            result.stale.append(
                                f"night {n}: {url}: {page.why}{left} since night {page.gone_since}, still searchable ('{marker}', "
                                f"hit {hits[0]}) after the grace of {grace} runs (expected removed by night {self._removed_by(page)})")
                            break
        finally:
            service.close()

    def _removed_by(self, page: Page) -> int:
        """The last night a removed URL may still be searchable: the grace, plus the sitemap trust when left in its sitemap."""
        assert page.gone_since is not None
        by = page.gone_since + self.rules.gone_after_runs - 1
        if page.left_in_sitemap and page.site in self.world.trusted and self.rules.sitemap_trust_nights:
            site = self.sites[page.site]
            with site.lock:
                validated = [r.night for r in site.requests if r.path == page.path and r.status in (200, 304) and r.night < page.gone_since]
            by = max(by, max(validated, default=0) + self.rules.sitemap_trust_nights + self.rules.gone_after_runs - 1)
        return by


def _expected_searchable(page: Page, night: int) -> bool:
    """Live (or down or temporarily redirected after being live): its current marker must be searchable once due."""
    if page.short:
        return False  # the issue allows storing it or skipping it (informational); the clean/quiet checks still apply
    if page.live or (page.status in (302, 500, 502, 503) and page.stored):  # down or redirected for now: kept
        return night >= page.due
    return False


def _missing(n: int, url: str, page: Page, where: Callable[[str], list[str]]) -> str:
    elsewhere = where(page.marker)
    older = [m for m in page.markers[:-1] if url in where(m)]
    text = f"night {n}: {url}: {page.why} (due night {page.due}); its current text ('{page.marker}') is not searchable at this URL"
    if elsewhere:
        text += f" (found only at {', '.join(elsewhere)})"
    if older:
        text += f"; the index still has its older text ('{older[-1]}')"
    return text


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
