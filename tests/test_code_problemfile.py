"""word2vec's code checking runs on its problem file: instances drawn from the
file (``derive.draw``), its [code] dims, its [code.probes] and the file's own
textbook formulation as the stability yardstick — and so does any file with
the same declarations, whatever its names (a word2vec-like file written here
with other symbols, outside the package)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradkey.derive.draw import GenericInstance
from gradkey.derive.problemfile import ProblemFileError, bundled, load, loads
from gradkey.verify.code import check_file, filelayout, layout, search

ROOT = Path(__file__).resolve().parent.parent

# word2vec's two base losses under other names: embedding size e, vocabulary N,
# negatives S, center vectors P (h = P[:, a]), outside vectors Q, target t.
COURSE = textwrap.dedent('''
    [problem]
    name = "emb_course"

    [dims]
    e = { min = 1, max = 4 }
    N = { min = 2, max = 6 }
    S = { min = 1, max = 4 }

    [check]
    dims = [{ e = 3, N = 5, S = 2 }, { e = 2, N = 6, S = 3 }]

    [symbols.P]
    role = "parameter"
    shape = ["e", "N"]

    [symbols.Q]
    role = "parameter"
    shape = ["e", "N"]

    [symbols.a]
    role = "label"
    range = "N"

    [symbols.t]
    role = "label"
    range = "N"

    [symbols.neg]
    role = "label"
    shape = ["S"]
    range = "N"
    distinct_from = ["t"]

    [definitions]
    h = { value = "P[:, a]" }
    q_t = { value = "Q[:, t]" }

    [losses.ce]
    value = "-q_t @ h + logsumexp(Q.T @ h)"

    [losses.ns]
    value = "-log(sigmoid(q_t @ h)) - sum(log(sigmoid(-(Q[:, neg].T @ h))))"

    [questions."ce.h"]
    loss = "ce"
    wrt = "h"
    [[questions."ce.h".closed_forms]]
    value = "Q @ (softmax(Q.T @ h) - one_hot(t, N))"
    latex = "Q(p - y)"

    [questions."ce.Q"]
    loss = "ce"
    wrt = "Q"
    [[questions."ce.Q".closed_forms]]
    value = "outer(h, softmax(Q.T @ h) - one_hot(t, N))"
    latex = "h(p - y)^T"

    [code]
    dims = [{ e = 2, N = 4, S = 2 }, { e = 1, N = 3, S = 1 }, { e = 3, N = 3, S = 2 }]

    [code.probes.huge]
    what = "every score near 900"
    losses = ["ce"]
    set = { P = "10 * P" }
    value = "Q.T @ h"
    equals = "900 + Q.T @ h"
    by = "Q"
    advice.ce = "subtract the largest score before exp"

    [code.functions.ce_rows]
    loss = "ce"
    args = [
        { name = "center", value = "h" },
        { name = "target", value = "t", as = "int" },
        { name = "outside", value = "Q", as = "rows" },
    ]
    outputs = ["loss", { name = "d_center", grad = "h" }, { name = "d_outside", grad = "Q", layout = "rows" }]

    [code.functions.ns_rows]
    loss = "ns"
    args = [
        { name = "center", value = "h" },
        { name = "target", value = "t", as = "int" },
        { name = "outside", value = "Q", as = "rows" },
        { name = "dataset", as = "dataset", draws = "neg", rejects = "t" },
        { name = "K", value = "S", as = "int", keyword = true },
    ]
    outputs = ["loss", { name = "d_center", grad = "h" }, { name = "d_outside", grad = "Q", layout = "rows" }]
''')

STUDENT = '''
import numpy as np

def ce_rows(center, target, outside):
    s = outside @ center
    SHIFT
    p = np.exp(s) / np.exp(s).sum()
    d = p.copy()
    d[target] -= 1
    return -np.log(p[target]), outside.T @ d, np.outer(d, center)

def ns_rows(center, target, outside, dataset, K=10):
    drawn = []
    while len(drawn) < K:
        w = dataset.sampleTokenIdx()
        if w != target:
            drawn.append(w)
    sig = lambda x: 1 / (1 + np.exp(-x))
    so = sig(outside[target] @ center)
    sk = sig(-(outside[drawn] @ center))
    loss = -np.log(so) - np.sum(np.log(sk))
    grad_c = -(1 - so) * outside[target] + (1 - sk) @ outside[drawn]
    grad_o = np.zeros_like(outside)
    grad_o[target] += -(1 - so) * center
    np.add.at(grad_o, drawn, np.outer(1 - sk, center))
    return loss, grad_c, grad_o
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    path = tmp_path_factory.mktemp("course") / "emb_course.toml"
    path.write_text(COURSE, encoding="utf-8")
    return path


def _student(tmp_path, text: str) -> Path:
    p = tmp_path / "hw.py"
    p.write_text(text, encoding="utf-8")
    return p


# -- a file of another name, with other symbols ---------------------------------------------------

def test_the_instances_of_a_declared_function_come_from_its_problem_file(course):
    p = load(course)
    by = {a.function: a for a in filelayout.layouts(p)}
    assert layout.own_probes(p) and set(by) == {"ce_rows", "ns_rows"}
    insts = search.drawn_instances(by["ce_rows"], 12, 5)
    assert all(isinstance(i, GenericInstance) and i.problem is p for i in insts)
    # the [code] dims in pairs, cycling; not the check dims
    assert [dict(i.dims) for i in insts[:6]] == [dict(d) for d in p.code_dims for _ in (0, 1)]
    # the label the function is handed (t, an int) is moved to 0 and to N - 1 in turn
    assert all(int(i.values["t"]) == 0 for i in insts[1::3])
    assert all(int(i.values["t"]) == i.dims["N"] - 1 for i in insts[2::3])
    # and the premises of the file hold: the negatives differ from t
    assert all(int(i.values["t"]) not in set(np.ravel(i.values["neg"])) for i in insts)
    call = by["ns_rows"].call(insts[4])
    assert call.kwargs == {"K": insts[4].dims["S"]}
    assert np.array_equal(call.args[2], insts[4].values["Q"].T)


def test_a_declared_function_of_a_file_elsewhere_is_checked_with_its_probes(course, tmp_path):
    shifted = STUDENT.replace("SHIFT", "s = s - s.max()")
    r = {f["name"]: f for f in check_file(_student(tmp_path, shifted), examples=20, problem=str(course))["functions"]}
    assert r["ce_rows"]["verdict"] == "correct", r
    assert "1 large-magnitude probe" in r["ce_rows"]["note"]
    # the probe is declared for ce only: ns_rows is judged on generated inputs alone
    assert r["ns_rows"]["verdict"] == "correct" and "probe" not in r["ns_rows"]["note"], r


def test_code_that_fails_the_files_probe_is_unstable_with_the_files_advice(course, tmp_path):
    r = {f["name"]: f for f in check_file(_student(tmp_path, STUDENT.replace("SHIFT", "")), examples=20,
                                          problem=str(course))["functions"]}
    f = r["ce_rows"]
    assert f["verdict"] == "unstable", f
    assert "every score near 900" in f["note"] and "subtract the largest score before exp" in f["note"]


def test_a_wrong_gradient_is_found_at_an_instance_of_the_file(course, tmp_path):
    wrong = STUDENT.replace("SHIFT", "s = s - s.max()").replace("np.outer(d, center)", "np.outer(d, center) * 2")
    r = {f["name"]: f for f in check_file(_student(tmp_path, wrong), examples=20, problem=str(course))["functions"]}
    f = r["ce_rows"]
    assert f["verdict"] == "incorrect" and f["output"] == "d_outside", f
    # the counterexample is one of the file's code dims, by the file's dimension names
    assert f["counterexample"]["dims"] in [dict(d) for d in load(course).code_dims]


# -- word2vec: instances, dims, probes and yardstick from word2vec.toml ---------------------------

@pytest.fixture(scope="module")
def w2v():
    p = load(bundled()["word2vec"])
    return p, {a.function: a for a in filelayout.layouts(p)}


def test_word2vec_code_instances_are_the_files_at_its_code_dims(w2v):
    p, by = w2v
    assert p.code_dims and all(isinstance(a, layout.Adapter) for a in by.values())
    insts = search.drawn_instances(by["negSamplingLossAndGradient"], 30, 3)
    assert {tuple(sorted(i.dims.items())) for i in insts} == {tuple(sorted(d.items())) for d in p.code_dims}
    for i in insts:
        o, samples = int(i.values["o"]), np.asarray(i.values["samples"])
        assert o not in set(samples.ravel())
        window, rows = np.asarray(i.values["window"]), np.asarray(i.values["window_samples"])
        assert all(w not in set(r) for w, r in zip(window, rows))
    # skipgram is handed the center word (a token): that is the label moved to 0 and W - 1
    sg = search.drawn_instances(by["skipgram"], 6, 3)
    assert int(sg[1].values["c"]) == 0 and int(sg[2].values["c"]) == sg[2].dims["W"] - 1


def test_a_copy_of_word2vec_with_other_code_dims_is_checked_at_those(tmp_path):
    """The dims code is checked at are the file's: a copy of word2vec.toml declaring
    one other tuple draws every input there, and a bug's counterexample is there too."""
    text = (ROOT / "derive" / "problems" / "word2vec.toml").read_text(encoding="utf-8")
    start = text.index("dims = [{ d = 3, W = 5, K = 3, M = 2 }")
    end = text.index("\n", text.index("]", start))
    path = tmp_path / "w2v_small.toml"
    path.write_text(text[:start] + "dims = [{ d = 2, W = 3, K = 2, M = 4 }]" + text[end:], encoding="utf-8")
    p = load(path)
    assert p.code_dims == ({"d": 2, "W": 3, "K": 2, "M": 4},)
    by = {a.function: a for a in filelayout.layouts(p)}
    assert all(dict(i.dims) == p.code_dims[0] for i in search.drawn_instances(by["skipgram:neg"], 10, 1))
    bug = (ROOT / "tests" / "fixtures" / "code_heldout" / "w2v" / "w12_bug_transposed_U.py")
    r = {f["name"]: f for f in check_file(bug, examples=10, problem=str(path))["functions"]}
    f = r["naiveSoftmaxLossAndGradient"]
    assert f["verdict"] == "incorrect" and f["counterexample"]["dims"] == p.code_dims[0], f
    assert "shape (2, 3) where (3, 2) is expected" in f["note"]


def test_the_replayed_loss_sees_row_j_of_the_files_rows(w2v):
    p, by = w2v
    inst = search.drawn_instances(by["skipgram:neg"], 1, 8)[0]
    call = by["skipgram:neg"].call(inst)
    (table,) = call.tables.values()
    rows = np.asarray(inst.values["window_samples"])
    for j, entry in enumerate(table):
        ctx = inst.replace(o=np.int64(inst.values["window"][j]), samples=rows[j])
        truth = layout.truth(p, "neg", ctx, "v_c")
        assert entry["loss"] == pytest.approx(truth.loss, rel=1e-12)
        assert np.allclose(entry["outside"], truth["U"].T, rtol=1e-12, atol=1e-14)


def test_word2vec_probes_are_the_files_and_kept_where_the_textbook_form_holds(w2v):
    p, by = w2v
    names = {a: [probe.name for probe, _ in search.probes(by[a])] for a in
             ("sigmoid", "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient", "skipgram", "getNegativeSamples")}
    assert names["sigmoid"] == names["naiveSoftmaxLossAndGradient"] == [q.name for q in p.code_probes]
    # −log σ(−780) overflows in the textbook form itself: that probe is not held against anyone
    assert names["negSamplingLossAndGradient"] == ["scores≈50", "confident"]
    assert names["skipgram"] == [] and names["getNegativeSamples"] == []
    probe, inst = search.probes(by["naiveSoftmaxLossAndGradient"])[2]
    scores = np.asarray(inst.value("U")).T @ np.asarray(inst.value("v_c"))
    o = int(inst.values["o"])
    assert scores[o] > 790 and np.all(np.delete(scores, o) < -790)


def test_relabelling_renumbers_every_array_and_label_of_that_dimension(w2v):
    p, by = w2v
    inst = search.drawn_instances(by["skipgram:neg"], 1, 4)[0]
    W = inst.dims["W"]
    moved = search.relabel(inst, 0, W - 1, "W")
    perm = np.arange(W)
    perm[0], perm[W - 1] = W - 1, 0
    for s in ("c", "o", "samples", "window", "window_samples"):
        assert np.array_equal(moved.values[s], perm[np.asarray(inst.values[s])])
    assert np.array_equal(moved.values["U"][:, perm], inst.values["U"])
    # the same mathematics: the loss is unchanged and its gradient moves with the columns
    a, b = layout.truth(p, "sg_neg", inst, "U"), layout.truth(p, "sg_neg", moved, "U")
    assert a.loss == pytest.approx(b.loss, rel=1e-12)
    assert np.allclose(b["U"][:, perm], a["U"], rtol=1e-12, atol=1e-14)


def test_the_code_checker_names_no_word2vec_instance_route_or_loss():
    """verify/code builds every instance from a problem file: it imports neither
    the word2vec Instance nor its scores route, and names none of its losses."""
    import ast
    for module in ("search.py", "standard.py", "layout.py", "filelayout.py", "filesearch.py", "diagnose.py",
                   "preflight.py"):
        tree = ast.parse((ROOT / "verify" / "code" / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module not in ("gradkey.derive.signature", "gradkey.derive.derivation",
                                           "gradkey.derive.word2vec", "gradkey.derive.losses",
                                           "gradkey.verify.numerics.instances"), (module, node.module)
                names = {a.name for a in node.names}
                if node.module == "gradkey.derive":     # the package's top level re-exports the scores route
                    assert not names & {"Instance", "Dims", "gradients", "derivation"}, (module, names)
            if isinstance(node, ast.Name):
                assert node.id not in ("Instance", "Dims", "random_instance", "LOSS_NAMES"), (module, node.id)
            if isinstance(node, ast.Constant):
                assert node.value not in ("naive", "neg", "sg_naive", "sg_neg"), (module, node.value)


# -- the declarations are validated ---------------------------------------------------------------

@pytest.mark.parametrize("edit, key", [
    (('losses = ["ce"]\nset', 'losses = ["cee"]\nset'), "code.probes.huge.losses"),
    (('by = "Q"\n', ''), "code.probes.huge"),
    (('set = { P = "10 * P" }', 'set = { R = "10 * P" }'), "code.probes.huge.set.R"),
    (('equals = "900 + Q.T @ h"', 'equals = "900 + h"'), "code.probes.huge.equals"),
    (('advice.ce =', 'advice.ns ='), "code.probes.huge.advice.ns"),
    (('{ e = 1, N = 3, S = 1 }', '{ e = 1, N = 3 }'), "code.dims[1]"),
])
def test_a_malformed_code_declaration_is_refused_naming_the_key(edit, key):
    old, new = edit
    assert old in COURSE
    with pytest.raises(ProblemFileError) as e:
        loads(COURSE.replace(old, new), "emb_course.toml")
    assert e.value.key == key and "emb_course.toml" in str(e.value)


def test_code_dims_where_no_instance_exists_are_refused_naming_the_key():
    # N = 2 with one target and S = 2 negatives distinct from it and from each other: impossible
    text = COURSE.replace('distinct_from = ["t"]', 'distinct_from = ["t"]\npremises = ["distinct"]')
    text = text.replace('dims = [{ e = 2, N = 4, S = 2 }, { e = 1, N = 3, S = 1 }, { e = 3, N = 3, S = 2 }]',
                        'dims = [{ e = 2, N = 2, S = 2 }]')
    p = loads(text, "emb_course.toml")
    adapter = next(a for a in filelayout.layouts(p) if a.function == "ns_rows")
    with pytest.raises(ProblemFileError, match="no instance meets the file's premises") as e:
        search.drawn_instances(adapter, 3, 0)
    assert e.value.key == "code.dims"


def test_a_replayed_drawing_loss_needs_the_rows_it_draws():
    text = (ROOT / "derive" / "problems" / "word2vec.toml").read_text(encoding="utf-8")
    assert ', rows = "window_samples"' in text
    with pytest.raises(ProblemFileError, match="add rows") as e:
        loads(text.replace(', rows = "window_samples"', ""), "w2v.toml")
    assert e.value.key.startswith("code.functions.skipgram:neg.args[")
    with pytest.raises(ProblemFileError, match="needs shape") as e:
        loads(text.replace(', rows = "window_samples"', ', rows = "window"'), "w2v.toml")
