"""gradkey code on the CS231n layouts (issue 11): the corpus of
tests/fixtures/code/cs231n gets exactly its manifest's verdicts.

Every correct function passes with the manifest's regulariser convention;
every bug is caught with a counterexample on one of the outputs the manifest
says are wrong (or the input it modifies), and a message that names the term
at fault for the typical mistakes; unstable code is flagged; a file that does
not import is one error. Also: the class target (params set, modified params
found), files without the course's stand-ins, hostile code in the new
layouts, detection by the functions a file defines, the command line, and a
student's own helper copies winning in batch mode."""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gradkey.verify.code import check_file
from gradkey.verify.code import filelayout
from gradkey.verify.code.sandbox import Limits

ROOT = Path(__file__).parent / "fixtures" / "code" / "cs231n"
MANIFEST = tomllib.loads((ROOT / "manifest.toml").read_text(encoding="utf-8"))
EXAMPLES = 25          # per function; the fixed inputs are derandomized, the secret seed fixed below
SECRET = 12345
CASES = [(f, fn) for f, spec in MANIFEST["files"].items() for fn in spec["functions"]]

_reports: dict = {}


def checked(file: str) -> dict:
    """The report of one corpus file (each file checked once per session)."""
    if file not in _reports:
        spec = MANIFEST["files"][file]
        r = check_file(ROOT / file, examples=EXAMPLES, problem=spec["problem"], secret=SECRET)
        _reports[file] = r
    return _reports[file]


def function(file: str, name: str) -> dict:
    return {f["name"]: f for f in checked(file)["functions"]}[name]


def output_name(manifest_name: str) -> str:
    """The manifest's output names in the checker's words (the names students know)."""
    if manifest_name.startswith("grads."):
        return f"grads['{manifest_name[6:]}']"
    return {"grad": "dtheta"}.get(manifest_name, manifest_name)


@pytest.mark.parametrize("file,name", CASES, ids=[f"{f}:{n}" for f, n in CASES])
def test_manifest_verdict(file, name):
    expected = MANIFEST["files"][file]["functions"][name]
    got = function(file, name)
    assert got["verdict"] == expected["verdict"], (got["verdict"], got["note"])
    verdict = expected["verdict"]
    if verdict == "correct":
        # the convention the function follows is found and said
        assert got["convention"] == expected.get("convention"), got
        if expected.get("convention"):
            assert f"{expected['convention']} convention" in got["note"]
    elif verdict == "incorrect":
        ce = got["counterexample"]
        assert ce and ce["inputs"], "a counterexample is shown"
        if expected["kind"] == "mutated":
            assert f"modifies its input {expected['wrong'][0]}" in got["note"]
        else:
            wrong = {output_name(w) for w in expected["wrong"]}
            assert got["output"] in wrong, (got["output"], wrong, got["note"])
            assert ce["got"] is not None and ce["expected"] is not None
    elif verdict == "unstable":
        assert "non-finite" in got["note"] and "maximum" in got["note"], got["note"]
        assert got["convention"] == expected["convention"]
    else:
        raises = expected.get("raises")
        report = checked(file)
        if raises == "SyntaxError":      # the module does not import: one error for the file
            assert "Python 2" in report["error"]
            assert "Python 2" not in got["note"] and "not checked" in got["note"]
        else:
            assert raises in got["note"], got["note"]


# -- the messages name the term or convention at fault -----------------------------

MESSAGES = {
    ("softmax/bug_reg_grad_convention.py", "softmax_loss_naive"): ["conventions mixed", "full", "half", "reg·W"],
    ("svm/bug_reg_double_grad.py", "svm_loss_vectorized"): ["conventions mixed", "2·reg·W", "0.5·reg·‖W‖²"],
    ("softmax/bug_reg_missing_loss.py", "softmax_loss_vectorized"): ["loss leaves out the regulariser"],
    ("softmax/bug_reg_missing_grad.py", "softmax_loss_naive"): ["dW leaves out the regulariser's gradient", "reg·W"],
    ("softmax/bug_reg_over_N.py", "softmax_loss_vectorized"): ["regulariser in loss is divided by N too"],
    ("softmax/bug_precedence.py", "softmax_loss_naive"): ["precedence", "(N + reg·W)"],
    ("svm/bug_missing_yi_term.py", "svm_loss_naive"): ["dW[:, y_i] -= x_i", "MISSING_Y_TERM"],
    ("neural_net/bug_no_b1_forward.py", "TwoLayerNet.loss"): ["b1 = 0", "forward pass"],
    ("neural_net/bug_b2_not_averaged.py", "TwoLayerNet.loss"): ["grads['b2'] is not divided by N"],
    ("neural_net/bug_bias_grads_keepdims.py", "TwoLayerNet.loss"): ["(1, ", "in-place update"],
    ("neural_net/bug_bias_regularised_loss_only.py", "TwoLayerNet.loss"): ["also regularises b1, b2"],
    ("neural_net/bug_reg_grad_missing_W1.py", "TwoLayerNet.loss"): ["grads['W1'] leaves out", "reg·W1"],
    ("neural_net/bug_reg_grad_convention.py", "TwoLayerNet.loss"): ["conventions mixed", "grads['W1']"],
    ("softmax/bug_dW_not_averaged.py", "softmax_loss_naive"): ["data term of dW is not divided by N"],
    ("logreg/bug_sign_flipped.py", "logistic_loss_and_grad"): ["log-likelihood"],
}


@pytest.mark.parametrize("file,name", sorted(MESSAGES), ids=[f"{f}:{n}" for f, n in sorted(MESSAGES)])
def test_message_names_the_term_at_fault(file, name):
    note = function(file, name)["note"]
    for words in MESSAGES[(file, name)]:
        assert words in note, (words, note)


def test_a_counterexample_is_minimal_for_a_value_bug():
    """Shrunk by Hypothesis: simple values that still show the bug."""
    ce = function("softmax/bug_precedence.py", "softmax_loss_vectorized")["counterexample"]
    values = [v for row in ce["inputs"]["X"] for v in row] + [v for row in ce["inputs"]["W"] for v in row]
    assert all(v in (0.0, 1.0, -1.0) for v in values), ce["inputs"]


# -- the course's stand-ins --------------------------------------------------------

def test_without_the_stand_ins_the_compat_files_fail(tmp_path):
    """The manifest's without_compat verdicts: with a copy of the problem file
    that declares no course helpers, bare xrange and np.float are errors."""
    text = (Path(filelayout.load_problem("linear").source)).read_text(encoding="utf-8")
    bare = tmp_path / "linear_bare.toml"
    bare.write_text(text.replace('helpers = ["cs231n"]\n', ""), encoding="utf-8")
    for file in ("softmax/correct_bare_xrange.py", "softmax/correct_np_float.py"):
        spec = MANIFEST["files"][file]
        r = check_file(ROOT / file, examples=5, problem=str(bare), secret=SECRET)
        for f in r.get("functions", []):
            expected = spec["functions"][f["name"]].get("without_compat")
            if expected:
                assert f["verdict"] == expected, f
        if "past.builtins" in spec["compat"]:
            assert "past" in r["error"]     # the import itself fails without the stand-in


# -- the class target ----------------------------------------------------------------

NET = '''
import numpy as np
class TwoLayerNet(object):
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}
    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        N = X.shape[0]
        Z = X @ W1 + b1
        H = np.maximum(0, Z)
        S = H @ W2 + b2
        if y is None:
            return S
        S = S - S.max(axis=1, keepdims=True)
        P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
        loss = -np.log(P[np.arange(N), y]).mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dS = P.copy(); dS[np.arange(N), y] -= 1; dS /= N
        dH = dS @ W2.T; dZ = dH * (Z > 0)
        grads = {"W1": X.T @ dZ + 2 * reg * W1, "b1": dZ.sum(0), "W2": H.T @ dS + 2 * reg * W2, "b2": dS.sum(0)}
        EXTRA
        return loss, grads
'''


def net(tmp_path, extra="pass", name="neural_net.py"):
    path = tmp_path / name
    path.write_text(NET.replace("EXTRA", extra), encoding="utf-8")
    return {f["name"]: f for f in check_file(path, examples=10, problem="mlp", secret=SECRET)["functions"]}


def test_the_class_target_constructs_sets_params_and_calls_the_method(tmp_path):
    r = net(tmp_path)["TwoLayerNet.loss"]
    assert r["verdict"] == "correct" and r["convention"] == "full", r


def test_a_method_that_modifies_params_in_place_is_caught(tmp_path):
    r = net(tmp_path, "self.params['W1'] -= 0.1 * grads['W1']")["TwoLayerNet.loss"]
    assert r["verdict"] == "incorrect" and "modifies its input params['W1']" in r["note"], r


def test_a_missing_grads_entry_is_named(tmp_path):
    r = net(tmp_path, "del grads['b2']")["TwoLayerNet.loss"]
    assert r["verdict"] == "incorrect" and "grads has no entry 'b2'" in r["note"], r


# -- hostile code in the new layouts -----------------------------------------------------

def test_hostile_code_in_a_class_layout_is_never_judged_correct(tmp_path):
    """The checker cannot be imported from the sandbox, the grader's files
    cannot be read, and forged or unencodable results are findings."""
    attacks = {
        "reads_gradkey.py": "import gradkey; return gradkey.verify.code.filelayout",
        "reads_files.py": "return open('/etc/passwd').read(), open(__import__('os').path.expanduser('~/.bashrc')).read()",
        "forged.py": "return loss, {k: object() for k in grads}",
        "generator.py": "return loss, (g for g in grads.values())",
    }
    for name, code in attacks.items():
        r = net(tmp_path, code, name)["TwoLayerNet.loss"]
        assert r["verdict"] in ("incorrect", "error"), (name, r)
        assert "root:" not in json.dumps(r), name


def test_an_endless_constructor_is_stopped(tmp_path):
    path = tmp_path / "neural_net.py"
    path.write_text(NET.replace("EXTRA", "pass").replace("self.params = {", "while True: pass\n        self.params = {"),
                    encoding="utf-8")
    r = check_file(path, examples=5, problem="mlp", limits=Limits(seconds_per_call=1.0, file_seconds=20))
    f = r["functions"][0]
    assert f["verdict"] == "error" and "no answer within" in f["note"], f


# -- which layout a file is checked for --------------------------------------------------

def test_a_file_is_checked_for_the_functions_it_defines():
    problems = filelayout.bundled_with_code()
    found = filelayout.detect(ROOT / "softmax" / "correct_xrange_half.py", problems)
    assert found[0].name == "linear" and [l.function for l in found[1]] == ["softmax_loss_naive",
                                                                             "softmax_loss_vectorized"]
    found = filelayout.detect(ROOT / "svm" / "correct_loops_full.py", problems)
    assert [l.function for l in found[1]] == ["svm_loss_naive", "svm_loss_vectorized"]
    assert filelayout.detect(ROOT / "neural_net" / "error_python2_print.py", problems)[0].name == "mlp"
    word2vec = Path(__file__).parent / "fixtures" / "code" / "correct_loops.py"
    if word2vec.exists():
        assert filelayout.detect(word2vec, problems) is None


# -- the command line -------------------------------------------------------------------------

def gradkey(*args):
    return subprocess.run([sys.executable, "-m", "gradkey.verify.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_finds_the_layout_and_reports_the_convention():
    p = gradkey("code", str(ROOT / "softmax" / "correct_xrange_half.py"), "--format", "json", "--examples", "10")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["problem"] == "linear"
    assert {f["name"]: f["convention"] for f in doc["functions"]} == {"softmax_loss_naive": "half",
                                                                      "softmax_loss_vectorized": "half"}


def test_cli_problem_option_and_a_bug():
    p = gradkey("code", "--problem", "mlp", str(ROOT / "neural_net" / "bug_reg_grad_missing_W1.py"),
                "--examples", "10")
    assert p.returncode == 1
    assert "grads['W1'] leaves out the regulariser's gradient" in p.stdout
    bad = gradkey("code", "--problem", "nosuchset", str(ROOT / "neural_net" / "bug_reg_grad_missing_W1.py"))
    assert bad.returncode == 2 and "no such problem set" in bad.stderr


def test_cli_an_import_failure_is_one_error(tmp_path):
    for fmt in ("text", "json"):
        p = gradkey("code", str(ROOT / "softmax" / "error_python2_print.py"), "--format", fmt)
        assert p.returncode == 1
        assert p.stdout.count("Python 2 code") == 1, p.stdout


# -- a student's own helpers in batch mode ------------------------------------------------------

def test_own_helper_copies_win_in_batch_mode(tmp_path):
    """CodeJob copies only the submitted file, yet the sandbox takes the
    student's sibling past/builtins.py over gradkey's (and never a link out)."""
    from gradkey.verify.grade.batch import CodeJob
    from gradkey.verify.grade.discover import Entry
    src = (ROOT / "softmax" / "correct_xrange_half.py").read_text(encoding="utf-8")
    folder = tmp_path / "alice"
    (folder / "past").mkdir(parents=True)
    (folder / "past" / "__init__.py").write_text("")
    (folder / "past" / "builtins.py").write_text("xrange = range\nMINE = True\n")
    sub = folder / "softmax.py"
    sub.write_text("from past.builtins import MINE\n" + src, encoding="utf-8")
    row = CodeJob(examples=5, problem="linear", secret=SECRET)(Entry("alice", str(sub), "code", sub.read_bytes()))
    assert not row.get("error"), row
    assert {f["verdict"] for f in row["functions"]} == {"correct"}
    # a link out of the student's folder is not followed: gradkey's own helper is used
    (folder / "past" / "builtins.py").unlink()
    (folder / "past" / "builtins.py").symlink_to(tmp_path / "elsewhere.py")
    (tmp_path / "elsewhere.py").write_text("xrange = range\nMINE = True\n")
    row = CodeJob(examples=5, problem="linear", secret=SECRET)(Entry("alice", str(sub), "code", sub.read_bytes()))
    assert "MINE" in row["error"], row
