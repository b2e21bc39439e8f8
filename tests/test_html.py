"""The review site (--html): escaping of everything a submission controls,
valid HTML, links that stay inside the site, and the content a TA needs."""
import csv
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import html5lib
import pytest
from hypothesis import given, strategies as st

from gradkey.verify.check.answers import check_submission
from gradkey.verify.grade import html as review_site
from gradkey.verify.grade.html.mathml import ELEMENTS, MATHML_NS, to_mathml, visible
from gradkey.verify.grade.html.model import code_functions, slug
from gradkey.verify.grade.html.site import HERE, write_check_site, write_code_site
from gradkey.verify.grade.rubric import default

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SITE_JS = (HERE / "static" / "site.js").read_text(encoding="utf-8")

# File names and LaTeX that try to break out of every context a page has.
HOSTILE_NAMES = ['"><img src=x onerror=alert(1)>', "\x1b[31mred\x1b[0m student", "it's \"quoted\" & <b>bold &amp;",
                 "javascript:alert(1)"]
HOSTILE_TEXT = r"""# Derivation
<script>alert("ocr")</script> plain OCR text with <b>tags</b> & "quotes"
$$\frac{\partial J}{\partial v_c} = </math><script>alert(1)</script>$$
$$\frac{\partial J}{\partial u_o} = \text{<img src=x onerror=alert(2)>}$$
$$\frac{\partial J}{\partial u_w} = \href{javascript:alert(3)}{x} \rule{999em}{999em}$$
$$\frac{\partial J}{\partial U} = "' \vec{x}$$
$$\sigma'(x) = \sigma(x)(1-\sigma(x))$$
""" + "terminal escapes in OCR text: \x1b[2J\x1b]0;title\x07 $$\\frac{\\partial J}{\\partial v_c} = \x1b[31m u_o$$\n"


class Strict(HTMLParser):
    """Balanced tags (void elements aside), every tag and attribute recorded."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.errors, self.scripts, self.text = [], [], [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):  # <line .../> in SVG
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(path: Path) -> Strict:
    text = path.read_text(encoding="utf-8")
    p = Strict()
    p.feed(text)
    p.close()
    assert not p.errors, (path, p.errors[:5])
    assert not p.stack, (path, p.stack)
    # The WHATWG parser in strict mode raises on any parse error.
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    return p


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "a", "header", "nav", "ul", "ol", "li", "main",
                "footer", "script", "h1", "h2", "h3", "p", "section", "article", "table", "caption", "thead",
                "tbody", "tr", "th", "td", "code", "span", "strong", "em", "br", "dl", "dt", "dd", "details",
                "summary", "figure", "figcaption", "pre", "svg", "rect", "text", "title", "line", "fieldset",
                "legend", "label", "input", "select", "option", "button", "output", "div", "noscript"} | ELEMENTS


def assert_safe(site: Path) -> list[Strict]:
    """Every page: valid, only our tags, no event handlers or script URLs,
    exactly our one script, a CSP, links that resolve inside the site."""
    pages = []
    root = site.resolve()
    for page in sorted(site.rglob("*.html")):
        p = parse(page)
        raw = page.read_text(encoding="utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw), f"control character in {page}"
        tags = {t for t, _ in p.tags}
        assert tags <= ALLOWED_TAGS, (page, tags - ALLOWED_TAGS)
        assert p.scripts == [SITE_JS], f"{page}: a script that is not ours"
        for tag, attrs in p.tags:
            for name, value in attrs.items():
                assert not name.startswith("on"), (page, tag, name)
                assert name not in ("style", "src", "srcdoc", "formaction"), (page, tag, name)
                if name == "href":
                    assert not re.match(r"\s*[a-z][a-z0-9+.-]*:", value, re.I), (page, value)  # relative only
                    target = value.split("#")[0]
                    if target:
                        resolved = (page.parent / target).resolve()
                        assert resolved.is_relative_to(root) and resolved.exists(), (page, value)
        csp = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
        assert csp and "default-src 'none'" in csp[0] and "unsafe-inline" not in csp[0]
        pages.append(p)
    return pages


def text_of(p: Strict) -> str:
    return "".join(p.text)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    d = tmp_path_factory.mktemp("class")
    for name in HOSTILE_NAMES:
        (d / f"{name}.md").write_text(HOSTILE_TEXT, encoding="utf-8")
    for f in [*(FIXTURES / "samples").glob("*.txt"), *(ROOT / "examples" / "submissions").glob("*.md")]:
        (d / f.name).write_bytes(f.read_bytes())
    rows = [check_submission(p) for p in sorted(d.iterdir())]
    site = tmp_path_factory.mktemp("site")
    written = write_check_site(rows, site, rubric=default())
    return d, rows, site, written


def test_pages_are_valid_and_nothing_from_a_submission_runs(hostile_class):
    d, rows, site, written = hostile_class
    assert written[0] == site / "index.html"
    pages = assert_safe(site)
    assert len(pages) == 2 + len(rows)  # class, review queue, one page per student
    # The hostile text is on the pages as text (shown, not dropped and not markup).
    student_texts = [text_of(parse(p)) for p in (site / "students").glob("*.html")]
    assert any('<script>alert("ocr")</script>' in t for t in student_texts)
    assert any("onerror=alert(2)" in t for t in student_texts)  # \text{<img…>} shown as LaTeX text
    assert any("␛[2J␛]0;title␇" in t for t in student_texts)
    # Terminal escapes in names and text are shown as visible symbols.
    index = text_of(parse(site / "index.html"))
    assert "␛[31mred␛[0m student" in index
    for name in HOSTILE_NAMES:
        assert visible(name) in index


def test_student_pages_stay_inside_the_site(hostile_class):
    d, rows, site, written = hostile_class
    names = sorted(p.name for p in (site / "students").iterdir())
    assert len(names) == len(rows)
    for n in names:
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.html", n), n
    # A student key that is a path is still one file in students/.
    weird = [{**rows[0], "student": "../../outside/../x"}, {**rows[1], "student": "/etc/passwd"}]
    out = write_check_site(weird, site / "again")
    for p in out:
        assert p.resolve().is_relative_to((site / "again").resolve())


@given(st.text(max_size=60))
def test_slugs_are_plain_file_names_and_distinct(name):
    s = slug(name)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", s)
    assert slug(name + "x") != s


def test_mathml_is_rebuilt_from_an_allow_list():
    good = to_mathml(r"U(\hat{y} - y)")
    assert good is not None and good.startswith(f'<math xmlns="{MATHML_NS}"')
    assert "<mover" in good and "<mi>U</mi>" in good
    # Markup in \text, script URLs, styles and page-sized boxes do not survive.
    assert to_mathml(r"\text{<img src=x onerror=alert(1)>}") is None
    href = to_mathml(r"\href{javascript:alert(1)}{x}")
    assert href is not None and "javascript" not in href and "href" not in href
    assert "style" not in (to_mathml(r"\style{color:red}{x}") or "")
    box = to_mathml(r"\rule{999em}{2em}")
    assert box is not None and "999" not in box and "mathbackground" not in box
    breakout = to_mathml(r"</math><script>alert(1)</script>")
    assert breakout is not None and "<script" not in breakout and "&lt;" in breakout
    assert to_mathml("\x1b[31m x") is None  # a control character: shown as text instead
    assert to_mathml(r"\frac{") is None and to_mathml("x" * 5000) is None


def _check_tree(markup: str) -> None:
    root = ET.fromstring(markup)
    for el in root.iter():
        assert el.tag.removeprefix("{" + MATHML_NS + "}") in ELEMENTS
        assert not any(k.startswith("on") or k in ("href", "style", "src") for k in el.attrib)


@given(st.lists(st.sampled_from(list("<>&\"'/\\{}^_ ax1=") + ["\\text{", "\\href{", "</math>", "<script>",
                                                               "\\frac", "\\mathrm{", "\\x1b"]),
                max_size=30).map("".join))
def test_any_latex_gives_allowed_mathml_or_none(latex):
    out = to_mathml(latex)
    if out is not None:
        _check_tree(out)
        assert "<script" not in out and "<img" not in out


# A record as `gradkey check --format json` gives it for examples/with_mistakes.md
# (fixed here so the page test does not move with the reader's verdicts).
U_W = {"verdict": "incorrect", "line": 8, "latex": "\\hat{y}_w", "understood": "ŷ_w", "how": "branch condition",
       "condition": "w \\neq o", "code": "naive.u_w.MISSING_V_C",
       "feedback": "∂J/∂u_w for w ≠ o is missing the factor v_c: it is ŷ_w v_c.",
       "counterexample": {"dims": {"d": 3, "W": 5, "K": 3, "m": 1}, "o": 0, "w": 2, "samples": [4, 1, 1],
                          "v_c": [0.832718, 0.241854, 0.92781], "expected": [[0.017936], [0.005209], [0.019984]],
                          "got": [[0.021539]], "loss": "naive"},
       "note": "a scalar where a column vector of size 3 is expected",
       "steps": [{"line": 7, "latex": "(\\hat{y}_w - 0) v_c", "verdict": "correct", "understood": "(ŷ_w − 0) v_c",
                  "note": ""},
                 {"line": 8, "latex": "\\hat{y}_w", "verdict": "incorrect", "understood": "ŷ_w",
                  "note": "a scalar where a column vector of size 3 is expected"}],
       "first_wrong_step": 1}
SIGMOID = {"verdict": "correct", "line": 3, "latex": "\\sigma(x)(1-\\sigma(x))", "understood": "σ(x) (1 − σ(x))",
           "code": None, "feedback": None, "counterexample": None, "note": "",
           "steps": [{"line": 3, "latex": "\\sigma(x)(1-\\sigma(x))", "verdict": "correct", "understood": "σ(x) (1 − σ(x))",
                      "note": ""}]}
WITH_MISTAKES = {"file": str(ROOT / "examples" / "submissions" / "with_mistakes.md"),
                 "questions": {"sigmoid.grad": SIGMOID, "naive.u_w": U_W},
                 "answers": [{"question": "sigmoid.grad", **SIGMOID}, {"question": "naive.u_w", **U_W}]}


def test_student_page_shows_what_a_ta_needs(tmp_path):
    row = WITH_MISTAKES
    write_check_site([row], tmp_path, rubric=default())
    [page] = (tmp_path / "students").glob("with_mistakes-*.html")
    assert "0 / 1 points" in text_of(parse(page)) and "1 / 1 points" in text_of(parse(page))
    p = parse(page)
    text = text_of(p)
    r = row["questions"]["naive.u_w"]
    assert r["verdict"] == "incorrect"
    # verdict with its reason, the mistake's code and feedback
    assert "naive.u_w.MISSING_V_C" in text and r["feedback"] in text and r["note"] in text
    # the counterexample's expected vs got, and its inputs
    assert "expected (derived truth)" in text and "[[0.017936], [0.005209], [0.019984]]" in text
    assert "[[0.021539]]" in text and "[0.832718, 0.241854, 0.92781]" in text
    # the first wrong step of the chain
    assert "first wrong step" in text and "line 8:" in text
    # the source line the answer came from, numbered and marked
    src = Path(ROOT / "examples" / "submissions" / "with_mistakes.md").read_text().splitlines()[r["line"] - 1]
    assert f"{r['line']:4d}▶ {src}" in text
    # rendered math with its LaTeX a click away
    assert sum(1 for t, _ in p.tags if t == "math") >= len(row["answers"])
    assert "\\hat{y}_w" in text
    # every answer found is listed
    assert f"Every answer found ({len(row['answers'])})" in text


def test_unmatched_answers_and_new_keys_are_shown(tmp_path):
    row = json.loads(json.dumps(WITH_MISTAKES))
    extra = {"question": None, "line": 2, "latex": r"\alpha + \beta", "verdict": "review", "understood": "",
             "note": "matched no question", "status": "unmatched", "guess": "naive.v_c", "reason": "no left side"}
    row["answers"].append(extra)
    row["answers"][0] = {**row["answers"][0], "status": "judged"}
    write_check_site([row], tmp_path)
    student = text_of(parse(next((tmp_path / "students").glob("*.html"))))
    assert "matched no question" in student and "guess: naive.v_c" in student and "reason: no left side" in student
    assert "status: judged" in student
    review = parse(tmp_path / "review.html")
    assert "Answers that matched no question" in text_of(review)
    selects = [a for t, a in review.tags if t == "select"]
    assert len(selects) == 1  # the TA picks the question for it


def test_review_queue_lists_every_review_with_a_decision_control(hostile_class):
    d, rows, site, written = hostile_class
    expected = sorted((r.get("student") or Path(r["file"]).stem, q) for r in rows
                      for q, a in r["questions"].items() if a["verdict"] == "review")
    assert expected, "the samples have review verdicts"
    p = parse(site / "review.html")
    fieldsets = [a for t, a in p.tags if t == "fieldset"]
    keyed = sorted((json.loads(a["data-student"]), json.loads(a["data-question"])) for a in fieldsets
                   if json.loads(a["data-question"]))
    assert keyed == expected  # exact names, terminal escapes included, survive in data attributes
    assert all("hidden" in a for a in fieldsets)  # shown by the script; the CSV template without it
    template = list(csv.reader(io.StringIO((site / "decisions-template.csv").read_text(encoding="utf-8"))))
    assert template[0] == ["student", "question", "verdict", "points", "who", "why"]
    assert sorted((r[0], r[1]) for r in template[1:]) == expected


def test_class_page_counts_match_the_records(hostile_class):
    d, rows, site, written = hostile_class
    p = parse(site / "index.html")
    text = text_of(p)
    labels = [a["aria-label"] for t, a in p.tags if t == "svg" and a.get("aria-label", "").startswith("naive.u_w:")]
    verdicts = [r["questions"].get("naive.u_w", {"verdict": "missing"})["verdict"] for r in rows]
    assert labels == [f"naive.u_w: {verdicts.count('correct')} correct, {verdicts.count('incorrect')} incorrect, "
                      f"{verdicts.count('review')} review, {verdicts.count('unparsed')} unparsed, "
                      f"{verdicts.count('missing')} missing"]
    codes = [a["code"] for r in rows for a in r["questions"].values() if a.get("code")]
    top = max(set(codes), key=lambda c: (codes.count(c), c))
    assert top in text
    rows_in_table = [a for t, a in p.tags if t == "th" and a.get("scope") == "row" and "data-sort" in a]
    assert len(rows_in_table) == len(rows)


def test_a_students_files_are_merged_and_errors_shown(tmp_path):
    good = {**WITH_MISTAKES, "file": str(ROOT / "examples" / "submissions" / "clean_correct.md"),
            "questions": {"naive.u_w": {**U_W, "verdict": "correct", "code": None}}}
    rows = [{**good, "student": "ann"}, {**WITH_MISTAKES, "student": "ann"},
            {"file": "bob/answers.pdf", "student": "bob", "error": "PDF: upload the .md source", "questions": {},
             "answers": []}]
    write_check_site(rows, tmp_path, rubric=default())
    assert len(list((tmp_path / "students").glob("*.html"))) == 2
    ann = text_of(parse(next((tmp_path / "students").glob("ann-*.html"))))
    # naive.u_w: correct in one file, incorrect in the other -> review, with both named
    assert "the files disagree" in ann and "examples/submissions/with_mistakes.md" in ann
    bob = text_of(parse(next((tmp_path / "students").glob("bob-*.html"))))
    assert "PDF: upload the .md source" in bob


def test_code_page_highlights_the_failing_function(tmp_path):
    source = ROOT / "tests" / "fixtures" / "code" / "correct_vectorized.py"
    module = tmp_path / "word2vec.py"
    module.write_text(source.read_text() + "\n# </pre><script>alert(1)</script>\n")
    spans = code_functions(module.read_text())
    first, last = spans["negSamplingLossAndGradient"]
    report = {"file": str(module), "functions": [
        {"name": "sigmoid", "verdict": "correct", "output": None, "counterexample": None, "note": "agrees"},
        {"name": "negSamplingLossAndGradient", "verdict": "incorrect", "output": "gradOutsideVecs",
         "note": "repeated samples must be summed",
         "counterexample": {"inputs": {"centerWordVec": [1.0], "samples drawn": [1, 1]},
                            "dims": {"d": 1, "W": 2, "K": 2, "m": 1}, "output": "gradOutsideVecs",
                            "expected": [[-0.5], [1.0]], "got": [[-0.5], [0.5]]}}]}
    write_code_site(report, tmp_path / "site")
    [p] = assert_safe(tmp_path / "site")
    text = text_of(p)
    lines = module.read_text().splitlines()
    for n in (first, last):
        assert f"{n:4d}▶ {lines[n - 1]}" in text
    assert f"{first - 1:4d}  {lines[first - 2]}" in text  # the line before is not marked
    assert "[[-0.5], [1]]" in text and "[[-0.5], [0.5]]" in text and "samples drawn" in text
    assert "# </pre><script>alert(1)</script>" in text
    # several reports: an index and one page each
    written = write_code_site([report, {**report, "student": "\x1b[1mz"}], tmp_path / "many")
    assert len(written) == 3
    assert_safe(tmp_path / "many")


def test_missing_packages_say_what_to_install(monkeypatch, capsys, tmp_path):
    real = __import__

    def no_jinja(name, *args, **kwargs):
        if name == "jinja2":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", no_jinja)
    assert review_site.from_cli("check", tmp_path / "site", []) is False
    err = capsys.readouterr().err
    assert "Jinja2" in err and "pip install 'gradkey[html]'" in err
    assert not (tmp_path / "site").exists()


def test_cli_writes_the_site(tmp_path):
    out = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "check", str(ROOT / "examples" / "submissions" / "with_mistakes.md"),
                        "--html", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr  # the example has wrong answers
    assert "wrote the review site" in p.stderr
    assert_safe(out)
    assert (out / "review.html").exists() and len(list((out / "students").glob("*.html"))) == 1


# ---- the text output gets the same care: colour on a terminal only, NO_COLOR,
# no cut without an ellipsis, 100 columns

def test_text_helpers_mark_cuts_and_respect_no_color(monkeypatch):
    from gradkey.verify.grade.report import WIDTH, clip, paint, wrapped
    assert clip("abcdef", 4) == "abc…" and clip("abc", 4) == "abc"
    long_note = "word " * 80
    lines = wrapped(long_note)
    assert all(len(line) <= WIDTH for line in lines)
    assert " ".join(" ".join(lines).split()) == long_note.strip()  # wrapped, nothing lost
    assert paint("✗", "incorrect", on=True) == "\x1b[31m✗\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert paint("✗", "incorrect") == "✗"


def _run_on_a_terminal(args, env):
    import os
    import pty
    leader, follower = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "gradkey.verify.cli", *args], stdout=follower,
                         stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed when the command ended
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=300)
    os.close(leader)
    return out.decode("utf-8", errors="replace")


def test_text_output_colour_and_width():
    import os
    example = str(ROOT / "examples" / "submissions" / "with_mistakes.md")
    piped = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "check", example], capture_output=True,
                           text=True, timeout=300, env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    assert "\x1b[" not in piped.stdout  # not a terminal: no colour
    assert "✗" in piped.stdout and all(len(line) <= 100 for line in piped.stdout.splitlines())
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[31m✗\x1b[0m" in _run_on_a_terminal(["check", example], env)
    assert "\x1b[" not in _run_on_a_terminal(["check", example], {**env, "NO_COLOR": "1"})
