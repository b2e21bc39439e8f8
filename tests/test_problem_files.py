"""Problem files: a file written outside the package works end to end; a
malformed one is refused with the file, the key and the fix; the disk cache
serves repeat runs and ignores corrupt or foreign files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradkey.derive import arraylang as al
from gradkey.derive import truth
from gradkey.derive.problemfile import ProblemFileError, load, loads
from gradkey.derive.proofs import prove

BUNDLED = Path(__file__).resolve().parent.parent / "derive" / "problems"
LOGREG = (BUNDLED / "logreg.toml").read_text(encoding="utf-8")


def gradkey(*args, env=None):
    return subprocess.run([sys.executable, "-m", "gradkey.verify.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env)


def test_a_problem_file_outside_the_package_works_for_derive_and_key(tmp_path):
    path = tmp_path / "my_logreg.toml"
    path.write_text(LOGREG.replace('name = "logreg"', 'name = "my_logreg"'), encoding="utf-8")
    p = gradkey("derive", "--problem", str(path), "--all")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("agree at 3 seeded") == 2 and "(1/N) Xᵀ(σ(Xθ) − y)" in p.stdout
    out = tmp_path / "key.tex"
    p = gradkey("key", "--problem", str(path), "-o", str(out))
    assert p.returncode == 0, p.stderr
    tex = out.read_text(encoding="utf-8")
    assert tex.count(r"\boxed{") == 2 and r"\begin{document}" in tex and r"\end{document}" in tex
    p = gradkey("problems", str(path))
    assert p.returncode == 0 and "my_logreg: Logistic regression" in p.stdout and "logreg.hessian" in p.stdout
    assert gradkey("problems", "--check", str(path)).returncode == 0


def refused(text: str, tmp_path) -> str:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        prove(load(path))
    return str(err.value)


@pytest.mark.parametrize("change,expected", [
    # an unknown symbol in a definition
    (('value = "sigmoid(X @ theta)"', 'value = "sigmoid(X @ thetta)"'),
     ["broken.toml: definitions.h.value:", "unknown name 'thetta'", "did you mean 'theta'?"]),
    # a shape mismatch in a definition
    (('value = "sigmoid(X @ theta)"', 'value = "sigmoid(X.T @ theta)"'),
     ["broken.toml: definitions.h.value:", "inner dimensions N and D differ"]),
    # a closed form of the wrong shape
    (('value = "X.T @ (h - y) / N"\nlatex', 'value = "X @ theta"\nlatex'),
     ["broken.toml: questions.logreg.theta.closed_forms[0]:", "shape (N,) but the question asks for theta's shape (D,)"]),
    # a closed form that disagrees with the derived truth
    (('value = "X.T @ (h - y) / N"\nlatex', 'value = "X.T @ (y - h) / N"\nlatex'),
     ["broken.toml: questions.logreg.theta.closed_forms[0]:", "does not equal the derived answer",
      "fix the expression"]),
    # a mistake that is not one
    (('value = "X.T @ (y - h) / N"', 'value = "X.T @ (h - y) / N"'),
     ["questions.logreg.theta.mistakes[0]:", "equals the derived answer at every instance"]),
    # an unknown key, with the allowed ones
    (('[questions."logreg.theta"]\n', '[questions."logreg.theta"]\nanswer = "x"\n'),
     ["questions.logreg.theta.answer: unknown key", "allowed:"]),
    # a role that does not exist
    (('role = "parameter"', 'role = "weights"'), ["symbols.theta.role: unknown role 'weights'", "parameter, data"]),
    # check dimensions that are not pairwise distinct
    (("{ N = 3, D = 2 }", "{ N = 2, D = 2 }"), ["check.dims[0]:", "pairwise distinct"]),
])
def test_a_malformed_file_is_refused_naming_file_key_and_fix(change, expected, tmp_path):
    old, new = change
    assert old in LOGREG
    message = refused(LOGREG.replace(old, new, 1), tmp_path)
    for part in expected:
        assert part in message, message


def test_a_transposed_closed_form_gets_a_transpose_hint(tmp_path):
    text = (BUNDLED / "linear.toml").read_text(encoding="utf-8").replace(
        'value = "X.T @ (P - Y) / N + 2 * reg * W"\nlatex', 'value = "(P - Y).T @ X / N + 2 * reg * W.T"\nlatex', 1)
    message = refused(text, tmp_path)
    assert ("questions.softmax.W.closed_forms[0]: shape (C, D) but the question asks for W's shape (D, C); "
            "did you forget a transpose?") in message


def test_problems_check_exits_1_with_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(LOGREG.replace('value = "X.T @ (h - y) / N"\nlatex', 'value = "X.T @ (h - y)"\nlatex', 1))
    p = gradkey("problems", "--check", str(path))
    assert p.returncode == 1 and "bad.toml: questions.logreg.theta.closed_forms[0]" in p.stderr


@pytest.mark.parametrize("text,message", [
    ("X @", "expected a number, a name or '('"),
    ("exp(X, Y)", "exp() takes 1 argument(s), got 2"),
    ("__import__('os')", "unexpected character"),
    ("frobnicate(X)", "unknown function 'frobnicate'"),
    ("X[i", "expected ']'"),
    ("sum(x for j in C)", "expected 'range'"),
])
def test_the_array_language_refuses_what_it_cannot_read(text, message):
    with pytest.raises(al.ArrayLangError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        al.parse(text)


def test_unknown_problem_set_is_a_usage_error_with_close_matches():
    p = gradkey("derive", "--problem", "lienar", "--all")
    assert p.returncode == 2 and "unknown problem set 'lienar'" in p.stderr and "linear" in p.stderr


# -- the cache ---------------------------------------------------------------------------

def test_disk_cache_serves_repeat_runs_and_ignores_corrupt_files(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADKEY_CACHE_DIR", str(tmp_path))
    ps = loads(LOGREG, "cache.toml")
    q = ps.question("logreg.theta")
    dims = ps.check_dims[0]
    truth.clear_memory()
    first = truth.derivation(ps, q.loss, q.wrt, 1, dims)
    files = list(tmp_path.glob("truth-*.json"))
    assert len(files) == 1
    # a corrupt file and a foreign file (another key) are ignored and rebuilt
    for bad in ("{not json", json.dumps({"format": truth.FORMAT, "key": "other", "source": "def truth(_args):\n"})):
        files[0].write_text(bad)
        truth.clear_memory()
        again = truth.derivation(ps, q.loss, q.wrt, 1, dims)
        assert again.source == first.source
        assert json.loads(files[0].read_text())["source"] == first.source
    # a file others may write is never executed
    files[0].chmod(0o666)
    assert truth._load(first.key) is None
    files[0].chmod(0o644)
    assert truth._load(first.key) == first.source
    from gradkey.derive.draw import seeded
    inst = seeded(ps, 1, 0, q)[0]
    assert np.allclose(q.truth(inst), inst.evaluate(q.closed_forms[0].expr))
    truth.clear_memory()


# -- the format's word2vec extensions: several base losses, label arrays -------------------

W2V = (BUNDLED / "word2vec.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("change,expected", [
    # loss and losses together
    (('losses = ["sg_naive", "sg_neg"]\nwrt = "U"', 'loss = "sg_neg"\nlosses = ["sg_naive", "sg_neg"]\nwrt = "U"'),
     ["questions.sg.U: give either loss", "losses = ["]),
    # a value table without one of the bases
    (('value.sg_naive = "sum(outer(v_c, y_hat - one_hot(window[j], W)) for j in range(M))"\n', ''),
     ["questions.sg.U.closed_forms[0].value: missing the value for loss 'sg_naive'"]),
    # a value table in a one-loss question
    (('value = "U @ (y_hat - y)"\nlatex = \'U(\\hat{y}-y)\'\ntext = "U(ŷ − y)"',
      'value.naive = "U @ (y_hat - y)"\nlatex = \'U(\\hat{y}-y)\'\ntext = "U(ŷ − y)"'),
     ["questions.naive.v_c.closed_forms[0].value: a table of values by loss is for a question with losses"]),
    # a repeated entry that is not label[index]
    (('repeated = ["samples[k]"]', 'repeated = ["samples[0]"]'),
     ["questions.neg.u_k_repeated.repeated:", "a label vector indexed by an index variable"]),
    # distinct_from an array that does not lead the label's shape
    (('distinct_from = ["window"]', 'distinct_from = ["samples"]'),
     ["symbols.window_samples.distinct_from:", "does not lead window_samples's shape (M, K)"]),
])
def test_the_word2vec_extensions_are_validated(change, expected, tmp_path):
    old, new = change
    assert old in W2V
    path = tmp_path / "broken.toml"
    path.write_text(W2V.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load(path)
    for part in expected:
        assert part in str(err.value), str(err.value)


def test_a_multi_loss_form_is_proven_per_base(tmp_path):
    # the naive value under the neg base: wrong there, so the proof names the base
    text = W2V.replace('value.sg_neg = "sum(outer(v_c, (sigmoid', 'value.sg_neg = "sum(outer(v_c, -(sigmoid', 1)
    message = refused(text, tmp_path)
    assert "questions.sg.U.closed_forms[0]:" in message and "derivative of sg_neg by U" in message
