"""Grade a whole class through the hardened path: in parallel, resumable, nothing lost.

Each submission (:mod:`.roster`) is graded by :func:`autograder.grading.grade.grade_path` in a worker process
(the student's code runs in that worker's sandboxed child, never in a worker). Its records go to
``OUT/<student>[/<assignment>]/``: ``results.json`` (convcourse.results/2), ``feedback.html`` and, on
request, the other formats of :data:`~autograder.formats.FORMATS` (``gradescope.json``, ``junit.xml``), each
written atomically; then ``.done`` records the fingerprint of the submission, the grading settings and a
digest of every record, authenticated with a key derived from the course secret (which no child ever sees). A rerun keeps every submission whose
``.done`` verifies and still matches and grades the others, so a run killed at any point loses nothing
and regrades nothing, and a record edited or forged by hand is graded again.

A worker that dies (killed, out of memory) costs the submission it was grading one retry, alone in a
fresh worker; dying again is recorded as "could not grade" with the reason. Every other submission goes
on. ``.grading`` in a record folder names the worker grading it, so that a death is charged to the right
submission.

On a Dask cluster (``scheduler=``, ``--scheduler``) :mod:`.daskgrade` grades instead of the local pool;
this process still writes every record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..formats import FORMATS, to_class_csv
from ..grading.results import SCHEMA, SubmissionResult, shown, write_atomic
from ..sandbox.limits import CALL_SECONDS, SUBMISSION_SECONDS, Containment
from ..sandbox.runtime.protocol import one_line
from .roster import Entry, exercises_for, find_submissions, fingerprint

__all__ = ["Settings", "Graded", "ClassRun", "grade_class", "grade_entry", "summary", "PER_WORKER"]

#: Submissions a worker process grades before a fresh one replaces it.
PER_WORKER = 20

#: The records a submission's folder may hold (``.done`` lists those it has): one file per format.
RECORDS = {fmt.record for fmt in FORMATS}


@dataclass(frozen=True)
class Settings:
    """How every submission of a run is graded (part of each record's ``.done``: change one and the
    affected records are regraded)."""

    perf: bool = True
    timeout: float = CALL_SECONDS
    secret: str | None = None
    formats: tuple[str, ...] = ()   # the formats written beside every record's results.json and feedback.html
    require_sandbox: bool = True
    budget: float = SUBMISSION_SECONDS
    practice: bool = False   # grade with the public practice secret (else a course secret is required)
    #: The notebook whose exercises a student's folder or file is graded on (``04_pooling``); None: the
    #: whole course. nbgrader's submitted/<student>/<assignment>/ names its own.
    assignment: str | None = None

    def slugs(self, entry: Entry) -> list[str] | None:
        """The exercises ``entry`` is graded on."""
        return exercises_for(entry.assignment or self.assignment)

    def policy(self):
        from ..sandbox import Policy

        return Policy(require=self.require_sandbox)

    def resolved(self) -> Settings:
        """These settings with the secret they grade with (raises :class:`~autograder.grading.cases.NoSecret` without one)."""
        from dataclasses import replace

        from ..grading.cases import course_secret

        return replace(self, secret=course_secret(self.practice, self.secret))

    def signature(self) -> str:
        secret = self.secret or ""
        # the extra formats are not here: asking for one more (or one fewer) rewrites the records from the
        # result they hold, without regrading
        return json.dumps({"perf": self.perf, "timeout": self.timeout, "budget": self.budget,
                           "assignment": self.assignment,
                           "secret": hashlib.sha256(secret.encode()).hexdigest()[:16]})


@dataclass
class Graded:
    """What happened to one submission: ``graded`` now, ``kept`` from an earlier run, or ``failed``: the
    grader could not grade it, either with nothing recorded (an unreadable submission: a rerun tries
    again) or, when its worker died twice, with a "could not grade" record (``result`` set)."""

    entry: Entry
    state: str
    result: SubmissionResult | None = None
    error: str = ""
    seconds: float = 0.0


@dataclass
class ClassRun:
    out: Path
    graded: list[Graded] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    assignment: str | None = None   # what a student's folder or file was graded as (Settings.assignment)

    def rows(self) -> list[tuple[str, str, SubmissionResult]]:
        """``(student, assignment or "", result)`` of every submission with a result: what the class CSV
        and the gradebook are written from."""
        return [(g.entry.student, g.entry.assignment or self.assignment or "", g.result)
                for g in self.graded if g.result is not None]


def _records(out: Path, entry: Entry) -> Path:
    return out / entry.key


def _done(folder: Path) -> Path:
    return folder / ".done"


def _grading(folder: Path) -> Path:
    return folder / ".grading"


def _key(settings: Settings) -> bytes:
    """The key that authenticates records: derived from the course secret, held by the grader alone."""
    return hmac.new((settings.secret or "").encode(), b"convcourse records/1", hashlib.sha256).digest()


def _stamp(entry: Entry, fp: str, settings: Settings, records: dict[str, str]) -> str:
    """``.done``'s text: what was graded (``fp``, its fingerprint), how, a digest of each record, and
    the HMAC of all of it."""
    body = {"key": entry.key, "fingerprint": fp, "settings": settings.signature(),
            "records": {name: hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()
                        for name, text in sorted(records.items())}}   # the bytes write_atomic writes
    canonical = json.dumps(body, sort_keys=True)
    return json.dumps(dict(body, hmac=hmac.new(_key(settings), canonical.encode(), hashlib.sha256).hexdigest()))


def _kept(folder: Path, entry: Entry, fp: str, settings: Settings) -> SubmissionResult | None:
    """The earlier run's result, if its ``.done`` verifies, its records are intact and it was for this
    submission as it is now, graded with these settings. When the settings ask for other formats, the
    records are rewritten from that result (no regrading)."""
    try:
        stamp = json.loads(_done(folder).read_text())
        names = set(stamp["records"])
        if "results.json" not in names or not names <= RECORDS:
            return None
        records = {name: (folder / name).read_text() for name in names}
        want = json.loads(_stamp(entry, fp, settings, records))
        if not hmac.compare_digest(str(stamp.get("hmac")), want["hmac"]) or stamp != want:
            return None
        data = json.loads(records["results.json"])
        if data.get("schema") != SCHEMA:   # an older grade model (results/1 counted tiers in max_score)
            return None
        result = SubmissionResult.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if names != _wanted(settings):   # other formats asked for: written from the verified result
        _write_records(folder, entry, fp, settings, result)
    return result


def _wanted(settings: Settings) -> set[str]:
    """The record files a run with ``settings`` writes."""
    return {f.record for f in FORMATS if f.every_record or f.name in settings.formats}


def _write_records(folder: Path, entry: Entry, fp: str, settings: Settings, result: SubmissionResult) -> None:
    _done(folder).unlink(missing_ok=True)
    records = {f.record: f.render(result, f"{entry.key}: feedback") for f in FORMATS
               if f.every_record or f.name in settings.formats}
    for name, text in records.items():
        write_atomic(folder / name, text)
    for name in RECORDS - set(records):   # a format not asked for this time: no stale copy beside the new
        (folder / name).unlink(missing_ok=True)
    write_atomic(_done(folder), _stamp(entry, fp, settings, records))   # last: the records above are complete


def grade_entry(entry: Entry, out: Path, settings: Settings) -> Graded:
    """Grade one submission and write its records, or keep the records of an earlier run if they verify
    and are for the same submission and settings. Runs in a worker process."""
    from ..grading.grade import grade_path
    from ..grading.submission import SubmissionError

    started = time.perf_counter()
    folder = _records(out, entry)
    fp = fingerprint(entry.path)   # once: of the submission as it is when grading starts
    kept = _kept(folder, entry, fp, settings)
    if kept is not None:
        return Graded(entry, "kept", kept)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(_grading(folder), str(os.getpid()))   # who grades it: a death is charged to this entry
    try:
        try:
            result = grade_path(entry.path, student=entry.student, slugs=settings.slugs(entry),
                                secret=settings.secret, timeout=settings.timeout, perf=settings.perf,
                                policy=settings.policy(), budget=settings.budget)
        except SubmissionError as exc:
            return Graded(entry, "failed", error=str(exc), seconds=time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the class
            return Graded(entry, "failed", error=f"grader error: {type(exc).__name__}: {str(exc)[:300]}",
                          seconds=time.perf_counter() - started)
        _write_records(folder, entry, fp, settings, result)
        return Graded(entry, "graded", result, seconds=time.perf_counter() - started)
    finally:
        _grading(folder).unlink(missing_ok=True)


def record_could_not_grade(entry: Entry, out: Path, settings: Settings, reason: str) -> Graded:
    """Record that ``entry`` could not be graded (every exercise ``error``, with ``reason``), so that the
    class's table, gradebook and a rerun see it. Runs in the main process."""
    from ..grading.grade import not_graded

    result = not_graded(entry.path, entry.student, settings.slugs(entry), reason, settings.perf,
                        settings.secret)
    folder = _records(out, entry)
    folder.mkdir(parents=True, exist_ok=True)
    _write_records(folder, entry, fingerprint(entry.path), settings, result)
    _grading(folder).unlink(missing_ok=True)
    return Graded(entry, "failed", result, error=reason)


def _died_grading(out: Path, entry: Entry) -> bool:
    """Whether a worker was grading ``entry`` and is gone (its ``.grading`` names a dead process)."""
    try:
        pid = int(_grading(_records(out, entry)).read_text())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _progress(total: int):
    """A progress bar on a terminal; one line per submission otherwise (CI logs)."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       TextColumn("{task.description}"), transient=True)
        bar.start()
        task = bar.add_task("", total=total)

        def step(g: Graded):
            bar.update(task, advance=1, description=one_line(f"{g.entry.key}: {g.state}"))

        return step, bar.stop
    count = [0]

    def line(g: Graded):
        count[0] += 1
        score = f" {g.result.score_text()}" if g.result else f" ({g.error})"
        print(one_line(f"[{count[0]}/{total}] {g.entry.key}: {g.state}{score}"), file=sys.stderr, flush=True)

    return line, lambda: None


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops them itself (so that an interrupt is never
    mistaken for a worker that died)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(workers: int) -> ProcessPoolExecutor:
    # Fresh processes (not forks of this one): a worker holds nothing of the run but its arguments.
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver"), initializer=_ignore_sigint)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what waits, kill what runs (their sandboxes die with them)."""
    running = list((getattr(pool, "_processes", None) or {}).values())   # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in running:
        try:
            proc.kill()
        except (OSError, AttributeError):
            pass
    for proc in running:
        try:
            proc.join(timeout=2.0)
        except (OSError, AttributeError, AssertionError):
            pass


def _sweep_dead_workers() -> None:
    """Kill what sandboxes of workers that died (or were stopped) left running: a worker killed at the
    wrong moment can leave its sandbox behind, and nobody else would ever kill it."""
    Containment.sweep_stale()


def _recorded_since(out: Path, entry: Entry, since: float) -> bool:
    """Whether ``entry``'s records were completed at or after ``since`` (a wall-clock time)."""
    try:
        return _done(_records(out, entry)).stat().st_mtime >= since - 1.0   # file times may be coarse
    except OSError:
        return False


def _run_pool(entries: list[Entry], out: Path, settings: Settings, workers: int, done) -> list[Entry]:
    """Grade ``entries`` in one pool, calling ``done(graded)`` for each; return those left unfinished
    because a worker died and broke the pool."""
    left = []
    pool = _pool(workers)
    try:
        pending = {pool.submit(grade_entry, e, out, settings): e for e in entries}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                entry = pending.pop(future)
                try:
                    done(future.result())
                except BrokenProcessPool:
                    left.append(entry)
                except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be sent back
                    done(Graded(entry, "failed", error=f"worker error: {type(exc).__name__}: {str(exc)[:300]}"))
    except BaseException:
        _stop(pool)
        _sweep_dead_workers()
        raise
    pool.shutdown(wait=True)
    _sweep_dead_workers()
    return left


def _ignored_by_git(out: Path) -> None:
    """Keep a run's records out of git wherever they are written (students' code and grades, and records
    worth nothing without the secret): the folder ignores itself, as a virtualenv does."""
    out.mkdir(parents=True, exist_ok=True)
    marker = out / ".gitignore"
    if not marker.exists():
        write_atomic(marker, "# convcourse grade-class records: git ignores them (delete this file to commit them)\n*\n")


def grade_class(root, out, settings: Settings = Settings(), workers: int | None = None,
                progress: bool = True, scheduler: str | None = None) -> ClassRun:
    """Grade every submission under ``root`` into ``out`` with ``workers`` processes (default: the
    number of cores), or on the Dask cluster at ``scheduler`` (:mod:`.daskgrade`: ``tcp://host:port``,
    ``tls://host:port``, ``local:N``), then write ``out/grades.csv``. Raises
    :class:`~autograder.grading.submission.SubmissionError` when ``root`` holds no submissions,
    :class:`~autograder.sandbox.SandboxUnavailable` before grading anyone when the isolation the settings
    insist on cannot be had here, and :class:`~autograder.grading.cases.NoSecret` when there is no course secret
    (unless ``settings.practice``); with ``scheduler``, :class:`.daskgrade.ClusterError` when that cluster
    cannot be reached or its workers cannot grade."""
    from ..sandbox.isolation import plan_for

    entries = find_submissions(root)
    settings = settings.resolved()
    workers = max(1, workers or os.cpu_count() or 1)
    if scheduler is not None:
        from .daskgrade import local_workers

        remote = local_workers(scheduler, workers) is None
    if scheduler is None or not remote:   # a remote cluster's workers check their own machines' sandbox
        plan_for(settings.policy())
    out = Path(out)
    _ignored_by_git(out)
    run = ClassRun(out=out, workers=workers, assignment=settings.assignment)
    started = time.perf_counter()
    step, stop = _progress(len(entries)) if progress else (lambda g: None, lambda: None)

    broken, since = Counter(), time.time()   # how many pools broke with each entry in them; this run's start

    def done(graded: Graded) -> None:
        if graded.state == "kept" and broken[graded.entry] and _recorded_since(out, graded.entry, since):
            # its worker recorded it in this run, in a pool that broke before the result came back
            graded = Graded(graded.entry, "graded", graded.result, graded.error, graded.seconds)
        run.graded.append(graded)
        step(graded)

    # A new pool serves each batch of PER_WORKER submissions per worker, so that a class of any size runs
    # in flat memory. (Python 3.11's own max_tasks_per_child stalls once the first workers retire.)
    queue, batch = list(entries) if scheduler is None else [], workers * PER_WORKER
    try:
        if scheduler is not None:
            from .daskgrade import grade_on_dask

            run.workers = grade_on_dask(entries, out, settings, scheduler, workers, done)
        while queue:
            left = _run_pool(queue[:batch], out, settings, workers, done)
            queue = queue[batch:]
            # A dead worker broke its pool: what it was grading gets one retry alone, in a fresh worker
            # (so that a second death is surely its own); what was still waiting goes back in the queue
            # (three times at most: then it is retried alone too).
            broken.update(left)
            suspects = [e for e in left if _died_grading(out, e) or broken[e] >= 3]
            queue = [e for e in left if e not in suspects] + queue
            for entry in suspects:
                if _run_pool([entry], out, settings, 1, done):
                    done(record_could_not_grade(entry, out, settings, "the process grading it died twice (killed, "
                                                                      "or out of memory)"))
    finally:
        stop()
    order = {e.key: i for i, e in enumerate(entries)}
    run.graded.sort(key=lambda g: order[g.entry.key])
    run.seconds = time.perf_counter() - started
    write_atomic(out / "grades.csv", to_class_csv(run.rows()))
    return run


def _histogram(percents: list[float], width: int = 40) -> list[str]:
    bins = Counter(min(int(p // 10), 9) for p in percents)
    most = max(bins.values(), default=1)
    # the last bin holds 100% and above too: tier points are extra credit
    labels = [f"{10 * b:>3}-{10 * b + 10:<3}%" for b in range(9)] + [" 90%+   "]
    return [f"  {labels[b]} | {'#' * round(width * bins[b] / most):<{width}} {bins[b]}" for b in range(10)]


def what_went_wrong(g: Graded, limit: int = 160) -> str:
    """One line: why this submission lost points (each exercise not passed, with its main diagnosis or
    status), or why it could not be graded; "" when nothing went wrong."""
    if g.result is None or g.state == "failed":   # not graded: every exercise would say the same
        line = one_line(f"FAILED: {g.error}")
        return line if len(line) <= limit else line[:limit - 3] + "..."
    parts, broken = [], Counter()
    for e in g.result.exercises:
        broken.update(r.id for r in e.rules if not r.passed)
        if e.status == "passed":
            continue
        why = e.diagnoses[0] if e.diagnoses else ("borrowed answer" if e.borrowed else "")
        if not why and e.status == "failed":
            why = f"{e.passed}/{e.total} cases"
        if not why and e.status == "error":   # what happened, in a few words: "could not be loaded: ModuleNotFoundError"
            head = e.message.split(". ")[0].removeprefix(f"`{e.slug}` ")
            raised = head.split(" raised ", 1)[1].split(":")[0] if " raised " in head else ""
            why = (f"{head.split(':')[0]}: {raised}" if raised else head)[:70]
        parts.append(f"{e.slug} {e.status}" + (f" ({why})" if why else ""))
    if broken:
        parts.append("rules broken: " + ", ".join(f"{rule} ({n})" if n > 1 else rule for rule, n in broken.items()))
    line = one_line("; ".join(parts))
    if line:
        line = f"{shown(g.result.score)}/{shown(g.result.max_score)}: {line}"
    return line if len(line) <= limit else line[:limit - 3] + "..."


def summary(run: ClassRun) -> str:
    """The end-of-run report: counts, throughput, score histogram, tiers and the common diagnoses."""
    states = Counter(g.state for g in run.graded)
    results = [g.result for g in run.graded if g.result is not None]
    graded_now = states.get("graded", 0)
    rate = graded_now / (run.seconds / 60) if run.seconds and graded_now else 0.0
    lines = [f"grade-class: {len(run.graded)} submissions: {graded_now} graded, {states.get('kept', 0)} kept "
             f"from an earlier run, {states.get('failed', 0)} failed; {run.seconds:.0f} s with {run.workers} "
             f"worker(s), {rate:.1f} graded a minute"]
    if results:
        lines.append("scores (percent of the maximum):")
        lines += _histogram([100 * r.score / r.max_score if r.max_score else 0 for r in results])
        tiers = Counter(e.tier for r in results for e in r.exercises if e.tier)
        if tiers:
            lines.append("tiers: " + ", ".join(f"{t} {tiers[t]}" for t in
                                               ("reference-class", "fast", "vectorized", "loops", "too-slow")
                                               if tiers[t]))
        diagnoses = Counter(d for r in results for e in r.exercises for d in e.diagnoses[:1])
        if diagnoses:
            lines.append("most common diagnoses: " + ", ".join(f"{d} ({n})" for d, n in diagnoses.most_common(5)))
    problems = [(g.entry.key, line) for g in run.graded if (line := what_went_wrong(g))]
    if problems:
        lines.append("what went wrong, per submission:")
        width = max(len(key) for key, _ in problems)
        lines += [f"  {key:<{width}}  {line}" for key, line in problems]
    lines.append(f"records: {run.out}/<student>/.../results.json and feedback.html; class table {run.out / 'grades.csv'}")
    return "\n".join(lines)
