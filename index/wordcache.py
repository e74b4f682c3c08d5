"""Cache files in data/cache/ for what the analyzer derives from the system word lists: checked, atomic, optional."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from index import morphology

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the layout of the files changes
LEXICON_FIELDS = ("lemmas", "forms", "modifier_forms", "curated", "first_forms")
_installed: list[Path] = []  # the cache file the process's lexicon was read from or written to


def file_stat(path: Path | None) -> list[Any] | None:
    """[path, size, mtime in ns], or None when there is no such file."""
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return None if st is None else [str(path), st.st_size, st.st_mtime_ns]


def word_lists_key(*code_files: str) -> dict[str, Any]:
    """What the analyzer's lexicon depends on: its word lists (size and mtime), ``index.morphology``'s code and the
    code of ``code_files`` (the module that derives more from it)."""
    code = hashlib.sha256()
    for name in (__file__, morphology.__file__, *code_files):
        code.update(Path(name).read_bytes())
    lists = [file_stat(p) for p in (morphology.CURATED_PATH, morphology.HUNSPELL_PATH, morphology.WORDLIST_PATH)]
    return {"format": FORMAT, "word_lists": lists, "code": code.hexdigest()}


def read_lines(cache: Path, key: dict[str, Any]) -> list[str] | None:
    """The lines of a cache file that exists, is whole and was built from what ``key`` describes; else None.

    Layout: one JSON line (the key, the body's SHA-256 and line count), then the body's lines."""
    try:
        raw = cache.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.info("cache %s unreadable (%s); rebuilding", cache, exc)
        return None
    head, _, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
        ok = isinstance(header, dict) and header.get("sha256") == hashlib.sha256(body).hexdigest()
        lines = body.decode().split("\n")[:-1] if ok else []
    except ValueError:  # not JSON, not UTF-8
        ok = False
    if not ok or len(lines) != header.get("lines"):
        log.info("cache %s is damaged or cut short; rebuilding", cache)
        return None
    if header.get("key") != key:
        log.info("cache %s is stale; rebuilding", cache)
        return None
    return lines


def write_lines(cache: Path, key: dict[str, Any], lines: list[str]) -> None:
    """Write atomically (a temporary file renamed over the old one). Nothing is written when a line holds a newline;
    a folder that cannot be written only logs (the data directory itself is never created here)."""
    if any("\n" in line for line in lines):
        return
    body = "".join(line + "\n" for line in lines).encode()
    header = {"key": key, "sha256": hashlib.sha256(body).hexdigest(), "lines": len(lines)}
    tmp: str | None = None
    try:
        cache.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=f".{cache.stem}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" + body)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from the web workers' user when the CLI wrote it
        os.replace(tmp, cache)
        tmp = None
        log.debug("cache written: %s (%d lines)", cache, len(lines))
    except OSError as exc:
        log.info("cache %s not written (%s); computed again in every process", cache, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


# -- the lexicon ------------------------------------------------------------------------------------------------------
def lexicon_cache_file(cache_dir: Path) -> Path:
    return cache_dir / "lexicon.tsv"


def load_lexicon_cached(cache_dir: Path) -> morphology.Lexicon:
    """The analyzers' default lexicon through ``read_lexicon``, once per process; ``morphology.lexicon()`` answers it
    from then on."""
    if not _installed:
        morphology.install_lexicon(read_lexicon(cache_dir))
        _installed.append(lexicon_cache_file(cache_dir))
    return morphology.lexicon()


def read_lexicon(cache_dir: Path) -> morphology.Lexicon:
    """The default lexicon from ``cache_dir`` when current (~0.05 s instead of ~0.35 s of reading hunspell-sv and
    wswedish), else ``morphology.lexicon()``, then cached. Layout: one line per field, "lemmas<TAB>word<TAB>…".

    With a word list missing nothing is cached, so its warning is logged by every process as before."""
    try:
        key = word_lists_key()
    except OSError:  # the code files cannot be read (an unusual install): no cache
        return morphology.lexicon()
    if any(entry is None for entry in key["word_lists"]):
        return morphology.lexicon()
    cache = lexicon_cache_file(cache_dir)
    fields: dict[str, list[str]] = {}
    for line in read_lines(cache, key) or ():
        words = line.split("\t")
        fields[words[0]] = words[1:]
    if set(fields) == {*LEXICON_FIELDS, "sources"}:
        lemmas, modifier_forms = frozenset(fields["lemmas"]), frozenset(fields["modifier_forms"])
        return morphology.Lexicon(lemmas=lemmas, forms=lemmas | frozenset(fields["forms"]), modifier_forms=modifier_forms,
                                  curated=frozenset(fields["curated"]), sources=tuple(fields["sources"]),
                                  first_forms=modifier_forms | frozenset(fields["first_forms"]))
    lex = morphology.lexicon()
    # forms hold every lemma and first_forms every modifier form: stored without them (a third fewer words to read)
    stored = {**{name: getattr(lex, name) for name in LEXICON_FIELDS},
              "forms": lex.forms - lex.lemmas, "first_forms": lex.first_forms - lex.modifier_forms}
    rows = [(name, *sorted(stored[name])) for name in LEXICON_FIELDS] + [("sources", *lex.sources)]
    writable = lex.lemmas <= lex.forms and lex.modifier_forms <= lex.first_forms
    if writable and not any("\t" in w for row in rows for w in row):  # the layout cannot carry a tab inside a word
        write_lines(cache, key, ["\t".join(row) for row in rows])
    return lex
