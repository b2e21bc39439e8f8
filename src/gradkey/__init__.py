"""gradkey: a symbolic derivation verifier for gradient homework.

Two subpackages, imported on first use so that ``import gradkey`` stays cheap:

* :mod:`gradkey.derive` — the symbolic side (problem sets, instances,
  ``sympy.diff`` derivations, lambdified truth);
* :mod:`gradkey.verify` — the comparison side (numerics, reading and judging
  submissions, checking formula code, grading, answer keys, the CLI).

The source folders are ``derive/`` and ``verify/`` at the top of the
repository; ``pyproject.toml`` maps them under this one import name.
"""
from __future__ import annotations

import importlib
from importlib import metadata

try:
    __version__ = metadata.version("gradkey")
except metadata.PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"

__all__ = ["__version__", "derive", "verify"]


def __getattr__(name: str):
    if name in ("derive", "verify"):
        return importlib.import_module(f"gradkey.{name}")
    raise AttributeError(f"module 'gradkey' has no attribute {name!r}")
