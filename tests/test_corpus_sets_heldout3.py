"""The third independent held-out corpus of the other sets (tests/fixtures/corpus_sets_heldout3:
27 files, 104 answers, committed before gradkey first ran on it; first figure 67/104): the
agreement never falls below what has been reached, and no wrong answer is called correct."""
import re
import subprocess
import sys
from pathlib import Path

FLOOR = 95
SCRIPT = Path(__file__).parent / "fixtures" / "corpus_sets_heldout3" / "score.py"


def test_agreement_does_not_fall_and_no_wrong_answer_is_correct():
    p = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600)
    m = re.search(r"^(\d+)/(\d+) agree; wrong answers called correct: (\d+)", p.stdout, re.M)
    assert m, p.stdout[-500:] + p.stderr[-500:]
    agree, rows, wrong = map(int, m.groups())
    assert rows == 104 and wrong == 0, p.stdout[-2000:]
    assert agree >= FLOOR, f"{agree}/{rows} agree (floor {FLOOR})"
