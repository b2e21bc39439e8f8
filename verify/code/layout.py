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

from gradkey.derive import Instance, derivation, gradients

@dataclass(frozen=True)
class Call:
    args: list
    kwargs: dict = field(default_factory=dict)
    samples: tuple = ()        # the queue the controlled dataset hands out
    base: str | None = None    # skip-gram: the truth-backed base loss to pass in


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

    def call(self, inst: Instance) -> Call:
        return (self.make_call or CALLS[self.function])(inst)

    def expected(self, inst: Instance) -> list[np.ndarray]:
        return (self.make_truth or TRUTHS[self.function])(inst)


def _naive_call(i):
    return Call([np.array(i.v_c, dtype=float), int(i.o), np.array(i.U.T, dtype=float), "<dataset>"])


def _neg_call(i):
    return Call([np.array(i.v_c, dtype=float), int(i.o), np.array(i.U.T, dtype=float), "<dataset>"],
                {"K": i.dims.K}, samples=tuple(i.samples))


def _words(W):
    return [f"w{j}" for j in range(W)]


def _sg_call(base):
    def make(i):
        words = _words(i.dims.W)
        samples = tuple(s for ws in i.window_samples for s in ws) if base == "neg" else ()
        return Call([words[i.c], i.dims.m, [words[j] for j in i.window], {w: n for n, w in enumerate(words)},
                     np.array(i.V.T, dtype=float), np.array(i.U.T, dtype=float), "<dataset>"],
                    samples=samples, base=f"{base}:{i.dims.K}")
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
    # the queue holds o between the samples: a correct getNegativeSamples skips it
    queue = []
    for s in i.samples:
        queue += [i.o, s]
    return Call([int(i.o), "<dataset>", i.dims.K], samples=tuple(queue))


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
    Adapter("getNegativeSamples", "neg", outputs=("negSampleWordIndices",),
            arguments=("outsideWordIdx", "dataset", "K")),
    Adapter("skipgram", "sg_naive", outputs=("loss", "gradCenterVecs", "gradOutsideVectors"),
            arguments=("currentCenterWord", "windowSize", "outsideWords", "word2Ind", "centerWordVectors",
                       "outsideVectors", "dataset")),
    Adapter("skipgram:neg", "sg_neg", outputs=("loss", "gradCenterVecs", "gradOutsideVectors"),
            arguments=("currentCenterWord", "windowSize", "outsideWords", "word2Ind", "centerWordVectors",
                       "outsideVectors", "dataset")),
)

#: outputs whose rows are words (for messages such as "row 2 is wrong")
ROW_OUTPUTS = {"gradOutsideVecs", "gradOutsideVectors", "gradCenterVecs"}


# -- declared mappings ------------------------------------------------------------

ARGS = {
    "v_c": lambda i: np.array(i.v_c, dtype=float),
    "o": lambda i: int(i.o),
    "U": lambda i: np.array(i.U, dtype=float),             # (d, W), columns are words
    "U_rows": lambda i: np.array(i.U.T, dtype=float),      # (W, d), rows are words
    "samples": lambda i: list(i.samples),
    "K": lambda i: i.dims.K,
    "dataset": lambda i: "<dataset>",
}
OUTPUTS = {
    "loss": lambda g: np.float64(g.loss),
    "grad_v_c": lambda g: g["v_c"],
    "grad_U": lambda g: g["U"],
    "grad_U_rows": lambda g: g["U"].T,
}


def declared(function: str, loss: str, args, outputs) -> Adapter:
    """An adapter for any function of the problem set, from the kinds of its
    arguments (v_c, o, U, U_rows, samples, K, dataset) and of its outputs
    (loss, grad_v_c, grad_U, grad_U_rows), in order."""
    if loss not in ("naive", "neg"):
        raise ValueError(f"declared functions compute the naive or neg loss, not {loss!r}")
    for a in args:
        if a not in ARGS:
            raise ValueError(f"unknown argument kind {a!r}; use one of {', '.join(ARGS)}")
    for o in outputs:
        if o not in OUTPUTS:
            raise ValueError(f"unknown output kind {o!r}; use one of {', '.join(OUTPUTS)}")

    def make_call(i):
        return Call([ARGS[a](i) for a in args], samples=tuple(i.samples) if "dataset" in args else ())

    def make_truth(i):
        g = gradients(loss, i)
        return [OUTPUTS[o](g) for o in outputs]
    names = tuple(o.replace("grad_U_rows", "grad_U (rows)") for o in outputs)
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
