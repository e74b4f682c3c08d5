"""Domain errors; the CLI alone turns them into messages and exit codes.

Exception tree::

    KbError
    ├── ConfigError           sources.yaml or settings are invalid (exit 78)
    ├── StoreError            the SQLite document store failed (exit 74 on I/O)
    │   └── StoreCorrupt      kb.sqlite3 is not a readable SQLite database (exit 65)
    ├── FetchError            one URL could not be fetched; carries a short reason
    │   └── BlockedAddress    the SSRF guard refused an address
    ├── ExtractError          a body could not be turned into text; carries a reason
    ├── IndexBuildError       building the index failed (old index keeps serving)
    │   └── PublishCheckFailed  a built index failed its sanity checks
    ├── QueryError            a search query was rejected (too long, too many terms)
    └── LockHeld              another run holds the update lock (exit 75)

Any other exception reaching the CLI is a bug: one Swedish line on stderr, exit 70
(the traceback only with -v). Inside a crawl such an exception fails only its own
source (reason ``internal_error``); the other sources' results are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_LABELS = {"error": "fel", "warning": "varning"}
SHOWN_MAX = 200  # characters of a problem's value shown in its line


class KbError(Exception):
    """Base class of every error kb raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a configuration file."""

    file: str
    line: int | None
    key: str
    value: object
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        """``file:line: fel: key = value: message`` — the severity label in Swedish for the librarians."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        shown = "" if self.value is None else f" = {self.value!r}"
        if len(shown) > SHOWN_MAX:  # a huge value (a list of thousands) stays one readable line in cron's mail
            shown = shown[: SHOWN_MAX - 1] + "…"
        label = SEVERITY_LABELS.get(self.severity, self.severity)
        return f"{where}: {label}: {self.key}{shown}: {self.message}"


class ConfigError(KbError):
    """sources.yaml or a setting is invalid; holds every problem found at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(KbError):
    """The document store could not be read or written."""


class StoreCorrupt(StoreError):
    """The store file is damaged (not a database, or a malformed page): restore it from a backup or delete it."""


class FetchError(KbError):
    """A URL could not be fetched; ``reason`` is a short, stable label."""

    def __init__(self, reason: str, detail: str = "", url: str = "") -> None:
        self.reason = reason
        self.detail = detail
        self.url = url
        super().__init__(f"{reason}: {detail} ({url})" if url else f"{reason}: {detail}")


class BlockedAddress(FetchError):
    """The SSRF guard refused to connect to a non-global address."""


class ExtractError(KbError):
    """A fetched body could not be turned into text (reason: krypterad, ingen text, trasig…)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class IndexBuildError(KbError):
    """Building or publishing the index failed; the published index is untouched."""


class PublishCheckFailed(IndexBuildError):
    """A freshly built index failed a sanity check and was not published."""


class QueryError(KbError):
    """A search query was rejected before it reached the index."""


class LockHeld(KbError):
    """Another kb run holds the update lock."""
