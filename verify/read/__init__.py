"""Reading submissions: extraction of answers, the notation, the strict parser."""
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse

__all__ = ["ReadError", "parse"]
