"""The public instance strategies (verify/strategies.py) and seeded instances
(verify/numerics/instances.py) draw a problem file's instances (derive.draw), the
default set's when no problem is named, meeting the premises asked for."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradkey import derive
from gradkey.derive import draw as dr
from gradkey.verify import strategies as gst
from gradkey.verify.numerics import consistency, instances as seeded

DEFAULT = derive.problem_set()
SMALL = gst.dims(**{d.name: st.just(d.min if d.min > 1 else 2) for d in DEFAULT.dims})


@settings(max_examples=10)
@given(gst.instances())
def test_instances_are_the_default_sets_at_its_check_dims(inst):
    assert isinstance(inst, dr.GenericInstance) and inst.problem is DEFAULT
    assert inst.dims in [dict(d) for d in DEFAULT.check_dims]


@pytest.mark.parametrize("needs", sorted({q.needs for q in DEFAULT.questions if q.needs}))
def test_instances_meet_the_premise_asked_for(needs):
    q = next(q for q in DEFAULT.questions if q.needs == needs)

    @settings(max_examples=10)
    @given(gst.instances(needs=needs))
    def check(inst):
        assert dr.satisfies(q, inst), inst
    check()


@settings(max_examples=5)
@given(gst.instances(dims=SMALL))
def test_dims_fix_the_sizes_named(inst):
    assert inst.dims == {d.name: (d.min if d.min > 1 else 2) for d in DEFAULT.dims}
    for s in DEFAULT.symbols:
        if s.role != "label":
            assert np.shape(inst.value(s.name)) == tuple(inst.dims[x] for x in s.shape)


def test_dims_refuse_a_dimension_the_file_does_not_have():
    with pytest.raises(ValueError, match="has no dimension zz"):
        gst.dims(zz=st.just(3))


@settings(max_examples=5)
@given(gst.instances(problem="logreg"))
def test_instances_of_a_named_set(inst):
    assert inst.problem.name == "logreg"


def test_a_premise_no_question_has_is_refused_with_the_premises_there_are():
    assert not any(q.needs == "repeated" for q in derive.problem_set("logreg").questions)
    with pytest.raises(ValueError, match="no question of 'logreg' asks for 'repeated'"):
        gst.instances(needs="repeated", problem="logreg")


def test_seeded_instances_are_reproducible_and_those_of_derive_draw():
    q = DEFAULT.questions[0]
    a, b = seeded.seeded_instances(3, seed=7, question=q), seeded.seeded_instances(3, seed=7, question=q.id)
    c = dr.seeded(DEFAULT, 3, 7, q)
    for x, y, z in zip(a, b, c):
        assert x.dims == y.dims == z.dims
        for name in x.values:
            np.testing.assert_array_equal(x.values[name], y.values[name])
            np.testing.assert_array_equal(x.values[name], z.values[name])


def test_random_instance_meets_a_premise():
    q = next(q for q in DEFAULT.questions if q.needs == "repeated")
    inst = seeded.random_instance(np.random.default_rng(3), needs="repeated")
    assert dr.satisfies(q, inst)


def test_the_value_range_is_derive_draws():
    # repeated in verify (importing the strategies must not load SymPy): they must agree
    assert seeded.VALUE_RANGE == dr.VALUE_RANGE


@pytest.mark.parametrize("qid", [q.id for q in DEFAULT.questions])
def test_numeric_gradient_agrees_with_the_truth(qid):
    q = DEFAULT.question(qid)
    inst = seeded.seeded_instances(1, seed=2, question=q)[0]
    value, extra = consistency.numeric_gradient(q, inst, method="central")
    assert consistency.compare(q.truth(inst), value, scale=inst.error_scale(), extra=extra)
    assert all(c.comparison for c in consistency.check_question(q, inst))


def test_numeric_gradient_refuses_another_loss():
    q = DEFAULT.questions[0]
    other = next(l.name for l in DEFAULT.loss_decls if l.name != q.loss)
    with pytest.raises(ValueError, match=f"is about {q.loss}, not {other}"):
        consistency.numeric_gradient(q, seeded.seeded_instances(1, question=q)[0], other)
