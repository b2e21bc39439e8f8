"""extract._split_top: splitting a row at '=' (or ',') outside every group."""
from hypothesis import given, strategies as st

from gradkey.verify.read.extract import _split_top

PIECES = ["\\begin{cases}", "\\end{cases}", "\\{", "\\}", "{", "}", "(", ")", "[", "]", "=", ",", "\\",
          "<", ">", "!", "a", "x_i", " ", "\\\\", "\\left", "\\right.", "\\neq", "\\le"]


def _depth(prefix: str) -> tuple[int, int]:
    """(bracket depth, environment depth) after a prefix, counted as the splitter counts them."""
    set_braces = True     # only used with prefixes of texts whose \{ \} pair up
    depth = env = i = 0
    while i < len(prefix):
        if prefix.startswith("\\begin", i):
            env += 1
        elif prefix.startswith("\\end", i):
            env -= 1
        if prefix[i] == "\\" and i + 1 < len(prefix) and prefix[i + 1] in "{}":
            depth += (1 if prefix[i + 1] == "{" else -1) if set_braces else 0
            i += 2
            continue
        depth += prefix[i] in "{(["
        depth -= prefix[i] in "})]"
        i += 1
    return depth, env


@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join), st.sampled_from(["=", ","]))
def test_the_parts_rebuild_the_text_and_splits_are_at_the_top_level(text, sep):
    parts = _split_top(text, sep)
    assert sep.join(parts) == text
    if text.count("\\{") != text.count("\\}"):
        return
    at = 0
    for p in parts[:-1]:
        at += len(p)
        depth, env = _depth(text[:at])
        assert depth <= 0 and env <= 0 and text[at] == sep
        assert not (sep == "=" and at > 0 and text[at - 1] in "<>!\\")
        at += len(sep)


def test_examples():
    assert _split_top(r"\frac{\partial J}{\partial v_c} = U(\hat y - y) = -u_o + U\hat y", "=") == \
        [r"\frac{\partial J}{\partial v_c} ", r" U(\hat y - y) ", r" -u_o + U\hat y"]
    assert _split_top(r"1\{w_s = w_k\} = a", "=") == [r"1\{w_s = w_k\} ", " a"]
    assert _split_top(r"\begin{cases} a = b \end{cases} = c \le d", "=") == \
        [r"\begin{cases} a = b \end{cases} ", r" c \le d"]
