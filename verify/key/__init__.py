"""The answer key: every step checked against the derived truth before it is written."""
from gradkey.verify.key.answer_key import NoTeX, StepFailed, check_steps, compile_pdf, key

__all__ = ["NoTeX", "StepFailed", "check_steps", "compile_pdf", "key"]
