"""Helpers for the deployment tests: data directories with a real store and index, `kb serve` processes on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from kb.models import Document
from kb.settings import Settings, load_settings
from kb.store import Store

ROOT = Path(__file__).resolve().parents[1]


def data_settings(data_dir: Path, **overrides: Any) -> Settings:
    return load_settings(env={}, data_dir=data_dir, sources=data_dir / "sources.yaml", **overrides)


def add_documents(settings: Settings, start: int, count: int, word: str = "") -> None:
    """``count`` Swedish documents numbered from ``start``; ``word`` (if any) appears in every one of them."""
    with Store(settings.store_path) as store:
        for i in range(start, start + count):
            store.put_document(Document(
                url=f"https://myndighet.example/dok/{i}", source="myndighet", organisation="Exempelmyndigheten",
                title=f"Kvinnofrid och våld i nära relationer, del {i}",
                text=f"Del {i}. Socialtjänsten ger stöd till kvinnor som utsatts för våld. Kvinnofrid {word}. " * 20,
                published=date(2024, 1 + i % 12, 1),
            ))


def build_index(settings: Settings) -> str:
    """Build and publish a generation from the store as `kb index` does; returns its name."""
    from index.build import build_and_publish
    from kb.taxonomy import load_taxonomy

    with Store(settings.store_path) as store:
        build_and_publish(settings, store, [], load_taxonomy())
    return (settings.index_root / "current").resolve().name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, Any] | str]:
    """(status, parsed JSON or text) of a GET; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 — loopback only
            status, body, ctype = resp.status, resp.read().decode(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        status, body, ctype = exc.code, exc.read().decode(), exc.headers.get("Content-Type", "")
        exc.close()
    return status, json.loads(body) if "json" in ctype else body


class Server:
    """`kb serve` for a data directory, as its own process on 127.0.0.1."""

    def __init__(self, settings: Settings, workers: int = 1, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = settings.data_dir.parent / f"serve-{self.port}.log"
        full_env = os.environ | {"KB_DATA_DIR": str(settings.data_dir), "KB_SOURCES": str(settings.sources)} | (env or {})
        if "PROMETHEUS_MULTIPROC_DIR" not in (env or {}):
            full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kb.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for(lambda: self._answers(), f"kb serve on {self.url} never answered")

    def _answers(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()
        try:
            return get(self.url + "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_for(predicate: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll until ``predicate()`` holds (a generous limit against hangs, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.05)
