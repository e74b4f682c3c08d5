"""The shared directory prometheus_client's multi-process mode keeps the web workers' samples in."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess() -> Path:
    """Give the worker processes a shared, empty metrics directory (``PROMETHEUS_MULTIPROC_DIR``).

    An operator-set directory (systemd ``RuntimeDirectory``) is created if needed and emptied of the last
    run's files; otherwise a temporary one is made and removed at exit. Call in the supervisor before the
    workers start, without importing prometheus_client there: the client picks its mode on import."""
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path
    path = Path(tempfile.mkdtemp(prefix="kb-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    atexit.register(shutil.rmtree, path, True)
    return path
