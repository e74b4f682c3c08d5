"""Evaluation on external text: SweFAQ-shaped files and judged queries over regeringen.se-shaped records."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from index.corpus_eval import format_corpus_report, real_text_set, run_corpus_eval, swefaq_set
from index.metrics import REAL_KINDS, load_queries
from kb.errors import ConfigError

ANSWERS = [
    "Du kan söka bostadsbidrag hos Försäkringskassan om du har låg inkomst.",
    "Vaccinet mot covid-19 är kostnadsfritt för alla som bor i Sverige.",
    "Ett kontaktförbud beslutas av åklagare och gäller den som utsätter någon för hot eller våld.",
]


def _swefaq(tmp_path: Path) -> Path:
    rows = [
        {"category_id": 1, "question": "Vem beslutar om kontaktförbud?", "candidate_answers": ANSWERS, "label": 2, "meta": {}},
        {"category_id": 1, "question": "Kostar vaccinet mot covid något?", "candidate_answers": ANSWERS, "label": 1, "meta": {}},
    ]
    path = tmp_path / "swefaq.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_swefaq_set_indexes_each_distinct_answer_once_and_judges_the_labelled_one(tmp_path: Path) -> None:
    cset = swefaq_set(_swefaq(tmp_path))
    assert len(cset.documents) == 3
    assert [q.kind for q in cset.queries] == ["question", "question"]
    by_key = {cset.keys[d.url]: d.text for d in cset.documents}
    assert [by_key[next(iter(q.relevant))] for q in cset.queries] == [ANSWERS[2], ANSWERS[1]]


def test_run_corpus_eval_ranks_with_kb_and_the_baselines(tmp_path: Path) -> None:
    report = run_corpus_eval(swefaq_set(_swefaq(tmp_path)), tmp_path / "work")
    assert report.doc_count == 3
    assert list(report.systems)[-1] == "kb" and len(report.systems) == 3
    assert [r.first_relevant for r in report.results] == [1, 1]
    assert report.systems["kb"][0].mrr == 1.0
    assert "SweFAQ dev" in format_corpus_report(report)


def _corpus(tmp_path: Path) -> Path:
    records = [
        {"id": "g00001", "path": "pressmeddelanden/2024/01/kontaktforbud.md", "category": "pressmeddelanden", "month": "2024-01",
         "title": "Utökade möjligheter till kontaktförbud", "text": "# Förslaget\nKontaktförbud skyddar den som utsätts för våld."},
        {"id": "g00002", "path": "artiklar/2023/05/budget.md", "category": "artiklar", "month": None,
         "title": "Budgeten för 2024", "text": "Regeringen lämnar [budgeten](/budget) till riksdagen."},
        {"id": "g00003", "path": "artiklar/2023/06/vagar.md", "category": "artiklar", "month": "2023-06",
         "title": "Nya vägar", "text": "Trafikverket bygger vägar."},
    ]
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    return path


def _queries(tmp_path: Path, relevant: str = "g00001") -> Path:
    path = tmp_path / "queries.yaml"
    path.write_text(
        "corpus: {file: corpus.jsonl.gz, include: 'våld', distractors: 1, seed: 3}\n"
        f"queries:\n  - q: kontaktförbudet\n    kind: inflected\n    relevant: {{{relevant}: 2}}\n",
        encoding="utf-8",
    )
    return path


def test_real_text_set_selects_matching_records_plus_seeded_distractors(tmp_path: Path) -> None:
    _corpus(tmp_path)
    cset = real_text_set(_queries(tmp_path), corpora_dir=tmp_path)
    keys = sorted(cset.keys.values())
    assert len(keys) == 2 and keys[0] == "g00001"  # the matching record and one distractor
    assert keys == sorted(real_text_set(_queries(tmp_path), corpora_dir=tmp_path).keys.values())  # same seed, same set
    doc = next(d for d in cset.documents if cset.keys[d.url] == "g00001")
    assert doc.headings == ["Förslaget"] and "#" not in doc.text and str(doc.published) == "2024-01-01"
    assert cset.kinds == REAL_KINDS


def test_real_text_set_rejects_judgments_of_documents_not_indexed(tmp_path: Path) -> None:
    _corpus(tmp_path)
    with pytest.raises(ConfigError, match="g09999"):
        real_text_set(_queries(tmp_path, relevant="g09999"), corpora_dir=tmp_path)


def test_real_text_set_reports_a_missing_corpus(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dokumenten kan inte väljas \(filen finns inte: .*corpus.jsonl.gz\)"):
        real_text_set(_queries(tmp_path), corpora_dir=tmp_path)


def test_the_judged_real_text_file_is_valid_and_covers_every_kind() -> None:
    path = Path(__file__).resolve().parents[2] / "eval" / "regeringen-queries.yaml"
    queries = load_queries(path, kinds=REAL_KINDS)
    assert len(queries) >= 40
    assert {q.kind for q in queries} == set(REAL_KINDS)
    assert min(sum(1 for q in queries if q.kind == k) for k in REAL_KINDS) >= 10
