"""Checking formula code against the derived truth (``gradkey code``)."""
from gradkey.verify.code.search import FunctionReport, check_file, check_function

__all__ = ["FunctionReport", "check_file", "check_function"]
