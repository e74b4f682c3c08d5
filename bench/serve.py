"""ASGI factory for the HTTP benchmark: `uvicorn --factory bench.serve:app --workers N` (settings from KB_* env)."""

from __future__ import annotations

from typing import Any

from kb.settings import load_settings


def app() -> Any:
    from web.app import create_app

    return create_app(load_settings())
