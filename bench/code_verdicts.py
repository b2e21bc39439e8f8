"""Dump every verdict of `gradkey code` on every code corpus, and diff two dumps
(not part of the test run; a guard for refactors of the code checker).

    python bench/code_verdicts.py --out /tmp/before.json [--jobs 2] [--only w2v]
    python bench/code_verdicts.py --diff /tmp/before.json /tmp/after.json
    python bench/code_verdicts.py --cli --only code_heldout/w2v [--cold]   # time the CLI

A dump checks each file as ``gradkey code FILE`` does (the problem set found by
the functions it defines, ``--examples 100``, the default limits), in-process,
with one fixed secret seed instead of a random one, so that two dumps of the
same code are equal and a difference is the code's. Every function of every
file becomes one entry ``"corpus/file :: function" -> {verdict, note, output}``;
the file's own error, when there is one, is the entry ``"corpus/file :: (file)"``.

The corpora: tests/fixtures/code_heldout and code_heldout2 (their manifests'
files), tests/fixtures/code (the top-level files, w2v_2017/, cs231n/) and
tests/fixtures/redteam/code (its files and flat_class/alice.py).

``--diff`` prints every entry whose verdict differs (first), whose note
differs, and those in one dump only (a file added to a corpus), and exits 1
when a verdict differs. Notes that state a time (a budget
or a timeout) may differ between runs on a loaded machine: they are listed
apart. A dump also records each file's wall time (in-process, warm).

``--cli`` times ``gradkey code FILE --format json`` as a fresh process per file
(sequentially, as a user runs it): wall time and CPU time of the process tree,
summed over the files. ``--cold`` gives the runs an empty truth cache
(``GRADKEY_CACHE_DIR``), so the first file derives every gradient. Run it with
``PYTHONPATH`` pointing at a ``gradkey`` shim of another tree to compare trees
(alternate the runs: the machine's load varies).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
SECRET = 20261122
TIMING = re.compile(r"\d+(\.\d+)?\s*(ms|s)\b|timed? ?out|budget", re.I)


def files() -> list[tuple[str, Path]]:
    out = []
    for corpus in ("code_heldout", "code_heldout2"):
        with open(FIX / corpus / "manifest.toml", "rb") as f:
            for rel in tomllib.load(f)["files"]:
                out.append((f"{corpus}/{rel}", FIX / corpus / rel))
    code = FIX / "code"
    for p in sorted(code.glob("*.py")):
        if p.name != "make_corpus.py":
            out.append((f"code/{p.name}", p))
    for p in sorted((code / "w2v_2017").glob("*.py")):
        out.append((f"code/w2v_2017/{p.name}", p))
    for p in sorted((code / "cs231n").rglob("*.py")):
        out.append((f"code/{p.relative_to(code)}", p))
    red = FIX / "redteam" / "code"
    for p in sorted(red.glob("*.py")) + [red / "flat_class" / "alice.py"]:
        out.append((f"redteam/{p.relative_to(red)}", p))
    return out


def check(item: tuple[str, Path]) -> tuple[str, dict, float]:
    from gradkey.verify.code import check_file
    name, path = item
    t0 = time.monotonic()
    try:
        report = check_file(path, problem="auto", secret=SECRET)
    except Exception as exc:  # noqa: BLE001 - recorded as the file's outcome
        report = {"error": f"{type(exc).__name__}: {exc}", "functions": []}
    dt = time.monotonic() - t0
    entries = {}
    if report.get("error"):
        entries[f"{name} :: (file)"] = {"verdict": "error", "note": report["error"], "output": None}
    for fn in report.get("functions", []):
        entries[f"{name} :: {fn['name']}"] = {"verdict": fn["verdict"], "note": fn.get("note") or "",
                                              "output": fn.get("output")}
    return name, entries, dt


def dump(out: Path, jobs: int, only: str | None) -> None:
    items = [i for i in files() if not only or only in i[0]]
    result, seconds = {}, {}
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        for name, entries, dt in ex.map(check, items):
            result.update(entries)
            seconds[name] = round(dt, 2)
            print(f"{dt:6.2f}s  {name}", file=sys.stderr)
    out.write_text(json.dumps({"verdicts": result, "seconds": seconds}, indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    counts: dict = {}
    for e in result.values():
        counts[e["verdict"]] = counts.get(e["verdict"], 0) + 1
    print(f"{len(result)} entries from {len(items)} files: {counts}; total {sum(seconds.values()):.1f} s")


def cli_times(only: str | None, cold: bool) -> None:
    import os
    import resource
    import tempfile
    items = [i for i in files() if not only or only in i[0]]
    env = dict(os.environ)
    if cold:
        env["GRADKEY_CACHE_DIR"] = tempfile.mkdtemp(prefix="gradkey-cold-")
    wall = cpu = 0.0
    for name, path in items:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", str(path), "--format", "json"],
                       capture_output=True, env=env, cwd=path.parent)
        dt = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        dc = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        wall, cpu = wall + dt, cpu + dc
        print(f"{dt:6.2f}s wall {dc:6.2f}s cpu  {name}", file=sys.stderr)
    print(f"{len(items)} files: wall {wall:.1f} s, cpu {cpu:.1f} s{' (cold cache)' if cold else ''}")


def diff(a: Path, b: Path) -> int:
    va = json.loads(a.read_text(encoding="utf-8"))["verdicts"]
    vb = json.loads(b.read_text(encoding="utf-8"))["verdicts"]
    verdicts, notes, timing, one = [], [], [], []
    for key in sorted(set(va) | set(vb)):
        x, y = va.get(key), vb.get(key)
        if x is None or y is None:          # a file added to (or gone from) a corpus between the dumps
            one.append((key, x, y))
        elif x["verdict"] != y["verdict"]:
            verdicts.append((key, x, y))
        elif x["note"] != y["note"] or x.get("output") != y.get("output"):
            (timing if TIMING.search(x["note"]) or TIMING.search(y["note"]) else notes).append((key, x, y))
    for title, rows in (("VERDICT", verdicts), ("note", notes), ("note stating a time", timing),
                        ("in one dump only", one)):
        for key, x, y in rows:
            print(f"[{title}] {key}")
            print(f"    before: {x['verdict'] + ': ' + x['note'] if x else '(absent)'}")
            print(f"    after:  {y['verdict'] + ': ' + y['note'] if y else '(absent)'}")
    print(f"{len(va)} / {len(vb)} entries; verdicts differ: {len(verdicts)}; notes differ: {len(notes)} "
          f"(+{len(timing)} stating a time); in one dump only: {len(one)}")
    return 1 if verdicts else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write a dump here")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", help="a substring of the files' names (e.g. w2v)")
    ap.add_argument("--diff", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--cli", action="store_true", help="time gradkey code as a fresh process per file")
    ap.add_argument("--cold", action="store_true", help="with --cli: an empty truth cache")
    args = ap.parse_args()
    if args.diff:
        return diff(*args.diff)
    if args.cli:
        cli_times(args.only, args.cold)
        return 0
    if not args.out:
        ap.error("give --out FILE or --diff BEFORE AFTER")
    dump(args.out, args.jobs, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
