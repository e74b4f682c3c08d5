"""Every inflected form hunspell-sv accepts, for one question: is a typed word Swedish?

The analyzer's lexicon (``index.morphology``) holds hunspell-sv's base forms and wswedish's word list, so
"misshandlare", "stalkad" or "förföljda" — forms hunspell-sv builds with its affix rules — looked like typos, and
"Menade du" offered "misshandel" and "starka" for them. Expanding sv_SE.dic by the suffix rules of sv_SE.aff (one
level of continuation classes; compounds are not expanded) gives ~830,000 forms in ~1.5 s; they are kept as a sorted
array of 64-bit hashes (~6.7 MB, read in ~10 ms) in ``data/cache/``, checked like the lexicon's cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from index import morphology, wordcache

log = logging.getLogger(__name__)

AFF_PATH = morphology.HUNSPELL_PATH.with_suffix(".aff")
# sv_SE.aff's flags: a stem that is no word alone; a word that is none at all; a form only inside compounds ("kvinno")
NEEDAFFIX, FORBIDDEN, ONLYINCOMPOUND = "¤", "%", "Z"
_installed: list[np.ndarray] = []


def _rules(aff: Path) -> dict[str, list[tuple[str, str, re.Pattern[str], str]]]:
    """Suffix rules by flag: (strip, add, condition on the stem, continuation flags)."""
    rules: dict[str, list[tuple[str, str, re.Pattern[str], str]]] = {}
    for line in aff.read_text(encoding="utf-8").splitlines():
        p = line.split()
        if len(p) < 5 or p[0] != "SFX":
            continue
        strip, (add, _, cont) = ("" if p[2] == "0" else p[2]), p[3].partition("/")
        rules.setdefault(p[1], []).append((strip, "" if add == "0" else add, re.compile(p[4] + "$"), cont))
    return rules


def _apply(word: str, flags: str, rules: dict[str, list[tuple[str, str, re.Pattern[str], str]]]) -> Iterator[tuple[str, str]]:
    for flag in flags:
        for strip, add, cond, cont in rules.get(flag, ()):
            if word.endswith(strip) and cond.search(word):
                yield word[: len(word) - len(strip)] + add, cont


def generate_forms(dic: Path = morphology.HUNSPELL_PATH, aff: Path = AFF_PATH) -> Iterator[str]:
    """Each word of ``dic`` that is a word alone, and each form its suffix flags (and theirs, once) make. Names (a
    capital first letter: "Barents", "Flickr") are left out, so "barents bästa" is still a typo of "barnens bästa",
    and so are forms that only start compounds ("kvinno", "känslo")."""
    rules = _rules(aff)
    lines = dic.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:  # the first line is the entry count
        word, _, flags = line.strip().partition("/")
        if not word or FORBIDDEN in flags or not word[0].islower():
            continue
        if NEEDAFFIX not in flags and ONLYINCOMPOUND not in flags:
            yield word
        for form, cont in _apply(word, flags, rules):
            if ONLYINCOMPOUND not in cont:
                yield form
            for again, more in _apply(form, cont, rules):
                if ONLYINCOMPOUND not in more:
                    yield again


def _hash(words: Iterator[str] | list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in words],
                    dtype=np.uint64)


def build_hashes(dic: Path = morphology.HUNSPELL_PATH, aff: Path = AFF_PATH) -> np.ndarray:
    """The sorted, distinct hashes of ``generate_forms``; empty (with a warning) without hunspell-sv."""
    try:
        return np.unique(_hash(generate_forms(dic, aff)))
    except OSError as exc:
        log.warning("no hunspell-sv affix forms (%s): inflected forms only the affix rules make may be 'corrected'", exc)
        return np.zeros(0, dtype=np.uint64)


def _cache_file(cache_dir: Path) -> Path | None:
    try:
        key = wordcache.word_lists_key(__file__) | {"aff": wordcache.file_stat(AFF_PATH)}
    except OSError:
        return None
    if any(entry is None for entry in key["word_lists"]) or key["aff"] is None:
        return None
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / f"hunspell-forms-{digest}.npy"


def _read(cache: Path) -> np.ndarray | None:
    try:
        arr: np.ndarray = np.load(cache, allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.info("cache %s unreadable (%s); rebuilding", cache, exc)
        return None
    if arr.dtype != np.uint64 or arr.ndim != 1 or not len(arr) or bool(np.any(arr[1:] <= arr[:-1])):
        log.info("cache %s is damaged; rebuilding", cache)
        return None
    return arr


def _write(cache: Path, arr: np.ndarray) -> None:
    """Atomically, and stale versions removed; a folder that cannot be written only logs."""
    tmp: str | None = None
    try:
        cache.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".hunspell-forms-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        os.chmod(tmp, 0o644)  # readable by the web workers' user when the CLI wrote it
        os.replace(tmp, cache)
        tmp = None
        for old in cache.parent.glob("hunspell-forms-*.npy"):
            if old != cache:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.info("cache %s not written (%s); computed again in every process", cache, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def load_forms_cached(cache_dir: Path) -> np.ndarray:
    """The hashes from ``cache_dir`` when current, else built and cached; built or read once per process, and written
    to another data directory's cache this process serves or builds when that has none."""
    cache = _cache_file(cache_dir)
    if not _installed:
        arr = _read(cache) if cache is not None else None
        if arr is None:
            arr = build_hashes()
            if cache is not None and len(arr):
                _write(cache, arr)
        _installed.append(arr)
    elif cache is not None and not cache.exists() and len(_installed[0]):
        _write(cache, _installed[0])
    return _installed[0]


def is_form(word: str) -> bool:
    """Is ``word`` (any case) a form hunspell-sv's dictionary and suffix rules make? Without a service having installed
    the cached hashes, they are built in this process on first use (~2 s)."""
    if not _installed:
        _installed.append(build_hashes())
    arr = _installed[0]
    h = _hash([word.lower()])[0]
    i = int(np.searchsorted(arr, h))
    return i < len(arr) and bool(arr[i] == h)
