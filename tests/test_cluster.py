"""Batches on a Dask cluster (`--scheduler`): a LocalCluster of 2 processes
gives exactly the local results, loses nothing when a worker is killed, and
an unreachable scheduler fails fast with a clear message."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the optional extra gradkey[cluster]")
import cloudpickle  # noqa: E402  (a dependency of distributed)

from gradkey.verify.grade.batch import CheckJob, LocalPool, grade  # noqa: E402
from gradkey.verify.grade.cluster import DaskExecutor  # noqa: E402
from gradkey.verify.grade.discover import scan  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
cloudpickle.register_pickle_by_value(sys.modules[__name__])   # the test's jobs travel to the workers by value


def gradkey(*args):
    return subprocess.run([sys.executable, "-m", "gradkey.verify.cli", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for f in sorted((FIXTURES / "submissions").glob("s0*.md")):
        (root / f.stem).mkdir()
        shutil.copy(f, root / f.stem / "hw.md")
    (root / "zed").mkdir()
    (root / "zed" / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    (root / "zed" / "bin.md").write_bytes(b"\x00" * 100)
    return root


@pytest.fixture(scope="module")
def cluster():
    ex = DaskExecutor.connect("local:2")
    yield ex
    ex.close()


class SlowJob(CheckJob):
    """Sleeps in small steps (a budget interrupts between them), then judges."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def __call__(self, entry):
        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            time.sleep(0.02)
        return super().__call__(entry)


def test_the_cli_on_local_2_gives_exactly_the_local_results(klass):
    local = gradkey("check", "--format", "json", str(klass))
    dask = gradkey("check", "--format", "json", "--scheduler", "local:2", str(klass))
    assert local.returncode == dask.returncode == 1
    assert json.loads(dask.stdout) == json.loads(local.stdout)
    assert len(json.loads(dask.stdout)["submissions"]) == len(scan([klass])[0])


def test_a_worker_killed_mid_batch_loses_nothing(klass, cluster):
    entries = scan([klass])[0] * 3
    reference = grade(entries, CheckJob(), LocalPool(2))
    pids = list(cluster.client.run(os.getpid).values())
    done = [0]

    def killer():
        while done[0] < 4:
            time.sleep(0.01)
        os.kill(pids[0], 9)   # a busy worker: its nanny restarts it, the scheduler reschedules its task
    t = threading.Thread(target=killer)
    t.start()
    rows = grade(entries, SlowJob(0.15), cluster, timeout=60, progress=lambda d, n: done.__setitem__(0, d))
    t.join()
    assert [r["file"] for r in rows] == [e.file for e in entries]
    assert [r.get("questions") for r in rows] == [r.get("questions") for r in reference]
    assert [r.get("error") for r in rows] == [r.get("error") for r in reference]


def test_the_time_budget_holds_on_the_cluster(klass, cluster):
    entries = scan([klass / "s04_neg_correct"])[0]
    start = time.monotonic()
    rows = grade(entries, SlowJob(30), cluster, timeout=1)
    assert time.monotonic() - start < 20
    assert "took longer than 1 s" in rows[0]["error"]


def test_an_unreachable_scheduler_fails_fast_with_a_clear_message():
    start = time.monotonic()
    p = gradkey("check", "--scheduler", "tcp://127.0.0.1:9", str(FIXTURES / "submissions" / "s04_neg_correct.md"))
    assert p.returncode == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in p.stderr
    assert "dask scheduler" in p.stderr and time.monotonic() - start < 30
    p = gradkey("check", "--scheduler", "local:0", str(FIXTURES / "submissions" / "s04_neg_correct.md"))
    assert p.returncode == 2 and "local:N" in p.stderr


def test_without_scheduler_dask_is_not_imported():
    code = ("import sys; from gradkey.verify.cli import main; main(['check', '--format', 'json', "
            f"{str(FIXTURES / 'submissions' / 's04_neg_correct.md')!r}]); "
            "print('DASK' if 'distributed' in sys.modules or 'dask' in sys.modules else 'NO DASK', file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.stderr.strip().endswith("NO DASK")


class KillsItsWorker(CheckJob):
    def __call__(self, entry):
        if entry.student == "s05_neg_mistakes":
            os.kill(os.getpid(), 9)
        return super().__call__(entry)


def test_a_file_that_kills_its_worker_is_retried_once_then_reported(klass, cluster):
    entries = scan([klass])[0]
    rows = grade(entries, KillsItsWorker(), cluster, timeout=60)
    bad = [r for r in rows if r["student"] == "s05_neg_mistakes"]
    assert len(rows) == len(entries) and len(bad) == 1
    assert "died on this file 2 times" in bad[0]["error"]
    good = [r for r in rows if r["student"] not in ("s05_neg_mistakes", "zed")]
    assert all(not r.get("error") and r["questions"] for r in good)
