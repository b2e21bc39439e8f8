"""gradkey code: a corpus of correct and buggy word2vec implementations.

Every correct one must pass, every bug must be caught with the right verdict
and a message a student can act on, the sandbox must survive hostile code,
and results must be reproducible."""
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradkey.verify.code import check_file
from gradkey.verify.code.search import DEFAULT_EXAMPLES
from gradkey.verify.code.layout import CS224N, declared, load_map
from gradkey.verify.code.sandbox import Limits
from gradkey.verify.numerics.numdiff import central_difference

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "code"))
from make_corpus import write_corpus  # noqa: E402

EXAMPLES = 40


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The correct implementations and every bug of make_corpus.BUGS, as modules."""
    return write_corpus(tmp_path_factory.mktemp("corpus"))
# today's CS224n functions (the [code] table also declares the 2017–2018 names instead_of them)
FUNCTIONS = [a.function for a in CS224N if not a.declaration.instead_of]


def report(path, examples=EXAMPLES, limits=Limits()):
    return {f["name"]: f for f in check_file(path, examples=examples, limits=limits)["functions"]}


@pytest.mark.parametrize("name", ["correct_vectorized.py", "correct_loops.py", "correct_textbook.py"])
def test_correct_implementations_pass(name, corpus):
    r = report(corpus / name)
    assert {f: r[f]["verdict"] for f in FUNCTIONS} == {f: "correct" for f in FUNCTIONS}, r


SAMPLE = Path("/work/shared/samples/code/word2vec_reference.py")


@pytest.mark.skipif(not SAMPLE.is_file(), reason="the shared sample exists on the team's machines only")
def test_the_shared_reference_sample_is_all_correct():
    r = report(SAMPLE, examples=DEFAULT_EXAMPLES)
    assert {f: r[f]["verdict"] for f in FUNCTIONS} == {f: "correct" for f in FUNCTIONS}, r


def test_float32_is_judged_with_float64_tolerances(corpus):
    """The problem promises float64: float32 rounding is a finding that says
    so, and a float32 gradient scaled by 1 + 1e-4 never passes."""
    r = report(corpus / "float32.py")
    assert r["naiveSoftmaxLossAndGradient"]["verdict"] == "incorrect"
    assert "float32" in r["naiveSoftmaxLossAndGradient"]["note"]
    scaled = report(corpus / "bug_float32_scaled.py")["naiveSoftmaxLossAndGradient"]
    assert scaled["verdict"] == "incorrect" and "float32" in scaled["note"]


# file -> (function, verdict, words in the message)
BUGS = {
    "bug_naive_sign.py": ("naiveSoftmaxLossAndGradient", "incorrect", "gradCenterVec"),
    "bug_naive_missing_y.py": ("naiveSoftmaxLossAndGradient", "incorrect", "wrong"),
    "bug_naive_transposed.py": ("naiveSoftmaxLossAndGradient", "incorrect", "gradOutsideVecs"),
    "bug_naive_hardcoded_d.py": ("naiveSoftmaxLossAndGradient", "incorrect", "shape"),
    "bug_naive_index0.py": ("naiveSoftmaxLossAndGradient", "incorrect", "o ≠ 0"),
    "bug_naive_unstable.py": ("naiveSoftmaxLossAndGradient", "unstable", "shift the scores by their maximum"),
    "bug_neg_repeats.py": ("negSamplingLossAndGradient", "incorrect", "repeated samples must be summed"),
    "bug_neg_sigma_sign.py": ("negSamplingLossAndGradient", "incorrect", "gradCenterVec"),
    "bug_neg_consistent.py": ("negSamplingLossAndGradient", "incorrect", "wrong"),
    "bug_neg_mutates.py": ("negSamplingLossAndGradient", "incorrect", "modifies its input outsideVectors"),
    "bug_getneg_no_skip.py": ("getNegativeSamples", "incorrect", "negSampleWordIndices"),
    "bug_sg_overwrite.py": ("skipgram", "incorrect", "+="),
    "bug_sg_averaged.py": ("skipgram", "incorrect", "loss"),
    "bug_sg_all_rows.py": ("skipgram", "incorrect", "center word's row"),
    "bug_sigmoid.py": ("sigmoid", "incorrect", "wrong"),
    "bug_raises.py": ("naiveSoftmaxLossAndGradient", "error", "NotImplementedError"),
    "bug_exit.py": ("naiveSoftmaxLossAndGradient", "error", "SystemExit"),
    "bug_huge.py": ("naiveSoftmaxLossAndGradient", "error", "MemoryError"),
}


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_bug_is_caught(name, corpus):
    function, verdict, words = BUGS[name]
    r = report(corpus / name)
    assert r[function]["verdict"] == verdict, r[function]
    assert words in r[function]["note"], r[function]["note"]
    if verdict == "incorrect":
        assert r[function]["counterexample"]["inputs"], "a counterexample is shown"
    # the bug stays in its function: the rest that does not call it passes
    untouched = {"naiveSoftmaxLossAndGradient": ["negSamplingLossAndGradient", "getNegativeSamples"],
                 "negSamplingLossAndGradient": ["naiveSoftmaxLossAndGradient", "sigmoid"],
                 "skipgram": ["naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient"],
                 "getNegativeSamples": ["naiveSoftmaxLossAndGradient", "skipgram"],
                 "sigmoid": ["naiveSoftmaxLossAndGradient", "getNegativeSamples"]}[function]
    assert all(r[f]["verdict"] == "correct" for f in untouched), {f: r[f]["verdict"] for f in untouched}


def test_an_endless_loop_is_stopped_and_reported(corpus):
    r = report(corpus / "bug_endless.py", limits=Limits(seconds_per_call=1.0))
    assert r["naiveSoftmaxLossAndGradient"]["verdict"] == "error"
    assert "no answer within" in r["naiveSoftmaxLossAndGradient"]["note"]
    assert r["negSamplingLossAndGradient"]["verdict"] == "correct"   # the sandbox was restarted


def test_a_module_that_does_not_load_is_one_error_for_the_file(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("import numpy as np\nraise RuntimeError('boom at import')\n")
    full = check_file(bad, examples=EXAMPLES)
    assert "boom at import" in full["error"]
    # every function has a row (a rubric needs one), none repeats the reason
    assert all(f["verdict"] == "error" and "boom" not in f["note"] for f in full["functions"])
    assert len(full["functions"]) == len(FUNCTIONS)


def test_python2_code_gets_one_clear_error(tmp_path):
    old = tmp_path / "word2vec.py"
    old.write_text("import numpy as np\n\ndef sigmoid(x):\n    print 'computing'\n    return 1 / (1 + np.exp(-x))\n")
    r = check_file(old, examples=EXAMPLES)
    assert "Python 2" in r["error"] and "line 4" in r["error"], r["error"]


def test_skipgram_of_the_2017_layout_through_a_map(tmp_path):
    """skipgram(currentWord, C, contextWords, tokens, inputVectors,
    outputVectors, dataset, word2vecCostAndGradient): the base loss is
    passed positionally, so its parameter's name does not matter."""
    mod = tmp_path / "q3_word2vec.py"
    mod.write_text(textwrap.dedent("""
        import numpy as np
        from q1_softmax import softmax
        from q2_sigmoid import sigmoid, sigmoid_grad

        def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
            y = softmax(outputVectors.dot(predicted))
            cost = -np.log(y[target])
            y[target] -= 1
            return cost, outputVectors.T.dot(y), np.outer(y, predicted)

        def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
                     dataset, word2vecCostAndGradient=softmaxCostAndGradient):
            cost = 0.0
            gradIn = np.zeros(inputVectors.shape)
            gradOut = np.zeros(outputVectors.shape)
            c = tokens[currentWord]
            for w in contextWords:
                cc, gi, go = word2vecCostAndGradient(inputVectors[c], tokens[w], outputVectors, dataset)
                cost += cc
                gradIn[c] += gi
                gradOut += go
            return cost, gradIn, gradOut

        def skipgram_wrong(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
                           dataset, word2vecCostAndGradient=softmaxCostAndGradient):
            c = tokens[currentWord]
            cost, gi, go = word2vecCostAndGradient(inputVectors[c], tokens[contextWords[0]], outputVectors, dataset)
            gradIn = np.zeros(inputVectors.shape)
            gradIn[c] = gi
            return cost, gradIn, go
    """))
    toml = tmp_path / "map.toml"
    args = '["center_word", "window_size", "window_words", "word2ind", "V_rows", "U_rows", "dataset", "base_loss"]'
    outputs = '["loss", "grad_V_rows", "grad_U_rows"]'
    toml.write_text(f'[functions.skipgram]\nloss = "sg_naive"\nargs = {args}\noutputs = {outputs}\n'
                    f'[functions.skipgram_wrong]\nloss = "sg_naive"\nargs = {args}\noutputs = {outputs}\n'
                    f'[functions.softmaxCostAndGradient]\nloss = "naive"\nargs = ["v_c", "o", "U_rows", "dataset"]\n'
                    f'outputs = ["loss", "grad_v_c", "grad_U_rows"]\n')
    r = {f["name"]: f for f in check_file(mod, examples=EXAMPLES, adapters=load_map(toml))["functions"]}
    assert r["skipgram"]["verdict"] == "correct", r["skipgram"]
    assert r["softmaxCostAndGradient"]["verdict"] == "correct", r["softmaxCostAndGradient"]
    assert r["skipgram_wrong"]["verdict"] == "incorrect"
    assert "once per window position" in r["skipgram_wrong"]["note"]


def test_a_course_helper_copy_next_to_the_submission_wins(tmp_path):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "utils.py").write_text("def softmax(x):\n    raise RuntimeError('the student copy')\n"
                                                 "def normalizeRows(x):\n    return x\n")
    mod = tmp_path / "word2vec.py"
    mod.write_text("from utils.utils import softmax\nfrom utils.gradcheck import gradcheck_naive\n"
                   "def sigmoid(x):\n    return softmax(x)\n")
    r = {f["name"]: f for f in check_file(mod, examples=5, adapters=CS224N[:1])["functions"]}
    # the student's utils.py was used, gradkey's gradcheck.py filled the gap
    assert r["sigmoid"]["verdict"] == "error" and "the student copy" in r["sigmoid"]["note"]


def test_results_are_reproducible(corpus):
    a = report(corpus / "bug_neg_repeats.py")["negSamplingLossAndGradient"]
    b = report(corpus / "bug_neg_repeats.py")["negSamplingLossAndGradient"]
    assert a == b


def _import(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Queue:
    def __init__(self, items):
        self.items, self.i = list(items), 0

    def sampleTokenIdx(self):  # noqa: N802
        self.i += 1
        return self.items[(self.i - 1) % len(self.items)]


def test_consistent_wrong_loss_passes_gradcheck_but_not_the_derived_truth(corpus):
    bad = _import(corpus / "bug_neg_consistent.py")
    rng = np.random.default_rng(3)
    v, U = rng.uniform(-1.5, 1.5, 3), rng.uniform(-1.5, 1.5, (5, 3))

    def loss(x):
        return bad.negSamplingLossAndGradient(x, 1, U, _Queue([2, 4, 2]), K=3)[0]
    _, grad, _ = bad.negSamplingLossAndGradient(v, 1, U, _Queue([2, 4, 2]), K=3)
    numeric, bound = central_difference(loss, v, f_scale=abs(loss(v)) + 1, third_scale=10.0)
    assert np.all(np.abs(numeric - grad) <= bound)          # a plain gradcheck passes
    verdict = report(corpus / "bug_neg_consistent.py")["negSamplingLossAndGradient"]
    assert verdict["verdict"] == "incorrect"                 # the derived truth does not


def test_declared_mapping_checks_any_function(tmp_path):
    mod = tmp_path / "mine.py"
    mod.write_text(textwrap.dedent("""
        import numpy as np
        def loss_and_grads(v, U, o):          # U is d x W, columns are words
            s = U.T @ v - (U.T @ v).max()
            p = np.exp(s); p /= p.sum()
            d = p.copy(); d[o] -= 1
            return -s[o] + np.log(np.exp(s).sum()), U @ d, np.outer(v, d)
        def wrong(v, U, o):
            s = U.T @ v
            p = np.exp(s - s.max()); p /= p.sum()
            return -np.log(p[o]), U @ p, np.outer(v, p)
    """))
    adapters = [declared("loss_and_grads", "naive", ["v_c", "U", "o"], ["loss", "grad_v_c", "grad_U"]),
                declared("wrong", "naive", ["v_c", "U", "o"], ["loss", "grad_v_c", "grad_U"])]
    r = {f["name"]: f["verdict"] for f in check_file(mod, examples=EXAMPLES, adapters=adapters)["functions"]}
    assert r == {"loss_and_grads": "correct", "wrong": "incorrect"}
    toml = tmp_path / "map.toml"
    toml.write_text('[functions.wrong]\nloss = "naive"\nargs = ["v_c", "U", "o"]\noutputs = ["loss", "grad_v_c", "grad_U"]\n')
    assert [a.function for a in load_map(toml)] == ["wrong"]
    with pytest.raises(ValueError, match="unknown argument kind"):
        declared("f", "naive", ["v"], ["loss"])


def test_cli_json_and_exit_codes(corpus):
    p = subprocess.run([sys.executable, "-m", "verify.cli", "code", "--format", "json", "--examples", "20",
                        str(corpus / "bug_neg_repeats.py")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["file"].endswith("bug_neg_repeats.py")
    verdicts = {f["name"]: f["verdict"] for f in out["functions"]}
    assert verdicts["negSamplingLossAndGradient"] == "incorrect"
    p = subprocess.run([sys.executable, "-m", "verify.cli", "code", "missing.py"], capture_output=True, text=True)
    assert p.returncode == 2


def test_pytest_plugin_three_line_test(tmp_path, corpus):
    for name in ("correct_vectorized.py", "bug_neg_repeats.py"):
        (tmp_path / name).write_text((corpus / name).read_text())
    (tmp_path / "test_course.py").write_text(textwrap.dedent("""
        from correct_vectorized import negSamplingLossAndGradient as good
        from bug_neg_repeats import negSamplingLossAndGradient as bad

        def test_good(gradkey):
            gradkey.assert_matches(good, "negSamplingLossAndGradient", examples=30)

        def test_bad(gradkey):
            gradkey.assert_matches(bad, "negSamplingLossAndGradient", examples=30)
    """))
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "1 failed, 1 passed" in p.stdout, p.stdout[-2000:]
    # Hypothesis shows the failing instance (its wording varies by version) and our message says why
    assert "matches_derived_gradient(" in p.stdout and "GenericInstance(word2vec" in p.stdout and "'samples': [" in p.stdout
    assert "repeated samples must be summed" in p.stdout


def test_skipgram_may_check_which_base_loss_it_was_handed(corpus, tmp_path):
    """Real 2019 code asserts the base loss is one of the module's own; the
    replayed base compares equal to the function it stands in for (only that one)."""
    src = (corpus / "correct_vectorized.py").read_text()
    assert "def skipgram(" in src
    guarded = src.replace("def skipgram(", "def _skipgram(") + textwrap.dedent("""

        def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
                     outsideVectors, dataset, word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
            assert (word2vecLossAndGradient == naiveSoftmaxLossAndGradient
                    or word2vecLossAndGradient == negSamplingLossAndGradient)
            assert not (word2vecLossAndGradient == naiveSoftmaxLossAndGradient
                        and word2vecLossAndGradient == negSamplingLossAndGradient)
            return _skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
                             outsideVectors, dataset, word2vecLossAndGradient)
        """)
    mod = tmp_path / "word2vec.py"
    mod.write_text(guarded)
    r = report(mod, examples=10)
    assert r["skipgram"]["verdict"] == "correct", r["skipgram"]
    assert r["skipgram:neg"]["verdict"] == "correct", r["skipgram:neg"]


# -- the CS224n layout is word2vec.toml's [code] table -------------------------------------------

def test_word2vec_can_be_named_as_a_problem_set_for_code(corpus):
    """--problem word2vec (refused before the layout was in the file: "declares no
    code layouts") checks the file's [code] functions, and says which set it was."""
    r = check_file(corpus / "correct_vectorized.py", examples=10, problem="word2vec")
    assert r["problem"] == "word2vec"
    assert {f["name"]: f["verdict"] for f in r["functions"]} == {f: "correct" for f in FUNCTIONS}


def test_the_default_sets_function_names_come_from_its_file_without_sympy(tmp_path):
    """An import failure is reported before SymPy loads: the functions it lists
    (the default set's, for a file defining none) are read from the TOML alone."""
    bad = tmp_path / "hw.py"
    bad.write_text("def helper(:\n", encoding="utf-8")
    code = ("import sys; from gradkey.verify.code import preflight; "
            f"print(preflight.function_names({str(bad)!r}, 'auto')); print('sympy' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    names, sympy_loaded = p.stdout.strip().splitlines()
    assert names == repr(FUNCTIONS) and sympy_loaded == "False", p.stderr
