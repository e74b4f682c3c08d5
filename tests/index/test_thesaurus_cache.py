"""The word-list caches in data/cache/ (stemmed thesaurus, lexicon): used when current, rebuilt when stale or damaged, optional."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from _search_corpus import BASE, serving

from index import morphology, thesaurus, wordcache
from kb.searchmodel import SearchRequest

MYTHES = "ISO8859-1\nprata|1\n(verb)|samtala|tala|snacka\nsamtal|1\n(substantiv)|konversation|prat med dig\nnät|1\n-|internet|webb\n"
EXPECTED = {"prat": ("samtal", "tal", "snack"), "samtal": ("konversation",), "nät": ("int", "webb")}


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    path = tmp_path / "th_sv.dat"
    path.write_bytes(MYTHES.encode("latin-1"))
    return path


@pytest.fixture()
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cache"  # as the search service passes it: data/ exists, cache/ is created on first use


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on only the cache can answer: parsing the source fails the test."""
    def refuse(path: Path) -> thesaurus.Table:
        raise AssertionError(f"{path} parsed although its cache is current")

    monkeypatch.setattr(thesaurus, "parse_thesaurus", refuse)


def test_the_first_read_writes_the_cache_and_later_reads_use_it(source: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert thesaurus.read_thesaurus(source, cache_dir) == EXPECTED
    cache = thesaurus.cache_file(source, cache_dir)
    assert cache.is_file() and [p.name for p in cache_dir.iterdir()] == [cache.name]  # no temporary file left behind
    assert cache.stat().st_mode & 0o777 == 0o644  # readable by the web workers' user when the CLI wrote it
    no_parsing(monkeypatch)
    table = thesaurus.read_thesaurus(source, cache_dir)
    assert table == EXPECTED and list(table) == list(EXPECTED)  # the same table, in the thesaurus's order


def test_the_real_thesaurus_reads_back_identical_from_its_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not thesaurus.THESAURUS_PATH.is_file():
        pytest.skip("mythes-sv is not installed (make wordlists)")
    parsed = thesaurus.read_thesaurus(thesaurus.THESAURUS_PATH, cache_dir)
    no_parsing(monkeypatch)
    cached = thesaurus.read_thesaurus(thesaurus.THESAURUS_PATH, cache_dir)
    assert len(parsed) > 10_000 and cached == parsed and list(cached.items()) == list(parsed.items())


def test_a_changed_source_rebuilds_the_cache(source: Path, cache_dir: Path) -> None:
    thesaurus.read_thesaurus(source, cache_dir)
    source.write_bytes((MYTHES + "slå|1\n-|misshandla\n").encode("latin-1"))
    assert thesaurus.read_thesaurus(source, cache_dir) == {**EXPECTED, "slå": ("misshandl",)}
    # the same size, another content: the modification time tells
    source.write_bytes(MYTHES.replace("webb", "nets").encode("latin-1"))
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 1_000_000_000))
    assert thesaurus.read_thesaurus(source, cache_dir)["nät"] == ("int", "net")
    key = json.loads(thesaurus.cache_file(source, cache_dir).read_bytes().split(b"\n", 1)[0])["key"]
    assert key == thesaurus.cache_key(source)  # the rebuilt file describes the new source


def test_a_changed_word_list_makes_the_cache_stale(source: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    thesaurus.read_thesaurus(source, cache_dir)
    before = thesaurus.cache_key(source)
    words = tmp_path / "swedish"
    words.write_text("samtal\n", encoding="latin-1")
    monkeypatch.setattr(morphology, "WORDLIST_PATH", words)  # the stems depend on the analyzer's word lists
    assert thesaurus.cache_key(source) != before
    parsed: list[Path] = []
    real_parse = thesaurus.parse_thesaurus

    def counting(path: Path) -> thesaurus.Table:
        parsed.append(path)
        return real_parse(path)

    monkeypatch.setattr(thesaurus, "parse_thesaurus", counting)
    assert thesaurus.read_thesaurus(source, cache_dir) == EXPECTED and parsed == [source]


@pytest.mark.parametrize("damage", ["cut short", "one byte changed", "garbage", "empty", "header only"])
def test_a_damaged_cache_is_ignored_and_rebuilt(source: Path, cache_dir: Path, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    thesaurus.read_thesaurus(source, cache_dir)
    cache = thesaurus.cache_file(source, cache_dir)
    whole = cache.read_bytes()
    header, _, body = whole.partition(b"\n")
    cache.write_bytes({
        "cut short": whole[: len(whole) - 12],
        "one byte changed": header + b"\n" + body.replace(b"webb", b"wobb"),
        "garbage": b"\x00\xff not a cache \n\t\n",
        "empty": b"",
        "header only": header,
    }[damage])
    assert thesaurus.read_thesaurus(source, cache_dir) == EXPECTED
    assert cache.read_bytes() == whole  # rewritten whole
    no_parsing(monkeypatch)
    assert thesaurus.read_thesaurus(source, cache_dir) == EXPECTED


def test_without_a_writable_cache_folder_the_thesaurus_is_parsed(source: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert thesaurus.read_thesaurus(source, not_a_dir / "cache") == EXPECTED  # mkdir fails (also as root)
    missing = tmp_path / "no-data-dir"
    assert thesaurus.read_thesaurus(source, missing / "cache") == EXPECTED
    assert not missing.exists()  # a search never creates the data directory
    assert thesaurus.read_thesaurus(source) == EXPECTED  # no cache folder at all


def test_a_cache_that_cannot_be_read_is_rebuilt(source: Path, cache_dir: Path) -> None:
    cache = thesaurus.cache_file(source, cache_dir)
    cache_dir.mkdir()
    cache.mkdir()  # a directory where the file should be: neither readable nor replaceable
    assert thesaurus.read_thesaurus(source, cache_dir) == EXPECTED
    assert cache.is_dir() and [p.name for p in cache_dir.iterdir()] == [cache.name]  # the temporary file removed


def test_a_missing_thesaurus_writes_no_cache(tmp_path: Path, cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert thesaurus.read_thesaurus(tmp_path / "absent.dat", cache_dir) == {}
    assert "mythes-sv" in caplog.text and not cache_dir.exists()


def test_the_search_service_fills_the_data_dirs_cache_and_searches_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "th_sv.dat"
    path.write_bytes(MYTHES.encode("latin-1"))
    monkeypatch.setattr(thesaurus, "THESAURUS_PATH", path)
    pages = {"samtal": ("Samtal med barn", "Samtal med barn om våld behöver vara lugna."),
             "annat": ("Barn i skolan", "Barn i skolan, barn på fritids och barn i förskolan.")}
    with serving(tmp_path / "site", pages) as svc:
        assert thesaurus.cache_file(path, svc.settings.data_dir / "cache").is_file()
        found = [h.url.removeprefix(BASE + "/") for h in svc.search(SearchRequest(q="pratar barn", per_page=10)).results]
        assert found == ["samtal", "annat"]  # "samtal", a synonym of "prata", re-ranks the page saying it first


# -- the lexicon ---------------------------------------------------------------------------------------------------
def have_word_lists() -> bool:
    return morphology.HUNSPELL_PATH.is_file() and morphology.WORDLIST_PATH.is_file()


def no_lexicon_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> morphology.Lexicon:
        raise AssertionError("the word lists read although the lexicon's cache is current")

    monkeypatch.setattr(morphology, "lexicon", refuse)


def test_the_lexicon_reads_back_identical_from_its_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not have_word_lists():
        pytest.skip("hunspell-sv or wswedish is not installed (make wordlists)")
    parsed = morphology.load_lexicon()
    assert wordcache.read_lexicon(cache_dir) == parsed
    assert wordcache.lexicon_cache_file(cache_dir).is_file()
    no_lexicon_loading(monkeypatch)
    cached = wordcache.read_lexicon(cache_dir)
    assert cached == parsed and len(cached.forms) > 100_000 and cached.sources == parsed.sources


def test_a_stale_or_damaged_lexicon_cache_is_rebuilt(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not have_word_lists():
        pytest.skip("hunspell-sv or wswedish is not installed (make wordlists)")
    wordcache.read_lexicon(cache_dir)
    cache = wordcache.lexicon_cache_file(cache_dir)
    whole = cache.read_bytes()
    cache.write_bytes(whole[: len(whole) // 2])  # cut short
    assert wordcache.read_lexicon(cache_dir) == morphology.load_lexicon() and cache.read_bytes() == whole
    curated = tmp_path / "compounds.txt"
    curated.write_bytes(morphology.CURATED_PATH.read_bytes() + b"# one more line\n")
    monkeypatch.setattr(morphology, "CURATED_PATH", curated)  # a changed word list: the cache no longer describes it
    loaded: list[bool] = []
    real = morphology.lexicon

    def counting() -> morphology.Lexicon:
        loaded.append(True)
        return real()

    monkeypatch.setattr(morphology, "lexicon", counting)
    wordcache.read_lexicon(cache_dir)
    assert loaded and cache.read_bytes() != whole  # read from the lists and cached under the new key


def test_the_lexicon_without_a_writable_cache_folder(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert wordcache.read_lexicon(not_a_dir / "cache") == morphology.lexicon()


def test_the_cached_lexicon_is_the_one_the_analyzers_use(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not have_word_lists():
        pytest.skip("hunspell-sv or wswedish is not installed (make wordlists)")
    wordcache.read_lexicon(cache_dir)  # written
    monkeypatch.setattr(wordcache, "_installed", [])  # as in a fresh process
    monkeypatch.setattr(morphology, "_installed", [])
    lex = wordcache.load_lexicon_cached(cache_dir)
    assert lex is not morphology.load_lexicon() and lex == morphology.load_lexicon()  # read from the cache file
    assert morphology.lexicon() is lex
    assert wordcache.load_lexicon_cached(cache_dir / "elsewhere") is lex  # once per process
