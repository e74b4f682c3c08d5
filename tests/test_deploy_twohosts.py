"""Two hosts, one truth: `kb publish --to DIR` copies the published generation; the other host switches only to a whole copy."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from _deploy import Server, add_documents, build_index, data_settings, get, wait_for

from index.publish import INCOMING_PREFIX, copy_generation, current_generation, read_generation_info
from kb import cli
from kb.settings import Settings
from kb.store import Store

NEW_WORD = "tvåvärdsprov"  # only in the second generation's documents


def publish_cli(src: Settings, *argv: str) -> int:
    options = [a for a in argv if a == "-q"]
    return cli.main(["--data-dir", str(src.data_dir), "--sources", str(src.sources), *options, "publish", *[a for a in argv if a != "-q"]])


@pytest.fixture
def primary(tmp_path: Path) -> Settings:
    settings = data_settings(tmp_path / "a" / "data")
    add_documents(settings, 0, 10)
    build_index(settings)
    return settings


def test_publish_to_copies_the_generation_and_a_store_snapshot(primary: Settings, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    other = data_settings(tmp_path / "b" / "data")
    assert publish_cli(primary, "--to", str(other.data_dir)) == 0
    gen = current_generation(primary.index_root)
    assert gen is not None
    copied = current_generation(other.index_root)
    assert copied is not None and copied.name == gen.name and copied.parent == other.index_root.resolve()
    assert read_generation_info(copied) == read_generation_info(gen)
    assert sorted(p.relative_to(gen) for p in gen.rglob("*")) == sorted(p.relative_to(copied) for p in copied.rglob("*"))
    with Store(other.store_path, readonly=True) as store:
        assert store.count_documents() == 10
    assert f"Publicerat {gen.name} i {other.data_dir} (" in capsys.readouterr().out
    # again: nothing to copy, current already points at it
    assert publish_cli(primary, "--to", str(other.data_dir)) == 0
    assert "fanns redan där" in capsys.readouterr().out
    # pull from the other side gives the same
    third = data_settings(tmp_path / "c" / "data")
    assert cli.main(["--data-dir", str(third.data_dir), "publish", "--from", str(primary.data_dir), "--index-only"]) == 0
    assert current_generation(third.index_root).name == gen.name  # type: ignore[union-attr]
    assert not third.store_path.exists()


def test_publish_without_an_index_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = data_settings(tmp_path / "tom")
    assert publish_cli(empty, "--to", str(tmp_path / "b")) == 1
    assert "inget publicerat index" in capsys.readouterr().err


def test_an_interrupted_copy_is_never_published_and_the_next_one_finishes(primary: Settings, tmp_path: Path) -> None:
    other = data_settings(tmp_path / "b" / "data")
    copy_generation(primary.index_root, other.index_root, keep=2)
    first = current_generation(other.index_root)
    add_documents(primary, 10, 5, NEW_WORD)
    second = build_index(primary)

    calls = 0

    def crash_after_three(_path: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("nätverket försvann")

    with pytest.raises(OSError, match="nätverket försvann"):
        copy_generation(primary.index_root, other.index_root, keep=2, on_file=crash_after_three)
    assert current_generation(other.index_root) == first
    assert not (other.index_root / second).exists() and not list(other.index_root.glob(INCOMING_PREFIX + "*"))
    # a copy killed outright (kill -9) leaves its hidden directory: nothing opens it, the next copy removes it
    leftover = other.index_root / f"{INCOMING_PREFIX}{second}-dead00"
    shutil.copytree(primary.index_root / second, leftover)
    (leftover / "generation.json").unlink()
    result = copy_generation(primary.index_root, other.index_root, keep=2)
    assert result.copied and result.generation == second and result.files > 3
    assert current_generation(other.index_root) == (other.index_root / second).resolve()
    assert not leftover.exists()


def _poll(url: str, stop: threading.Event, answers: list[tuple[float, int, Any, int, Any]]) -> None:
    while not stop.is_set():
        try:
            ready_status, ready = get(url + "/readyz")
            search_status, found = get(url + "/api/v1/search?q=" + quote(NEW_WORD))
        except OSError as exc:  # a refused or reset connection is a failed answer too
            ready_status, ready, search_status, found = -1, {"error": repr(exc)}, -1, None
        answers.append((time.monotonic(), ready_status, ready, search_status, found))


@pytest.fixture
def servers(primary: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Server, Server]]:
    other = data_settings(tmp_path / "b" / "data")
    assert publish_cli(primary, "-q", "--to", str(other.data_dir)) == 0
    a, b = Server(primary, workers=2), None
    try:
        b = Server(other)
        yield other, a, b
    finally:
        a.stop()
        if b is not None:
            b.stop()


def test_the_second_host_serves_the_new_generation_after_the_sync_and_never_a_partial_one(
        primary: Settings, servers: tuple[Settings, Server, Server]) -> None:
    other, a, b = servers
    first = current_generation(primary.index_root).name  # type: ignore[union-attr]
    for server in (a, b):
        assert get(server.url + "/readyz")[1]["generation"] == first  # type: ignore[index]

    add_documents(primary, 10, 20, NEW_WORD)  # the nightly job on host A: a new generation with 30 documents
    second = build_index(primary)
    # Host A runs two workers, each switching on its own within a second: wait until every answer is the new one.
    wait_for(lambda: all(get(a.url + "/readyz")[1]["generation"] == second for _ in range(12)),  # type: ignore[index]
             "host A never switched in every worker")
    assert get(b.url + "/readyz")[1]["generation"] == first  # type: ignore[index]

    stop = threading.Event()
    polls: dict[str, list[tuple[float, int, Any, int, Any]]] = {"a": [], "b": []}
    threads = [threading.Thread(target=_poll, args=(s.url, stop, polls[k])) for k, s in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(polls["a"]) > 2 and len(polls["b"]) > 2, "the pollers never got answers")
        copy_started = time.monotonic()
        last_file = [copy_started]

        def slowly(_path: Path) -> None:  # a slow link: the copy takes a while, the web hosts keep answering
            time.sleep(0.3)
            last_file[0] = time.monotonic()

        result = copy_generation(primary.index_root, other.index_root, keep=2, on_file=slowly)
        wait_for(lambda: bool(polls["b"]) and polls["b"][-1][2].get("generation") == second and polls["b"][-1][1] == 200,
                 "host B never switched")
    finally:
        stop.set()
        for t in threads:
            t.join()

    assert result.copied and result.generation == second
    expected = {first: (10, 0), second: (30, 20)}  # generation: (documents, hits for NEW_WORD)
    for host, answers in polls.items():
        seen = []
        for _at, ready_status, ready, search_status, found in answers:
            assert ready_status == 200 and search_status == 200, (host, ready, found)
            assert (ready["documents"], None) == (expected[ready["generation"]][0], None), (host, ready)
            assert found["total"] in (0, 20), (host, found)
            seen.append(ready["generation"])
        assert seen == sorted(seen, key=lambda g: g == second), f"{host} went back to the old generation"
    during = [p for p in polls["b"] if copy_started <= p[0] <= last_file[0]]  # answered before the copy was complete
    assert len(during) >= 5  # host B really was asked while the copy was under way …
    assert all(p[2]["generation"] == first for p in during)  # … and kept serving the whole old generation meanwhile
    assert polls["b"][-1][4]["total"] == 20 and polls["a"][-1][4]["total"] == 20
