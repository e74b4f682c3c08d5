"""`make nightly`: the living-site month (tests/living) run once, printed as a per-night table of fresh, missing and stale documents.

Usage: python -m bench.nightly [--details]
Each night mutates three local sites, runs a real `kb -q update` under that night's clock (libfaketime)
and searches the published index for every page's marker word. Columns: fresh = changes (edits, new pages,
pages back) that became searchable after the night; up to date = live pages whose current text is searchable
at their URL; missing = live pages whose current text is not (once due); stale = removed or moved URLs still
searchable after the grace, or a page's replaced text; other = any other failed expectation (quiet night,
exit code, silent exit, politeness, duplicate requests, runs left running); requests and body downloads
(200 with a body, robots.txt and sitemaps excluded) are counted by the servers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from living.runner import LivingMonth, NightResult, faketime_library  # noqa: E402
from living.scenario import Rules  # noqa: E402
from test_living_site import RULES  # noqa: E402  (the grace and schedules the test holds the product to)


def table(results: list[NightResult]) -> str:
    head = ("| night | events | fresh | up to date | missing | stale | exit | requests per host (alpha/beta/gamma/delta) "
            "| body downloads | other |")
    rows = [head, "|" + "---|" * 10]
    for r in results:
        reqs = "/".join(str(r.requests[s]) for s in ("alpha", "beta", "gamma", "delta"))
        rows.append(f"| {r.night} | {'; '.join(r.events)} | {r.fresh} | {r.up_to_date} | {len(r.missing)} | {len(r.stale)} | {r.exit_code} | "
                    f"{reqs} | {r.body_downloads} | {len(r.other)} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="also list every failed expectation")
    args = parser.parse_args(argv)
    if faketime_library() is None:
        sys.stderr.write("bench.nightly: libfaketime is missing (apt-get install faketime)\n")
        return 1
    rules: Rules = RULES
    with tempfile.TemporaryDirectory(prefix="kb-nightly-") as tmp, LivingMonth(Path(tmp), rules) as month:
        results = month.run_all()
    print(table(results))
    total = sum(len(r.problems) for r in results)
    print(f"\ngrace {rules.gone_after_runs} runs; {sum(r.up_to_date for r in results)} page checks passed, {total} failed expectations")
    if args.details:
        for r in results:
            for problem in r.problems:
                print(f"- {problem}")
    return 0 if total == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
