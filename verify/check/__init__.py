"""Checking submitted derivations: identify the question an answer is for,
evaluate what was read (typed), judge it against the truth."""
