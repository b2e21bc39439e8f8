"""Checking formula code against the derived truth (``gradkey code``)."""
from .search import FunctionReport, check_file, check_function

__all__ = ["FunctionReport", "check_file", "check_function"]
