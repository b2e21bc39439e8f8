"""Instances that do not fit the signature are refused with a clear message."""
import numpy as np
import pytest

from gradkey.derive.signature import Dims, SignatureError
from gradkey.derive.signature import seeded_instances


@pytest.fixture
def inst():
    return seeded_instances(1)[0]


@pytest.mark.parametrize("change,message", [
    (dict(o=7), "o must be a word index in range(W=5)"),
    (dict(U=np.zeros((5, 3))), "U must have shape (d, W) = (3, 5)"),
    (dict(k=3), "k must be a position in samples"),
    (dict(window=(1,)), "window must hold 2m = 2 words"),
    (dict(samples=(1, 2)), "samples must hold K = 3 samples"),
])
def test_bad_instances_are_refused(inst, change, message):
    with pytest.raises(SignatureError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inst.replace(**change)


def test_a_sample_equal_to_o_is_refused(inst):
    with pytest.raises(SignatureError, match="negative samples must differ"):
        inst.replace(samples=(inst.o,) * 3)


@pytest.mark.parametrize("bad", [dict(d=0), dict(W=1), dict(K=0), dict(m=0), dict(d=2.5)])
def test_bad_dims_are_refused(bad):
    with pytest.raises(SignatureError):
        Dims(**bad)


def test_seeded_instances_are_reproducible():
    a, b = seeded_instances(3, seed=7), seeded_instances(3, seed=7)
    assert all(np.array_equal(x.U, y.U) and x.samples == y.samples for x, y in zip(a, b))
    assert any(x.dims.d != x.dims.W for x in a)


def test_repeated_premise_forces_a_repeat():
    for inst in seeded_instances(5, needs="repeated"):
        assert inst.n_k >= 2


def test_context_instance_reads_the_window(inst):
    j = inst.context(1)
    assert j.o == inst.window[1] and j.samples == inst.window_samples[1]
