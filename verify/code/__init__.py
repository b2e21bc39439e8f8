"""Checking formula code against the derived truth (``gradkey code``).

Names are imported on first use: the sandbox (``sandbox.py``) must start
without SymPy and Hypothesis loaded, so that an import failure is reported
at once."""
import importlib

__all__ = ["FunctionReport", "check_file", "check_function"]


def __getattr__(name):
    if name in __all__:
        return getattr(importlib.import_module("gradkey.verify.code.search"), name)
    raise AttributeError(name)
