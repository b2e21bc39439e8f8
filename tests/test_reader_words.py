"""The reader's words come from the problem file's [reader] table: the loader
validates it (every regex compiled, unknown keys and loss keys refused with the
key and the fix), word2vec's vocabulary read from word2vec.toml answers what the
reader asks as the Python literal it replaced did (expected answers written out
here), a changed file changes the reading, and the known mistakes the judge
reports are the problem file's."""
import re
from pathlib import Path

import pytest

from gradkey.derive.problemfile import ProblemFileError, ReaderWords, bundled, load, loads
from gradkey.verify.check.answers import Policy
from gradkey.verify.check.mistakes import MISTAKES, Mistake, mistakes_for
from gradkey.verify.read.vocabulary import Convention, Vocabulary, default_vocabulary, vocabulary_for

LOGREG = bundled()["logreg"].read_text(encoding="utf-8")
WORD2VEC = bundled()["word2vec"].read_text(encoding="utf-8")

READER = r"""
[reader]
loss_letters = ["J", "R"]
vocabulary_sets = ["Examples"]
repeat_words = 'more than once'
sigmoid_words = 'logistic'
otherwise_words = 'in any other case'
problem_capitals = "XN"

[reader.loss_words]
J = 'cross.?entropy|\blog.?loss\b'

[reader.loss_content]
J = '\\log\s*\\sigma'

[reader.variable_words]
theta = 'respect to (?:the )?weights|\\theta\b'

[reader.conventions.row_y]
means = "y is a row vector"
patterns = ['\by\$? is a row vector']

[[reader.aliases]]
when = '\$\\beta\$ (?:are|denotes) the weights'
pattern = '\\beta(?![A-Za-z])'
read_as = '\theta'
note = "β declared as the weights: read as θ"
"""


def with_reader(reader: str = READER, file: str = "course.toml"):
    return loads(LOGREG + reader, file)


def refusal(reader: str) -> str:
    with pytest.raises(ProblemFileError) as err:
        with_reader(reader, "broken.toml")
    return str(err.value)


# -- the loader ---------------------------------------------------------------------------

def test_a_reader_table_is_loaded_as_declared():
    words = with_reader().reader
    assert words.loss_words == (("J", r"cross.?entropy|\blog.?loss\b"),)
    assert words.loss_content == (("J", r"\\log\s*\\sigma"),)
    assert words.loss_letters == ("J", "R") and words.vocabulary_sets == ("Examples",)
    assert words.variable_words == (("theta", r"respect to (?:the )?weights|\\theta\b"),)
    assert (words.repeat_words, words.sigmoid_words, words.otherwise_words) == \
        ("more than once", "logistic", "in any other case")
    assert words.problem_capitals == "XN"
    [conv] = words.conventions
    assert (conv.switch, conv.means, conv.patterns) == ("row_y", "y is a row vector", (r"\by\$? is a row vector",))
    [alias] = words.aliases
    assert (alias.read_as, alias.note) == (r"\theta", "β declared as the weights: read as θ")
    hash(words)           # tuples only: the loaded reader words are hashable


def test_no_reader_table_is_the_generic_reader():
    problem = load(bundled()["logreg"])
    assert problem.reader == ReaderWords()
    v = vocabulary_for(problem)
    assert v == Vocabulary()
    assert v.loss_named("negative sampling loss") is None and v.variable_named("with respect to $U$") is None
    assert v.convention(r"$\hat y$ and $y$ are row vectors") == Convention()
    # the generic words stay: English and Chinese for "otherwise", "J"/"L" for a loss
    assert re.search(v.otherwise_words, "for every other class", re.IGNORECASE)
    assert re.search(v.otherwise_words, "其余情况") and v.loss_letters == {"J", "L"}
    assert not re.search(v.repeat_words, "drawn more than once") and not re.search(v.sigmoid_words, "sigmoid")


@pytest.mark.parametrize("reader,expected", [
    # a regex that does not compile: the key, the reason, the position, how to write it
    ("[reader.loss_words]\nJ = '(cross'\n",
     ["broken.toml: reader.loss_words.J:", "not a valid regular expression: missing ), unterminated subpattern",
      "at position 0", "a backslash is written once"]),
    ("[reader]\nrepeat_words = 'n_[k'\n", ["broken.toml: reader.repeat_words:", "unterminated character set"]),
    ("[reader.conventions.row_y]\npatterns = ['ok', 'row (vector']\n",
     ["broken.toml: reader.conventions.row_y.patterns[1]:", "not a valid regular expression"]),
    ("[[reader.aliases]]\nwhen = 'x'\npattern = '\\beta(?<!a+)'\nread_as = 'b'\n",
     ["broken.toml: reader.aliases[0].pattern:", "not a valid regular expression", "look-behind"]),
    # a regex matching the empty text would match every answer
    ("[reader]\nsigmoid_words = 'sigmoid|'\n", ["reader.sigmoid_words:", "matches the empty text", "remove the empty"]),
    ("[reader]\nsigmoid_words = ''\n", ["reader.sigmoid_words:", "must be a regular expression (a non-empty string)"]),
    # unknown keys, with the closest allowed one and the list
    ("[reader]\nloss_word = { J = 'x' }\n",
     ["broken.toml: reader.loss_word:", "unknown key; did you mean 'loss_words'?", "allowed: aliases, conventions"]),
    ("[reader.conventions.row_y]\nmeans = 'y is a row'\npattern = ['x']\n",
     ["reader.conventions.row_y.pattern:", "unknown key; did you mean 'patterns'?"]),
    ("[[reader.aliases]]\nwhen = 'x'\npattern = 'y'\nread_as = 'z'\nnotes = 'n'\n",
     ["reader.aliases[0].notes:", "unknown key; did you mean 'note'?"]),
    # a loss key that is neither a loss nor a question-id prefix
    ("[reader.loss_words]\nJJ = 'cross'\n",
     ["reader.loss_words.JJ:", "'JJ' is not a loss or question-id prefix; did you mean 'J'?", "allowed: J, logreg"]),
    # a convention the judge cannot switch
    ("[reader.conventions.rows_W]\npatterns = ['W has rows']\n",
     ["reader.conventions.rows_W:", "unknown convention; the reader can switch rows_U", "row_y"]),
    ("[reader.conventions.row_y]\npatterns = []\n", ["reader.conventions.row_y.patterns:", "at least one sentence"]),
    ("[[reader.aliases]]\nwhen = 'x'\npattern = 'y'\n", ["reader.aliases[0]:", "missing required key 'read_as'"]),
    ("[reader]\nproblem_capitals = 'xy'\n", ["reader.problem_capitals:", "must be capital letters"]),
    ("[reader]\nloss_letters = [\"J\", \" \"]\n", ["reader.loss_letters:", "an empty word"]),
])
def test_a_malformed_reader_table_is_refused_with_the_key(reader, expected):
    message = refusal(reader)
    for part in expected:
        assert part in message, message


# -- word2vec's words, from its file --------------------------------------------------------

W2V = default_vocabulary()


@pytest.mark.parametrize("text,loss", [
    ("(c) Negative sampling loss", "neg"), (r"J_{neg-sample}", "neg"), ("负采样", "neg"), ("ns", "neg"),
    ("Skip-gram", "sg"), ("over the window", "sg"), (r"J_{sg}", "sg"),
    ("naive softmax", "naive"), ("smx-CE", "naive"), ("cross-entropy", "naive"), (r"J_{naive-softmax}", "naive"),
    ("the sigmoid function", None), ("Question (a)", None),
])
def test_word2vec_loss_names(text, loss):
    assert W2V.loss_named(text) == loss


@pytest.mark.parametrize("latex,loss", [
    (r"-\sum_{-m \leq j \leq m, j \neq 0} U(\hat{y} - y_{t+j})", "sg"),
    (r"\sum_j F(w_{t+j}, v_c)", "sg"),
    (r"-(1-\sigma(u_o^T v_c)) u_o", "neg"),
    (r"U(\hat{y} - y)", "naive"),
    (r"\sum_w \exp(u_w^T v_c) u_w", "naive"),
    (r"\sigma(x)(1-\sigma(x))", None),          # the sigmoid's derivative is not negative sampling
    (r"u_o - v_c", None),
])
def test_word2vec_loss_by_content(latex, loss):
    assert W2V.loss_by_content(latex) == loss


@pytest.mark.parametrize("heading,variable", [
    ("### (d) Derivative with respect to $U$", "U"),
    ("(b) gradient w.r.t. the whole matrix", "U"),
    ("with respect to the center word vector", "v_c"),
    (r"对 $\mathbf{v}_c$ 求导", "v_c"),
    ("(c) with respect to each of the $u_w$, $w \\neq o$", "u_w"),
    ("the outside word vectors", "u_w"),
    ("gradient w.r.t. $u_o$", "u_o"),
    ("wrt $u_k$", "u_k"),
    ("with respect to $v_w$", "v_w"),
    ("(a) the sigmoid", "sigmoid"),
    ("when a word is drawn more than once", "repeated"),
    ("(e) Summary", None),
])
def test_word2vec_variable_words(heading, variable):
    assert W2V.variable_named(heading) == variable


def test_word2vec_conventions():
    doc = ("Here $U \\in \\mathbb{R}^{|V| \\times d}$ and each row is $u_w^T$.\n"
           "Some text.\n"
           "$\\hat{y}$ and $y$ are row vectors.\n")
    conv = W2V.convention(doc)
    assert conv.rows_U and conv.row_y
    assert conv.notes == ("declared on line 1: U is W × d with rows u_wᵀ; answers are judged in that layout",
                          "declared on line 3: ŷ and y are row vectors; answers are judged in that layout")
    assert W2V.convention("U is (vocab_size, embedding_dim) in the code").rows_U is False
    assert W2V.convention("Let $U$, a matrix of shape (vocab_size, embedding_dim), hold the outside vectors").rows_U
    assert W2V.convention("$U \\in \\mathbb{R}^{d \\times |V|}$, columns $u_w$") == Convention()


def rewrite(document: str, formula: str) -> tuple[str, list[str]]:
    notes = []
    for pattern, replacement, note in W2V.aliases(document):
        formula, n = re.subn(pattern, lambda _m: replacement, formula)
        if n:
            notes.append(note)
    return formula, notes


def test_word2vec_declared_aliases():
    doc = r"Let $\tilde{y} = \mathrm{softmax}(U^T v_c)$."
    assert rewrite(doc, r"U(\tilde{y} - y)") == (r"U(\hat{y} - y)", ["ỹ declared as the softmax output: read as ŷ"])
    assert rewrite("no declaration", r"U(\tilde{y} - y)") == (r"U(\tilde{y} - y)", [])
    assert rewrite(r"where $P(o|c)$ is the model's probability", r"(P(o \mid c) - 1) v_c") == \
        (r"(\hat{y}_{o} - 1) v_c", ["P(o|c) read as ŷ_o"])
    assert rewrite(r"$\Pr[w \mid c]$ for every word", r"\sum_w \Pr[w \mid c] u_w") == \
        (r"\sum_w \hat{y}_{w} u_w", ["P(w|c) read as ŷ_w"])
    assert rewrite(r"we write $f(x) = \sigma(x)$", r"f'(x) = f(x)(1-f(x))") == \
        (r"\sigma'(x) = \sigma(x)(1-\sigma(x))", ["f declared as σ"])
    # generic declarations (code defaults) still apply next to the file's
    assert rewrite(r"Let $c_s$ denote how many of the draws equal $w_s$", r"c_s v_c") == \
        ("n_{s} v_c", ["c_s declared as a count of samples: read as n_{s}"])


def test_word2vec_sets_letters_and_repeat_words():
    assert W2V.is_vocabulary(r"\text{Vocab}") and W2V.is_vocabulary("|V|") and W2V.is_vocabulary("W")
    assert not W2V.is_vocabulary("K") and not W2V.is_vocabulary("Samples")
    assert W2V.loss_letters == {"J", "L"}
    for repeats in (r"n_k (1-\sigma(-u_k^T v_c)) v_c", r"\mathbb{1}[w_k = w_s]", "the samples are not distinct", "重复"):
        assert re.search(W2V.repeat_words, repeats, re.IGNORECASE), repeats
    assert not re.search(W2V.repeat_words, r"(1-\sigma(-u_k^T v_c)) v_c", re.IGNORECASE)
    assert re.search(W2V.sigmoid_words, "(a) Derivative of sigmoid", re.IGNORECASE)


def test_the_reader_words_follow_the_file(tmp_path):
    """The same file with another loss word: the reading changes with it (the
    vocabulary is the file's, not a constant), and a second vocabulary does not
    disturb word2vec's (cached per file digest)."""
    changed = WORD2VEC.replace("neg = 'neg|sampl|\\bns\\b|负采样'", "neg = 'contrastive'")
    assert changed != WORD2VEC
    path = tmp_path / "w2v_contrastive.toml"
    path.write_text(changed, encoding="utf-8")
    v = vocabulary_for(load(path))
    assert v.loss_named("the contrastive loss") == "neg" and v.loss_named("negative sampling") is None
    assert W2V.loss_named("negative sampling") == "neg" and W2V.loss_named("the contrastive loss") is None
    assert vocabulary_for(load(path)) is v


def test_a_course_file_reader_builds_its_vocabulary():
    v = vocabulary_for(with_reader())
    assert v.loss_named("the log-loss") == "J" and v.loss_named("softmax") is None
    assert v.variable_named("with respect to the weights") == "theta"
    assert v.loss_letters == {"J", "R"} and v.is_vocabulary("Examples") and not v.is_vocabulary("Vocab")
    assert v.problem_capitals == {"X", "N"}
    conv = v.convention("Note that $y$ is a row vector.")
    assert conv.row_y and not conv.rows_U and conv.notes == (
        "declared on line 1: y is a row vector; answers are judged in that layout",)
    [alias] = [a for a in v.aliases(r"Here $\beta$ are the weights.") if a[1] == r"\theta"]
    assert re.sub(alias[0], lambda _m: alias[1], r"X^T(\sigma(X\beta) - y)") == r"X^T(\sigma(X\theta) - y)"


# -- mistakes, from the file ----------------------------------------------------------------

def test_word2vec_mistakes_come_from_its_file():
    assert set(MISTAKES) == {"sigmoid.grad", "naive.v_c", "naive.u_o", "naive.u_w", "naive.U", "neg.v_c", "neg.u_o",
                             "neg.u_k", "neg.u_k_repeated", "sg.v_c", "sg.U", "sg.v_w"}
    assert [m.code for m in MISTAKES["naive.u_o"]] == ["naive.u_o.MISSING_V_C", "naive.u_o.SIGN",
                                                      "naive.u_o.MISSING_SOFTMAX"]
    assert MISTAKES["naive.u_o"][1] == Mistake("naive.u_o.SIGN", r"(1-\hat{y}_o) v_c",
                                               "The sign is flipped: ∂J/∂u_o = (ŷ_o − 1) v_c.")
    assert MISTAKES.get("neg.u_k_repeated")[0].latex == r"(1-\sigma(-u_k^T v_c)) v_c"
    assert MISTAKES.get("naive.y_hat") is None and MISTAKES.get("naive.y_hat", []) == []
    assert len(MISTAKES) == 12 and sum(len(ms) for ms in MISTAKES.values()) == 27


def test_mistakes_of_a_course_file():
    got = mistakes_for(with_reader())
    assert [m.code for m in got["logreg.theta"]] == ["logreg.theta.SIGN", "logreg.theta.MISSING_1_OVER_N"]
    assert got["logreg.theta"][1].feedback == "J averages over the N examples: divide by N."


def test_the_judge_reports_the_files_mistake():
    from gradkey.verify.check import sets
    from gradkey.verify.read.latex import parse
    from gradkey.verify.read.notation import notation_for
    problem = load(bundled()["word2vec"])
    node, _ = parse(r"(1-\hat{y}_o) v_c", notation_for(problem))
    out = sets.judge(node, sets.SetTarget("naive.u_o"), sets.Context(problem, answered={}), Policy())
    assert out.verdict == "incorrect" and out.code == "naive.u_o.SIGN"
    assert out.feedback == "The sign is flipped: ∂J/∂u_o = (ŷ_o − 1) v_c."
