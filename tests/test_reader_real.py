"""One small case per construct of issue 10 (the LaTeX students really write),
and the silent misreadings that must become refusals or correct readings."""
import re
import pytest

from gradkey.verify.check.answers import answers_for as answers_in, summarise  # the default set (word2vec)
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse
from gradkey.verify.read.normalise import collect_macros, normalise_math


def verdicts(doc):
    return {q: r.verdict for q, r in summarise(answers_in(doc)).items()}


CASES = [
    # 1. loss names with subscripts and argument lists on the left
    (r"$$\frac{\partial \bm J_{\text{neg-sample}}(\bm v_c, o, \bm U)}{\partial \bm u_o} = (\sigma(u_o^\top v_c)-1)v_c$$",
     {"neg.u_o": "correct"}),
    (r"$$\frac{\partial J_{skip-gram}(v_c, w_{t-m},\ldots,w_{t+m}, U)}{\partial v_c} = \sum_{j=-m, j\neq 0}^{m} U(\hat y - y_{t+j})$$",
     {"sg.v_c": "correct"}),
    # 2. bold and font macros
    (r"$$\frac{\partial J}{\partial \pmb v_c} = \boldsymbol{U}(\hat{\mathbf y} - \textbf{y})$$", {"naive.v_c": "correct"}),
    (r"$$\frac{\partial J}{\partial \vec u\textsubscript{o}} = (\hat y_o - 1)\vec{v}_c$$", {"naive.u_o": "correct"}),
    # 3. a typo on the left: the value's shape decides, under a heading naming U
    ("### (d) with respect to $U$\n\n" r"$$\frac{\partial J}{\partial v_c} = v_c(\hat y - y)^T$$", {"naive.U": "correct"}),
    # ... and d/dx of something that is not σ is not the sigmoid question
    (r"$$\frac{d}{dx}\log\sigma(x) = 1 - \sigma(x)$$", {}),
    # 4. blockquotes, \tag, \nonumber, trailing annotations
    ("> $$\n> \\frac{\\partial J}{\\partial v_c} = U(\\hat y - y) \\in \\mathbb{R}^{d} \\tag{1}\n> $$", {"naive.v_c": "correct"}),
    (r"$$\frac{\partial J_{neg}}{\partial u_k} = -(\sigma(-u_k^T v_c) - 1)v_c, \forall k \in [1, K]$$", {"neg.u_k": "correct"}),
    # 5. escaped underscores, dollars inside \text
    (r"$$\frac{\partial J_{\text{naive\_softmax}}}{\partial u_w} = \hat y_w v_c \quad \text{for $w \neq o$}$$",
     {"naive.u_w": "correct"}),
    # 6. other derivative notations
    (r"$$\partial J_\text{sg}/\partial U = \sum_j v_c(\hat y - y_{t+j})^\top$$", {"sg.U": "correct"}),
    (r"$${\partial J \over \partial v_c} = U(\hat y - y)$$", {"naive.v_c": "correct"}),
    (r"$$\nabla_{v_c} J = U(\hat y - y)$$", {"naive.v_c": "correct"}),
    (r"$$\frac{\part J}{\part v_c} = U(\hat y - y)$$", {"naive.v_c": "correct"}),
    (r"$$\sigma^{\prime}(x) = \sigma(x)(1-\sigma(x))$$", {"sigmoid.grad": "correct"}),
    (r"$$\sigma(x)' = \sigma(x)(1-\sigma(x))$$", {"sigmoid.grad": "correct"}),
    (r"$$\frac{d\sigma}{dx} = \sigma(1-\sigma)$$", {"sigmoid.grad": "correct"}),
    (r"$$\frac{\partial \sigma(x)}{x} = \sigma(x)(1+\sigma(x))$$", {"sigmoid.grad": "incorrect"}),
    # 7. no derivative on the left: a label, a heading
    ("**(b)** naive softmax\n- answer is: $U(\\hat y - y)$\n", {}),
    ("## Negative sampling\n\n- $u_o$: $(\\sigma(u_o^Tv_c) - 1)v_c$\n", {"neg.u_o": "correct"}),
    ("### (b) naive softmax, with respect to $v_c$\n\n$$U(\\hat y - y)$$\n", {"naive.v_c": "correct"}),
    # 8. branch conditions: subscript, prose, otherwise
    (r"$$\frac{\partial J}{\partial u_{w \neq o}} = \hat y_w$$", {"naive.u_w": "incorrect"}),
    ("For every other word $w \\neq o$:\n\n$$\\frac{\\partial J}{\\partial u_w} = \\hat y_w v_c$$", {"naive.u_w": "correct"}),
    (r"$$\frac{\partial J}{\partial u_w} = \begin{cases} (\hat y_o - 1)v_c & w = o \\ \hat y_w v_c & \text{o/w} \end{cases}$$",
     {"naive.u_o": "correct", "naive.u_w": "correct"}),
    # 9. sums
    (r"$$\frac{\partial J}{\partial v_c} = -u_o + \sum_{w \in \text{Vocab}} \hat y_w u_w$$", {"naive.v_c": "correct"}),
    (r"$$\frac{\partial J}{\partial v_c} = -u_o + \sum_{w=1}^{|V|} \hat y_w u_w$$", {"naive.v_c": "correct"}),
    (r"$$\frac{\partial J_{neg}}{\partial v_c} = (\sigma(u_o^Tv_c)-1)u_o + \Sigma_k \sigma(u_k^T v_c) u_k$$", {"neg.v_c": "correct"}),
    (r"$$\frac{\partial J_{sg}}{\partial v_c} = \sum_{-m ≤ j ≤ m,\ j ≠ 0} U(\hat y - y_{t+j})$$", {"sg.v_c": "correct"}),
    # 11. the student's own macros, \left/\right, \bigl, spacing, \cdot, \times, \mathbb 1
    ("$$\\newcommand{\\vc}{\\bm{v}_c}\\def\\yh{\\hat{y}}$$\n\n"
     r"$$\frac{\partial J}{\partial \vc} = U\bigl(\yh - y\bigr)\,$$", {"naive.v_c": "correct"}),
    (r"$$\frac{\partial J}{\partial u_o} = \left(\hat y_o - 1\right)\cdot v_c$$", {"naive.u_o": "correct"}),
    (r"$$\frac{\partial J_{neg}}{\partial u_{w_s}} = \sum_{k=1}^{K}\mathbb 1[w_k = w_s]\,\sigma(u_{w_s}^T v_c)\, v_c$$",
     {"neg.u_k_repeated": "correct"}),
    # 12. publishing tools: Hugo math shortcodes, bookdown equation labels
    ("{{< katex display >}}\n\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)\n{{< /katex >}}\n\n"
     "and inline {{< katex >}}\\frac{\\partial J}{\\partial U} = (\\hat y - y) v_c^T{{< /katex >}}",
     {"naive.v_c": "correct", "naive.U": "incorrect"}),
    ("\\begin{equation}\n\\frac{\\partial J}{\\partial v_c} = U(y - \\hat y)\n(\\#eq:nvc)\n\\end{equation}",
     {"naive.v_c": "incorrect"}),
    # MyST's math directive (with its :label: option) and MediaWiki's <math> tag
    ("```{math}\n:label: eq-vc\n\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)\n```\n\n"
     ":<math>\\frac{\\partial J}{\\partial U} = (\\hat y - y) v_c^T</math>\n",
     {"naive.v_c": "correct", "naive.U": "incorrect"}),
    # 13. implication arrows: each ⇒ before an equation starts one, before a bare
    # expression it continues the chain; a condition before ⇒ labels the equation
    (r"$$\sigma(x) = (1+e^{-x})^{-1} \Rightarrow \sigma'(x) = \sigma(x)(1-\sigma(x))$$", {"sigmoid.grad": "correct"}),
    (r"$$w \neq o \implies \frac{\partial J}{\partial u_w} = \hat y_w v_c$$", {"naive.u_w": "correct"}),
    (r"$$\frac{\partial J_{neg}}{\partial u_o} = -(1-\sigma(u_o^T v_c))v_c \Rightarrow "
     r"\frac{\partial J_{neg}}{\partial u_o} = (1-\sigma(u_o^T v_c))v_c$$", {"neg.u_o": "incorrect"}),
    # 14. the MATLAB prime as a transpose (u_o'v_c, (ŷ − y)', an empty group before it)
    (r"$$\frac{\partial J}{\partial U} = v_c(\hat y - y)'$$", {"naive.U": "correct"}),
    (r"$$\frac{\partial J}{\partial U} = (\hat y - y)v_c'$$", {"naive.U": "incorrect"}),
    (r"$$\frac{\partial J_{neg}}{\partial u_o} = (\sigma(\vec{u}_o{}'\vec{v}_c) - 1)\vec v_c$$", {"neg.u_o": "correct"}),
    # 15. Greek placeholders the student defines (δ = ŷ − y, θ = Uᵀv_c ∈ ℝ^{|V|}): their own meaning
    ("- $\\theta = U^T v_c \\in \\mathbb{R}^{|V|}$ (the scores)\n- $\\delta = \\hat y - y$ (the error)\n\n"
     r"$$\frac{\partial J_{naive}}{\partial v_c} = U\delta$$", {"naive.v_c": "correct"}),
    ("Let $\\delta = y - \\hat y$.\n\n" r"$$\frac{\partial J_{naive}}{\partial v_c} = U\delta$$", {"naive.v_c": "incorrect"}),
    ("With $\\delta_j = \\hat y - y_{t+j}$:\n\n" r"$$\frac{\partial J_{sg}}{\partial v_c} = \sum_{j \ne 0} U \delta_j$$",
     {"sg.v_c": "correct"}),
    # 16. a sized bracket holding a condition-like subscript is mathematics, not a "(w ≠ o)" remark
    (r"$$\frac{\partial J_{sg}}{\partial v_c} = U\Bigl(\hat{y} - \sum_{-m \le j \le m,\, j \neq 0} y_{t+j}\Bigr)$$",
     {"sg.v_c": "incorrect"}),
    (r"$$\frac{\partial J_{sg}}{\partial v_c} = U\Bigl(\sum_{-m \le j \le m,\, j \neq 0} (\hat{y} - y_{t+j})\Bigr)$$",
     {"sg.v_c": "correct"}),
    # 17. the loss written out on the left-hand side is that loss (decided by value); a
    # part of it (one term of J_neg) stays an intermediate derivative
    (r"$$\frac{\partial}{\partial v_c}\bigl(-\log \hat y_o\bigr) = U(\hat y - y)$$", {"naive.v_c": "correct"}),
    (r"$$\frac{\partial(-\log\sigma(u_o^T v_c) - \sum_{k=1}^K \log\sigma(-u_k^T v_c))}{\partial u_o} = "
     r"\sigma(u_o^T v_c) v_c$$", {"neg.u_o": "incorrect"}),
    # 18. a table cell whose answer is written with the base loss's derivatives
    ("| part | gradient | answer |\n|---|---|---|\n"
     "| (h) | $\\frac{\\partial J_{sg}}{\\partial U}$ | $\\sum_{j\\neq 0}\\frac{\\partial J(v_c,w_{t+j},U)}{\\partial U}$ |\n"
     "| (h) | $\\frac{\\partial J_{sg}}{\\partial v_w}$, $w \\neq c$ | $\\sum_{j\\neq 0}\\frac{\\partial J(v_c,w_{t+j},U)}{\\partial v_c}$ |\n",
     {"sg.U": "correct", "sg.v_w": "incorrect"}),
    # 19. formulas typed in ASCII, without delimiters (a forum post): read like math; a part
    # label before them stays; inside a code block nothing is an answer
    ("(b) dJ/dv_c = U (yhat - y)\n\n(c) dJ/du_w = yhat_w * v_c   when w != o\n\n"
     "(g) repeats don't matter: dJ/du_k = sigma(u_k^T v_c) v_c\n\ndJ_sg/dv_w = 0 for w != c\n",
     {"naive.v_c": "correct", "naive.u_w": "correct", "sg.v_w": "correct"}),
    ("d sigma / dx = sigma(x) * (1 + sigma(x))\n", {"sigmoid.grad": "incorrect"}),
    # 20. the rows of U declared in words ("U has the outside vectors as rows", U_{w,:} = u_wᵀ):
    # ∂J/∂U then has U's rows, and the column layout's answer is wrong
    ("**$U$ has the outside vectors as rows** and $\\hat y = \\mathrm{softmax}(U v_c)$.\n\n"
     r"$$\frac{\partial J}{\partial U} = v_c(\hat y - y)^\top$$", {"naive.U": "incorrect"}),
    ("Here $U_{w,:} = u_w^\\top$.\n\n" r"$$\frac{\partial J}{\partial U} = (\hat y - y) v_c^\top$$", {"naive.U": "correct"}),

    (r"$$\frac{\partial}{\partial v_c}\bigl(-\log\sigma(u_o^T v_c)\bigr) = (\sigma(u_o^T v_c) - 1)u_o$$", {}),
]


@pytest.mark.parametrize("doc,expected", CASES, ids=range(len(CASES)))
def test_construct(doc, expected):
    got = verdicts(doc)
    for q, v in expected.items():
        assert got.get(q, "missing") == v, (q, got)
    if not expected:   # nothing may be called correct for a question nothing asked
        assert "correct" not in got.values() or not any(q == "sigmoid.grad" for q in got), got


def test_a_declared_row_convention_changes_the_reading():
    doc = ("Convention: $\\hat y$ and $y$ are **row vectors**, and **$U$ is $W \\times d$ with rows $u_w^T$**.\n\n"
           r"$$\frac{\partial J}{\partial U} = (\hat y - y)^T v_c^T$$" "\n")
    found = answers_in(doc)
    u = [a for a in found if a.question == "naive.U"][0]
    assert u.verdict == "correct" and "declared" in u.note
    # without the declaration the same answer is the transpose: incorrect
    assert verdicts(r"$$\frac{\partial J}{\partial U} = (\hat y - y)^T v_c^T$$")["naive.U"] == "incorrect"


@pytest.mark.parametrize("text,what", [
    (r"U^{(2)} v_c", "parentheses"),          # a layer index, never U²
    (r"\mathbf 1^\top u_o", "ones"),          # a vector of ones, never the number 1
    (r"\mathrm{LeakyReLU}(x)", "LeakyReLU"),  # an unknown function, not letters multiplied
    (r"\tilde{y} - y", "tilde"),              # undeclared ỹ is not ŷ
])
def test_silent_misreadings_are_refused(text, what):
    with pytest.raises(ReadError) as exc:
        parse(text)
    assert what in str(exc.value)


def test_capital_Y_is_not_the_one_hot_y():
    for answer in (r"U(\hat{Y} - Y)", r"U(\hat y - Y)"):
        found = answers_in(rf"$$\frac{{\partial J}}{{\partial v_c}} = {answer}$$")
        assert found and all(a.verdict == "review" for a in found), (answer, found)
        # why: the capital is not the file's y (a word2vec file declares no Y)
        assert any(re.search(r"capital|symbol Y", a.note + a.reason) for a in found), found


def test_every_block_is_listed_with_what_became_of_it():
    doc = ("$$J = -\\log \\hat y_o$$\n\n$$\\frac{\\partial a}{\\partial v_c} = u_o$$\n\n"
           "$$\\frac{\\partial J}{\\partial v_c} = \\star$$\n\n$$\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)$$\n\n"
           "$$\\frac{d}{dx}\\mathrm{ReLU}(x) = 1$$\n")
    found = answers_in(doc)
    by_line = {a.line: a for a in found}
    # the loss written out is context; ∂a/∂v_c of an undeclared a is context or, unmatched, for review
    assert by_line[1].status == "context" and by_line[3].status in ("context", "unmatched")
    assert by_line[3].verdict != "correct"
    assert {a.status for a in found if a.line == 7} == {"judged"} and by_line[7].verdict == "correct"
    assert any(a.line == 5 and a.verdict in ("unparsed", "review") for a in found)
    assert any(a.line == 9 and a.status in ("unreadable", "unmatched", "context") for a in found)


def test_a_file_with_nothing_identified_needs_review(tmp_path):
    from gradkey.verify.check.answers import check_submission
    f = tmp_path / "prose.md"
    f.write_text("I did not finish. $$x^2 + 1$$\n", encoding="utf-8")
    r = check_submission(f)
    assert r["needs_review"] >= 1 and r["nothing_identified"]


def test_macros_expand_and_keep_source_columns():
    macros, _ = collect_macros(r"\newcommand{\uo}{\bm{u}_o}")
    n = normalise_math(r"\uo^\top \tag{3}", macros)
    assert n.text.replace(" ", "") == "u_o^{\\top}"
    with pytest.raises(ReadError) as exc:
        parse(r"\bm{u}_o + \oint")
    assert exc.value.column == r"\bm{u}_o + \oint".index(r"\oint")


def test_ascii_formulas_in_a_code_block_are_not_answers():
    assert verdicts("```\ndJ/dv_c = U (yhat - y)\n```\n") == {}
    assert verdicts("dJ/dv_c = U (yhat - y)\n") == {"naive.v_c": "correct"}


def test_phone_ocr_lines_get_their_subscripts_back():
    """A phone's OCR or a handwriting-to-text converter: no delimiters, subscripts lost
    (uoTvc) or as Unicode (uₒ, wₜ₊ⱼ), a hat after its letter (y^)."""
    doc = ("(b) ∂J/∂vc = -uo + Σw ŷw uw = U(y^-y)\n\n(d) ∂J/∂U = (y^ - y) vcT\n\n"
           "(e) ∂J/∂uₒ = −(1 − σ(uₒᵀvc))·vc\n    ∂J/∂uₖ = σ(−uₖᵀvc)·vc\n")
    assert verdicts(doc) == {"naive.v_c": "correct", "naive.U": "incorrect", "neg.u_o": "correct",
                             "neg.u_k": "incorrect"}
    # a LaTeX line is left as written
    assert verdicts("Here σ is the sigmoid and ŷw its output.\n\n$$\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)$$\n") \
        == {"naive.v_c": "correct"}


def test_annotations_and_mathpix_arrays():
    """\\underbrace/\\overbrace labels and colours are annotations; Mathpix's
    \\begin{array}{l} with one equation per row is a list of equations (a matrix or a
    piecewise table stays what it is)."""
    assert verdicts(r"$$\frac{\partial J}{\partial U} = \color{red}{\underbrace{v_c}_{d\times 1}"
                    r"\underbrace{(\hat y - y)^\top}_{1\times |V|}}$$") == {"naive.U": "correct"}
    assert verdicts(r"$$\frac{\partial J}{\partial U} = \textcolor{blue}{v_c}\overbrace{(y - \hat y)^\top}^{\text{error}}$$") \
        == {"naive.U": "incorrect"}
    assert verdicts(r"$$\begin{array}{l} \frac{\partial J_{neg}}{\partial u_o} = (\sigma(u_o^T v_c) - 1) v_c \\ "
                    r"\frac{\partial J_{neg}}{\partial u_k} = \sigma(-u_k^T v_c) v_c \end{array}$$") \
        == {"neg.u_o": "correct", "neg.u_k": "incorrect"}
