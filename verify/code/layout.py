"""How a function of formula code maps to the problem set.

An :class:`Adapter` turns an instance into the function's arguments (in the
code's own layout: outside vectors as *rows*, word strings for skip-gram, a
controlled ``dataset``) and turns its results back into the problem's layout
to compare with the derived truth. The CS224n word2vec layout is built in;
:func:`declared` adapters (or a TOML file, :func:`load_map`) let a user map
any loss-and-gradient function of the problem set by naming the kinds of its
arguments and outputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradkey.verify.code.protocol import Handle, encode


# SymPy loads with gradkey.derive: imported on first use, so that the names of
# this layout are known without it (an import failure is reported at once)
def gradients(*args):
    from gradkey.derive import gradients as derived
    return derived(*args)


def derivation(*args):
    from gradkey.derive import derivation as derived
    return derived(*args)

DATASET = Handle("dataset")
BASE = Handle("base")          # skip-gram's base loss, answered from a replay table


@dataclass(frozen=True)
class Call:
    """One call of the function under test, in the code's own layout."""
    args: list
    kwargs: dict = field(default_factory=dict)
    samples: tuple = ()        # the queue the dataset hands out
    tables: dict = field(default_factory=dict)   # replay tables (protocol.py), by handle name
    base_window: tuple = ()    # skip-gram: the outside words the base loss must be called with
    target: dict | None = None # default: the module function of the adapter
    stands_for: dict = field(default_factory=dict)  # table handle -> the module function it replaces

    def request(self, function: str) -> dict:
        """The call in the wire format of protocol.py."""
        return {"target": self.target or {"function": function},
                "args": [encode(a) for a in self.args],
                "kwargs": {k: encode(v) for k, v in self.kwargs.items()},
                "dataset": [int(s) for s in self.samples],
                "tables": {name: [{k: encode(v) for k, v in e.items()} for e in table]
                           for name, table in self.tables.items()},
                "stands_for": dict(self.stands_for)}


@dataclass(frozen=True)
class Output:
    name: str                  # the code's name for it: gradOutsideVecs
    value: np.ndarray          # in the code's layout
    expected: np.ndarray       # the truth in the code's layout
    rows_are_words: bool = False


@dataclass(frozen=True)
class Adapter:
    function: str
    loss: str                  # the loss the truth is derived from
    needs: str = ""            # "distinct" | "repeated" | ""
    outputs: tuple = ()        # the code's names of the returned values
    arguments: tuple = ()      # the code's names of its arguments (for messages)
    make_call: object = None   # inst -> Call (default: the CS224n layout's)
    make_truth: object = None  # inst -> list of expected outputs
    stability: bool = True     # judged on large-magnitude probes too (loss and gradient functions)

    def call(self, inst: Instance) -> Call:
        return (self.make_call or CALLS[self.function])(inst)

    def expected(self, inst: Instance) -> list[np.ndarray]:
        return (self.make_truth or TRUTHS[self.function])(inst)


def _naive_call(i):
    return Call([np.array(i.v_c, dtype=float), int(i.o), np.array(i.U.T, dtype=float), DATASET])


def _with_rejections(i) -> tuple:
    """The dataset's queue: o before every sample. The course's
    getNegativeSamples redraws when it gets o, so correct code ends up with
    exactly ``i.samples``; code that draws with sampleTokenIdx() itself and
    keeps o (a real bug: o then counts as its own negative) does not."""
    queue = []
    for s in i.samples:
        queue += [i.o, s]
    return tuple(queue)


def _neg_call(i):
    return Call([np.array(i.v_c, dtype=float), int(i.o), np.array(i.U.T, dtype=float), DATASET],
                {"K": i.dims.K}, samples=_with_rejections(i))


def _words(W):
    return [f"w{j}" for j in range(W)]


def base_table(base: str, i: Instance) -> list[dict]:
    """What the base loss returns for each word of the window, derived: the
    skip-gram function is judged on its own, with a base loss that is right
    by construction (no derived truth inside the sandbox, only these numbers)."""
    table = []
    for j, word in enumerate(i.window):
        g = gradients(base, i.context(j))
        table.append({"o": int(word), "loss": float(g.loss), "center": np.asarray(g["v_c"], dtype=float),
                      "outside": np.asarray(g["U"].T, dtype=float)})
    return table


# The module's own base losses that the replayed base stands in for: code written
# for the course may check that it was handed one of them (a 2019 solution
# asserts `word2vecLossAndGradient == naiveSoftmaxLossAndGradient or ...`).
BASE_FUNCTIONS = {"naive": "naiveSoftmaxLossAndGradient", "neg": "negSamplingLossAndGradient"}


def _sg_call(base):
    def make(i):
        words = _words(i.dims.W)
        # the base loss is passed positionally, as the course's code does, so
        # any name of that parameter works (word2vecLossAndGradient,
        # word2vecCostAndGradient, ...)
        return Call([words[i.c], i.dims.m, [words[j] for j in i.window], {w: n for n, w in enumerate(words)},
                     np.array(i.V.T, dtype=float), np.array(i.U.T, dtype=float), DATASET, BASE],
                    tables={"base": base_table(base, i)}, base_window=tuple(i.window),
                    stands_for={"base": BASE_FUNCTIONS[base]})
    return make


def _sigmoid_args(i):
    return np.append(np.asarray(i.U, dtype=float).ravel() * 2, float(i.x))


def _sigmoid_call(i):
    return Call([_sigmoid_args(i)])


def _sigmoid_truth(i):
    with np.errstate(over="ignore"):  # e^{-x} overflows to inf for x << 0 and σ is then exactly 0
        return [np.asarray(derivation("sigmoid", i.dims).loss(i.replace(x=_sigmoid_args(i))), dtype=float)]


def _loss_truth(loss):
    def truth(i):
        g = gradients(loss, i)
        center = g["v_c"] if "V" not in g.grads else g["V"].T
        return [np.float64(g.loss), center, g["U"].T]
    return truth


def _negative_samples_call(i):
    return Call([int(i.o), DATASET, i.dims.K], samples=_with_rejections(i))


CALLS = {
    "sigmoid": _sigmoid_call,
    "naiveSoftmaxLossAndGradient": _naive_call,
    "negSamplingLossAndGradient": _neg_call,
    "getNegativeSamples": _negative_samples_call,
    "skipgram": _sg_call("naive"),
    "skipgram:neg": _sg_call("neg"),
}
TRUTHS = {
    "sigmoid": _sigmoid_truth,
    "naiveSoftmaxLossAndGradient": _loss_truth("naive"),
    "negSamplingLossAndGradient": _loss_truth("neg"),
    "getNegativeSamples": lambda i: [np.asarray(i.samples, dtype=float)],
    "skipgram": _loss_truth("sg_naive"),
    "skipgram:neg": _loss_truth("sg_neg"),
}

CS224N = (
    Adapter("sigmoid", "sigmoid", outputs=("s",), arguments=("x",)),
    Adapter("naiveSoftmaxLossAndGradient", "naive", outputs=("loss", "gradCenterVec", "gradOutsideVecs"),
            arguments=("centerWordVec", "outsideWordIdx", "outsideVectors", "dataset")),
    Adapter("negSamplingLossAndGradient", "neg", outputs=("loss", "gradCenterVec", "gradOutsideVecs"),
            arguments=("centerWordVec", "outsideWordIdx", "outsideVectors", "dataset")),
    Adapter("getNegativeSamples", "neg", outputs=("negSampleWordIndices",), stability=False,
            arguments=("outsideWordIdx", "dataset", "K")),
    Adapter("skipgram", "sg_naive", outputs=("loss", "gradCenterVecs", "gradOutsideVectors"),
            arguments=("currentCenterWord", "windowSize", "outsideWords", "word2Ind", "centerWordVectors",
                       "outsideVectors", "dataset", "word2vecLossAndGradient")),
    Adapter("skipgram:neg", "sg_neg", outputs=("loss", "gradCenterVecs", "gradOutsideVectors"),
            arguments=("currentCenterWord", "windowSize", "outsideWords", "word2Ind", "centerWordVectors",
                       "outsideVectors", "dataset", "word2vecLossAndGradient")),
)

#: outputs whose rows are words (for messages such as "row 2 is wrong")
ROW_OUTPUTS = {"gradOutsideVecs", "gradOutsideVectors", "gradCenterVecs", "grad_U (rows)", "grad_V (rows)"}

#: the course helper modules (derive/problems/helpers/NAME) this layout's files import
HELPERS = "cs224n"


# -- declared mappings ------------------------------------------------------------

ARGS = {
    "v_c": lambda i: np.array(i.v_c, dtype=float),
    "o": lambda i: int(i.o),
    "U": lambda i: np.array(i.U, dtype=float),             # (d, W), columns are words
    "U_rows": lambda i: np.array(i.U.T, dtype=float),      # (W, d), rows are words
    "samples": lambda i: list(i.samples),
    "K": lambda i: i.dims.K,
    "dataset": lambda i: DATASET,
    # skip-gram (e.g. the 2017–18 skipgram(currentWord, C, contextWords, tokens,
    # inputVectors, outputVectors, dataset, word2vecCostAndGradient))
    "center_word": lambda i: _words(i.dims.W)[i.c],
    "window_size": lambda i: i.dims.m,
    "window_words": lambda i: [_words(i.dims.W)[j] for j in i.window],
    "word2ind": lambda i: {w: n for n, w in enumerate(_words(i.dims.W))},
    "V_rows": lambda i: np.array(i.V.T, dtype=float),      # (W, d) center vectors, rows are words
    "base_loss": lambda i: BASE,
}
OUTPUTS = {
    "loss": lambda g: np.float64(g.loss),
    "grad_v_c": lambda g: g["v_c"],
    "grad_U": lambda g: g["U"],
    "grad_U_rows": lambda g: g["U"].T,
    "grad_V_rows": lambda g: g["V"].T,
}
LOSSES = {"naive": None, "neg": None, "sg_naive": "naive", "sg_neg": "neg"}   # skip-gram: its base loss


def declared(function: str, loss: str, args, outputs) -> Adapter:
    """An adapter for any function of the problem set, from the kinds of its
    arguments (see ``ARGS``) and of its outputs (``OUTPUTS``), in order.
    Skip-gram functions (loss sg_naive or sg_neg) get the base loss as a
    replay of the derived one wherever ``base_loss`` is listed."""
    if loss not in LOSSES:
        raise ValueError(f"declared functions compute one of {', '.join(LOSSES)}, not {loss!r}")
    for a in args:
        if a not in ARGS:
            raise ValueError(f"unknown argument kind {a!r}; use one of {', '.join(ARGS)}")
    for o in outputs:
        if o not in OUTPUTS:
            raise ValueError(f"unknown output kind {o!r}; use one of {', '.join(OUTPUTS)}")
    base = LOSSES[loss]
    if "base_loss" in args and base is None:
        raise ValueError(f"base_loss is an argument of skip-gram functions (loss sg_naive or sg_neg), not of {loss}")
    if "grad_V_rows" in outputs and base is None:
        raise ValueError("grad_V_rows is an output of skip-gram functions (loss sg_naive or sg_neg)")

    def make_call(i):
        tables = {"base": base_table(base, i)} if "base_loss" in args else {}
        return Call([ARGS[a](i) for a in args], samples=tuple(i.samples) if "dataset" in args and not base else (),
                    tables=tables, base_window=tuple(i.window) if tables else ())

    def make_truth(i):
        g = gradients(loss, i)
        return [OUTPUTS[o](g) for o in outputs]
    names = tuple(o.replace("grad_U_rows", "grad_U (rows)").replace("grad_V_rows", "grad_V (rows)") for o in outputs)
    return Adapter(function, loss, outputs=names, arguments=tuple(args), make_call=make_call, make_truth=make_truth)


def load_map(path) -> list[Adapter]:
    """Declared adapters from a TOML file:

        [functions.my_loss_and_grad]
        loss = "naive"
        args = ["v_c", "o", "U"]
        outputs = ["loss", "grad_v_c", "grad_U"]
    """
    import tomllib
    with open(path, "rb") as f:
        data = tomllib.load(f)
    functions = data.get("functions")
    if not isinstance(functions, dict) or not functions:
        raise ValueError(f"{path}: expected a [functions.NAME] table for each function to check")
    out = []
    for name, spec in functions.items():
        missing = [k for k in ("loss", "args", "outputs") if k not in spec]
        if missing:
            raise ValueError(f"{path}: [functions.{name}] needs {', '.join(missing)}")
        out.append(declared(name, spec["loss"], spec["args"], spec["outputs"]))
    return out


def module_function(adapter: Adapter) -> str:
    """The name looked up in the module (skipgram:neg is skipgram with the
    negative-sampling base loss)."""
    return adapter.function.split(":")[0]
