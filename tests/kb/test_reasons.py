"""Every failure reason code the crawler can produce has a Swedish explanation (collected from crawler/ by AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kb.reasons import reason_label

CRAWLER = Path(__file__).resolve().parents[2] / "crawler"
ERROR_CLASSES = {"FetchError", "BlockedAddress", "BadUrl", "RedirectRefused", "ExtractError"}
REPORT_CALLS = {"fail", "fail_locked", "skip"}  # (url, reason, detail)
HTTP_SAMPLES = (400, 401, 403, 404, 405, 408, 410, 418, 429, 451, 500, 502, 503, 504, 599)


class Collector(ast.NodeVisitor):
    """Reason codes (and f-string families such as 'http_', 'robots_') in one module."""

    def __init__(self, constants: dict[str, str]) -> None:
        self.constants = constants
        self.codes: set[str] = set()
        self.families: set[str] = set()
        self.fetch_codes: set[str] = set()
        self._function = ""

    def add(self, node: ast.AST | None, fetch: bool = False) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.codes.add(node.value)
            if fetch:
                self.fetch_codes.add(node.value)
        elif isinstance(node, ast.Name) and node.id in self.constants:
            self.codes.add(self.constants[node.id])
            if fetch:
                self.fetch_codes.add(self.constants[node.id])
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            self.families.add(str(node.values[0].value))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
            self.families.add(str(node.left.value))
        elif isinstance(node, ast.IfExp):
            self.add(node.body, fetch)
            self.add(node.orelse, fetch)
        elif isinstance(node, ast.Tuple) and node.elts:
            self.add(node.elts[0], fetch)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self._function = self._function, node.name
        self.generic_visit(node)
        self._function = outer

    def visit_Return(self, node: ast.Return) -> None:
        if self._function == "hop_check":  # its label becomes the FetchError reason of a refused redirect
            self.add(node.value, fetch=True)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in ERROR_CLASSES and node.args:
            self.add(node.args[0], fetch=name != "ExtractError")
        if name in REPORT_CALLS and len(node.args) > 1:
            self.add(node.args[1])
        if name == "Outcome" and len(node.args) > 2:
            self.add(node.args[2])
        if name == "append" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) \
                and func.value.attr in ("failures", "skips") and node.args and isinstance(node.args[0], ast.Tuple):
            self.add(node.args[0].elts[1])
        for kw in node.keywords:
            if kw.arg in ("reason", "gone_reason", "failure", "info"):
                self.add(kw.value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute | ast.Name) and getattr(target, "attr", getattr(target, "id", "")) == "reason":
                self.add(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for t, v in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(t, ast.Attribute) and t.attr == "reason":
                        self.add(v)
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute) \
                    and target.value.attr in ("dead_origins", "gone"):
                self.add(node.value)
            elif isinstance(target, ast.Name) and (target.id.endswith("REASONS") or target.id in ("TRANSIENT", "GONE")):
                for elt in ast.walk(node.value):
                    self.add(elt)
        self.generic_visit(node)


def module_constants(trees: list[ast.Module]) -> dict[str, str]:
    """Module-level UPPER_CASE = "string" constants (OVER_BUDGET = "max_pages"…), for reasons passed by name."""
    out: dict[str, str] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        out[target.id] = node.value.value
    return out


def collect() -> tuple[set[str], set[str], set[str]]:
    trees = [ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(CRAWLER.rglob("*.py"))]
    collector = Collector(module_constants(trees))
    for tree in trees:
        collector.visit(tree)
    return collector.codes, collector.families, collector.fetch_codes


def all_codes() -> list[str]:
    """Every code, with the families expanded: http_<status>, robots_/sitemap_<fetch reason>, extract_<reason>."""
    from crawler.extract import REASONS

    codes, families, fetch_codes = collect()
    codes = {c for c in codes if c and not c.startswith("http_")} | set(REASONS)
    # bad_sitemap is raised while parsing a sitemap's body: never the reason a robots.txt or sitemap request failed
    fetch = (fetch_codes - {"bad_sitemap"}) | {f"http_{s}" for s in HTTP_SAMPLES}
    expanded = set(codes) | {f"http_{s}" for s in HTTP_SAMPLES}
    for prefix in families - {"http_"}:
        if prefix.endswith("http_"):  # f"robots_http_{status}"
            expanded |= {f"{prefix}{s}" for s in HTTP_SAMPLES}
        elif prefix == "extract_":
            expanded |= {"extract_" + r.replace(" ", "_") for r in REASONS}
        else:
            expanded |= {prefix + f for f in fetch}
    return sorted(expanded)


def test_the_collector_finds_the_known_codes_and_families() -> None:
    """The static collection really reaches the crawler's reasons (a collector that finds nothing would pass anything)."""
    codes, families, fetch_codes = collect()
    assert {"connection", "timeout", "too_large", "dns", "blocked_address", "soft_404", "internal_error", "bad_sitemap",
            "max_pages", "redirect_temporary", "out_of_scope", "robots", "host_skipped", "unsupported_type"} <= codes
    assert {"http_", "robots_", "robots_http_", "sitemap_", "extract_"} <= families
    assert {"connection", "host_skipped", "out_of_scope"} <= fetch_codes
    assert {"robots_connection", "robots_http_503", "sitemap_host_skipped", "http_404", "extract_ingen_text", "krypterad"} <= set(all_codes())


@pytest.mark.parametrize("code", all_codes())
def test_every_reason_code_has_a_swedish_label(code: str) -> None:
    label = reason_label(code)
    assert label != code, f"no Swedish label for the reason code {code!r}: add it to kb/reasons.py"
    assert label[:1].isupper() or label.startswith("robots.txt")
    assert "_" not in label.replace("max_pages", ""), label  # no raw code inside the explanation
    brief = reason_label(code, brief=True)
    assert brief and " – " not in brief and label.startswith(brief)


def test_labels_say_what_happened_and_what_to_do() -> None:
    assert reason_label("robots_connection") == (
        "robots.txt gick inte att hämta (anslutningen misslyckades) – webbplatsen hoppades över i natt; lagrade dokument behålls"
    )
    assert reason_label("robots_http_503") == (
        "robots.txt gick inte att hämta (webbplatsen svarade med HTTP 503) – webbplatsen hoppades över i natt; lagrade dokument behålls"
    )
    assert reason_label("http_404").startswith("Sidan finns inte (HTTP 404) – länken är trasig")
    assert reason_label("http_418") == "Webbplatsen avvisade förfrågan (HTTP 418)"
    assert reason_label("http_503", brief=True) == "Webbplatsen är tillfälligt otillgänglig (HTTP 503)"
    assert reason_label("extract_ingen_text") == reason_label("ingen text")
    assert reason_label("sitemap_host_skipped").startswith("Webbplatskartan (sitemap) lästes inte")


@pytest.mark.parametrize("code", ["", "something_new", "http_abc", "http_4040", "robots_something_new", "sitemap_xyz", "extract_okand"])
def test_unknown_codes_fall_back_to_the_code(code: str) -> None:
    assert reason_label(code) == code
    assert reason_label(code, brief=True) == code
