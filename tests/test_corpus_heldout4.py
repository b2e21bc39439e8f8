"""The fourth held-out corpus (tests/fixtures/corpus_heldout4: 30 files mimicking the
structure of word2vec solutions published through other tools — pandoc, Notion,
Obsidian, Hugo, bookdown, Piazza ASCII, OCR … — 295 answers checked numerically by its
verify_truth.py, committed before gradkey first ran on it; first figure 238/295): every
verdict exact except the known failures below, and no wrong answer called correct."""
import csv
from pathlib import Path

import pytest

from gradkey.verify.check.answers import check_submission

CORPUS = Path(__file__).parent / "fixtures" / "corpus_heldout4"
ROWS = list(csv.DictReader(open(CORPUS / "expected.tsv", encoding="utf-8"), delimiter="\t"))

# Rows the checker does not yet get right: strict xfails (the test fails as
# soon as one starts passing, so the list can only shrink). None calls a wrong
# answer correct: each is review, unparsed or missing.
NOT_YET = {
    ("q13_probability_matrix_form.md", "neg.v_c"): "review: U_K (the sampled columns) and 𝟏 ∈ ℝ^K defined in prose "
                                                   "(could not read the index K)",
    ("q15_ocr_handwriting_unicode.md", "sigmoid.grad"): "missing: plain-text dσ/dx with its closing paren lost",
    ("q15_ocr_handwriting_unicode.md", "naive.v_c"): "missing: the chain goes on in a later block whose final "
                                                     "'= U(ŷ - y' lost its paren",
}


@pytest.fixture(scope="module")
def results():
    return {f: check_submission(CORPUS / f) for f in sorted({r["file"] for r in ROWS})}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['file'][:3]}:{r['question']}" for r in ROWS])
def test_heldout4_verdict(row, results, request):
    key = (row["file"], row["question"])
    if key in NOT_YET:
        request.applymarker(pytest.mark.xfail(reason=NOT_YET[key], strict=True))
    got = results[row["file"]]["questions"].get(row["question"], {}).get("verdict", "missing")
    assert got in row["verdict"].split("|"), (got, row["note"])


def test_known_failures_are_listed_rows():
    assert set(NOT_YET) <= {(r["file"], r["question"]) for r in ROWS}


def test_no_wrong_answer_is_called_correct(results):
    wrong = [(r["file"], r["question"]) for r in ROWS if "correct" not in r["verdict"].split("|")
             and results[r["file"]]["questions"].get(r["question"], {}).get("verdict") == "correct"]
    assert not wrong
