"""The wheel alone runs the demo: `pip install` of kb into a fresh virtual environment, then `kb demo` from an empty folder."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The number of indexable demo pages and documents, from the demo's own manifest.
INDEXABLE = sum(1 for m in json.loads((ROOT / "demo" / "manifest.json").read_text(encoding="utf-8")) if m["indexable"])

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, (cmd, result.returncode, result.stdout[-2000:], result.stderr[-4000:])
    return result


def _not_source(folder: str, names: list[str]) -> set[str]:
    """What a checkout holds besides the source: the venv, caches, run data, earlier builds, the tests."""
    top = Path(folder) == ROOT
    return {n for n in names if n.startswith(".") or n == "__pycache__" or n.endswith(".egg-info")
            or (top and n in ("data", "build", "dist", "tests", "node_modules"))}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kb built as a wheel from this checkout, the way `pip install .` builds it (from a copy: setuptools writes build/)."""
    src = tmp_path_factory.mktemp("src") / "kb"
    shutil.copytree(ROOT, src, ignore=_not_source)
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(src)], out, dict(os.environ))
    (built,) = out.glob("kb-*.whl")
    return built


def test_the_wheel_holds_the_demo_and_the_judged_queries_but_not_the_builder(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("demo/__init__.py", "demo/server.py", "demo/prepare.py", "demo/sources.yaml", "demo/manifest.json",
                   "demo/queries.yaml", "demo/sites/kommunen/index.html", "demo/sites/kommunen/_meta.json",
                   "demo/sites/kommunen/robots.txt", "kb/taxonomy.yaml", "web/templates/base.html"):
        assert needed in names, needed
    manifest = json.loads((ROOT / "demo" / "manifest.json").read_text(encoding="utf-8"))
    documents = [f"demo/sites/{m['site']}{m['path']}" for m in manifest if m["kind"] == "document"]
    assert documents and set(documents) <= names  # the PDF, Word and PowerPoint files too
    assert not [n for n in names if n.startswith(("demo/builder/", "demo/content/", "tests/"))]


def test_kb_demo_runs_from_an_empty_folder_after_pip_install(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, dict(os.environ))
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)], tmp_path, dict(os.environ))
    # kb's dependencies are those of the test environment (no download); kb itself only from the wheel
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, {}).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KB_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = _run([str(python), "-c", "import demo, kb, web; print(demo.__file__, kb.__file__, web.__file__)"], empty, env).stdout
    assert str(ROOT) not in where and where.count(str(site)) == 3, where
    kb = str(venv / "bin" / "kb")
    assert "--no-serve" in _run([kb, "demo", "--help"], empty, env).stdout
    demo = _run([kb, "demo", "--no-serve", "--sites-port", str(_free_port())], empty, env)
    assert "index: Index gen-" in demo.stdout and f" {INDEXABLE} dokument" in demo.stdout, demo.stdout
    assert (empty / "data" / "demo" / "kb.sqlite3").is_file()
    stats = json.loads(_run([kb, "--data-dir", "data/demo", "stats", "--json"], empty, env).stdout)
    assert stats["documents"] == stats["index"]["doc_count"] == INDEXABLE
    report = json.loads(_run([kb, "--data-dir", "data/demo", "eval", "--current", "--json"], empty, env, timeout=900).stdout)
    assert report["overall"]["count"] >= 50  # the judged queries came from the installed package
    assert sorted(p.name for p in empty.iterdir()) == ["data"]
