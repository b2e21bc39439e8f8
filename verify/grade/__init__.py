"""Grading a class: the batch runner, rubrics, exports and text/JSON reports."""
