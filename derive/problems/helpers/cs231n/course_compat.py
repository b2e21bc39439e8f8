"""Run before a CS231n submission is imported: the names its era of code
expects from the interpreter and NumPy, so that one removed alias is not a
traceback in every function.

- ``xrange``: Python 2's range, used bare (no import) by about one file in
  five of 2016–2017; provided as an alias of ``range``.
- ``np.float``, ``np.int``, ``np.bool``, ``np.object``: aliases of the builtins,
  removed in NumPy 1.24 and used as ``astype(np.float)`` / ``dtype=np.float``.

Python 2 *syntax* (a ``print`` statement) cannot be repaired this way; such a
file is one clear error.
"""
import builtins

import numpy

builtins.xrange = range
for _name, _alias in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    if _name not in numpy.__dict__:
        setattr(numpy, _name, _alias)
