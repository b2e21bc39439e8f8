"""The 2017–18 name of the course's gradient check (gradkey's own implementation)."""
from utils.gradcheck import gradcheck_naive  # noqa: F401
