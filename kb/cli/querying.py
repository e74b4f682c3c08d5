"""Commands that read the published index: search and eval."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kb.cli._common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, FACETS, _out
from kb.settings import Settings

if TYPE_CHECKING:
    from index.corpus_eval import CorpusReport
    from kb.searchmodel import SearchResponse


def _parse_filters(items: Sequence[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for typed in items:
        item = typed.lstrip()  # a value starting with "-" reaches here with the leading space kb.cli gives such words
        key, sep, value = item.partition("=")
        if not sep or key not in FACETS:
            raise argparse.ArgumentTypeError(f"--filter {item!r}: förväntade NYCKEL=VÄRDE där NYCKEL är en av {', '.join(FACETS)}")
        filters.setdefault(key, []).append(value)
    return filters


def _print_header(response: SearchResponse, q: str, notices: Sequence[str | None]) -> None:
    """The count line ("1 träff för ”x”", "80 dokument" without a query), the notices, and a word on a page past the last."""
    _out(f"{response.total} {'träff' if response.total == 1 else 'träffar'} för ”{q}”" if q else f"{response.total} dokument")
    for line in notices:
        if line:
            _out(line)
    if response.total and not response.results:  # a page past the last one: said, not an empty list
        pages = -(-response.total // response.per_page)
        _out(f"Sidan {response.page} är tom: träffarna ryms på {pages} {'sida' if pages == 1 else 'sidor'} "
             f"med {response.per_page} per sida.")


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from index.search import SearchRequest, SearchService
    from kb.backend import unknown_filters_notice
    from kb.searchmodel import MAX_PAGE, MAX_PER_PAGE, has_searchable_word, no_words_notice

    try:
        filters = _parse_filters(args.filter or [])
        for flag, value, high in (("--limit", args.limit, MAX_PER_PAGE), ("--page", args.page, MAX_PAGE)):
            if not 1 <= value <= high:  # refused, never silently clamped
                raise argparse.ArgumentTypeError(f"{flag} måste vara ett heltal mellan 1 och {high}, inte {value}")
    except argparse.ArgumentTypeError as exc:
        sys.stderr.write(f"kb search: {exc}\n")
        return EXIT_USAGE
    import index.search as search_module
    from kb.taxonomy import load_taxonomy

    # "#", "*" or "OR" search for nothing: no query, said so (as pages and the API say it)
    query = " ".join(w.strip() for w in args.query)  # the words as typed, quoted or not
    as_typed = not query.strip() or has_searchable_word(query)
    q, no_words = (query, None) if as_typed else ("", no_words_notice(query))
    service = SearchService(settings)
    try:
        response = service.search(SearchRequest(q=q, filters=filters, per_page=args.limit, page=args.page, sort=args.sort))
        unknown = unknown_filters_notice(filters, service.facet_overview(), load_taxonomy().label, show_values=True) if filters else None
    finally:
        service.close()
    notice = getattr(response, "notice", None)
    # no published index, or the search itself failed: not an answer, so not exit 0
    failures = {getattr(search_module, name, None) for name in ("NOTICE_UNAVAILABLE", "NOTICE_ERROR")} - {None}
    failed = notice is not None and notice in failures
    if args.json:
        data = response.to_json()
        data["notice"] = " ".join(n for n in (no_words, data["notice"], unknown) if n) or None  # as the API says it
        _out(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_PARTIAL if failed else EXIT_OK
    if failed:
        sys.stderr.write(f"kb search: {notice}\n")
        return EXIT_PARTIAL
    taxonomy = load_taxonomy()
    _print_header(response, q, (no_words, notice, unknown))
    if response.suggestion:
        _out(f"Menade du: {response.suggestion}?")
    for i, hit in enumerate(response.results, start=(response.page - 1) * response.per_page + 1):
        _out(f"{i:3}. {hit.title}")
        _out(f"     {hit.url}")
        areas = ", ".join(taxonomy.label("delomrade", d) for d in hit.delomraden)
        doc_type = taxonomy.label("doc_type", hit.doc_type) if hit.doc_type else ""
        fmt = taxonomy.label("format", hit.format)
        where = "" if hit.page is None else f"{'bild' if hit.format == 'pptx' else 's.'} {hit.page}"  # the snippet's page
        meta = " · ".join(x for x in (hit.organisation, hit.published or "", fmt if fmt != doc_type else "", where, doc_type, areas) if x)
        _out(f"     {meta}")
        if hit.malgrupp:
            _out("     Målgrupp: " + ", ".join(taxonomy.label("malgrupp", m) for m in hit.malgrupp))
        if hit.lan:
            _out("     Län: " + ", ".join(taxonomy.label("lan", s) for s in hit.lan))
        if hit.malsattningar:
            _out("     Målsättning: " + ", ".join(taxonomy.label("malsattning", s) for s in hit.malsattningar))
        if hit.newer_version:
            _out(f"     Nyare version finns: {hit.newer_version['title']} <{hit.newer_version['url']}>")
        if args.explain and hit.explanation:
            _out(f"     {hit.explanation}")
    return EXIT_OK



def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    import demo
    from demo.prepare import crawl_and_index
    from index.evaluate import format_eval, run_eval

    if args.current:
        target = settings
    else:
        # never crawl the demo into the production data dir
        target = crawl_and_index(settings if args.data_dir_given else settings.replace(data_dir=Path("data/eval")))
    report = run_eval(target, demo.QUERIES, demo.MANIFEST)
    if args.baseline:
        from index.evaluate import format_comparison, run_baselines

        _out(format_comparison(run_baselines(target, demo.QUERIES), report))
        _out()
    corpora = _corpus_reports(args, target.data_dir / "cache")
    if args.json:
        doc = dataclasses.asdict(report)
        if corpora:
            doc = {"demo": doc, "corpora": [dataclasses.asdict(r) for r in corpora]}
        _out(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    else:
        _out(format_eval(report))
        from index.evaluate import load_manifest
        from index.label_eval import format_labels, label_report

        _out()
        _out(format_labels(label_report(target, load_manifest(demo.MANIFEST))))  # county, goal, version (issue 14)
        for corpus_report in corpora:
            from index.corpus_eval import format_corpus_report

            _out()
            _out(format_corpus_report(corpus_report))
    return EXIT_PARTIAL if report.failures else EXIT_OK


def _corpus_reports(args: argparse.Namespace, cache_dir: Path) -> list[CorpusReport]:
    """SweFAQ dev and judged queries over real text, when asked for (each indexed in a temporary folder; their
    document vectors kept in ``cache_dir``)."""
    from index.corpus_eval import real_text_set, run_corpus_eval, swefaq_set

    swefaq = [swefaq_set(Path(args.swefaq)) if args.swefaq else swefaq_set()] if args.swefaq is not None else []
    sets = swefaq + ([real_text_set(Path(args.real))] if args.real else [])
    return [run_corpus_eval(s, cache_dir=cache_dir) for s in sets]
