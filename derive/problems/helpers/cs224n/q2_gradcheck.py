"""The 2017–18 name of the course's gradient check (a small independent implementation)."""
from utils.gradcheck import gradcheck_naive  # noqa: F401
