"""Fill a data directory with the demo, keeping its store true to the addresses the demo sites are served on."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import NamedTuple

from demo.server import DEFAULT_BASE_PORT, DemoSites, fixed_ports
from kb.errors import ConfigError, Problem
from kb.settings import Settings

log = logging.getLogger(__name__)

SOURCES_FILE = "demo-sources.yaml"  # sources.yaml for the sites as served now
SITES_FILE = "demo-sites.json"  # the base URLs the stored documents were fetched from
STORE_SIDECARS = ("", "-wal", "-shm", "-journal")


def start_sites(base_port: int = DEFAULT_BASE_PORT) -> DemoSites:
    """Start the demo sites on ``base_port`` and up (a taken port falls back to a free one)."""
    sites = DemoSites(ports=fixed_ports(base_port))
    sites.start()
    return sites


def _stored_urls(data_dir: Path) -> dict[str, str] | None:
    try:
        urls = json.loads((data_dir / SITES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return urls if isinstance(urls, dict) else None


def _has_data(settings: Settings) -> bool:
    return settings.store_path.exists() or settings.index_root.exists()


def _start_afresh(settings: Settings) -> None:
    for suffix in STORE_SIDECARS:
        settings.store_path.with_name(settings.store_path.name + suffix).unlink(missing_ok=True)
    shutil.rmtree(settings.index_root, ignore_errors=True)


class Prepared(NamedTuple):
    settings: Settings  # with the sources file written for the running sites
    started_afresh: bool  # the store and index of an earlier run on other addresses were removed


def prepare_data_dir(settings: Settings, sites: DemoSites) -> Prepared:
    """Ready ``settings.data_dir`` for a crawl of the running sites.

    The store keeps what earlier runs fetched. If they served the sites on other addresses, every stored document
    would link to a port nobody listens on and be counted beside its new copy, so the store and the index start
    afresh; on the same addresses the crawl is an ordinary update (conditional requests, nothing duplicated).
    A data directory holding a store that no demo run wrote is refused rather than emptied.
    """
    data_dir = settings.data_dir
    previous = _stored_urls(data_dir)
    afresh = previous != sites.urls and _has_data(settings)
    if afresh:
        if previous is None and not (data_dir / SOURCES_FILE).exists():
            raise ConfigError([Problem("kommandoraden", None, "--data-dir", str(data_dir),
                                       "katalogen har redan ett lager som demon inte har skapat; välj en tom katalog för demon")])
        log.info("the demo sites moved from %s to %s; the demo store in %s starts afresh", previous, sites.urls, data_dir)
        _start_afresh(settings)
    data_dir.mkdir(parents=True, exist_ok=True)
    sources_file = data_dir / SOURCES_FILE
    sources_file.write_text(sites.render_sources(), encoding="utf-8")
    (data_dir / SITES_FILE).write_text(json.dumps(sites.urls, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return Prepared(settings.replace(sources=sources_file), afresh)


def crawl_and_index(settings: Settings) -> Settings:
    """Start the demo sites, crawl them into ``settings.data_dir`` and build the index (what `kb eval` measures).

    Returns settings pointing at that data. Not recorded as runs: `kb demo` runs the recorded `kb update` instead.
    """
    from crawler.crawl import crawl
    from index.build import build_and_publish
    from kb.sources import load_sources
    from kb.store import Store
    from kb.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    with start_sites() as sites:
        demo = prepare_data_dir(settings, sites).settings
        sources, warnings = load_sources(demo.sources)
        for w in warnings:
            log.info("%s", w)
        with Store(demo.store_path) as store:
            report = crawl(demo, sources, store)
            log.info("demo crawl: %s", {sid: r.status for sid, r in report.sources.items()})
            result = build_and_publish(demo, store, sources, taxonomy, full=True)
            log.info("demo index: %s", result)
    return demo
