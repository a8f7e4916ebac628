import os
import stat
import threading

from autograder.grading.results import write_atomic


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    """``--json /dev/stdout`` or ``/dev/null`` must work as a shell's ``>`` would: a temporary file renamed
    onto a device would replace the device itself (for root, /dev/null for the whole machine). A FIFO is the
    non-regular file a test can make without root."""
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    write_atomic(fifo, '{"score": 1}\n')
    reader.join(timeout=10)
    assert got == ['{"score": 1}\n']
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.fifo"]   # no temporary file left


def test_a_regular_file_is_replaced_whole(tmp_path):
    target = tmp_path / "out" / "results.json"
    write_atomic(target, "old")
    inode = os.stat(target).st_ino
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert os.stat(target).st_ino != inode   # renamed into place, not rewritten in place
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]
