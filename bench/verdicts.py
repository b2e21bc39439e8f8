"""Dump every verdict of `gradkey check --format json` on every corpus, for both checkers,
and diff two source trees (not part of the test run; a guard for speed-ups).

    python bench/verdicts.py [--root DIR] [--out FILE]          # one dump
    python bench/verdicts.py --against COMMIT PATH...           # diff the working tree
                                                                # against it with PATHs at COMMIT
    python bench/verdicts.py --base DIR                         # … against DIR's derive/, verify/

A speed-up must not change any verdict, code, feedback, counterexample or step note.
One dump runs the CLI (one process per corpus and problem set, ``--jobs 1``) on the
word2vec corpora with word2vec's own checker and with the file-driven checker
(``--problem derive/problems/word2vec.toml``), and on the problem-set corpora with
``--problem`` named by each file's prefix; every question of every file becomes one line.

``--against`` copies the working tree's ``derive/`` and ``verify/`` twice into a temporary
folder (so another engineer's concurrent edit is in both copies), restores PATH... from
COMMIT in the second copy, dumps both (in parallel) and prints the lines that differ.
Each copy is imported through a ``gradkey`` shim on PYTHONPATH, which comes before the
editable install's finder.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
W2V = ("corpus", "corpus_heldout", "corpus_heldout3", "corpus_heldout4", "samples", "submissions")
SETS = ("corpus_sets", "corpus_sets_heldout")
# notes that state a time (a timeout) are the only ones a speed-up may change
TIMING = re.compile(r"\d+(\.\d+)?\s*(ms|s)\b|timed? ?out", re.I)


def jobs() -> list[tuple[str, str | None, list[Path]]]:
    out = []
    for c in W2V:
        files = sorted(p for p in (FIX / c).iterdir() if p.suffix in (".md", ".txt") and p.name != "README.md")
        if files:
            out.append((c, None, files))
            out.append((c, "derive/problems/word2vec.toml", files))
    for c in SETS:
        groups: dict[str, list[Path]] = {}
        for p in sorted((FIX / c).glob("*_*.md")):
            groups.setdefault(p.name.split("_")[0], []).append(p)
        for prefix, files in sorted(groups.items()):
            out.append((c, prefix, files))
    return out


def _flat(corpus: str, problem: str | None, doc: dict) -> list[str]:
    lines = []
    for sub in doc.get("submissions", []):
        f = Path(sub["file"]).name
        for qid, q in sorted((sub.get("questions") or {}).items()):
            steps = [(s.get("verdict"), _note(s.get("note"))) for s in q.get("steps") or []]
            rec = [corpus, problem or "-", f, qid, q.get("verdict"), q.get("code"), _note(q.get("note")),
                   q.get("feedback"), q.get("counterexample"), steps]
            lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=True, default=str))
        for k in ("error", "errors", "unanswered", "unlisted"):
            if sub.get(k):
                lines.append(json.dumps([corpus, problem or "-", f, k, sub[k]], ensure_ascii=False, default=str))
    return lines


def _note(n):
    return TIMING.sub("<time>", n) if isinstance(n, str) else n


def dump(src: Path | None) -> list[str]:
    """Every line of every job, with the package imported from `src` (a folder holding
    derive/ and verify/; None: the installed one)."""
    env = dict(os.environ)
    if src is not None:
        shim = src / "shim"
        (shim / "gradkey").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "src" / "gradkey" / "__init__.py", shim / "gradkey" / "__init__.py")
        for pkg in ("derive", "verify"):
            link = shim / "gradkey" / pkg
            if not link.exists():
                link.symlink_to(src / pkg)
        env["PYTHONPATH"] = str(shim)
    lines = []
    for corpus, problem, files in jobs():
        cmd = [sys.executable, "-m", "gradkey.verify.cli", "check", "--format", "json", "--jobs", "1"]
        if problem is not None:
            p = problem if not problem.endswith(".toml") else str((src or ROOT) / problem)
            cmd += ["--problem", p]
        r = subprocess.run(cmd + [str(f) for f in files], capture_output=True, text=True, env=env, cwd=ROOT)
        try:
            doc = json.loads(r.stdout)
        except json.JSONDecodeError:
            lines.append(json.dumps([corpus, problem, "CLI FAILED", r.returncode, r.stderr[-2000:]]))
            continue
        lines += _flat(corpus, problem and Path(problem).stem, doc)
    return lines


def _copy_tree(dest: Path) -> None:
    for pkg in ("derive", "verify"):
        shutil.copytree(ROOT / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, help="folder holding derive/ and verify/ (default: the installed package)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--against", metavar="COMMIT")
    ap.add_argument("--base", type=Path, help="diff the working tree against this folder (holding derive/ and verify/)")
    ap.add_argument("paths", nargs="*", help="with --against: the paths restored from COMMIT in the baseline")
    a = ap.parse_args()
    if a.against is None and a.base is None:
        lines = dump(a.root)
        text = "\n".join(lines) + "\n"
        (a.out.write_text(text, encoding="utf-8") if a.out else sys.stdout.write(text))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="gradkey-verdicts-"))
    new, old = tmp / "new", tmp / "old"
    _copy_tree(new)
    if a.base is not None:
        old = a.base
        # the problem files are data others may be editing: both sides read the same copy
        shutil.rmtree(old / "derive" / "problems")
        shutil.copytree(new / "derive" / "problems", old / "derive" / "problems",
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        _copy_tree(old)
    for p in a.paths if a.base is None else ():
        blob = subprocess.run(["git", "show", f"{a.against}:{p}"], cwd=ROOT, capture_output=True, check=True).stdout
        (old / p).write_bytes(blob)
    with ThreadPoolExecutor(2) as pool:
        fn, fo = pool.submit(dump, new), pool.submit(dump, old)
        ln, lo = fn.result(), fo.result()
    (tmp / "new.txt").write_text("\n".join(ln) + "\n", encoding="utf-8")
    (tmp / "old.txt").write_text("\n".join(lo) + "\n", encoding="utf-8")
    diff = list(difflib.unified_diff(lo, ln, "baseline", "working tree", lineterm="", n=0))
    print(f"{len(ln)} lines (baseline {len(lo)}); {tmp}")
    print("\n".join(diff) if diff else "no verdict differs")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
