"""pytest plugin (entry point ``pytest11: gradkey``): the ``gradkey`` fixture.

A course repository asserts that its implementation matches the derived
gradient in three lines:

    from word2vec import negSamplingLossAndGradient

    def test_neg_sampling(gradkey):
        gradkey.assert_matches(negSamplingLossAndGradient)

On failure Hypothesis shows the minimal failing instance and the message
says which output is wrong and how. Functions outside the CS224n layout are
declared: ``gradkey.assert_matches(f, loss="naive", args=["v_c", "o", "U"],
outputs=["loss", "grad_v_c", "grad_U"])``.
"""
from __future__ import annotations

import pytest

# Everything heavy (SymPy, Hypothesis, the derivations) is imported inside the
# fixture's methods: this module is loaded by every pytest run in an
# environment where gradkey is installed, used or not.


class Gradkey:
    def assert_matches(self, function, layout: str | None = None, *, loss=None, args=None, outputs=None,
                       examples: int = 100, helpers: dict | None = None):
        """Assert ``function`` agrees with the derived truth on generated instances.

        ``layout`` names the CS224n function it implements (default: its
        ``__name__``; "skipgram:neg" for skipgram with negative sampling);
        ``helpers`` supplies functions it calls by name (getNegativeSamples).
        """
        from hypothesis import HealthCheck, given, settings

        from gradkey.verify.code.inprocess import InProcess
        from gradkey.verify.code.layout import CS224N, declared, module_function
        from gradkey.verify.code.search import _strategy, run

        if loss is not None:
            adapter = declared(function.__name__, loss, args or (), outputs or ())
        else:
            name = layout or function.__name__
            matches = [a for a in CS224N if a.function == name]
            if not matches:
                known = ", ".join(a.function for a in CS224N)
                raise ValueError(f"{name!r} is not a function of the CS224n layout ({known}); "
                                 "pass layout=..., or loss=, args=, outputs= to declare it")
            adapter = matches[0]
        runner = InProcess({module_function(adapter): function, **(helpers or {})})

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
        @given(inst=_strategy(adapter))
        def matches_derived_gradient(inst):
            finding = run(runner, adapter, inst)
            if finding is not None:
                detail = ""
                if finding.expected is not None:
                    detail = f"\n  expected {finding.output} = {finding.expected}\n  got      {finding.got}"
                raise AssertionError(f"{adapter.function}: {finding.message}{detail}")

        matches_derived_gradient()


@pytest.fixture
def gradkey() -> Gradkey:
    """Assert formula code against gradkey's derived gradients."""
    return Gradkey()
