"""derive: the symbolic side of gradkey.

A problem set is a file (``derive/problems/*.toml``, or any path): its losses
are written once in a small array language; the truth of a question is the
element-wise ``sympy.diff`` of its loss at concrete dimensions, lambdified
and cached. word2vec's older scores route (``derivation.py``, ``losses.py``,
``signature.py``) is imported only by its own modules and tests, not exported here.

    >>> from gradkey import derive
    >>> from gradkey.derive.draw import seeded
    >>> ps = derive.problem_set("word2vec")
    >>> q = ps.question("naive.u_o")
    >>> inst = seeded(ps, 1, 0, q)[0]
    >>> q.truth(inst)                              # the derived truth
    >>> q.closed_forms[0].evaluate(inst)           # a textbook form
"""
from gradkey.derive.problems import UnknownQuestion, problem_set, problem_sets, question


def gradient(qid: str, inst, loss: str | None = None, problem: str = "word2vec"):
    """The derived answer to question ``qid`` of ``problem`` (NAME|PATH) at
    ``inst``, an instance of that problem (``derive.draw``)."""
    return question(qid, problem).truth(inst, loss)


__all__ = ["UnknownQuestion", "gradient", "problem_set", "problem_sets", "question"]
