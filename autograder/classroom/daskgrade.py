"""Grade a class on a Dask distributed cluster: ``convcourse grade-class DIR --scheduler ADDRESS``.

``ADDRESS`` is an existing scheduler (``tcp://host:8786``, ``tls://host:8786``) or ``local:N``, a
:class:`distributed.LocalCluster` of N one-thread worker processes on loopback, started for the run and
closed at its end. Dask does the scheduling: it hands submissions to workers as they free up and, when
a worker is lost, regrades what it held on another one.

No shared filesystem is assumed. The client reads each submission's code files (the ones the grader
reads, :func:`~autograder.grading.submission.code_files`) and sends their bytes; the worker writes them to a
private folder under its Dask scratch space and grades them through the hardened path
(:func:`~autograder.grading.grade.grade_path`: the student's code runs in that worker machine's sandboxed
child, never in the Dask worker process) and returns the result as JSON. The client alone computes
fingerprints, keeps the records that verify (those are never sent) and writes every record, with the
functions the local pool uses, so that resume, grades.csv and the gradebook work unchanged.

A submission whose grading kills Dask workers repeatedly (the scheduler's
``distributed.scheduler.allowed-failures`` + 1 of them: Dask then gives up on it with
:class:`distributed.KilledWorker`) is recorded as "could not grade" with the reason; every other
submission goes on. ``local:N`` allows one retry, as the local pool does.

Dask is imported here only inside functions: the grader's start-up does not pay for it.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..grading.results import SubmissionResult
from .classgrade import Graded, _kept, _records, _sweep_dead_workers, _write_records, record_could_not_grade
from .roster import Entry, fingerprint

__all__ = ["ClusterError", "Shipment", "grade_on_dask", "local_workers", "pack"]

#: At most this many bytes of code files are sent for one submission (the loader reads no more either).
MAX_SHIPMENT_BYTES = 64 << 20

#: Submissions packed and sent ahead of the workers, per worker thread: enough to keep every worker busy,
#: few enough that the client never holds a class's files at once.
AHEAD = 2

#: The failures a ``local:N`` cluster allows a submission (then KilledWorker): one retry, like the local pool.
LOCAL_ALLOWED_FAILURES = 1


class ClusterError(Exception):
    """The Dask cluster cannot be used: the scheduler cannot be reached, or its workers cannot grade. The
    message is one line."""


def local_workers(address: str, default: int) -> int | None:
    """N for ``local:N`` (``default`` for a bare ``local``), None for any other address (a scheduler's);
    raises :class:`ClusterError` for a ``local:`` that names no positive count."""
    if address != "local" and not address.startswith("local:"):
        return None
    count = address.partition(":")[2] or str(default)
    if not count.isdigit() or int(count) < 1:
        raise ClusterError(f"--scheduler {address}: expected local:N with N a number of workers, or a scheduler's "
                           "address (tcp://host:8786, tls://host:8786)")
    return int(count)


@dataclass(frozen=True)
class Shipment:
    """What a worker needs of a submission: its code files' bytes. ``name`` is the submission's own file
    or folder name (the grader labels sources and names the student's modules after it); ``single`` says
    it is one file."""

    name: str
    files: tuple[tuple[str, bytes], ...]
    single: bool
    origin: str   # the client's path, to put back in what the worker says


def pack(entry: Entry) -> Shipment:
    """The files of ``entry`` the grader reads, read as it reads them (raises
    :class:`~autograder.grading.submission.SubmissionError` with the reason grading it locally would give)."""
    from ..grading.submission import MAX_NOTEBOOK_BYTES, MAX_SOURCE_BYTES, SubmissionError, code_files, read_file

    def read(f: Path) -> bytes:   # each file with the limit the loader itself applies to its kind
        return read_file(f, MAX_NOTEBOOK_BYTES if f.suffix == ".ipynb" else MAX_SOURCE_BYTES)

    path = entry.path
    if path.is_file():
        return Shipment(path.name, ((path.name, read(path)),), True, str(path))
    files, total = [], 0
    for f in code_files(path) if path.is_dir() else []:
        files.append((f.relative_to(path).as_posix(), read(f)))
        total += len(files[-1][1])
        if total > MAX_SHIPMENT_BYTES:
            raise SubmissionError(f"{entry.key}: its code files hold more than {MAX_SHIPMENT_BYTES >> 20} MiB")
    return Shipment(path.name, tuple(files), False, str(path))


def _unpack(shipment: Shipment, into: Path) -> Path:
    """Write ``shipment`` under ``into``; return the path to grade (the same name as on the client)."""
    top = into / shipment.name
    for rel, data in shipment.files:
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ValueError(f"a file name that leaves the submission: {rel!r}")
        target = into / rel if shipment.single else top.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not shipment.single:
        top.mkdir(exist_ok=True)   # an empty submission is graded (and refused) as the local pool would
    return top


def grade_shipment(shipment: Shipment, student: str, slugs, settings) -> dict:
    """Grade ``shipment`` on this Dask worker; runs in the worker. Returns ``{"result": results JSON}`` or
    ``{"error": why}`` (nothing to record: a rerun tries again), and the seconds it took."""
    from ..grading.grade import grade_path
    from ..grading.submission import SubmissionError

    started = time.perf_counter()
    try:
        from distributed import get_worker

        scratch = get_worker().local_directory   # Dask purges the scratch folders of workers that died
    except (ImportError, ValueError):
        scratch = None
    private = Path(tempfile.mkdtemp(prefix="convcourse-submission.", dir=scratch))
    try:
        path = _unpack(shipment, private)
        try:
            result = grade_path(path, student=student, slugs=slugs, secret=settings.secret, timeout=settings.timeout,
                                perf=settings.perf, policy=settings.policy(), budget=settings.budget)
        except SubmissionError as exc:
            return {"error": str(exc).replace(str(path), shipment.origin), "seconds": time.perf_counter() - started}
        except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the class
            return {"error": f"grader error: {type(exc).__name__}: {str(exc)[:300]}",
                    "seconds": time.perf_counter() - started}
        result.submission = shipment.origin
        return {"result": result.to_json(), "seconds": time.perf_counter() - started}
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _ready(policy) -> str | None:
    """On a worker, before any grading: import the grader (warm) and check the sandbox the settings
    insist on can be had on this machine; the reason it cannot, or None."""
    import autograder.grading.grade  # noqa: F401 - what every submission needs, imported once up front

    from ..sandbox import SandboxUnavailable
    from ..sandbox.isolation import plan_for

    try:
        plan_for(policy)
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def _connect(address: str, workers: int):
    """``(client, cluster or None)`` for ``address``; raises :class:`ClusterError` when it cannot be had."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ClusterError(f"--scheduler needs Dask distributed ({exc}): pip install 'convcourse[cluster]'") from None

    count = local_workers(address, workers)
    if count is not None:
        # One task at a time per worker, so that a worker's death is charged to the submission it was
        # grading alone, and one retry: the local pool's rule.
        with dask.config.set({"distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES,
                              "distributed.scheduler.worker-saturation": 1.0}):
            # The workers are spawned ignoring Ctrl-C (an ignored signal stays ignored across exec): the
            # terminal sends it to the whole group, and only this process should stop them.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
            finally:
                signal.signal(signal.SIGINT, previous)
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(address), None   # Dask's own connect timeout and TLS settings (distributed.comm.*)
    except (OSError, ValueError, TypeError) as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {why[:300]}") from None


def _check_workers(client, address: str, settings) -> int:
    """Wait for a first worker, check every worker there is can grade; return how many threads they have."""
    import sys

    if not client.nthreads():
        print(f"grade-class: waiting for Dask workers to join the scheduler at {address}", file=sys.stderr, flush=True)
        client.wait_for_workers(1)
    try:
        unfit = {w: why for w, why in client.run(_ready, settings.policy()).items() if why}
    except Exception as exc:  # noqa: BLE001 - e.g. a worker without convcourse installed
        raise ClusterError(f"the Dask workers of {address} cannot grade: {type(exc).__name__}: "
                           f"{' '.join(str(exc).split())[:300]}") from None
    if unfit:
        worker, why = sorted(unfit.items())[0]
        raise ClusterError(f"refusing to run student code on the Dask worker {worker} ({len(unfit)} of "
                           f"{len(client.nthreads())} workers cannot isolate it): {why}")
    return sum(client.nthreads().values())


def grade_on_dask(entries: list[Entry], out: Path, settings, address: str, workers: int, done) -> int:
    """Grade ``entries`` on the Dask cluster at ``address``, writing every record here and calling
    ``done(graded)`` for each; return the worker threads the cluster had at the start."""
    from distributed import as_completed

    from ..grading.submission import SubmissionError

    todo = []   # (entry, its fingerprint): what no verifying record keeps; packed only when sent
    for entry in entries:
        fp = fingerprint(entry.path)   # once, here: of the submission as it is when grading starts
        kept = _kept(_records(out, entry), entry, fp, settings)
        if kept is not None:
            done(Graded(entry, "kept", kept))
            continue
        todo.append((entry, fp))
    if not todo:   # nothing to send: no cluster to reach or start
        return local_workers(address, workers) or workers
    client, cluster = _connect(address, workers)
    futures: dict = {}
    local_pids: list[int] = []
    try:
        threads = _check_workers(client, address, settings)
        # a local cluster's worker processes, ours to kill on Ctrl-C (a graceful close waits seconds for them)
        local_pids = list(client.run(os.getpid).values()) if cluster is not None else []
        token = uuid.uuid4().hex[:8]   # keys are the scheduler's, shared by every client of it
        prints, waiting = {}, iter(todo)

        def send():
            """Pack and submit the next submission that can be read; None when none is left."""
            for entry, fp in waiting:
                try:
                    shipment = pack(entry)
                except SubmissionError as exc:
                    done(Graded(entry, "failed", error=str(exc)))
                    continue
                prints[entry] = fp
                future = client.submit(grade_shipment, shipment, entry.student, settings.slugs(entry),
                                       settings, key=f"convcourse-grade-{token}-{entry.key}", pure=False)
                futures[future] = entry
                return future
            return None

        # In class order, a few per worker ahead: Dask hands them out as workers free up, and each one that
        # finishes makes room for the next (a class's files are never all in memory at once).
        started = [f for f in (send() for _ in range(max(AHEAD * threads, 1))) if f is not None]
        finished = as_completed(started)
        for future in finished:
            entry = futures.pop(future)
            done(_outcome(entry, future, out, prints.pop(entry), settings))
            future.release()
            if (following := send()) is not None:
                finished.add(following)
    except BaseException:
        # Ctrl-C (or a failure here): nothing more is started. A remote worker finishes the submission it
        # is grading (within its budget) and its result is dropped; a local cluster is closed below.
        if futures:
            try:
                client.cancel(list(futures), force=True)
            except Exception:  # noqa: BLE001 - the scheduler may be gone already
                pass
        for pid in local_pids:   # their sandboxes die with them (die-with-parent)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        raise
    finally:
        try:
            if client.status != "running":   # the scheduler was lost: closing cancels Dask's reconnecting, which
                logging.getLogger("distributed.client").setLevel(logging.CRITICAL)   # it logs as a traceback
            client.close()
        finally:
            if cluster is not None:
                cluster.close()
                _sweep_dead_workers()
    return threads


def _outcome(entry: Entry, future, out: Path, fp: str, settings) -> Graded:
    """What a finished future means for ``entry``: its records written here, or why there are none."""
    from distributed.scheduler import KilledWorker

    if future.status == "cancelled":
        return Graded(entry, "failed", error="lost with the Dask scheduler (run the same command again to grade it)")
    error = future.exception() if future.status == "error" else None
    if isinstance(error, KilledWorker):
        deaths = error.allowed_failures + 1
        return record_could_not_grade(entry, out, settings,
                                      f"the Dask workers grading it died {deaths} times (killed, or out of memory)")
    if error is not None:
        return Graded(entry, "failed", error=f"worker error: {type(error).__name__}: {str(error)[:300]}")
    answer = future.result()
    if "error" in answer:
        return Graded(entry, "failed", error=answer["error"], seconds=answer["seconds"])
    result = SubmissionResult.from_json(answer["result"])
    folder = _records(out, entry)
    folder.mkdir(parents=True, exist_ok=True)
    _write_records(folder, entry, fp, settings, result)
    return Graded(entry, "graded", result, seconds=answer["seconds"])

