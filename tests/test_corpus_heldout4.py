"""The fourth held-out corpus (tests/fixtures/corpus_heldout4: 30 files mimicking the
structure of word2vec solutions published through other tools — pandoc, Notion,
Obsidian, Hugo, bookdown, Piazza ASCII, OCR … — 295 answers checked numerically by its
verify_truth.py, committed before gradkey first ran on it; first figure 238/295): every
verdict exact except the known failures below, and no wrong answer called correct."""
import csv
from pathlib import Path

import pytest

from gradkey.verify.check.submissions import check_submission

CORPUS = Path(__file__).parent / "fixtures" / "corpus_heldout4"
ROWS = list(csv.DictReader(open(CORPUS / "expected.tsv", encoding="utf-8"), delimiter="\t"))

# Rows word2vec's checker does not yet get right: strict xfails (the test fails as
# soon as one starts passing, so the list can only shrink). None calls a wrong
# answer correct: each is review, unparsed or missing.
NOT_YET = {
    ("q02_notion_export.md", "neg.v_c"): "review: −σ(−u_oᵀv_c)u_o + σ(u_kᵀv_c)u_k, u_k outside any Σ_k",
    ("q11_boldsymbol_intercal_vectors.md", "neg.v_c"): "review: θ_o, θ_k defined in prose as u_oᵀv_c, u_kᵀv_c "
                                                       "while θ = Uᵀv_c is also defined (θ_k read as its entry k)",
    ("q11_boldsymbol_intercal_vectors.md", "neg.u_o"): "review: θ_o (see neg.v_c)",
    ("q11_boldsymbol_intercal_vectors.md", "neg.u_k"): "review: θ_k (see neg.v_c)",
    ("q13_probability_matrix_form.md", "neg.v_c"): "unparsed: U_K (the sampled columns) and 𝟏 ∈ ℝ^K defined in prose",
    ("q15_ocr_handwriting_unicode.md", "sigmoid.grad"): "missing: plain-text dσ/dx with its closing paren lost",
    ("q15_ocr_handwriting_unicode.md", "naive.v_c"): "review: the final '= U(ŷ - y' lost its paren",
    ("q19_placeholders_delta.md", "naive.u_o"): "missing: δ_w v_c, an entry of the student's δ = ŷ − y",
    ("q19_placeholders_delta.md", "naive.u_w"): "missing: δ_w v_c (see naive.u_o)",
    ("q19_placeholders_delta.md", "naive.U"): "review (unmatched): ∂J/∂U names naive.U or sg.U and the value "
                                              "matches neither",
    ("q29_french_course_notes.md", "sg.v_w"): "review: ∂J_sg/∂v_c given under the v_w heading",
    ("q30_gdocs_export.md", "neg.u_k_repeated"): "review: K σ(u_kᵀv_c)v_c, K read as the sample count",
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
