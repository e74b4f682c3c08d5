"""Generation directories and the atomic `current` symlink swap; pruning of old and half-built generations; copying a
published generation to another data directory (a second web host) so that it switches only to a complete copy."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CURRENT = "current"
INFO_FILE = "generation.json"
GEN_PREFIX = "gen-"
TMP_LINK_PREFIX = ".current.tmp-"
INCOMING_PREFIX = ".incoming-"  # a generation being copied in; never matches GEN_PREFIX, so nothing opens it


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


@dataclass(frozen=True)
class SyncResult:
    """What copy_generation did: the generation now current at the target, files and bytes copied, seconds."""

    generation: str
    copied: bool
    files: int
    bytes: int
    seconds: float


def _copy_file(src: Path, dest: Path) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dest.open("wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, dest)
    return dest.stat().st_size


def _remove_incoming(root: Path) -> None:
    for stale in root.glob(INCOMING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
        log.info("removed the half-copied generation %s", stale.name)


def _copy_tree(src: Path, tmp: Path, on_file: Callable[[Path], None] | None) -> tuple[int, int]:
    """Every file of ``src`` into ``tmp`` (generation.json last: its presence marks a complete copy), fsynced."""
    files = sorted(p for p in src.rglob("*") if p.is_file() and p.name != INFO_FILE)
    files.append(src / INFO_FILE)
    total = 0
    for path in files:
        total += _copy_file(path, tmp / path.relative_to(src))
        if on_file is not None:
            on_file(path)
    for directory in sorted({p.parent for p in (tmp / f.relative_to(src) for f in files)}, reverse=True):
        _fsync_dir(directory)
    return len(files), total


def copy_generation(src_root: Path, dest_root: Path, keep: int, on_file: Callable[[Path], None] | None = None) -> SyncResult:
    """Make the generation published under ``src_root`` the published one under ``dest_root``.

    The files go into a hidden ``.incoming-*`` directory, each fsynced; only a complete copy is renamed to its
    generation name, and only then is `current` swapped (``publish``). A web host watching ``dest_root``
    therefore sees the old generation or the whole new one, never part of it; a copy interrupted by a crash
    is removed by the next call. Generations are immutable, so one already present is not copied again.
    ``on_file`` is called after each file (progress; tests use it to interrupt a copy)."""
    started = time.monotonic()
    src = current_generation(src_root)
    if src is None or not (src / INFO_FILE).is_file():
        raise FileNotFoundError(f"no published index generation under {src_root}")
    dest_root = Path(dest_root)
    dest_root.mkdir(parents=True, exist_ok=True)
    _remove_incoming(dest_root)
    final = dest_root / src.name
    files = size = 0
    copied = not (final / INFO_FILE).is_file()
    if copied:
        shutil.rmtree(final, ignore_errors=True)  # a same-named directory without generation.json is not a generation
        tmp = dest_root / f"{INCOMING_PREFIX}{src.name}-{secrets.token_hex(3)}"
        tmp.mkdir()
        try:
            files, size = _copy_tree(src, tmp, on_file)
            os.rename(tmp, final)
            _fsync_dir(dest_root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    if current_generation(dest_root) != final.resolve():
        publish(dest_root, final)
    prune_generations(dest_root, keep)
    return SyncResult(src.name, copied, files, size, time.monotonic() - started)
