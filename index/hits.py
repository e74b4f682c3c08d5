"""A result as the contract shows it: stored fields of one document (and its duplicates) to a ``Hit``."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from index.highlight import page_of, passage, title_end
from kb.searchmodel import Hit

if TYPE_CHECKING:
    from index.generation import Generation


def as_list(value: Any) -> list[str]:
    """A stored list or comma-separated string as a list of non-empty strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v)]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def iso_date(value: Any) -> str | None:
    """A stored date or datetime as "YYYY-MM-DD" (None when absent)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else None


def make_hit(gen: Generation, docnum: int, score: float, pattern: Any) -> Hit:
    """The hit for ``docnum``; ``pattern`` (from ``highlight.term_pattern``) marks matches in the snippet."""
    stored = gen.searcher.stored_fields(docnum)
    duplicates = as_list(stored.get("duplicates"))
    url = str(stored.get("url", ""))
    for other in gen.table.members.get(int(gen.table.rep[docnum]), []):
        if other != docnum:
            other_url = str(gen.searcher.stored_fields(other).get("url", ""))
            if other_url and other_url != url and other_url not in duplicates:
                duplicates.append(other_url)
    page_count = stored.get("page_count")
    title = str(stored.get("title") or url)
    body = str(stored.get("body") or "")
    pages = [int(p) for p in stored.get("page_starts") or ()]
    # a paged document's snippet skips its cover title and names the page of the passage it shows
    text, offset = passage(body, pattern, str(stored.get("description") or ""), skip=title_end(body, title) if pages else 0, pages=pages,
                           title=title if pages else "")
    return Hit(
        url=url,
        title=title,
        snippet=text,
        page=page_of(pages, offset),
        organisation=str(stored.get("organisation") or ""),
        source=str(stored.get("source") or ""),
        delomraden=as_list(stored.get("delomrade")),
        doc_type=str(stored.get("doc_type") or ""),
        published=iso_date(stored.get("published")),
        score=float(score),
        format=str(stored.get("format") or "html"),
        malgrupp=as_list(stored.get("malgrupp")),
        size=int(stored.get("size") or 0),
        page_count=int(page_count) if page_count else None,
        explanation=str(stored.get("explanation") or ""),
        delomrade_scores={str(k): float(v) for k, v in (stored.get("delomrade_scores") or {}).items()},
        duplicates=duplicates,
        lan=as_list(stored.get("lan")),
        malsattningar=as_list(stored.get("malsattning")),
        newer_version=_link(stored.get("newer_version")),
        versions=[link for link in (_link(v) for v in stored.get("versions") or ()) if link is not None],
    )


def _link(value: Any) -> dict[str, str] | None:
    """A stored {"url", "title"} as the contract's dict (None when absent)."""
    if not isinstance(value, dict) or not value.get("url"):
        return None
    return {"url": str(value["url"]), "title": str(value.get("title") or value["url"])}
