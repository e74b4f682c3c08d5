"""Reading sources.yaml: encoding and YAML syntax errors in Swedish with line, column and what to do; node helpers."""

from __future__ import annotations

import codecs
import difflib
import threading
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from kb.errors import ConfigError, Problem

# libyaml when it is there: the pure-Python composer is ten times slower on a large file.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def fast_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when it is there (the taxonomy and county files: same data, 6× faster)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
_SAVE_AS_UTF8 = "spara filen som UTF-8 (i Anteckningar: Spara som → Kodning: UTF-8) och kör kb check igen"
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
_INDENT = "indraget stämmer inte; nycklar i samma källa ska stå exakt lika långt in (med mellanslag) och varje källa börja med '- '"
# (fragment of PyYAML's or libyaml's problem text, Swedish explanation with what to do)
_SYNTAX: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed", "ett kolon följt av mellanslag mitt i ett värde, eller fel indrag; "
     "sätt värdet inom citattecken (\"…\") eller rätta indraget"),
    ("could not find expected ':'", "en nyckel utan kolon; skriv 'nyckel: värde' med mellanslag efter kolonet"),
    ("expected ',' or ']'", "en lista inom [ ] avslutas inte; stäng hakparentesen och sätt värden med komma inom citattecken"),
    ("expected ',' or '}'", "en mappning inom { } avslutas inte; stäng klammerparentesen"),
    ("end of stream", "ett citattecken öppnas men stängs aldrig; lägg till det avslutande citattecknet"),
    ("expected key", _INDENT),
    ("<block end>", _INDENT),
    ("'-' indicator", _INDENT),
    ("undefined alias", "'*' i början av ett värde läses som en YAML-referens; sätt värdet inom citattecken"),
    ("unknown escape character", "okänt bakstreck-tecken inom dubbla citattecken (t.ex. \"re:\\.pdf\"); "
     "skriv värdet inom enkla citattecken ('re:\\.pdf') eller dubblera bakstrecket"),
    ("another document", "filen innehåller flera YAML-dokument; ta bort raden '---' (eller '...')"),
    ("cannot start any token", "tecknet kan inte inleda ett värde i YAML; sätt värdet inom citattecken"),
)


class Collector:
    """Every problem found, each with file, line (from the YAML node) and key."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.errors = 0

    def add(self, node: yaml.Node | None, key: str, value: object, message: str, severity: str = "error") -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(self.file, line, key, value, message, severity))
        self.errors += severity == "error"


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (menade du '{close[0]}'?)" if close else ""


class _Constructors(threading.local):
    """One SafeConstructor per thread: it keeps state while it builds a value (the web app may load in threads)."""

    def __init__(self) -> None:
        self.constructor = SafeConstructor()


_LOCAL = _Constructors()
_STR = "tag:yaml.org,2002:str"
# Values in the file once its aliases are filled in: 7,200 sources (5 MB) are about 150,000.
MAX_EXPANDED_NODES = 1_000_000


def scalar(node: yaml.Node) -> Any:
    """The Python value of a node, typed as YAML's safe loader would type it."""
    if node.tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value  # the common case, without the constructor's overhead
    try:
        return _LOCAL.constructor.construct_object(node, deep=True)
    except (ValueError, TypeError, AttributeError, yaml.constructor.ConstructorError):  # what SafeConstructor raises
        # a date-like text that is no date (2026-13-45), or a tag such as !!binary: the text as written, which
        # the key's validator then accepts as text or rejects with its own message
        return node.value if isinstance(node, yaml.ScalarNode) else None
    finally:
        _LOCAL.constructor.constructed_objects.clear()  # no cache across calls: memory stays flat on a large file


def _fail(file: str, line: int | None, message: str) -> ConfigError:
    return ConfigError([Problem(file, line, "yaml", None, message)])


def decode(file: str, data: bytes) -> str:
    """The file's text; a UTF-16/32 file, or bytes that are not UTF-8, raise ConfigError saying where and what to do."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _fail(file, 1, f"filen är sparad som {name}; {_SAVE_AS_UTF8}")
    try:
        return data.decode("utf-8-sig")  # a UTF-8 byte order mark is harmless and skipped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        guess = data[exc.start : exc.start + 1].decode("cp1252", "replace")
        raise _fail(
            file, line,
            f"kolumn {column}: filen är inte UTF-8 (byte 0x{data[exc.start]:02x}, troligen '{guess}' i Windows-1252/ANSI); {_SAVE_AS_UTF8}",
        ) from None


def read_text(path: Path | str) -> str:
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(file, None, "sources", None, "filen finns inte")]) from None
    except OSError as exc:
        raise ConfigError([Problem(file, None, "sources", None, f"kan inte läsas: {exc}")]) from None
    return decode(file, data)


def _syntax_message(text: str, exc: yaml.MarkedYAMLError, line: int, column: int) -> str:
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = here[: len(here) - len(here.lstrip(" \t"))]
    if "\t" in indent or here[column - 1 : column] == "\t":
        return "tabbtecken i indraget; YAML tillåter bara mellanslag: ersätt tabbarna med mellanslag"
    problem = str(exc.problem or "") + " " + str(exc.context or "")
    for fragment, swedish in _SYNTAX:
        if fragment in problem:
            if fragment == "cannot start any token" and here[column - 1 : column].strip():
                return f"tecknet '{here[column - 1]}' kan inte inleda ett värde i YAML; sätt värdet inom citattecken"
            return swedish
    return f"ogiltig YAML ({exc.problem}); kontrollera indrag (mellanslag), kolon och citattecken på raden"


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes in the tree once every alias is filled in (a shared node counted at each use), capped at ``limit + 1``.

    Iterative and memoised per node, so it costs one visit per distinct node however deep or shared the tree is."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = list(node.value) if isinstance(node, yaml.SequenceNode) else []
        if done:
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(child)] for child in children))
        elif id(node) not in sizes:
            sizes[id(node)] = 1  # in progress: an alias back to an enclosing node (a recursive value) counts once
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def compose(file: str, text: str) -> yaml.Node | None:
    """The YAML node tree of ``text``; a syntax error raises ConfigError in Swedish with line and column."""
    try:
        node: yaml.Node | None = yaml.compose(text.lstrip("\ufeff"), Loader=_LOADER)
        # An alias (*name) reuses an anchored value: a few lines can name billions of values ("billion laughs"),
        # which would take minutes and gigabytes to build and print. Aliases need a '*', so most files skip the walk.
        if node is not None and "*" in text and expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
            raise _fail(
                file, None,
                f"YAML-referenserna (&ankare och *alias) blir fler än {MAX_EXPANDED_NODES:,} värden när de fylls i".replace(",", " ")
                + "; skriv ut värdena i stället för att referera i flera led",
            )
        return node
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character
        code = f"U+{ord(char):04X}" if isinstance(char, str) else f"0x{char:02x}"
        raise _fail(file, line, f"otillåtet styrtecken ({code}) i filen; ta bort det, eller {_SAVE_AS_UTF8}") from None
    except yaml.MarkedYAMLError as exc:
        # an unclosed quote or bracket is reported where it opened, not at the end of the file
        opened = any(f in str(exc.problem) for f in ("end of stream", "expected ',' or"))
        mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise _fail(file, line, f"kolumn {column}: {_syntax_message(text, exc, line, column)}") from None
    except yaml.YAMLError as exc:
        raise _fail(file, None, f"ogiltig YAML ({exc})") from None
