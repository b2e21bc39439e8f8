"""`--map` declares functions over any problem set, not only word2vec: the map names its
set (`problem = NAME|PATH`) or `gradkey code --problem` gives it; errors name the map,
the function and what is wrong."""
import json
import subprocess
import sys
import textwrap

import pytest

from gradkey.verify.code.layout import load_map

LOGREG = textwrap.dedent("""
    import numpy as np

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def nll_and_grad(X, y, theta):
        h = sigmoid(X @ theta)
        n = X.shape[0]
        loss = -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h))
        return loss, X.T @ (h - y) / n

    def nll_and_grad_unscaled(X, y, theta):      # forgets the 1/N of the mean
        h = sigmoid(X @ theta)
        loss = -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h))
        return loss, X.T @ (h - y)
""")
MAP = """
[functions.nll_and_grad]
loss = "J"
args = ["X", "y", "theta"]
outputs = ["loss", "grad_theta"]

[functions.nll_and_grad_unscaled]
loss = "J"
args = ["X", "y", "theta"]
outputs = ["loss", "grad_theta"]
"""


def _code(tmp_path, *args):
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", "--format", "json", *args],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path)
    return p


@pytest.mark.parametrize("how", ["named in the map", "--problem"])
def test_a_map_over_logreg_finds_the_wrong_function(tmp_path, how):
    (tmp_path / "mine.py").write_text(LOGREG)
    (tmp_path / "map.toml").write_text(('problem = "logreg"\n' if how == "named in the map" else "") + MAP)
    extra = ["--problem", "logreg"] if how == "--problem" else []
    p = _code(tmp_path, "--map", "map.toml", *extra, "mine.py")
    report = json.loads(p.stdout)
    # one file: its row is the report
    verdicts = {f["name"]: f["verdict"] for f in report["functions"]}
    assert verdicts == {"nll_and_grad": "correct", "nll_and_grad_unscaled": "incorrect"}, p.stdout[-2000:]


def test_map_errors_name_the_map_and_the_function(tmp_path):
    m = tmp_path / "map.toml"
    m.write_text('problem = "logreg"\n[functions.f]\nloss = "naive"\nargs = ["X"]\noutputs = ["loss"]\n')
    with pytest.raises(ValueError, match=r"map\.toml: \[functions\.f\]: declared functions compute one of J"):
        load_map(m)
    m.write_text('problem = "no_such_set"\n' + MAP)
    with pytest.raises(ValueError, match="neither a bundled set"):
        load_map(m)
    m.write_text('[functions]\nf = 3\n')
    with pytest.raises(ValueError, match="must be a table"):
        load_map(m)


def test_an_unknown_problem_with_a_map_is_a_usage_error(tmp_path):
    (tmp_path / "map.toml").write_text(MAP)
    (tmp_path / "mine.py").write_text(LOGREG)
    p = _code(tmp_path, "--map", "map.toml", "--problem", "logregg", "mine.py")
    assert p.returncode == 2 and "did you mean logreg" in p.stderr, (p.returncode, p.stderr)
