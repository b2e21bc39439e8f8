"""The review site in a real browser: headless Chromium (Debian's `chromium`,
which .ci/run installs) opens the class page, a student page and the review
queue, and we read the DOM after scripts ran. Screenshots are saved under the
test's tmp dir for a person to look at."""
import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gradkey.verify.grade.html.site import write_check_site
from gradkey.verify.grade.rubric import default

from test_html import HOSTILE_TEXT, WITH_MISTAKES

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium; .ci/run does it)")


def chromium(tmp_path: Path, url: str, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--virtual-time-budget=3000", *args, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("class")
    (d / '"><img src=x onerror=alert(1)>.md').write_text(HOSTILE_TEXT, encoding="utf-8")
    from gradkey.verify.check.answers import check_submission
    rows = [WITH_MISTAKES, check_submission(d / '"><img src=x onerror=alert(1)>.md'),
            *(check_submission(p) for p in sorted((ROOT / "tests" / "fixtures" / "samples").glob("*.txt")))]
    out = tmp_path_factory.mktemp("site")
    write_check_site(rows, out, rubric=default())
    return out


def test_class_and_student_pages_render_math_and_verdicts(site, tmp_path):
    dom = chromium(tmp_path, (site / "index.html").as_uri(), "--dump-dom")
    assert 'data-js="ready"' in dom  # our script ran under the page's CSP
    assert dom.count('<button type="button" class="sort">') >= 8  # the sortable table's headers
    assert re.search(r'<svg class="bar"[^>]*aria-label="naive\.u_w: \d+ correct, \d+ incorrect', dom)
    assert "<math" in dom and "naive.u_w.MISSING_V_C" in dom
    chromium(tmp_path, (site / "index.html").as_uri(), f"--screenshot={tmp_path / 'class.png'}",
             "--window-size=1280,2000")

    page = next((site / "students").glob("with_mistakes-*.html"))
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    for word in ("✓</span> correct", "✗</span> incorrect"):
        assert word in dom
    # the reading as MathML: ŷ_w is an <mover> (hat) under an <msub>
    assert re.search(r"<math[^>]*>.*<msub>.*<mover[^>]*>.*<mi>y</mi>.*</math>", dom, re.S)
    assert "expected (derived truth)" in dom
    chromium(tmp_path, page.as_uri(), f"--screenshot={tmp_path / 'student.png'}", "--window-size=1280,2000")
    assert (tmp_path / "class.png").stat().st_size > 10_000 and (tmp_path / "student.png").stat().st_size > 10_000


def test_hostile_page_runs_nothing(site, tmp_path):
    page = next(p for p in (site / "students").glob("*.html") if "img" in p.name)
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert "<img" not in dom and "onerror=alert(1)" in dom  # the file name is there, as text only
    assert "alert(&quot;ocr&quot;)" in dom or 'alert("ocr")' in dom  # the OCR text too
    assert len(re.findall(r"<script\b", dom)) == 1  # ours
    chromium(tmp_path, page.as_uri(), f"--screenshot={tmp_path / 'hostile.png'}", "--window-size=1280,2000")
    # The CSP stops a script that is not ours even if one got onto the page.
    injected = page.with_name("injected.html")
    injected.write_text(page.read_text(encoding="utf-8").replace(
        "</main>", "<script>document.documentElement.setAttribute('data-pwned','1')</script></main>"),
        encoding="utf-8")
    dom = chromium(tmp_path, injected.as_uri(), "--dump-dom")
    html_tag = re.search(r"<html[^>]*>", dom).group()
    assert 'data-js="ready"' in html_tag and "data-pwned" not in html_tag


def test_review_buttons_record_a_decision_and_offer_the_csv(site, tmp_path):
    """Click the first 'correct' button and download, in the browser: the page
    is copied without its CSP so a test harness script can drive it."""
    harness = site / "review-harness.html"
    text = (site / "review.html").read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    drive = """<script>
window.addEventListener('load', function () {
  var captured = null, RealBlob = Blob;
  window.Blob = function (parts, opts) { captured = parts.join(''); return new RealBlob(parts, opts); };
  URL.createObjectURL = function () { return 'about:blank'; };
  HTMLAnchorElement.prototype.click = function () {};
  var who = document.getElementById('who'); who.value = 'TA "Kim"'; who.dispatchEvent(new Event('input'));
  var fs = document.querySelector('fieldset.decision');
  fs.querySelector('input[name=why]').value = 'reads fine, OCR dropped a bracket';
  fs.querySelector('input[name=points]').value = '0.5';
  fs.querySelector('button[data-verdict=correct]').click();
  document.getElementById('download').click();
  var out = document.createElement('pre'); out.id = 'captured'; out.textContent = captured;
  document.body.appendChild(out);
  document.body.setAttribute('data-state', fs.querySelector('output.state').textContent);
});
</script></body>"""
    harness.write_text(text.replace("</body>", drive), encoding="utf-8")
    dom = chromium(tmp_path, harness.as_uri(), "--dump-dom")
    captured = re.search(r'<pre id="captured">(.*?)</pre>', dom, re.S).group(1)
    import html
    rows = list(csv.reader(io.StringIO(html.unescape(captured))))
    first = re.search(r"<fieldset class=\"decision\"[^>]*data-student='([^']*)' data-question='([^']*)'", text)
    student, question = json.loads(html.unescape(first.group(1))), json.loads(html.unescape(first.group(2)))
    assert rows == [["student", "question", "verdict", "points", "who", "why"],
                    [student, question, "correct", "0.5", 'TA "Kim"', "reads fine, OCR dropped a bracket"]]
    assert 'data-state="decided: correct, 0.5 points"' in dom
    chromium(tmp_path, (site / "review.html").as_uri(), f"--screenshot={tmp_path / 'review.png'}",
             "--window-size=1280,1600")
