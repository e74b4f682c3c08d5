"""Retention: when a stored document is removed (gone, moved, out of scope) and when a shrunk source keeps everything."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from crawler.policy import PAGE_GONE_REASONS
from kb.models import FetchState, SourceReport
from kb.settings import Settings
from kb.store import Store

log = logging.getLogger(__name__)


@dataclass
class Settlement:
    """The end-of-source facts retention decides on."""

    previous_docs: frozenset[str]
    confirmed: set[str]  # URLs holding a document that is known to exist tonight
    gone: dict[str, str]  # url -> reason, for stored documents
    moved: dict[str, str]  # old url -> new url, for permanent redirects (301/308) seen tonight


def shrunk(settings: Settings, before: int, kept: int) -> bool:
    return before > 0 and kept < settings.min_keep_share * before


def settle(
    store: Store,
    settings: Settings,
    source_id: str,
    rep: SourceReport,
    facts: Settlement,
    state_for: Callable[[str], FetchState],
) -> None:
    """Count gone documents towards removal and remove those due; nothing is removed from a shrunk source.

    A stored document whose URL now redirects permanently (301/308) to a URL that holds the document tonight is
    removed at once (the old URL becomes a redirect record); any other gone document — a temporary redirect
    (302/303/307) included — is removed after ``settings.gone_after_runs`` consecutive nights gone.
    """
    before = len(facts.previous_docs)
    moved = sum(1 for old, new in facts.moved.items() if old in facts.previous_docs and new in facts.confirmed)
    kept = len(facts.confirmed & facts.previous_docs) + moved
    if shrunk(settings, before, kept):
        note = (
            f"bara {kept} av {before} lagrade dokument bekräftades ({kept / before:.0%} < {settings.min_keep_share:.0%}); "
            "inget togs bort denna körning"
        )
        log.warning("%s: %s", source_id, note)
        rep.notes.append(note)
        return
    for url, reason in sorted(facts.gone.items()):
        state = state_for(url)
        state.gone_count += 1
        target = facts.moved.get(url)
        moved = reason == "redirect" and target is not None and target in facts.confirmed
        if moved or state.gone_count >= settings.gone_after_runs:
            if store.delete_document(url):
                rep.removed += 1
                if moved:
                    log.info("%s: removed %s: moved to %s", source_id, url, target)
                else:
                    log.info("%s: removed %s (%s, %d runs)", source_id, url, reason, state.gone_count)
            if state.status != "redirect":
                # A page that still answers 200 (noindex, an error page…) is revisited nightly with its validators.
                state.status = "not_indexable" if reason in PAGE_GONE_REASONS else "gone"
        else:
            log.info("%s: %s gone (%s), run %d of %d before removal", source_id, url, reason, state.gone_count, settings.gone_after_runs)
        store.put_state(state)
