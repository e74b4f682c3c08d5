"""Shared pytest fixtures: test settings under tmp_path and a Document factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kb.models import Document
from kb.settings import Settings, load_settings


@pytest.fixture(scope="session", autouse=True)
def _shared_vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One document-vector cache for the whole run (``KB_VECTOR_CACHE``, kept by the CLI tests' environments): the
    demo's 80 pages are embedded once, not by every test that crawls them. Vectors depend only on the text, so
    sharing changes no result; tests of the cache itself use their own file."""
    path = str(tmp_path_factory.mktemp("vectors") / "vectors.sqlite3")
    saved = os.environ.get("KB_VECTOR_CACHE")
    os.environ["KB_VECTOR_CACHE"] = path
    yield
    if saved is None:
        os.environ.pop("KB_VECTOR_CACHE", None)
    else:
        os.environ["KB_VECTOR_CACHE"] = saved


def shared_vector_cache() -> str:
    """The run's shared vector cache (see ``_shared_vector_cache``), for settings built with ``env={}``."""
    return os.environ.get("KB_VECTOR_CACHE", "")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in tmp_path: environment ignored, data dir and sources.yaml under tmp_path."""
    return load_settings(env={}, data_dir=tmp_path / "data", sources=tmp_path / "sources.yaml",
                         vector_cache=shared_vector_cache())


def _make_document(**overrides: Any) -> Document:
    values: dict[str, Any] = {
        "url": "https://www.example.se/kvinnofrid/vald-i-nara-relationer",
        "source": "exempel",
        "organisation": "Exempelmyndigheten",
        "title": "Våld i nära relationer",
        "text": "Våld i nära relationer är ett folkhälsoproblem. Socialtjänsten ska erbjuda stöd till våldsutsatta kvinnor.",
        "format": "html",
        "published": date(2024, 5, 3),
    }
    values.update(overrides)
    return Document(**values)


@pytest.fixture
def make_document() -> Callable[..., Document]:
    """Factory: ``make_document(title=..., url=...)`` returns a Document with sensible Swedish defaults."""
    return _make_document


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """The CLI configures the root logger (``kb -q`` sets it to CRITICAL); a test calling it in-process must not
    change what later tests' ``caplog`` sees."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    yield
    root.setLevel(level)
    root.handlers[:] = handlers
