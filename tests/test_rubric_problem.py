"""A rubric names its problem set ([assignment] problem = NAME|PATH): its question ids
and mistake codes are checked against that set, and `gradkey check --rubric R` grades
with it without --problem; a rubric for one set and --problem for another is refused."""
import subprocess
import sys
import textwrap

import pytest

from gradkey.verify.grade.rubric import RubricError, load

LOGREG_RUBRIC = textwrap.dedent("""
    [assignment]
    problem = "logreg"
    questions = ["logreg.theta"]

    [points]
    "logreg.theta" = 3

    [mistakes]
    "logreg.theta.MISSING_1_OVER_N" = 1
""")


def test_a_rubric_for_logreg_is_checked_against_logreg(tmp_path):
    r = tmp_path / "rubric.toml"
    r.write_text(LOGREG_RUBRIC)
    rubric = load(r)
    assert rubric.problem == "logreg" and rubric.questions == ("logreg.theta",) and rubric.total == 3
    assert rubric.mistakes == {"logreg.theta.MISSING_1_OVER_N": 1.0}
    r.write_text(LOGREG_RUBRIC.replace('"logreg.theta" = 3', '"naive.v_c" = 3'))
    with pytest.raises(RubricError, match="unknown question id 'naive.v_c'"):
        load(r)                                       # a word2vec id in a logreg rubric
    r.write_text(LOGREG_RUBRIC)
    with pytest.raises(RubricError, match="the rubric is for problem 'logreg' but --problem is 'mlp'"):
        load(r, "mlp")
    r.write_text(LOGREG_RUBRIC.replace('problem = "logreg"', 'problem = "logregg"'))
    with pytest.raises(RubricError, match="did you mean logreg"):
        load(r)


def test_a_rubric_names_a_problem_file_beside_it(tmp_path):
    from gradkey.derive.problemfile import bundled
    (tmp_path / "mine.toml").write_text(bundled()["logreg"].read_text(encoding="utf-8"), encoding="utf-8")
    r = tmp_path / "rubric.toml"
    r.write_text(LOGREG_RUBRIC.replace('problem = "logreg"', 'problem = "mine.toml"'))
    assert load(r).questions == ("logreg.theta",)


def test_check_grades_with_the_rubrics_problem(tmp_path):
    (tmp_path / "rubric.toml").write_text(LOGREG_RUBRIC)
    (tmp_path / "alice.md").write_text("$$\\nabla_\\theta J = \\frac{1}{N} X^\\top (\\sigma(X\\theta) - y)$$\n")
    (tmp_path / "bob.md").write_text("$$\\nabla_\\theta J = X^\\top (\\sigma(X\\theta) - y)$$\n")
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "check", "--rubric", "rubric.toml",
                        "--format", "csv", "alice.md", "bob.md"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=300)
    assert p.returncode in (0, 1), p.stderr
    rows = {line.split(",")[0]: line for line in p.stdout.splitlines()[1:]}
    assert ",correct,3" in rows["alice"] and ",incorrect,1" in rows["bob"], p.stdout
