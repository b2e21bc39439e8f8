"""Find every entry of a class and read it safely.

A class is laid out the way courses and Gradescope exports lay it out:
``class/alice/hw2.md``, ``class/bob/part1.md`` … (a student is the first folder
level under the class directory) or flat, ``class/carol.md`` (the student is the
file's stem). Every entry the scan meets becomes an :class:`Entry`: either its
bytes, read with a cap, or the reason it cannot be a submission, worded so a TA
knows what to ask the student for. Nothing met is dropped in silence.

Reading is defensive because the tree is the students': folders are opened by
file descriptor without following links (``O_NOFOLLOW``), so a folder swapped
for a link after listing is refused, not followed; a file is opened
non-blocking (a FIFO cannot hang the scan), checked to be a regular file and
size-checked with ``fstat`` *before* reading, and then read with a cap (a file
that grows, or ``/dev/zero`` swapped in, costs at most the cap). A symbolic
link is followed only to a regular file inside the class tree.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".tex")
NOTEBOOK_SUFFIXES = (".ipynb",)
CODE_SUFFIXES = (".py",)
MAX_TEXT_BYTES = 1_000_000        # a written derivation is a few kB; more is not a submission
MAX_NOTEBOOK_BYTES = 20_000_000   # notebooks carry outputs (plots as base64); only Markdown cells are read
MAX_DEPTH = 32                    # deeper nesting than this is not a submission layout
MAX_ENTRIES = 200_000             # a bound on one scan; a MOOC export is far below it

ADVICE = {
    ".pdf": "PDF: gradkey reads text, not PDFs — upload the .tex/.md source or an OCR'd .md",
    ".png": "image: gradkey reads text, not photos — upload the derivation as .md/.tex (OCR the photo into Markdown)",
    ".docx": "word-processor file: export it as Markdown (.md) or LaTeX (.tex) and upload that",
    ".zip": "archive: unzip it and upload the .md/.tex files themselves",
}
for _s in (".jpg", ".jpeg", ".gif", ".heic", ".webp", ".bmp", ".tif", ".tiff"):
    ADVICE[_s] = ADVICE[".png"]
for _s in (".doc", ".odt", ".rtf", ".pages"):
    ADVICE[_s] = ADVICE[".docx"]
for _s in (".tar", ".gz", ".tgz", ".7z", ".rar"):
    ADVICE[_s] = ADVICE[".zip"]


@dataclass
class Entry:
    """One thing the scan met. ``data`` is set when it is to be graded;
    otherwise ``reason`` says why not."""
    student: str
    file: str                # the path as the user knows it (argument + path below it)
    kind: str = ""           # "text" | "notebook" | "code" when data is set
    data: bytes | None = None
    reason: str = ""
    notes: list = field(default_factory=list)

    @property
    def gradable(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class Mode:
    """What a batch reads: ``check`` reads text and notebooks, ``code`` Python files."""
    name: str
    kinds: dict   # suffix -> kind

    def kind(self, suffix: str) -> str | None:
        return self.kinds.get(suffix.lower())

    def wrong_type(self, name: str) -> str:
        suffix = Path(name).suffix.lower()
        if self.name == "code":
            if suffix in NOTEBOOK_SUFFIXES:
                return "notebook: submit the module as a .py file (in Jupyter: File → Download as → Python)"
            if suffix in TEXT_SUFFIXES + (".pdf",):
                return f"{suffix or 'no suffix'}: `gradkey code` checks Python modules (.py); grade written work with `gradkey check`"
            return f"not a Python module ({suffix or 'no suffix'}): submit the .py file"
        if suffix in ADVICE:
            return ADVICE[suffix]
        if suffix in CODE_SUFFIXES:
            return "Python file: `gradkey check` reads written derivations; check code with `gradkey code`"
        return (f"not a submission file ({suffix or 'no suffix'}): gradkey reads "
                f"{', '.join(TEXT_SUFFIXES + NOTEBOOK_SUFFIXES)}")

    def cap(self, kind: str) -> int:
        return MAX_NOTEBOOK_BYTES if kind == "notebook" else MAX_TEXT_BYTES


CHECK = Mode("check", {**{s: "text" for s in TEXT_SUFFIXES}, **{s: "notebook" for s in NOTEBOOK_SUFFIXES}})
CODE = Mode("code", {s: "code" for s in CODE_SUFFIXES})


class DiscoveryError(ValueError):
    """A usage error: an argument that does not exist."""


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _kind_of_mode(st_mode: int) -> str:
    if stat.S_ISFIFO(st_mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(st_mode):
        return "a socket"
    if stat.S_ISCHR(st_mode) or stat.S_ISBLK(st_mode):
        return "a device"
    if stat.S_ISDIR(st_mode):
        return "a folder"
    return "not a regular file"


def read_capped(name: str, cap: int, dir_fd: int | None = None) -> tuple[bytes | None, str]:
    """(bytes, "") or (None, reason). Opens without following a final link and
    without blocking, checks the type and size before reading, reads at most
    cap + 1 bytes."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the entry became a link after it was listed
            return None, "became a symbolic link while the class was read: not followed"
        return None, f"cannot be read ({exc.strerror}): check the file's permissions"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"{_kind_of_mode(st.st_mode)}, not a regular file: nothing to read"
        if st.st_size > cap:
            return None, (f"{_size(st.st_size)}; a submission may be at most {_size(cap)}: "
                          "is this the right file?")
        chunks, total = [], 0
        while total <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            return None, f"more than {_size(cap)} (it grew while read); a submission may be at most {_size(cap)}"
        return b"".join(chunks), ""
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    finally:
        os.close(fd)


class _Scan:
    def __init__(self, mode: Mode, roots: list[Path], base: Path, student: str | None):
        self.mode, self.roots, self.base, self.student = mode, roots, base, student
        self.entries: list[Entry] = []
        self.hidden: list[str] = []
        self.seen: set = set()

    def student_of(self, real: Path) -> str:
        if self.student:
            return self.student
        rel = real.relative_to(self.base)
        return rel.parts[0] if len(rel.parts) > 1 else Path(rel.parts[0]).stem

    def add(self, entry: Entry) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            raise DiscoveryError(f"more than {MAX_ENTRIES} entries: is this one class?")
        self.entries.append(entry)

    def inside(self, real: str) -> bool:
        return any(Path(real).is_relative_to(r) for r in self.roots)

    def file(self, shown: str, real: Path, name: str, dir_fd: int | None) -> None:
        student = self.student_of(real)
        kind = self.mode.kind(Path(name).suffix)
        if kind is None:
            self.add(Entry(student, shown, reason=self.mode.wrong_type(name)))
            return
        data, reason = read_capped(name, self.mode.cap(kind), dir_fd)
        self.add(Entry(student, shown, kind, data, reason))

    def link(self, shown: str, real_link: Path, name: str, dir_fd: int) -> None:
        """Follow a symbolic link only to a regular file inside the class tree."""
        student = self.student_of(real_link)
        try:
            target = os.readlink(name, dir_fd=dir_fd)
        except OSError as exc:
            self.add(Entry(student, shown, reason=f"unreadable symbolic link ({exc.strerror})"))
            return
        try:
            real = os.path.realpath(os.path.join(real_link.parent, target), strict=True)
        except OSError as exc:
            what = "a symbolic link loop" if exc.errno == 40 else f"a broken symbolic link (to {target})"
            self.add(Entry(student, shown, reason=f"{what}: nothing to read"))
            return
        if not self.inside(real):
            self.add(Entry(student, shown, reason=f"symbolic link to {target}, outside the class folder: "
                                                 "not followed (copy the file itself into the folder)"))
            return
        st = os.stat(real)
        if stat.S_ISDIR(st.st_mode):
            self.add(Entry(student, shown, reason="symbolic link to a folder: not followed "
                                                 "(copy the folder itself into the class)"))
            return
        kind = self.mode.kind(Path(name).suffix) or self.mode.kind(Path(real).suffix)
        if kind is None:
            self.add(Entry(student, shown, reason=self.mode.wrong_type(real)))
            return
        data, reason = read_capped(real, self.mode.cap(kind))
        self.add(Entry(student, shown, kind, data, reason, notes=[f"read through a symbolic link to {target}"]))

    def folder(self, shown: str, real: Path, fd: int, depth: int) -> int:
        """Scan an open folder; returns how many entries it produced."""
        before = len(self.entries)
        try:
            with os.scandir(fd) as it:
                names = sorted((e.name, e) for e in it)
        except OSError as exc:
            self.add(Entry(self.student_of(real / "x") if real != self.base else "", shown,
                           reason=f"folder cannot be listed ({exc.strerror})"))
            return 1
        for name, e in names:
            if name.startswith("."):
                self.hidden.append(os.path.join(shown, name))  # .git, .DS_Store, .ipynb_checkpoints
                continue
            child_shown, child_real = os.path.join(shown, name), real / name
            try:
                if e.is_symlink():
                    self.link(child_shown, child_real, name, fd)
                elif e.is_dir(follow_symlinks=False):
                    self.subfolder(child_shown, child_real, name, fd, depth + 1)
                elif e.is_file(follow_symlinks=False):
                    self.file(child_shown, child_real, name, fd)
                else:
                    st = e.stat(follow_symlinks=False)
                    self.add(Entry(self.student_of(child_real), child_shown,
                                   reason=f"{_kind_of_mode(st.st_mode)}, not a regular file: nothing to read"))
            except OSError as exc:  # vanished or changed while listed
                self.add(Entry(self.student_of(child_real), child_shown,
                               reason=f"changed while the class was read ({exc.strerror}): grade again"))
        return len(self.entries) - before

    def subfolder(self, shown: str, real: Path, name: str, dir_fd: int | None, depth: int) -> None:
        student = self.student_of(real / "x")
        if depth > MAX_DEPTH:
            self.add(Entry(student, shown, reason=f"folders nested deeper than {MAX_DEPTH} levels: not searched"))
            return
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError as exc:
            self.add(Entry(student, shown, reason=f"folder cannot be opened ({exc.strerror})"))
            return
        try:
            produced = self.folder(shown, real, fd, depth)
        finally:
            os.close(fd)
        # a student's folder with nothing in it, or a folder named like a file
        # (x.md/), is a submission gone wrong: say so instead of skipping it
        at_student_level = not self.student and real.parent == self.base
        if not produced and (at_student_level or self.mode.kind(Path(name).suffix)):
            self.add(Entry(student, shown + os.sep, reason="empty folder: nothing was submitted here"
                           if not self.mode.kind(Path(name).suffix) else
                           "a folder, not a file, and empty: nothing was submitted here"))


def scan(args: list, mode: Mode = CHECK, student: str | None = None) -> tuple[list[Entry], list[str]]:
    """Every entry under the arguments (files or folders), in a stable order,
    and the hidden names skipped. The class directory is the one folder given,
    or the common parent of everything given; ``student`` puts every file under
    one student (a Gradescope submission folder)."""
    if not args:
        raise DiscoveryError("no files or folders given")
    missing = [str(a) for a in args if not os.path.lexists(a)]
    if missing:
        raise DiscoveryError(f"no such file or folder: {', '.join(missing)}")
    # an argument is the user's own choice: a link given on the command line is followed
    reals = [Path(os.path.realpath(a)) for a in args]
    if len(args) == 1 and reals[0].is_dir():
        base = reals[0]
    else:
        base = Path(os.path.commonpath([r.parent if not r.is_dir() or len(args) > 1 else r for r in reals]))
    scan_ = _Scan(mode, [r for r in reals], base, student)
    # A file named on the command line is its own student (its stem), so that
    # `gradkey check a/alice.md b/bob.txt` grades two students, not one per
    # folder; files whose stems collide (class/alice/hw2.md, class/bob/hw2.md)
    # keep the folder rule, which tells them apart.
    stems = [real.stem for real in reals if real.is_file()]
    own = {real: real.stem for real in reals if real.is_file() and stems.count(real.stem) == 1}
    done = set()
    for arg, real in zip(args, reals):
        if real in done:
            continue
        done.add(real)
        shown = str(arg).rstrip(os.sep) or os.sep
        if real.is_dir():
            if real == base:
                fd = os.open(real, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                try:
                    scan_.folder(shown, real, fd, 0)
                finally:
                    os.close(fd)
            else:
                scan_.subfolder(shown, real, str(real), None, 1)
        elif real.is_file():
            kind = mode.kind(Path(arg).suffix) or mode.kind(real.suffix)
            who = student or own.get(real) or scan_.student_of(real)
            if kind is None:
                scan_.add(Entry(who, shown, reason=mode.wrong_type(str(arg))))
            else:
                data, reason = read_capped(str(real), mode.cap(kind))
                scan_.add(Entry(who, shown, kind, data, reason))
        else:
            try:
                what = _kind_of_mode(os.stat(real).st_mode)
            except OSError as exc:
                what = f"unreadable ({exc.strerror})"
            scan_.add(Entry(scan_.student_of(real), shown, reason=f"{what}, not a regular file: nothing to read"))
    return scan_.entries, scan_.hidden
