"""Build the demo sites, manifest.json and furniture.json: ``python -m demo.builder [--out DIR]``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from demo.builder.site import DEMO, SiteBuilder, template_environment

SITE_ORDER = ["lansstyrelsen", "kunskapscentrum", "nationella-styrelsen", "kommunen", "jamstalldhet"]

log = logging.getLogger("demo.builder")


def build(out: Path = DEMO) -> list[dict[str, Any]]:
    """Write out/sites/<site>/, out/manifest.json and out/furniture.json; returns the manifest."""
    env = template_environment()
    manifest: list[dict[str, Any]] = []
    furniture: dict[str, list[str]] = {}
    (out / "sites").mkdir(parents=True, exist_ok=True)
    for sid in SITE_ORDER:
        builder = SiteBuilder(env, sid, manifest, out / "sites")
        builder.build()
        furniture[sid] = builder.furniture()
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "furniture.json").write_text(json.dumps(furniture, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.builder", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEMO, help="write here instead of demo/ (the committed sites)")
    args = parser.parse_args(argv)
    manifest = build(args.out)
    n_html = sum(1 for m in manifest if m["kind"] != "document")
    log.info("built %d sites: %d HTML pages, %d documents, %d indexable", len(SITE_ORDER), n_html,
             len(manifest) - n_html, sum(1 for m in manifest if m["indexable"]))
    for m in manifest:
        if m.get("format") == "pdf":
            log.info("  %s%s: hyphenated %s", m["site"], m["path"], m["hyphenated_words"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
