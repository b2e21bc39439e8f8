"""derive: the symbolic side of gradkey.

The truth is derived, never typed in: each word2vec loss is a SymPy scalar at
concrete dimensions, differentiated by ``sympy.diff`` and lambdified.

    >>> import derive, verify
    >>> inst = verify.seeded_instances(1)[0]
    >>> derive.gradient("naive.u_o", inst)                             # the derived truth
    >>> derive.question("naive.u_o").closed_forms[0].evaluate(inst)   # a textbook form
"""
from gradkey.derive.derivation import Gradients, derivation, elementwise, gradients
from gradkey.derive.problems import ClosedForm, ProblemSet, Question, UnknownQuestion, problem_set, problem_sets, question
from gradkey.derive.signature import DEFAULT_DIMS, Dims, Instance, SignatureError


def gradient(qid: str, inst: Instance, loss: str | None = None):
    """The derived answer to question ``qid`` at ``inst``."""
    return question(qid).truth(inst, loss)


__all__ = [
    "ClosedForm", "DEFAULT_DIMS", "Dims", "Gradients", "Instance", "ProblemSet", "Question",
    "SignatureError", "UnknownQuestion", "derivation", "elementwise",
    "gradient", "gradients", "problem_set", "problem_sets", "question",
]
