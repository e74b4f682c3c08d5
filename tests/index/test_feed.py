"""Watched searches: what matches well, newest by when kb first saw or last changed it, with truthful times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from _search_corpus import BASE, make_document, settings_for

from index.build import build_and_publish
from index.service import SearchService
from kb.searchmodel import FeedItem, SearchRequest
from kb.store import Store
from kb.taxonomy import load_taxonomy

DAY = [datetime(2026, 1, d, 3, 0, tzinfo=UTC) for d in range(1, 10)]


def _put(store: Store, slug: str, title: str, text: str, day: int, published: date | None = None) -> None:
    store.put_document(make_document(url=f"{BASE}/{slug}", title=title, text=text, published=published), now=DAY[day])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    settings = settings_for(tmp_path_factory.mktemp("feed"))
    store = Store(settings.store_path)
    try:
        _put(store, "heder-gammal", "Hedersrelaterat våld och förtryck", "Stöd vid hedersrelaterat våld.", 0,
             published=date(2019, 5, 1))
        _put(store, "hedersvald", "Hedersvåld i skolan", "Skolan ska upptäcka hedersvåld tidigt.", 1)
        _put(store, "vald-1", "Våld i nära relationer", "Våld i nära relationer drabbar många.", 2)
        _put(store, "vald-2", "Våld mot barn", "Barn som utsätts för våld behöver stöd.", 3)
        _put(store, "heder-ny", "Ny vägledning", "Vägledning om hedersrelaterat våld för socialtjänsten.", 4,
             published=date(2015, 1, 1))  # an old document kb saw only now
        _put(store, "heder-gammal", "Hedersrelaterat våld och förtryck", "Stöd vid hedersrelaterat våld, reviderad.", 5,
             published=date(2019, 5, 1))  # an edit: announced anew
        build_and_publish(settings, store, [], load_taxonomy())
    finally:
        store.close()
    svc = SearchService(settings)
    yield svc
    svc.close()


def slugs_of(items: list[FeedItem]) -> list[str]:
    return [i.hit.url.removeprefix(BASE + "/") for i in items]


def test_a_feed_lists_only_what_matches_the_whole_query_newest_change_first(service: SearchService) -> None:
    items = service.feed(SearchRequest(q="hedersrelaterat våld"))
    # the synonym "hedersvåld" counts; pages sharing only "våld" do not
    assert slugs_of(items) == ["heder-gammal", "heder-ny", "hedersvald"]


def test_entry_times_are_kbs_own_first_seen_and_last_change(service: SearchService) -> None:
    items = {s: i for s, i in zip(slugs_of(service.feed(SearchRequest(q="hedersrelaterat våld"))),
                                  service.feed(SearchRequest(q="hedersrelaterat våld")), strict=True)}
    edited = items["heder-gammal"]
    assert edited.first_seen.startswith("2026-01-01T03:00") and edited.changed.startswith("2026-01-06T03:00")
    assert items["heder-ny"].first_seen == items["heder-ny"].changed  # never changed
    assert items["heder-ny"].first_seen.startswith("2026-01-05")  # published 2015, but new to kb


def test_a_feed_without_words_lists_everything_new_and_exclusions_apply(service: SearchService) -> None:
    assert slugs_of(service.feed(SearchRequest(q=""), limit=2)) == ["heder-gammal", "heder-ny"]
    assert "hedersvald" not in slugs_of(service.feed(SearchRequest(q="hedersrelaterat våld -skolan")))


def test_a_feed_of_an_unpublished_index_is_empty(tmp_path: Path) -> None:
    svc = SearchService(settings_for(tmp_path))
    try:
        assert svc.feed(SearchRequest(q="våld")) == []
    finally:
        svc.close()


def test_words_the_analyzer_drops_are_not_required_in_a_feed(service: SearchService) -> None:
    # "till", "som", "för" have no query; counting them made every word required and more, so the feed was empty
    items = slugs_of(service.feed(SearchRequest(q="stöd till barn som utsätts för våld")))
    assert items == ["vald-2"]


def test_a_feed_of_only_common_words_is_empty_like_its_search(service: SearchService) -> None:
    assert service.search(SearchRequest(q="hur är det")).total == 0
    assert service.feed(SearchRequest(q="hur är det")) == []


@pytest.mark.parametrize("q", ["skolan OR vägledning", "skolan ELLER vägledning", "skolan/vägledning",
                               'skolan OR "ny vägledning"'])
def test_alternatives_in_a_feed_need_one_of_them_not_both(service: SearchService, q: str) -> None:
    # no page has both words: before, a feed of alternatives required every one of them and was empty
    assert slugs_of(service.feed(SearchRequest(q=q))) == ["heder-ny", "hedersvald"]


def test_an_alternative_still_counts_as_one_required_word(service: SearchService) -> None:
    # "hedersvåld" (or its synonym) is required; "skolan OR socialtjänsten" is one more word either satisfies
    assert slugs_of(service.feed(SearchRequest(q="hedersvåld skolan OR socialtjänsten"))) == ["heder-ny", "hedersvald"]
    assert slugs_of(service.feed(SearchRequest(q="vägledning -skolan OR hedersvåld"))) == ["heder-ny"]


def test_a_synonym_stands_for_its_own_words_not_for_the_whole_query(service: SearchService) -> None:
    # "hedersvåld" matches "hedersrelaterat våld" pages through its synonym, but "skolan" is still required:
    # before, the synonym's pages joined the feed whatever else was asked ("heder-gammal" has no school)
    assert slugs_of(service.feed(SearchRequest(q="hedersvåld skolan"))) == ["hedersvald"]
