"""Self-policing: every command has --help, import boundaries hold, the taxonomy is labelled, modules are documented."""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kb import cli
from kb.sources import SOURCE_KEYS
from kb.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "crawler", "index", "web")


def _commands() -> list[str]:
    parser = cli.build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def _modules(package: str) -> list[str]:
    base = ROOT / package
    out = []
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(".".join(parts))
    return out


def test_commands_are_the_documented_set() -> None:
    assert set(_commands()) >= {"check", "crawl", "index", "update", "search", "report", "stats", "test-url", "eval", "serve", "demo"}


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"användning: kb {command}")


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in _commands():
        assert re.search(rf"^\s+{re.escape(command)}\s", out, re.M), command


def _imported_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def _top(names: set[str], *packages: str) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in packages)


def test_importing_kb_cli_stays_light() -> None:
    loaded = _imported_after(["kb.cli"])
    assert _top(loaded, "crawler", "index", "web", "whoosh", "starlette", "requests", "bs4", "pypdfium2") == []


# Package boundaries, read statically from every import statement (lazy imports inside functions
# included). The same rules are import-linter contracts in pyproject.toml, run by `make lint`.
FORBIDDEN = {
    "kb": ("crawler", "index", "web", "demo"),
    "crawler": ("index", "web", "demo"),
    "index": ("crawler", "web", "demo"),
    "web": ("crawler", "index", "demo"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _is_cli(path: Path) -> bool:
    rel = path.relative_to(ROOT).parts
    return rel[:2] == ("kb", "cli") or rel[:2] == ("kb", "cli.py")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_boundaries_hold_for_every_import_statement(package: str) -> None:
    broken = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if package == "kb" and _is_cli(path):
            continue  # the CLI is the one place that wires the stages together
        for line, module in _imports(path):
            if module.split(".")[0] in FORBIDDEN[package]:
                broken.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert broken == []


def test_boundary_check_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "lazy.py"
    sample.write_text("def f():\n    from index.search import X\n    import crawler.fetch\n", encoding="utf-8")
    assert [m for _, m in _imports(sample)] == ["index.search", "crawler.fetch"]


def test_import_linter_contracts_are_kept() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


# Modules allowed over the size limit, each with its reason.
LONG_MODULES: dict[str, str] = {}
MAX_MODULE_LINES = 420


def test_no_module_is_over_the_size_limit() -> None:
    too_long = []
    for package in (*PACKAGES, "demo", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES and rel not in LONG_MODULES:
                too_long.append(f"{rel}: {lines}")
    assert too_long == []


def test_tests_do_not_skip_the_projects_own_code() -> None:
    offenders = []
    own = re.compile(r"importorskip\(\s*[\"'](kb|crawler|index|web|demo|bench)\b")
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if own.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


SWEDISH_WORDS = re.compile(r"\b(och|för|av|som|i|mot|till|med|eller|om)\b")


def test_every_taxonomy_slug_has_a_swedish_label_and_description() -> None:
    tax = load_taxonomy()
    assert len(tax.delomraden) >= 8
    for facet, cats in (("delomrade", tax.delomraden), ("doc_type", tax.doc_types), ("malgrupp", tax.malgrupper)):
        for c in cats:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.slug), c.slug
            assert c.label and c.label != c.slug and c.label[0].isupper(), c.slug
            assert tax.label(facet, c.slug) == c.label
            for sub in c.subtopics:
                assert sub.label and sub.label[0].isupper(), sub.slug
    for c in tax.delomraden:
        assert len(c.description) > 30 and SWEDISH_WORDS.search(c.description), c.slug
        assert c.terms, c.slug


def test_every_module_has_a_docstring() -> None:
    missing = []
    for package in (*PACKAGES, "tests"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "fixtures" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            if path.name == "__init__.py" and not tree.body:
                continue
            if not ast.get_docstring(tree):
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_mentions_every_command() -> None:
    text = _readme()
    missing = [c for c in _commands() if not re.search(rf"\bkb (-q )?{re.escape(c)}\b", text)]
    assert missing == []


def test_readme_mentions_every_sources_key() -> None:
    text = _readme()
    assert [k for k in SOURCE_KEYS if f"`{k}`" not in text] == []


def test_readme_documents_every_command_and_exit_code() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [c for c in _commands() if f"### `kb {c}" not in text] == []
    for code in ("0", "1", "2", "69", "74", "75", "78"):
        assert f"\n| {code} |" in text, code


def test_pyproject_console_script_points_at_the_cli() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'kb = "kb.cli:entrypoint"' in text
    assert callable(cli.entrypoint)
