"""Hostile written submissions: whatever the text, the file gets an outcome per answer and
the other answers in it are judged (a literal beyond float range once failed the file)."""
from gradkey.verify.check.answers import answers_for

RIGHT_U_W = "\n\n## (c)\n$$\\frac{\\partial J}{\\partial u_w} = \\hat y_w v_c$$\n"


def _by_line(text):
    return {a.line: a for a in answers_for(text)}


def test_a_number_beyond_float_range_is_unreadable_not_a_crash():
    text = "## (b)\n$$\\frac{\\partial J}{\\partial v_c} = " + "9" * 400 + " U$$" + RIGHT_U_W
    found = _by_line(text)
    assert found[5].question == "naive.u_w" and found[5].verdict == "correct"
    assert found[2].verdict != "correct" and "digits" in (found[2].note or ""), found[2]


def test_nesting_and_length_bombs_are_reported_and_the_rest_judged():
    bombs = ["(" * 3000 + "U" + ")" * 3000, "\\frac{1}{" * 500 + "2" + "}" * 500 + "U",
             "u" + "_{w" * 2000 + "}" * 2000, "\\sum_{w}" * 300 + "u_w", " + ".join(["U\\hat y"] * 3000)]
    for bomb in bombs:
        found = _by_line("## (b)\n$$\\frac{\\partial J}{\\partial v_c} = " + bomb + "$$" + RIGHT_U_W)
        assert found[5].verdict == "correct", bomb[:40]
        assert 2 in found and found[2].verdict != "correct", bomb[:40]   # listed, never called correct


def test_a_plain_line_with_a_derivative_on_the_left_is_reported_even_unread():
    # no math delimiters (OCR, a forum post): the left side says which question it answers;
    # a right side that does not read makes it a review item, never a dropped answer
    found = answers_for("## (c)\n\ndJ/du_w = y_hat_w v_c  (w != o)\n")
    mine = [a for a in found if a.line == 3]
    assert mine and mine[0].question == "naive.u_w" and mine[0].verdict == "unparsed", found
