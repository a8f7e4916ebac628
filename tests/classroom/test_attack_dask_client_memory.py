"""--scheduler: the client reads every submission's bytes into memory before it sends any of them.

Attack: ``grade_on_dask`` packs *all* submissions (``pack``: every code file, read whole) before it
connects, and ``pack`` reads ``.py`` files with the notebook limit (32 MiB) where the grader itself allows
2 MiB (``MAX_SOURCE_BYTES``; the local pool refuses such a file without reading it). Mallory hands in
200 ``.py`` files of 32 MiB (sparse files, or zeros that git or a zip compresses to nothing): 6.4 GB.

Harm: the machine running ``grade-class`` holds all of it (and then pickles it for the scheduler) before
a single submission is graded: it runs out of memory and the class run dies, on every rerun, since no
record is written before the packing ends. Here 12 files of 31 MiB (372 MiB) are enough to see it:
the packing phase's peak is measured with tracemalloc, the cluster never reached.
"""

from __future__ import annotations

import os
import tracemalloc

import pytest

from autograder.classroom import daskgrade
from autograder.classroom.classgrade import Settings
from autograder.classroom.daskgrade import ClusterError
from autograder.classroom.roster import find_submissions

FILES, SIZE = 12, 31 << 20


def test_packing_a_class_does_not_hold_a_students_oversized_files(tmp_path, monkeypatch):
    root = tmp_path / "class"
    (root / "bob").mkdir(parents=True)
    (root / "bob" / "a.py").write_text("def pool(images, k, s):\n    return images\n")
    (root / "mallory").mkdir()
    for i in range(FILES):
        with open(root / "mallory" / f"m{i:03}.py", "wb") as f:   # sparse: no disk used
            f.truncate(SIZE)
    assert os.path.getsize(root / "mallory" / "m000.py") == SIZE

    def no_cluster(address, workers):
        raise ClusterError("not reached in this test")

    monkeypatch.setattr(daskgrade, "_connect", no_cluster)
    settings = Settings(practice=True, perf=False).resolved()
    tracemalloc.start()
    try:
        with pytest.raises(ClusterError):
            daskgrade.grade_on_dask(find_submissions(root), tmp_path / "out", settings, "tcp://127.0.0.1:1", 1,
                                    lambda graded: None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, f"the client held {peak / 2**20:.0f} MiB of one student's files before grading anyone"
