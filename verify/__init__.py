"""verify: the comparison side of gradkey.

The folders follow the data flow:

* ``numerics/`` — numerical differentiation, the one comparison routine,
  seeded instances, truth vs closed forms vs numerics;
* ``read/`` — submission text → extracted answers → parsed notation;
* ``check/`` — identify the question, typed evaluation, judging, mistakes;
* ``code/`` — student code → sandbox → comparison with the truth;
* ``grade/`` — class batches, rubrics, exports, reports;
* ``key/`` — the checked answer key;
* ``cli.py`` and ``pytest_plugin.py`` — the two front doors.

Names below are imported on first use (the pytest plugin imports this package
in every pytest run; SymPy must not be loaded until gradkey is used).
"""
from __future__ import annotations

import importlib

_LAZY = {
    "Comparison": "gradkey.verify.numerics.compare",
    "compare": "gradkey.verify.numerics.compare",
    "check_question": "gradkey.verify.numerics.consistency",
    "numeric_gradient": "gradkey.verify.numerics.consistency",
    "random_instance": "gradkey.verify.numerics.instances",
    "seeded_instances": "gradkey.verify.numerics.instances",
    "check_submission": "gradkey.verify.check.answers",
    "check_file": "gradkey.verify.code",
    "check_function": "gradkey.verify.code",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradkey.verify' has no attribute {name!r}")
