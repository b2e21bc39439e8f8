"""Reading submissions: extraction of answers, the notation, the strict parser."""
from .errors import ReadError
from .latex import parse

__all__ = ["ReadError", "parse"]
