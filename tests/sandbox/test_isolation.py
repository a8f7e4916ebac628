"""The sandbox's layers, as a hostile child meets them: what it sees, who it is, what it can reach.

These run a real child under the machine's plan (bubblewrap here: `make test` and `.ci/run` install it)
and under the fallback, and check each layer from inside, so a layer that silently stops holding fails.
"""

from __future__ import annotations

import ast
import os
import subprocess
import time
import sys

import pytest

from autograder.sandbox import Policy, Runner, SandboxUnavailable
from autograder.sandbox import isolation
from autograder.grading.submission import load_submission

LOOK = '''
import os, sys

def look():
    def can(fn):
        try:
            fn()
            return True
        except Exception:
            return False
    status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
    return repr({
        "uid": os.getuid(), "euid": os.geteuid(), "groups": os.getgroups(),
        "no_new_privs": status["NoNewPrivs"].strip(), "cap_eff": status["CapEff"].strip(),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "env": dict(os.environ), "cwd": os.getcwd(), "cwd_entries": os.listdir("."),
        "top": sorted(os.listdir("/")),
        "exists": {p: os.path.exists(p) for p in ("/sys", "/etc/passwd", "/usr/bin", "/home", "/var", "/work/main",
                                                   "/sys/fs/cgroup", "/usr/local")},
        "numba": can(lambda: __import__("numba")), "scipy": can(lambda: __import__("scipy")),
        "autograder": can(lambda: __import__("autograder")),
        "write_submission": can(lambda: open(os.path.join(os.path.dirname(__file__), "x"), "w")),
        "write_root": can(lambda: open("/x", "w")),
        "write_usr": can(lambda: open("/usr/lib/x", "w")),
        "write_tmp": can(lambda: open("/tmp/x", "w").write("1")),
        "net": can(lambda: __import__("socket").create_connection(("127.0.0.1", PORT), timeout=0.5)),
        "unshare": __import__("ctypes").CDLL(None).unshare(0x10000000) == 0,   # CLONE_NEWUSER
        "setuid0": can(lambda: os.setuid(0)),
        "hostname": os.uname().nodename,
    })
'''


def _look(tmp_path, policy=None):
    import socket

    server = socket.socket()   # a port the grader's machine listens on: the child must not reach it
    server.bind(("127.0.0.1", 0))
    server.listen()
    (tmp_path / "s.py").write_text(f"PORT = {server.getsockname()[1]}\n" + LOOK)
    with Runner(load_submission(tmp_path / "s.py"), ["look"], policy=policy) as r:
        r.start()
        out = r.call("look", ())
    server.close()
    assert out.ok, out.error
    return ast.literal_eval(out.value), r.isolation


def test_the_child_is_an_unprivileged_stranger_in_an_empty_world(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVCOURSE_SECRET", "the-secret-123")
    seen, iso = _look(tmp_path)
    assert iso.sandbox == "bubblewrap" and iso.missing == [], iso.to_json()
    assert seen["uid"] == seen["euid"] != 0 and seen["uid"] != os.getuid() and seen["uid"] in isolation.SANDBOX_UIDS
    assert seen["groups"] == [] and seen["no_new_privs"] == "1" and int(seen["cap_eff"], 16) == 0
    assert len(seen["pids"]) <= 2                      # itself and bubblewrap's reaper: nobody else
    assert "CONVCOURSE_SECRET" not in seen["env"] and not any("the-secret" in v for v in seen["env"].values())
    assert set(seen["env"]) <= set(isolation._PASSED) | {"PATH", "HOME", "TMPDIR", "PWD", "LANG"} | {
        k for k in seen["env"] if k.endswith("_NUM_THREADS") or k == "VECLIB_MAXIMUM_THREADS"}
    assert seen["cwd"] == "/work" and seen["cwd_entries"] == []
    assert not any(seen["exists"].values()), seen["exists"]
    assert not (seen["numba"] or seen["scipy"] or seen["autograder"])
    assert not (seen["write_submission"] or seen["write_root"] or seen["write_usr"]) and seen["write_tmp"]
    assert not seen["net"] and not seen["unshare"] and not seen["setuid0"]
    assert seen["hostname"] == "sandbox"


def test_private_tmp_is_capped(tmp_path):
    code = "def fill():\n    with open('/dev/shm/big', 'wb') as fh:\n        for _ in range(1000):\n            fh.write(b'x' * 2**20)\n"
    (tmp_path / "s.py").write_text(code)
    with Runner(load_submission(tmp_path / "s.py"), ["fill"]) as r:
        r.start()
        out = r.call("fill", ())
    assert not out.ok and out.error.type == "OSError", out.error   # full (or the file size limit) long before 1 GB


def test_without_bubblewrap_root_still_drops_to_its_own_uid_and_says_what_is_missing(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the uid layer needs a root grader")   # CI and these machines are root
    seen, iso = _look(tmp_path, Policy(bubblewrap=False))
    assert iso.sandbox == "fallback" and seen["net"]   # no network namespace: the record says so
    assert not iso.layers["network"]
    assert iso.layers["user"] and iso.layers["cgroup"] and not iso.layers["namespaces"] and not iso.layers["filesystem"]
    assert seen["uid"] in isolation.SANDBOX_UIDS and seen["cwd"] != os.getcwd() and seen["cwd_entries"] == []
    assert "MISSING namespaces, network, filesystem" in iso.summary()


def test_with_no_layer_the_hardened_path_refuses_unless_told(monkeypatch):
    monkeypatch.setattr(isolation, "find_bwrap", lambda: None)
    monkeypatch.setattr(isolation.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(isolation, "_PLANS", {})
    with pytest.raises(SandboxUnavailable, match="--no-sandbox"):
        isolation.plan_for(Policy())
    plan = isolation.plan_for(Policy(require=False))
    assert plan.isolation.sandbox == "fallback" and not plan.isolation.layers["user"]


def test_the_cli_refuses_with_one_line(tmp_path):
    (tmp_path / "s.py").write_text("def f():\n    pass\n")
    code = ("import sys; from autograder.sandbox import isolation; isolation.find_bwrap = lambda: None; "
            "isolation.os.geteuid = lambda: 1000; from autograder.cli import main; "
            f"sys.exit(main(['grade', {str(tmp_path / 's.py')!r}, '--no-perf']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == "", (r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and "refusing to run student code" in r.stderr and "--no-sandbox" in r.stderr


def test_results_say_how_the_child_was_isolated(tmp_path):
    from autograder.formats import render_table
    from autograder.grading.grade import grade_path

    (tmp_path / "s.py").write_text("def conv_output_size(n, k, padding='valid', stride=1, dilation=1):\n    return n\n")
    result = grade_path(tmp_path / "s.py", slugs=["output_size"])
    assert result.to_json()["isolation"]["sandbox"] == "bubblewrap"
    assert result.to_json()["isolation"]["missing"] == []
    assert "isolation: bubblewrap, every layer held" in render_table(result)


def test_the_cli_states_the_limits_own_defaults_without_loading_numpy():
    from autograder.sandbox import limits

    code = ("import sys; from autograder import cli; from autograder.sandbox import limits; "
            "assert cli.CALL_SECONDS is limits.CALL_SECONDS and cli.SUBMISSION_SECONDS is limits.SUBMISSION_SECONDS; "
            "print(sorted(m for m in ('numpy', 'numba', 'threadpoolctl') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
    help_text = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "--help"], capture_output=True,
                               text=True, timeout=60).stdout
    assert f"default {limits.CALL_SECONDS:g})" in " ".join(help_text.split())


def test_a_submission_has_a_time_budget_as_a_whole(tmp_path):
    """Calls that each stay under the per-call limit cannot add up past the submission's budget."""
    from autograder.grading.grade import grade_path

    (tmp_path / "s.py").write_text(
        "import time\n\ndef conv_output_size(n, k, padding='valid', stride=1, dilation=1):\n"
        "    time.sleep(0.9)\n    return (n - k) // stride + 1\n")
    start = time.monotonic()
    result = grade_path(tmp_path / "s.py", slugs=["output_size"], timeout=2.0, budget=3.0)
    assert time.monotonic() - start < 10
    cases = result.exercises[0].cases
    assert any(c.passed for c in cases)
    spent = [c for c in cases if "time budget (3 s in all) is spent" in c.message]
    assert spent and all(not c.passed for c in spent) and len(spent) >= len(cases) - 4


def test_where_bubblewrap_fails_the_record_quotes_its_reason(monkeypatch):
    import tempfile

    folder = tempfile.mkdtemp(prefix="convcourse-test-bwrap-")
    fake = os.path.join(folder, "bwrap")
    with open(fake, "w") as fh:
        fh.write("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    os.chmod(folder, 0o755)
    os.chmod(fake, 0o755)
    try:
        monkeypatch.setattr(isolation, "find_bwrap", lambda: fake)
        monkeypatch.setattr(isolation, "_PLANS", {})
        plan = isolation.plan_for(Policy(require=False))
    finally:
        import shutil

        shutil.rmtree(folder)
    assert plan.isolation.sandbox == "fallback" and not plan.isolation.layers["namespaces"]
    assert any("bubblewrap cannot run here (bwrap: setting up uid map: Permission denied)" in n
               for n in plan.isolation.notes), plan.isolation.notes
