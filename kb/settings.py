"""Every setting in one documented place; override order: defaults < environment (KB_*) < CLI flags."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kb.errors import ConfigError, Problem


@dataclass(frozen=True)
class Settings:
    """Runtime settings. Each field's ``metadata['help']`` documents it; env var is KB_<NAME upper>."""

    sources: Path = field(default=Path("sources.yaml"), metadata={"help": "sources.yaml to read"})
    data_dir: Path = field(default=Path("data"), metadata={"help": "store, index and lock live here"})
    corrections: Path = field(
        default=Path(__file__).with_name("corrections.yaml"),
        metadata={"help": "librarians' corrections of county, goal and supersession (keep a copy outside the package)"},
    )

    # Crawler
    user_agent: str = field(
        default="kb-kunskapsbank/0.1 (+https://example.invalid/kb; kunskapsstod mot mans vald mot kvinnor)",
        metadata={"help": "User-Agent sent with every request and matched in robots.txt"},
    )
    connect_timeout: float = field(default=10.0, metadata={"help": "seconds to connect"})
    read_timeout: float = field(default=30.0, metadata={"help": "seconds between bytes"})
    fetch_deadline: float = field(default=120.0, metadata={"help": "total seconds per document"})
    max_bytes: int = field(default=40 * 1024 * 1024, metadata={"help": "decoded size cap per response"})
    max_redirects: int = field(default=10, metadata={"help": "redirect hops per URL"})
    max_url_length: int = field(default=2048, metadata={"help": "longer URLs are rejected"})
    max_crawl_delay: float = field(default=30.0, metadata={"help": "hosts asking a longer Crawl-delay are skipped"})
    host_parallelism: int = field(default=4, metadata={"help": "hosts crawled at once"})
    retries: int = field(default=3, metadata={"help": "retries on 429/503 with backoff"})
    host_failure_limit: int = field(default=5, metadata={"help": "consecutive failures that drop a host for the run"})
    parse_timeout: float = field(default=60.0, metadata={"help": "seconds a document parser may run"})
    gone_after_runs: int = field(default=2, metadata={"help": "runs a URL must be gone before removal"})
    min_keep_share: float = field(default=0.5, metadata={"help": "a source yielding fewer than this share of its documents is not purged"})

    # Index
    publish_min_share: float = field(default=0.5, metadata={"help": "a new index smaller than this share of the old is not published"})
    canary_queries: tuple[str, ...] = field(
        default=("våld", "kvinnofrid"), metadata={"help": "queries a new index must answer (comma-separated in env)"}
    )
    keep_generations: int = field(default=2, metadata={"help": "old index generations kept on disk"})
    index_procs: int = field(default=2, metadata={"help": "processes used to build the index (stores under 2,000 documents use one)"})
    semantic: bool = field(
        default=True, metadata={"help": "re-rank whole questions by meaning too (multilingual-e5-small vectors, built with the index)"}
    )
    vector_cache: str = field(
        default="", metadata={"help": "SQLite file of document vectors by text (empty: data_dir/cache/vectors.sqlite3)"}
    )
    update_textfile: str = field(
        default="", metadata={"help": "node exporter textfile (…/kb.prom) kb update writes its outcome to; empty: none"}
    )

    # Web
    base_url: str = field(default="http://127.0.0.1:8000", metadata={"help": "public base URL (feeds, OpenSearch); never taken from Host"})
    allowed_hosts: tuple[str, ...] = field(
        default=("127.0.0.1", "localhost", "testserver"), metadata={"help": "Host headers the web app accepts"}
    )
    trusted_proxies: tuple[str, ...] = field(
        default=("127.0.0.1", "::1"),
        metadata={"help": "reverse-proxy addresses or networks whose X-Forwarded-For/-Proto are believed (others are ignored)"},
    )
    max_concurrent_searches: int = field(default=8, metadata={"help": "searches run at once per worker"})
    cache_size: int = field(default=512, metadata={"help": "cached search responses per worker"})

    @property
    def store_path(self) -> Path:
        return self.data_dir / "kb.sqlite3"

    @property
    def index_root(self) -> Path:
        return self.data_dir / "index"

    @property
    def vector_cache_path(self) -> Path:
        return Path(self.vector_cache) if self.vector_cache else self.data_dir / "cache" / "vectors.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "kb.lock"

    def replace(self, **changes: Any) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def setting_help() -> list[tuple[str, str, Any, str]]:
    """(name, env var, default, help) for every setting — the README table comes from here."""
    return [
        (f.name, "KB_" + f.name.upper(), _shown_default(f.default), f.metadata.get("help", ""))
        for f in fields(Settings)
    ]


def _shown_default(default: Any) -> Any:
    """A default inside the installed package is shown relative to it (the same on every machine)."""
    package = Path(__file__).parent
    if isinstance(default, Path) and default.is_absolute() and default.parent == package:
        return Path(package.name) / default.name
    return default


def _convert(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "ja", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "nej", "off"):
            return False
        raise ValueError("förväntade true eller false")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError("förväntade ett heltal") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError("förväntade ett tal") from None
    if isinstance(default, Path):
        return Path(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


# Ranges checked by load_settings: (low, high, low is exclusive). A bad value fails at start-up, never mid-run.
_SHARE = (0.0, 1.0, False)
_POSITIVE = (0.0, math.inf, True)
_AT_LEAST_0 = (0.0, math.inf, False)
_AT_LEAST_1 = (1.0, math.inf, False)
RANGES: dict[str, tuple[float, float, bool]] = {
    "connect_timeout": _POSITIVE,
    "read_timeout": _POSITIVE,
    "fetch_deadline": _POSITIVE,
    "parse_timeout": _POSITIVE,
    "max_crawl_delay": _AT_LEAST_0,
    "max_bytes": _AT_LEAST_1,
    "max_redirects": _AT_LEAST_0,
    "max_url_length": (16.0, math.inf, False),
    "host_parallelism": _AT_LEAST_1,
    "retries": _AT_LEAST_0,
    "host_failure_limit": _AT_LEAST_1,
    "gone_after_runs": _AT_LEAST_1,
    "min_keep_share": _SHARE,
    "publish_min_share": _SHARE,
    "keep_generations": _AT_LEAST_0,
    "index_procs": _AT_LEAST_1,
    "max_concurrent_searches": _AT_LEAST_1,
    "cache_size": _AT_LEAST_0,
}


def _range_text(low: float, high: float, exclusive: bool) -> str:
    if high == 1.0 and low == 0.0:
        return "ett tal från 0 till 1"
    return f"ett ändligt tal över {low:g}" if exclusive else f"ett tal från {low:g} och uppåt"


def setting_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not acceptable for setting ``name`` (Swedish), or None."""
    if name in RANGES:
        low, high, exclusive = RANGES[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "förväntade ett tal"
        ok = math.isfinite(value) and (low < value if exclusive else low <= value) and value <= high
        return None if ok else "förväntade " + _range_text(low, high, exclusive)
    if name == "base_url":
        try:
            parts = urlsplit(str(value))
            parts.port  # noqa: B018 — raises on a bad port
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            return "förväntade en fullständig http:// eller https://-adress utan ? och #, t.ex. https://kb.example.se"
    if name == "allowed_hosts" and not [h for h in value if str(h).strip()]:
        return "förväntade minst ett värdnamn (kommaseparerat)"
    if name == "user_agent" and not str(value).strip():
        return "förväntade en text som inte är tom"
    return None


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, then ``KB_*`` environment variables, then ``overrides`` (None ignored).

    Every value is range-checked; all bad values are reported together in one ConfigError (exit 78),
    each naming the environment variable (or the command-line option) that set it.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in fields(Settings):
        var = "KB_" + f.name.upper()
        if var in env and env[var] != "":
            try:
                values[f.name] = _convert(f.name, env[var], f.default)
            except ValueError as exc:
                problems.append(Problem("miljövariabel", None, var, env[var], str(exc)))
                continue
            message = setting_problem(f.name, values[f.name])
            if message:
                problems.append(Problem("miljövariabel", None, var, env[var], message))
    for name, value in overrides.items():
        if value is not None:
            values[name] = value
            message = setting_problem(name, value)
            if message:
                problems.append(Problem("kommandoraden", None, "--" + name.replace("_", "-"), value, message))
    if problems:
        raise ConfigError(problems)
    return Settings(**values)
