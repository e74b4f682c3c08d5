"""Generation directories and the atomic `current` symlink swap; pruning of old and half-built generations."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CURRENT = "current"
INFO_FILE = "generation.json"
GEN_PREFIX = "gen-"
TMP_LINK_PREFIX = ".current.tmp-"


def current_generation(index_root: Path) -> Path | None:
    """The generation directory `current` points at (resolved), or None when nothing is published."""
    link = Path(index_root) / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def read_generation_info(path: Path) -> dict[str, Any]:
    """generation.json of a generation directory (or of `current`); {} when absent or unreadable."""
    try:
        data = json.loads((Path(path) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def new_generation_dir(index_root: Path) -> Path:
    """Create an empty, uniquely named generation directory (sortable by creation time)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = Path(index_root) / f"{GEN_PREFIX}{stamp}-{secrets.token_hex(3)}"
    path.mkdir(parents=True)
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_generation_info(gen_dir: Path, info: dict[str, Any]) -> None:
    """Write generation.json durably (temp file, fsync, rename): its presence marks a finished build."""
    tmp = gen_dir / (INFO_FILE + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(info, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, gen_dir / INFO_FILE)
    _fsync_dir(gen_dir)


def publish(index_root: Path, gen_dir: Path) -> None:
    """Point `current` at ``gen_dir`` atomically: a temp symlink renamed over the old one."""
    root = Path(index_root)
    tmp = root / f"{TMP_LINK_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
    os.symlink(gen_dir.name, tmp)  # relative, so the data directory can move
    try:
        os.replace(tmp, root / CURRENT)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(root)
    log.info("published index generation %s", gen_dir.name)


def _generations(root: Path) -> list[Path]:
    return sorted((p for p in root.glob(GEN_PREFIX + "*") if p.is_dir() and not p.is_symlink()), key=lambda p: p.name)


def clean_incomplete(index_root: Path) -> list[Path]:
    """Remove half-built generations (no generation.json) and stray temp links left by a crash."""
    root = Path(index_root)
    if not root.is_dir():
        return []
    current = current_generation(root)
    removed: list[Path] = []
    for link in root.glob(TMP_LINK_PREFIX + "*"):
        link.unlink(missing_ok=True)
    for gen in _generations(root):
        if gen != current and not (gen / INFO_FILE).exists():
            shutil.rmtree(gen, ignore_errors=True)
            removed.append(gen)
            log.info("removed half-built index generation %s", gen.name)
    return removed


def prune_generations(index_root: Path, keep: int) -> list[Path]:
    """Keep `current` plus the newest ``keep`` finished generations; delete older ones."""
    root = Path(index_root)
    current = current_generation(root)
    finished = [g for g in _generations(root) if g != current and (g / INFO_FILE).exists()]
    doomed = finished[: max(0, len(finished) - max(0, keep))]
    for gen in doomed:
        shutil.rmtree(gen, ignore_errors=True)
        log.info("removed old index generation %s", gen.name)
    return doomed


def remove_generation(gen_dir: Path) -> None:
    """Delete an unpublished generation directory (never fails)."""
    shutil.rmtree(gen_dir, ignore_errors=True)
