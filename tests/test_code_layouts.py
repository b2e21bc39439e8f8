"""[code] tables in problem files: the argument kinds and converters a course's
functions need (rows of a matrix, an int label, a dataset queue that hands out
a rejected label, keyword arguments, word strings and word2Ind, a replayed
loss function, points for an elementwise function), validated on load with
the file, the key and what is allowed; word2vec's CS224n layout is its file's
[code] table; a function declared in a problem file outside the package is
checked with no package edit."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradkey.derive.problemfile import ProblemFileError, load, loads
from gradkey.verify.code import check_file, filelayout, layout
from gradkey.verify.code.protocol import Handle
from gradkey.verify.code.search import drawn_instances

BUNDLED = Path(__file__).resolve().parent.parent / "derive" / "problems"
WORD2VEC = (BUNDLED / "word2vec.toml").read_text(encoding="utf-8")

# A small word2vec-like problem of its own name, with no [code.probes] of its
# own: checked by filelayout.FileLayout (filesearch.py).
MINI = textwrap.dedent('''
    [problem]
    name = "mini_w2v"

    [dims]
    d = { min = 1, max = 4 }
    W = { min = 2, max = 6 }
    K = { min = 1, max = 4 }

    [check]
    dims = [{ d = 3, W = 6, K = 2 }, { d = 2, W = 5, K = 3 }, { d = 4, W = 5, K = 1 }]

    [symbols.V]
    role = "parameter"
    shape = ["d", "W"]

    [symbols.U]
    role = "parameter"
    shape = ["d", "W"]

    [symbols.c]
    role = "label"
    range = "W"

    [symbols.o]
    role = "label"
    range = "W"

    [symbols.samples]
    role = "label"
    shape = ["K"]
    range = "W"
    distinct_from = ["o"]

    [definitions]
    v_c = { value = "V[:, c]" }
    u_o = { value = "U[:, o]" }

    [losses.naive]
    value = "-u_o @ v_c + logsumexp(U.T @ v_c)"

    [losses.neg]
    value = "-log(sigmoid(u_o @ v_c)) - sum(log(sigmoid(-(U[:, samples].T @ v_c))))"

    [questions."naive.v_c"]
    loss = "naive"
    wrt = "v_c"
    [[questions."naive.v_c".closed_forms]]
    value = "U @ (softmax(U.T @ v_c) - one_hot(o, W))"
    latex = "U(\\\\hat y - y)"
''')

CODE = textwrap.dedent('''
    [code.functions.softmax_rows]
    loss = "naive"
    args = [
        { name = "center", value = "v_c" },
        { name = "target", value = "o", as = "int" },
        { name = "outside_rows", value = "U", as = "rows" },
        { name = "dataset", as = "dataset" },
    ]
    outputs = ["loss", { name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]

    [code.functions.negative_rows]
    loss = "neg"
    args = [
        { name = "center", value = "v_c" },
        { name = "target", value = "o", as = "int" },
        { name = "outside_rows", value = "U", as = "rows" },
        { name = "dataset", as = "dataset", draws = "samples", rejects = "o" },
        { name = "K", value = "K", as = "int", keyword = true },
    ]
    outputs = ["loss", { name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]
''')

STUDENT = textwrap.dedent('''
    import numpy as np

    def softmax_rows(center, target, outside_rows, dataset):
        s = outside_rows @ center
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        loss = -np.log(p[target])
        d = p.copy()
        d[target] -= 1
        return loss, outside_rows.T @ d, np.outer(d, center)

    def negative_rows(center, target, outside_rows, dataset, K=10):
        samples = []
        while len(samples) < K:
            w = dataset.sampleTokenIdx()
            if w != target:
                samples.append(w)
        sig = lambda x: 1 / (1 + np.exp(-x))
        u_o = outside_rows[target]
        s_o = sig(u_o @ center)
        loss = -np.log(s_o)
        d_center = -(1 - s_o) * u_o
        d_outside = np.zeros_like(outside_rows)
        d_outside[target] += -(1 - s_o) * center
        for k in samples:
            s_k = sig(-outside_rows[k] @ center)
            loss -= np.log(s_k)
            d_center += (1 - s_k) * outside_rows[k]
            d_outside[k] += (1 - s_k) * center
        return loss, d_center, d_outside
''')


def mini(extra: str = CODE) -> str:
    return MINI + extra


def refused(text: str) -> str:
    with pytest.raises(ProblemFileError) as e:
        loads(text, "course.toml")
    return str(e.value)


# -- validation ---------------------------------------------------------------------------------

def test_a_table_with_every_new_kind_loads():
    p = load(BUNDLED / "word2vec.toml")
    kinds = {s.kind for d in p.code for s in d.arg_specs}
    assert kinds >= {"", "rows", "int", "token", "token_index", "points", "dataset", "function"}
    neg = next(d for d in p.code if d.name == "negSamplingLossAndGradient")
    assert [s.name for s in neg.arg_specs] == ["centerWordVec", "outsideWordIdx", "outsideVectors", "dataset", "K"]
    dataset = neg.arg_specs[3]
    assert (dataset.kind, dataset.draws, dataset.rejects) == ("dataset", "samples", "o")
    assert neg.arg_specs[4].keyword and [o.layout for o in neg.output_specs] == ["", "", "rows"]
    p = loads(mini(), "course.toml")
    assert [d.name for d in p.code] == ["softmax_rows", "negative_rows"]


BAD = [
    # (what is replaced in CODE, by what, key named, words of the message)
    ('value = "U", as = "rows" },\n    { name = "dataset", as = "dataset" },',
     'value = "U", as = "row" },\n    { name = "dataset", as = "dataset" },',
     "code.functions.softmax_rows.args[2].as", ["unknown argument kind 'row'", "did you mean 'rows'", "allowed:"]),
    ('{ name = "center", value = "v_c" },\n    { name = "target", value = "o", as = "int" },\n    '
     '{ name = "outside_rows", value = "U", as = "rows" },\n    { name = "dataset", as = "dataset" },',
     '{ name = "center", value = "v_c", as = "rows" },\n    { name = "target", value = "o", as = "int" },\n    '
     '{ name = "outside_rows", value = "U", as = "rows" },\n    { name = "dataset", as = "dataset" },',
     "code.functions.softmax_rows.args[0].value", ["as = 'rows' needs a matrix", "shape (d,)"]),
    ('{ name = "target", value = "o", as = "int" },\n    { name = "outside_rows", value = "U", as = "rows" },\n'
     '    { name = "dataset", as = "dataset" },',
     '{ name = "target", value = "samples", as = "int" },\n    { name = "outside_rows", value = "U", as = "rows" },\n'
     '    { name = "dataset", as = "dataset" },',
     "code.functions.softmax_rows.args[1].value", ["as = 'int' needs a single label or a scalar size"]),
    ('draws = "samples", rejects = "o"', 'draws = "o"',
     "code.functions.negative_rows.args[3].draws", ["must name a label array", "allowed: samples"]),
    ('draws = "samples", rejects = "o"', 'rejects = "o"',
     "code.functions.negative_rows.args[3].rejects", ["only while it draws", "draws = "]),
    ('draws = "samples", rejects = "o"', 'draws = "samples", rejects = "samples"',
     "code.functions.negative_rows.args[3].rejects", ["must name a single label", "allowed: c, o"]),
    ('draws = "samples", rejects = "o"', 'draws = "samples", reject = "o"',
     "code.functions.negative_rows.args[3].reject", ["unknown key", "did you mean 'rejects'"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '{ name = "base", as = "function", replays = "nowhere", over = "samples", label = "o" },\n]\n'
     'outputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args[3].replays", ["'nowhere' is not another function", "negative_rows"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '{ name = "base", as = "function", replays = "negative_rows" },\n]\noutputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args[3]", ["needs 'over'", "over = the label array"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '{ name = "tokens", as = "token_index", over = "V" },\n]\noutputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args[3].over", ["must name a dimension", "K, W, d", "got 'V'"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '{ name = "x", value = "o", as = "points" },\n]\noutputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args[3].value", ["as = 'points' needs a scalar symbol"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '{ name = "center", value = "U" },\n]\noutputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args", ["two arguments are named 'center'"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '{ name = "2nd", value = "U" },\n]\noutputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args[3].name", ["'2nd' is not a Python parameter name"]),
    ('{ name = "dataset", as = "dataset" },\n]\noutputs = ["loss", { name = "d_center"',
     '"u_o",\n]\noutputs = ["loss", { name = "d_center"',
     "code.functions.softmax_rows.args[3]", ["'u_o' is not a symbol", 'value = "u_o"']),
    ('{ name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     '{ name = "d_center", grad = "v_c", layout = "rows" }, { name = "d_outside", grad = "U" }]\n\n',
     "code.functions.softmax_rows.outputs[1].layout", ["transposes a matrix", "'grad:v_c' is not one"]),
    ('{ name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     '{ name = "d_center", grad = "w_c" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     "code.functions.softmax_rows.outputs[1]", ["the gradient by 'w_c'", "known: U, V, u_o, v_c"]),
    ('{ name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     '{ name = "d_center", value = "loss" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     "code.functions.softmax_rows.outputs[1]", ['needs an argument with as = "points"']),
    ('{ name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     '{ name = "d_center", grad = "v_c", value = "o" }, { name = "d_outside", grad = "U" }]\n\n',
     "code.functions.softmax_rows.outputs[1]", ["exactly one of grad"]),
    ('{ name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "rows" }]\n\n',
     '{ name = "d_center", grad = "v_c" }, { name = "d_outside", grad = "U", layout = "diagonal" }]\n\n',
     "code.functions.softmax_rows.outputs[2].layout", ["unknown layout 'diagonal'", "allowed: rows, columns"]),
]


@pytest.mark.parametrize("old,new,key,words", BAD, ids=[b[2].split(".", 2)[-1] + ":" + b[3][0][:20] for b in BAD])
def test_each_bad_kind_is_refused_with_the_file_the_key_and_what_is_allowed(old, new, key, words):
    assert CODE.count(old) == 1, old
    message = refused(mini(CODE.replace(old, new)))
    assert message.startswith(f"course.toml: {key}:"), message
    for w in words:
        assert w in message, (w, message)


def test_a_replayed_function_must_answer_like_the_sandbox_replay():
    """The replay answers f(vector, label, matrix, …) with (loss, ∂vector, ∂matrix):
    a function declared otherwise cannot be replayed, said with the file and the key."""
    text = WORD2VEC.replace('outputs = ["loss", { name = "gradCenterVec", grad = "v_c" }, '
                            '{ name = "gradOutsideVecs", grad = "U", layout = "rows" }]\n\n'
                            '[code.functions.negSamplingLossAndGradient]',
                            'outputs = ["loss"]\n\n[code.functions.negSamplingLossAndGradient]', 1)
    assert text != WORD2VEC
    message = refused(text)
    assert message.startswith("course.toml: code.functions.skipgram.args[7].replays: "
                              "'naiveSoftmaxLossAndGradient' cannot be replayed"), message
    assert "returns (loss, gradient by the vector, gradient by the matrix)" in message


# -- word2vec's layout is its file's [code] table ----------------------------------------------------

def test_the_word2vec_adapters_call_the_cs224n_functions_as_the_course_does():
    by = {a.function: a for a in layout.default_adapters()}
    assert list(by) == ["sigmoid", "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient",
                        "getNegativeSamples", "skipgram", "skipgram:neg",
                        "softmaxCostAndGradient", "negSamplingCostAndGradient"]   # 2017–2018, instead_of today's
    inst = drawn_instances(by["skipgram"], 3, 11)[2]
    d, W, K = inst.dims["d"], inst.dims["W"], inst.dims["K"]
    U, V, o, c = inst.values["U"], inst.values["V"], int(inst.values["o"]), int(inst.values["c"])
    samples, window = list(inst.values["samples"]), list(inst.values["window"])
    naive = by["naiveSoftmaxLossAndGradient"].call(inst)
    assert naive.args[0].shape == (d,) and type(naive.args[1]) is int and naive.args[2].shape == (W, d)
    assert np.array_equal(naive.args[2], U.T) and naive.args[3] == Handle("dataset") and naive.samples == ()
    neg = by["negSamplingLossAndGradient"].call(inst)
    assert neg.kwargs == {"K": K} and neg.samples == tuple(x for s in samples for x in (o, s))
    getneg = by["getNegativeSamples"].call(inst)
    assert getneg.args[0] == o and getneg.args[2] == K and getneg.samples == neg.samples
    sg = by["skipgram:neg"].call(inst)
    assert sg.args[0] == f"w{c}" and sg.args[1] == inst.dims["M"] // 2
    assert sg.args[2] == [f"w{j}" for j in window] and sg.args[3] == {f"w{n}": n for n in range(W)}
    assert np.array_equal(sg.args[4], V.T) and np.array_equal(sg.args[5], U.T)
    (table,) = sg.tables.values()
    assert [e["o"] for e in table] == window and sg.stands_for == {"replay:word2vecLossAndGradient":
                                                                  "negSamplingLossAndGradient"}
    # each entry is the negative-sampling function's own truth at that window word, with the
    # negative samples of that row of window_samples (the file's rows = "window_samples")
    ctx = inst.replace(o=np.int64(window[1]), samples=np.asarray(inst.values["window_samples"])[1])
    loss, center, outside = by["negSamplingLossAndGradient"].expected(ctx)
    assert table[1]["loss"] == float(loss) and np.array_equal(table[1]["outside"], outside)
    s = by["sigmoid"].call(inst).args[0]
    assert np.array_equal(s, np.append(U.ravel() * 2, inst.values["x"]))
    assert by["sigmoid"].expected(inst)[0].shape == s.shape
    assert by["getNegativeSamples"].stability is False and by["sigmoid"].stability


def test_nothing_in_the_code_checker_names_the_cs224n_functions():
    root = Path(layout.__file__).parent
    for module in ("layout.py", "search.py", "preflight.py", "standard.py", "filelayout.py"):
        text = (root / module).read_text(encoding="utf-8")
        found = re.findall(r"naiveSoftmaxLossAndGradient|negSamplingLossAndGradient|getNegativeSamples|"
                           r"outsideWordIdx|centerWordVec|word2vecLossAndGradient", text)
        assert not found, (module, found)


# -- a problem file outside the package ------------------------------------------------------------

def test_a_word2vec_style_function_in_a_problem_file_elsewhere_is_checked(tmp_path):
    path = tmp_path / "mini_w2v.toml"
    path.write_text(mini(), encoding="utf-8")
    student = tmp_path / "mine.py"
    student.write_text(STUDENT, encoding="utf-8")
    r = check_file(student, examples=20, problem=str(path), isolation=True)
    assert r["problem"] == "mini_w2v"
    verdicts = {f["name"]: f["verdict"] for f in r["functions"]}
    assert verdicts == {"softmax_rows": "correct", "negative_rows": "correct"}, r
    # keeping o among the negatives (no redraw) and the outside gradient as columns are caught
    wrong = tmp_path / "wrong.py"
    bugs = STUDENT.replace("        if w != target:\n            samples.append(w)", "        samples.append(w)")
    bugs = bugs.replace("np.outer(d, center)", "np.outer(center, d)")
    assert bugs.count("samples.append") == 1 and "np.outer(center, d)" in bugs
    wrong.write_text(bugs, encoding="utf-8")
    r = {f["name"]: f for f in check_file(wrong, examples=20, problem=str(path), isolation=True)["functions"]}
    assert r["negative_rows"]["verdict"] == "incorrect"
    assert r["softmax_rows"]["verdict"] == "incorrect" and "d_outside has shape" in r["softmax_rows"]["note"]
    inputs = r["negative_rows"]["counterexample"]["inputs"]
    assert inputs["target"] == int(inputs["target"]) and "K" in inputs and "hands out" in inputs["dataset"]


def test_a_renamed_cs224n_function_in_a_copy_of_the_word2vec_file_is_checked_by_the_cli(tmp_path):
    """The copy keeps word2vec's [code.probes], so it is checked by search.py's
    adapters (the replay, the dataset check); the function is renamed and the
    file is outside the package."""
    text = WORD2VEC.replace("[code.functions.naiveSoftmaxLossAndGradient]", "[code.functions.softmax_loss_rows]")
    text = text.replace('replays = "naiveSoftmaxLossAndGradient"', 'replays = "softmax_loss_rows"')
    text = text.replace('instead_of = "naiveSoftmaxLossAndGradient"', 'instead_of = "softmax_loss_rows"')
    assert text.count("softmax_loss_rows") == 3
    path = tmp_path / "w2v_course.toml"
    path.write_text(text, encoding="utf-8")
    assert layout.own_probes(load(path))
    student = tmp_path / "hw.py"
    student.write_text(textwrap.dedent('''
        import numpy as np
        def softmax_loss_rows(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            s = outsideVectors @ centerWordVec
            p = np.exp(s - s.max()); p /= p.sum()
            d = p.copy(); d[outsideWordIdx] -= 1
            return -np.log(p[outsideWordIdx]), outsideVectors.T @ d, np.outer(d, centerWordVec)
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))
    '''), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", "--problem", str(path), "--examples", "20",
                        "--format", "json", str(student)], capture_output=True, text=True, timeout=600)
    import json
    out = json.loads(p.stdout)
    assert {f["name"]: f["verdict"] for f in out["functions"]} == {"softmax_loss_rows": "correct",
                                                                   "sigmoid": "correct"}, out
    assert p.returncode == 0, p.stderr


def test_a_replayed_argument_in_a_file_without_its_own_probes_is_refused_with_a_reason(tmp_path):
    extra = CODE + textwrap.dedent('''
        [code.functions.outer]
        loss = "naive"
        args = [{ name = "f", as = "function", replays = "softmax_rows", over = "samples", label = "o" }]
        outputs = ["loss"]
    ''')
    p = loads(mini(extra), "course.toml")
    with pytest.raises(ValueError, match="checked only for a problem set whose \\[code\\] declares its stability probes"):
        filelayout.layouts(p)


def test_the_2017_assignment_names_are_checked_instead_of_todays():
    """word2vec.toml declares the 2017–2018 q3_word2vec.py names (softmaxCostAndGradient,
    negSamplingCostAndGradient) instead_of today's: a module of that year is checked
    for them and not asked for today's names; a module of today is not asked for the
    old ones. A bug in the old API is found like any other."""
    import json
    import subprocess
    import sys
    root = Path(__file__).parent / "fixtures" / "code"

    def verdicts(path):
        p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", "--format", "json", str(path)],
                           capture_output=True, text=True, timeout=600)
        return {f["name"]: f["verdict"] for f in json.loads(p.stdout)["functions"]}
    assert verdicts(root / "w2v_2017" / "q3_word2vec.py") == {
        "sigmoid": "correct", "getNegativeSamples": "correct", "skipgram": "correct", "skipgram:neg": "correct",
        "softmaxCostAndGradient": "correct", "negSamplingCostAndGradient": "correct"}
    assert verdicts(root / "w2v_2017" / "q3_bug_repeats.py")["negSamplingCostAndGradient"] == "incorrect"
    today = verdicts(root / "correct_vectorized.py")
    assert "softmaxCostAndGradient" not in today and today["naiveSoftmaxLossAndGradient"] == "correct"


def test_instead_of_must_name_a_declared_function(tmp_path):
    from gradkey.derive.problemfile import ProblemFileError, load
    text = (Path(__file__).parents[1] / "derive" / "problems" / "word2vec.toml").read_text(encoding="utf-8")
    bad = tmp_path / "w.toml"
    bad.write_text(text.replace('instead_of = "naiveSoftmaxLossAndGradient"', 'instead_of = "naiveSoftmax"'),
                   encoding="utf-8")
    with pytest.raises(ProblemFileError, match=r"code\.functions\.softmaxCostAndGradient\.instead_of: must name another"):
        load(bad)


def test_a_class_mixing_years_is_graded_in_todays_columns(tmp_path):
    """A 2017 module's softmaxCostAndGradient is graded in the naiveSoftmaxLossAndGradient
    column; the gradebook has no column for the old names."""
    import csv
    import io
    import shutil
    root = Path(__file__).parent / "fixtures" / "code"
    for student, src in (("alice", root / "w2v_2017" / "q3_bug_repeats.py"), ("bob", root / "correct_vectorized.py")):
        (tmp_path / student).mkdir()
        shutil.copy(src, tmp_path / student / "word2vec.py")
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", "--format", "csv", "--examples", "30",
                        str(tmp_path)], capture_output=True, text=True, timeout=900)
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(p.stdout))}
    assert "softmaxCostAndGradient verdict" not in rows["alice"]
    assert rows["alice"]["naiveSoftmaxLossAndGradient verdict"] == "correct"
    assert rows["alice"]["negSamplingLossAndGradient verdict"] == "incorrect"
    assert rows["bob"]["negSamplingLossAndGradient verdict"] == "correct"
