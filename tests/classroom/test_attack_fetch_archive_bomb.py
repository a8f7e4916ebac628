"""fetch-class reads a student's whole ``git archive`` into memory before checking its size.

Attack: mallory's repository holds one highly compressible blob (zeros; GitHub accepts any blob under
100 MB) referenced by many paths of one tree: the push is a few hundred KB, but ``git archive`` writes
every copy, i.e. gigabytes (100 MB x 1000 paths = 100 GB). ``_fetch_one`` runs it with
``capture_output=True`` and compares ``len(archive.stdout)`` with ``_MAX_ARCHIVE_BYTES`` only after
git has finished, so the grader buffers all of it (twice, while ``communicate`` joins the chunks).

Harm: the fetch step runs out of memory (MemoryError, which ``fetch_class`` does not catch, or the OOM
killer): no classmate after mallory in the roster is fetched, no ``fetch.json`` is written, and the
whole class run fails, every time it is run. Here the fetch runs with a 1 GiB address-space limit and
the archive would be ~1.2 GB: the fix (stream git's stdout and stop at the limit, e.g. ``git archive |
head -c``, or check ``git ls-tree -r -l`` sizes first) keeps memory at the limit whatever the repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_templates import BEFORE, ORG, POOLING, PREFIX, _git, _student_repo

COPIES, BLOB_MB = 40, 30


def _bomb(remote: Path) -> None:
    _student_repo(remote, "mallory", [(BEFORE, POOLING)])
    work = remote / "work" / "mallory"
    (work / "zeros.bin").write_bytes(bytes(BLOB_MB << 20))
    _git("add", "zeros.bin", cwd=work)
    sha = _git("rev-parse", ":zeros.bin", cwd=work)
    for i in range(COPIES):
        _git("update-index", "--add", "--cacheinfo", f"100644,{sha},copies/z{i:04}.bin", cwd=work)
    _git("commit", "-q", "-m", "zeros", cwd=work, date=BEFORE)
    _git("push", "-q", str(remote / ORG / f"{PREFIX}-mallory"), "main", cwd=work)


SCRIPT = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from autograder.classroom.github import fetch_class
roster, into, base = sys.argv[1:4]
got = fetch_class(roster, "course-org", "conv-hw1", into, base=base, progress=lambda line: None)
print(json.dumps({g.login: g.status for g in got}))
"""


def test_a_repository_whose_archive_is_huge_fails_alone(tmp_path):
    remote = tmp_path / "remote"
    _bomb(remote)
    _student_repo(remote, "alice", [(BEFORE, POOLING)])
    (roster := tmp_path / "roster.txt").write_text("mallory\nalice\n")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(roster), str(tmp_path / "class"), remote.as_uri()],
                          capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    statuses = json.loads(done.stdout.splitlines()[-1])
    assert statuses == {"mallory": "failed", "alice": "fetched"}, statuses
