"""Every setting in one documented place; override order: defaults < environment (KB_*) < CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from kb.errors import ConfigError, Problem


@dataclass(frozen=True)
class Settings:
    """Runtime settings. Each field's ``metadata['help']`` documents it; env var is KB_<NAME upper>."""

    sources: Path = field(default=Path("sources.yaml"), metadata={"help": "sources.yaml to read"})
    data_dir: Path = field(default=Path("data"), metadata={"help": "store, index and lock live here"})

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
    index_procs: int = field(default=1, metadata={"help": "processes used to build the index"})

    # Web
    base_url: str = field(default="http://127.0.0.1:8000", metadata={"help": "public base URL (feeds, OpenSearch); never taken from Host"})
    allowed_hosts: tuple[str, ...] = field(
        default=("127.0.0.1", "localhost", "testserver"), metadata={"help": "Host headers the web app accepts"}
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
    def lock_path(self) -> Path:
        return self.data_dir / "kb.lock"

    def replace(self, **changes: Any) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def setting_help() -> list[tuple[str, str, Any, str]]:
    """(name, env var, default, help) for every setting — the README table comes from here."""
    return [
        (f.name, "KB_" + f.name.upper(), f.default, f.metadata.get("help", ""))
        for f in fields(Settings)
    ]


def _convert(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "ja", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "nej", "off"):
            return False
        raise ValueError("expected true or false")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, then ``KB_*`` environment variables, then ``overrides`` (None ignored)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in fields(Settings):
        var = "KB_" + f.name.upper()
        if var in env and env[var] != "":
            try:
                values[f.name] = _convert(f.name, env[var], f.default)
            except ValueError as exc:
                problems.append(Problem("environment", None, var, env[var], str(exc)))
    for name, value in overrides.items():
        if value is not None:
            values[name] = value
    if problems:
        raise ConfigError(problems)
    return Settings(**values)
