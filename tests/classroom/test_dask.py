"""Grading a class on a Dask cluster: a real scheduler and workers on loopback, one of them killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.classroom.classgrade import Settings, grade_class
from autograder.classroom.sampleclass import ASSIGNMENT
from tests.classroom.test_classgrade import CONVCOURSE, _SLOW, _class, _flat_class

BIN = Path(sys.executable).parent
# The scheduler as docs/instructors.md recommends: one submission at a time per worker thread (so that a
# death is charged to the one it was grading) and one retry, as the local pool allows.
SCHEDULER_ENV = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
                 "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive_in_group(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that are not zombies (this machine's init may never reap those)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                alive.append(int(entry.name))
    return alive


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes on loopback, each in its own process group."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.scheduler = self._start("scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                                   str(self.port), "--no-dashboard"], dict(os.environ, **SCHEDULER_ENV))
        from distributed import Client

        self.client = Client(self.address, timeout=30)

    def _start(self, name: str, cmd: list[str], env=None) -> subprocess.Popen:
        log = open(self.folder / f"{name}-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        log.close()
        self.procs.append(proc)
        return proc

    def add_worker(self) -> subprocess.Popen:
        proc = self._start("worker", [str(BIN / "dask"), "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                                      "--no-dashboard", "--local-directory", str(self.folder / "scratch")])
        self.workers.append(proc)
        return proc

    def ensure_workers(self, n: int) -> None:
        for _ in range(n - len(self.workers)):
            self.add_worker()
        self.client.wait_for_workers(n, timeout=60)

    def kill_worker_grading(self, wanted=lambda key: True) -> str | None:
        """SIGKILL the whole process group of a worker grading a submission whose task key ``wanted``
        says; return that key (None when no worker is grading one now)."""
        for address, keys in self.client.processing().items():
            key = next((k for k in keys if wanted(str(k))), None)
            if key is None:
                continue
            from distributed.comm.core import CommClosedError

            try:
                group = os.getpgid(self.client.run(os.getpid, workers=[address])[address])
            except (CommClosedError, OSError):
                # the scheduler still lists a worker just killed (its tasks not yet moved): nothing to kill
                # there; the caller asks again
                continue
            proc = next((p for p in self.workers if p.pid == group), None)
            if proc is None:
                continue
            os.killpg(group, signal.SIGKILL)
            proc.wait()
            self.workers.remove(proc)
            return str(key)
        return None

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            for proc in self.procs:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        deadline = time.monotonic() + 5
        while any(_alive_in_group(p.pid) for p in self.procs) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for p in self.procs for pid in _alive_in_group(p.pid)], "Dask processes left running"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        yield c
    finally:
        c.close()


def _results(out: Path) -> dict[str, dict]:
    return {p.parent.parent.name if p.parent.name == ASSIGNMENT else p.parent.name: json.loads(p.read_text())
            for p in out.glob("**/results.json")}


def _wait_done(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("**/.done"))) < n and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.slow
def test_a_worker_lost_mid_run_costs_nothing(tmp_path, cluster):
    """One of two workers is SIGKILLed (its whole process group) while it grades: what it held is
    regraded on the other, every record verifies, the scores are the local pool's, a rerun keeps all."""
    students = {f"s{i}": ("correct", "slow", "same-plus-one", "empty")[i % 4] for i in range(8)}
    submitted = _class(tmp_path, students)
    local = grade_class(submitted, tmp_path / "local", Settings(perf=False, practice=True), workers=2, progress=False)
    assert [g.state for g in local.graded] == ["graded"] * 8

    cluster.ensure_workers(2)
    out = tmp_path / "grades"
    cmd = [CONVCOURSE, "grade-class", str(submitted), "--out", str(out), "--practice", "--no-perf",
           "--scheduler", cluster.address]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_done(out, 2, proc)
        killed = None
        while killed is None and proc.poll() is None:
            killed = cluster.kill_worker_grading()
        recorded = len(list(out.glob("**/.done")))   # when the worker was killed: some, not all
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert killed is not None and 2 <= recorded < 8, (killed, recorded)
    assert proc.returncode == 0, stderr[-3000:]
    assert "8 submissions: 8 graded, 0 kept from an earlier run, 0 failed" in stdout, stdout
    assert not _alive_in_group(proc.pid)
    ours, theirs = _results(out), _results(tmp_path / "local")
    assert sorted(ours) == sorted(students) and ours == theirs   # the same records, to the byte of their JSON

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "8 submissions: 0 graded, 8 kept from an earlier run" in again.stdout, \
        again.stdout + again.stderr[-2000:]


@pytest.mark.slow
def test_a_submission_that_kills_its_workers_is_recorded_and_the_class_goes_on(tmp_path, cluster):
    """The worker grading zed is killed, and so is the one grading it next: with the scheduler's
    allowed-failures at 1, Dask gives up on zed (KilledWorker) and zed is recorded as could-not-grade
    with the reason; every classmate is graded."""
    root = _flat_class(tmp_path, {"ann": "correct-loops", "bob": "same-plus-one", "cat": "correct-loops",
                                  "zed": _SLOW})
    cluster.ensure_workers(2)
    out = tmp_path / "grades"
    cmd = [CONVCOURSE, "grade-class", str(root), "--out", str(out), "--practice", "--no-perf", "--timeout", "5",
           "--scheduler", cluster.address]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        kills, deadline = 0, time.monotonic() + 120
        while kills < 2 and proc.poll() is None and time.monotonic() < deadline:
            if cluster.kill_worker_grading(lambda key: key.endswith("-zed")):
                kills += 1
                cluster.add_worker()   # a fresh one, so that the class can go on
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert kills == 2 and proc.returncode == 0, stderr[-3000:]
    assert "4 submissions: 3 graded, 0 kept from an earlier run, 1 failed" in stdout, stdout
    assert "the Dask workers grading it died 2 times (killed, or out of memory)" in stdout, stdout
    zed = json.loads((out / "zed" / "results.json").read_text())
    assert {e["status"] for e in zed["exercises"]} == {"error"}
    assert all("could not grade this submission: the Dask workers grading it died" in e["message"]
               for e in zed["exercises"])
    for student in ("ann", "bob", "cat"):
        data = json.loads((out / student / "results.json").read_text())
        assert any(e["status"] in ("passed", "failed") for e in data["exercises"]), student
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert "4 submissions: 0 graded, 4 kept from an earlier run" in again.stdout, again.stdout + again.stderr


@pytest.mark.slow
def test_a_local_dask_cluster_grades_as_the_local_pool_does(tmp_path):
    """``--scheduler local:2``, with performance tiers: the same results as the pool (tiers are timed,
    so only their presence is compared), and no Dask process left once the command is done."""
    students = {"alice": "correct", "bob": "same-plus-one", "carol": "assert-patch", "frank": "empty"}
    submitted = _class(tmp_path, students)
    grade_class(submitted, tmp_path / "local", Settings(practice=True), workers=2, progress=False)
    out = tmp_path / "grades"
    proc = subprocess.Popen([CONVCOURSE, "grade-class", str(submitted), "--out", str(out), "--practice",
                             "--scheduler", "local:2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr[-3000:]
    assert "4 submissions: 4 graded, 0 kept from an earlier run, 0 failed" in stdout and "with 2 worker(s)" in stdout
    time.sleep(0.2)
    assert not _alive_in_group(proc.pid), "local Dask workers left running"

    def statuses(results):
        return {s: [(e["slug"], e["status"], e["correctness"], e["points"]["correctness"], e["points"]["rules"],
                     bool(e.get("tier"))) for e in r["exercises"]]
                for s, r in results.items()}

    dask, pool = _results(out), _results(tmp_path / "local")
    differ = [(s, a["slug"], a.get("message"), b.get("message")) for s in dask for a, b in
              zip(dask[s]["exercises"], pool.get(s, {}).get("exercises", [])) if statuses({s: {"exercises": [a]}})
              != statuses({s: {"exercises": [b]}})]
    assert statuses(dask) == statuses(pool), differ
    assert any(e.get("tier") for e in dask["alice"]["exercises"])


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    submitted = _class(tmp_path, {"alice": "correct"})
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = subprocess.run([CONVCOURSE, "grade-class", str(submitted), "--out", str(tmp_path / "out"), "--practice",
                           "--scheduler", address], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"convcourse grade-class: cannot reach the Dask scheduler at {address}")
    assert not list((tmp_path / "out").glob("**/results.json"))
    bad = subprocess.run([CONVCOURSE, "grade-class", str(submitted), "--scheduler", "local:none"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "expected local:N" in bad.stderr


def test_a_shipment_holds_the_code_the_grader_reads_and_unpacks_under_its_own_name(tmp_path):
    from autograder.classroom.daskgrade import Shipment, _unpack, pack
    from autograder.classroom.roster import Entry, fingerprint

    folder = tmp_path / "ann"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.py").write_text("x = 1\n")
    (folder / "sub" / "b.ipynb").write_text("{}")
    (folder / "notes.txt").write_text("not code")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "a-checkpoint.py").write_text("")
    shipment = pack(Entry("ann", None, folder))
    assert shipment.name == "ann" and not shipment.single
    assert [name for name, _ in shipment.files] == ["a.py", "sub/b.ipynb"]
    copy = _unpack(shipment, tmp_path / "worker")
    assert copy.name == "ann" and fingerprint(copy) == fingerprint(folder)   # the same bytes, the same names
    with pytest.raises(ValueError, match="leaves the submission"):
        _unpack(Shipment("ann", (("../evil.py", b""),), False, "x"), tmp_path / "worker2")


def test_the_grader_starts_without_dask():
    done = subprocess.run([sys.executable, "-c", "import sys, autograder.cli as c; c.build_parser(); "
                                                 "print('distributed' in sys.modules, 'dask' in sys.modules)"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr
