"""The bundled demo: five fictional agency sites, their sources file and kb eval's judged queries, and the server for them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """A file or folder shipped with the demo package (package data, so it is there outside a checkout too)."""
    path = resources.files(__name__) / name
    if not isinstance(path, Path):  # only a zipped install gives something else; the HTTP server needs real files
        raise RuntimeError(f"the demo data must be installed as files, found {path!r}")
    return path


SITES = data_path("sites")
SOURCES = data_path("sources.yaml")  # with {{site:ID}} placeholders for the served base URLs
MANIFEST = data_path("manifest.json")  # every generated page and document, with the facts the tests and kb eval check
FURNITURE = data_path("furniture.json")  # per site, the text on every page that is not content
QUERIES = data_path("queries.yaml")  # kb eval's judged queries
