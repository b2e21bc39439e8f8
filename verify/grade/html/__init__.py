"""The static review site (``gradkey check … --html DIR``, ``gradkey code …
--html DIR``): a class page, a page per student, a review queue, and a page
per code report, built from the same plain result records as the exports.

Jinja2 and latex2mathml are the optional extra ``gradkey[html]``: grading
itself (and the Gradescope autograder image) does not need them, so they are
imported only when a site is written, with a message saying what to install.
"""
from __future__ import annotations

import sys

INSTALL_HINT = "pip install 'gradkey[html]'  (Jinja2 and latex2mathml)"


def missing() -> str | None:
    """None when the site can be built, else what to install."""
    absent = []
    for module, package in (("jinja2", "Jinja2"), ("latex2mathml", "latex2mathml"), ("markupsafe", "MarkupSafe")):
        try:
            __import__(module)
        except ImportError:
            absent.append(package)
    if absent:
        return f"--html needs {', '.join(absent)}: {INSTALL_HINT}"
    return None


def write_check_site(results, out_dir, rubric=None):
    from gradkey.verify.grade.html.site import write_check_site as write
    return write(results, out_dir, rubric=rubric)


def write_code_site(report, out_dir):
    from gradkey.verify.grade.html.site import write_code_site as write
    return write(report, out_dir)


def from_cli(command: str, out_dir, data, rubric=None) -> bool:
    """The CLI's one call: write the site for ``check`` (data: the results)
    or ``code`` (data: the report), say where it is, and return False after
    printing what went wrong (the caller then exits with status 2)."""
    problem = missing()
    if problem:
        print(f"gradkey {command}: {problem}", file=sys.stderr)
        return False
    try:
        if command == "check":
            written = write_check_site(data, out_dir, rubric=rubric)
        else:
            written = write_code_site(data, out_dir)
    except OSError as exc:
        print(f"gradkey {command}: cannot write the site to {out_dir}: {exc.strerror or exc}", file=sys.stderr)
        return False
    files = f"{len(written)} file" + ("" if len(written) == 1 else "s")
    print(f"gradkey {command}: wrote the review site ({files}); open {written[0]}", file=sys.stderr)
    return True
