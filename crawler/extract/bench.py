"""Main-content benchmark: kb's extractor vs readability-lxml vs trafilatura on three page sets, scored as the field does."""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "extraction"
SWEDISH = ROOT / "tests" / "crawler" / "extract_sv"
TOKEN_RE = re.compile(r"\w+", re.UNICODE)

Extractor = Callable[[bytes, str], str]


# ----------------------------------------------------------------------------- extractors


def run_kb(body: bytes, url: str) -> str:
    """kb's extractor (what the crawler runs, in-process)."""
    from crawler.extract.html import extract_html

    return extract_html(body, url, None).text


def run_trafilatura(body: bytes, url: str) -> str:
    """trafilatura with its defaults, given the text decoded as kb decodes it."""
    import trafilatura

    from crawler.extract.html import decode_html

    return trafilatura.extract(decode_html(body), url=url) or ""


def run_readability(body: bytes, url: str) -> str:
    """readability-lxml's summary as text."""
    import lxml.html
    from readability import Document

    from crawler.extract.html import decode_html

    summary = Document(decode_html(body)).summary(html_partial=True)
    if not summary.strip():
        return ""
    return str(lxml.html.fromstring(summary).text_content())  # type: ignore[attr-defined]


EXTRACTORS: dict[str, Extractor] = {"kb": run_kb, "readability-lxml": run_readability, "trafilatura": run_trafilatura}


def title_kb(body: bytes, url: str) -> str:
    """The title kb stores beside the text (the page's h1, which the text then leaves out)."""
    from crawler.extract.html import extract_html

    return extract_html(body, url, None).title


def title_trafilatura(body: bytes, url: str) -> str:
    """trafilatura's metadata title (its text leaves the headline out too)."""
    import trafilatura

    from crawler.extract.html import decode_html

    meta = trafilatura.extract_metadata(decode_html(body), default_url=url)
    return str(meta.title or "") if meta is not None else ""


def title_readability(body: bytes, url: str) -> str:
    """readability-lxml's short title."""
    from readability import Document

    from crawler.extract.html import decode_html

    return str(Document(decode_html(body)).short_title())


# The Swedish set's gold counts the h1 as a block: there each extractor is scored on its title and text together
# (what kb stores and search sees), the public sets' gold leaves the headline out and scores text alone.
TITLES: dict[str, Extractor] = {"kb": title_kb, "readability-lxml": title_readability, "trafilatura": title_trafilatura}


def timed(fn: Extractor, body: bytes, url: str) -> tuple[str, float]:
    """Text and CPU milliseconds of one call; an extractor that raises yields empty text."""
    t0 = time.process_time()
    try:
        text = fn(body, url)
    except Exception as exc:  # noqa: BLE001 - a crash on one page is scored as empty output
        log.warning("extractor failed on %s: %r", url, exc)
        text = ""
    return text, (time.process_time() - t0) * 1000


# ----------------------------------------------------------------------------- scrapinghub


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Token n-gram multiset, as the article-extraction-benchmark scores it."""
    tokens = TOKEN_RE.findall(text.replace("\xad", "").lower())  # soft hyphens split no word
    return Counter(tuple(tokens[i:i + n]) for i in range(max(len(tokens) - n + 1, 1 if tokens else 0)))


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    """Shingle precision, recall, F1 of one page."""
    p, g = shingles(pred), shingles(gold)
    if not p and not g:
        return 1.0, 1.0, 1.0
    tp = sum((p & g).values())
    precision = tp / sum(p.values()) if p else 0.0
    recall = tp / sum(g.values()) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def scrapinghub_pages() -> Iterator[tuple[str, bytes, str, str]]:
    """(id, body, url, gold articleBody) for each page of the benchmark."""
    base = SHARED / "scrapinghub"
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        yield key, gzip.decompress((base / "html" / f"{key}.html.gz").read_bytes()), truth[key]["url"], truth[key]["articleBody"]


def bootstrap_sd(values: list[float], rounds: int = 1000) -> float:
    """Standard deviation of the mean under resampling (seeded: the same figure every run)."""
    rng = random.Random(0)
    n = len(values)
    means = [sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds)]
    mu = sum(means) / rounds
    return float((sum((m - mu) ** 2 for m in means) / rounds) ** 0.5)


# ----------------------------------------------------------------------------- trafilatura set


def norm(s: str) -> str:
    """Whitespace-normalised text without soft hyphens (kb drops them; the gold and the libraries keep them)."""
    return " ".join(s.replace("\xad", "").split())


def trafilatura_pages() -> Iterator[tuple[str, bytes, list[str], list[str]]]:
    """(url, body, snippets that belong, snippets that must not) for each annotated page."""
    base = SHARED / "trafilatura"
    data = json.loads((base / "evaldata.json").read_text(encoding="utf-8"))
    for url in sorted(data):
        item = data[url]
        path = base / "html" / f"{item['file']}.gz"
        if path.exists():
            yield url, gzip.decompress(path.read_bytes()), item.get("with", []), item.get("without", [])


# ----------------------------------------------------------------------------- Swedish set

SUB_AREA_LABELS = ["våld i nära relationer", "sexuellt våld", "hedersrelaterat våld", "prostitution", "människohandel",
                   "barn som upplever våld", "våldsutövare", "skyddat boende", "våldsförebyggande", "digitalt våld"]


def swedish_pages() -> Iterator[tuple[dict[str, object], bytes]]:
    """(gold record, body) for each page of the Swedish agency set."""
    for rec in json.loads((SWEDISH / "gold.json").read_text(encoding="utf-8")):
        yield rec, (SWEDISH / "pages" / str(rec["file"])).read_bytes()


def block_kept(block: str | list[str], text: str) -> bool:
    """A gold block is kept when its text (or every cell of a table row) is in the output."""
    parts = [block] if isinstance(block, str) else block
    return all(norm(p) in text for p in parts)


def sub_area_mentions(text: str) -> int:
    """Mentions of sub-area names (what the classifier counts)."""
    low = text.lower()
    return sum(low.count(label) for label in SUB_AREA_LABELS)


# ----------------------------------------------------------------------------- scoring


@dataclass
class Row:
    """One extractor's scores on the three sets."""

    name: str
    sh: list[tuple[float, float, float]] = field(default_factory=list)
    sh_ms: list[float] = field(default_factory=list)
    tf: Counter[str] = field(default_factory=Counter)
    tf_ms: list[float] = field(default_factory=list)
    sv_pages_leaking: int = 0
    sv_pages: int = 0
    sv_blocks: int = 0
    sv_kept: int = 0
    sv_stray: int = 0
    sv_leaks: Counter[str] = field(default_factory=Counter)
    sv_ms: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def score(name: str, fn: Extractor, sets: tuple[str, ...], limit: int | None = None, verbose: bool = False) -> Row:
    """Run ``fn`` over the chosen sets and score it."""
    row = Row(name)
    if "scrapinghub" in sets:
        for n, (key, body, url, gold) in enumerate(scrapinghub_pages()):
            if limit is not None and n >= limit:
                break
            text, ms = timed(fn, body, url)
            row.sh.append(prf(text, gold))
            row.sh_ms.append(ms)
            if verbose and row.sh[-1][2] < 0.8:
                row.notes.append(f"scrapinghub {key[:12]} {url} P={row.sh[-1][0]:.2f} R={row.sh[-1][1]:.2f}")
    if "trafilatura" in sets:
        for n, (url, body, with_, without) in enumerate(trafilatura_pages()):
            if limit is not None and n >= limit:
                break
            raw, ms = timed(fn, body, url)
            text = norm(raw)
            row.tf_ms.append(ms)
            miss = [s for s in with_ if norm(s) not in text]
            leak = [s for s in without if norm(s) in text]
            row.tf["tp"] += len(with_) - len(miss)
            row.tf["fn"] += len(miss)
            row.tf["fp"] += len(leak)
            row.tf["tn"] += len(without) - len(leak)
            if verbose and (miss or leak):
                row.notes.append(f"trafilatura {url} miss={miss[:2]} leak={leak[:2]}")
    if "swedish" in sets:
        for rec, body in swedish_pages():
            raw, ms = timed(fn, body, str(rec["url"]))
            title_fn = TITLES.get(name)
            text = norm((title_fn(body, str(rec["url"])) if title_fn else "") + "\n" + raw)
            row.sv_ms.append(ms)
            row.sv_pages += 1
            blocks: list[str | list[str]] = list(rec["gold"])  # type: ignore[call-overload]
            kept = [b for b in blocks if block_kept(b, text)]
            row.sv_blocks += len(blocks)
            row.sv_kept += len(kept)
            furniture = rec["furniture"]
            assert isinstance(furniture, dict)
            leaked = {cat for cat, probes in furniture.items() if any(norm(p) in text for p in probes)}
            row.sv_leaks.update(leaked)
            row.sv_pages_leaking += bool(leaked)
            gold_text = " ".join(b if isinstance(b, str) else " ".join(b) for b in blocks)
            row.sv_stray += max(0, sub_area_mentions(text) - sub_area_mentions(gold_text))
            if verbose and (leaked or len(kept) < len(blocks)):
                lost = [b for b in blocks if b not in kept]
                row.notes.append(f"swedish {rec['file']} leaked={sorted(leaked)} lost={lost[:3]}")
    return row


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def table(rows: list[Row]) -> str:
    """The comparison table (Markdown)."""
    out = ["| set | " + " | ".join(r.name for r in rows) + " |", "|---|" + "---|" * len(rows)]

    def line(label: str, cells: list[str]) -> None:
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    if any(r.sh for r in rows):
        n = max(len(r.sh) for r in rows)
        line(f"scrapinghub, {n} pages: shingle F1 ± sd (P / R)",
             [f"{_mean([f for *_, f in r.sh]):.3f} ± {bootstrap_sd([f for *_, f in r.sh]):.3f} "
              f"({_mean([p for p, _, _ in r.sh]):.3f} / {_mean([x for _, x, _ in r.sh]):.3f})" for r in rows])
        line("scrapinghub: CPU ms/page (mean / median)", [_ms(r.sh_ms) for r in rows])
    if any(r.tf for r in rows):
        cells = []
        for r in rows:
            p = r.tf["tp"] / max(r.tf["tp"] + r.tf["fp"], 1)
            rc = r.tf["tp"] / max(r.tf["tp"] + r.tf["fn"], 1)
            cells.append(f"{2 * p * rc / max(p + rc, 1e-9):.3f} ({p:.3f} / {rc:.3f})")
        line(f"trafilatura set, {max(len(r.tf_ms) for r in rows)} pages: snippet F1 (P / R)", cells)
        line("trafilatura set: CPU ms/page (mean / median)", [_ms(r.tf_ms) for r in rows])
    if any(r.sv_pages for r in rows):
        n = max(r.sv_pages for r in rows)
        line(f"Swedish agency set, {n} pages: pages with boilerplate left", [f"{r.sv_pages_leaking} of {r.sv_pages}" for r in rows])
        line("same: gold blocks kept", [f"{r.sv_kept / max(r.sv_blocks, 1):.3f} ({r.sv_kept}/{r.sv_blocks})" for r in rows])
        line("same: stray sub-area mentions per page", [f"{r.sv_stray / max(r.sv_pages, 1):.2f}" for r in rows])
        line("same: pages leaking, by furniture kind",
             [", ".join(f"{k} {v}" for k, v in sorted(r.sv_leaks.items())) or "none" for r in rows])
        line("same: CPU ms/page (mean / median)", [_ms(r.sv_ms) for r in rows])
    return "\n".join(out) + "\n"


def _ms(xs: list[float]) -> str:
    if not xs:
        return "–"
    s = sorted(xs)
    return f"{_mean(xs):.1f} / {s[len(s) // 2]:.1f}"
