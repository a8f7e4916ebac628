"""Fetch a GitHub Classroom assignment's repositories into a class folder for ``convcourse grade-class``.

GitHub Classroom gives each student a repository ``<org>/<prefix>-<login>``. ``convcourse fetch-class``
reads the roster (Classroom's exported ``classroom_roster.csv``, or one login a line), clones each
student's repository and writes its files, at the chosen commit, to ``<into>/<login>/``: the layout
``grade-class`` grades, the folder's name being the student id that seeds that student's hidden cases.

A repository that is missing or cannot be cloned is reported, never fatal: the others are still fetched.
Nothing here runs student code; the files are unpacked with :mod:`tarfile`'s ``data`` filter, so a
student's symlink cannot point the grader at a file outside their folder (such links are left out).
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Fetched", "RosterError", "read_roster", "parse_deadline", "git_env", "fetch_class", "add_arguments", "main"]

#: Where repositories are cloned from: ``$CONVCOURSE_CLONE_BASE/<org>/<repository>``. Actions sets it to
#: ``github.server_url`` (GitHub Enterprise works too); the tests point it at local bare repositories.
CLONE_BASE_ENV = "CONVCOURSE_CLONE_BASE"
DEFAULT_CLONE_BASE = "https://github.com"
#: A token that can read the organisation's repositories (sent as an HTTP header, never in a URL or argv).
TOKEN_ENV = "CONVCOURSE_CHECKOUT_TOKEN"

# GitHub's rule for logins; anything else in a roster is reported, and never becomes a path
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_GIT_SECONDS = 300          # one clone; a huge or stalled repository fails alone
_MAX_ARCHIVE_BYTES = 200 * 1024 * 1024


class RosterError(Exception):
    """The roster cannot be read, or names no student."""


@dataclass
class Fetched:
    """What happened to one rostered student.

    ``status`` is ``fetched``, ``missing`` (no such repository, or the token cannot see it), ``failed``,
    ``no commit before the deadline``, ``not linked`` (a Classroom roster entry with no GitHub account
    yet) or ``invalid login``; ``detail`` says why when it is not ``fetched``.
    """

    login: str
    repository: str = ""
    status: str = "fetched"
    commit: str | None = None
    committed: str | None = None     # the commit's committer date, ISO 8601
    detail: str = ""


def read_roster(path: str | Path) -> tuple[list[str], list[Fetched]]:
    """The logins a roster names, in order and without repeats, and the entries that name none.

    A file whose first line has a ``github_username`` column is read as GitHub Classroom's roster export
    (columns ``identifier``, ``github_username``, ``github_id``, ``name``): a row with an empty
    ``github_username`` is a student who has not linked an account, reported by identifier. Any other
    file holds one login a line (``#`` comments and blank lines ignored, a leading ``@`` dropped).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")   # Excel's BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}") from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    names: list[str] = []
    problems: list[Fetched] = []
    if "github_username" in [c.strip().strip('"') for c in first.split(",")]:
        for row in csv.DictReader(io.StringIO(text)):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if row.get("github_username"):
                names.append(row["github_username"])
            else:
                who = row.get("identifier") or row.get("name") or "(a row without identifier)"
                problems.append(Fetched(who, status="not linked",
                                        detail="no GitHub account linked to this roster entry yet"))
    else:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip().lstrip("@")
            if line:
                names.append(line)
    logins, seen = [], set()
    for name in names:
        if not _LOGIN.match(name):
            problems.append(Fetched(name, status="invalid login", detail="not a GitHub login"))
        elif name.lower() not in seen:       # GitHub logins ignore case
            seen.add(name.lower())
            logins.append(name)
    if not logins and not problems:
        raise RosterError(f"the roster {path} names no student")
    return logins, problems


def parse_deadline(text: str) -> datetime | None:
    """An ISO 8601 time (``2025-03-01T23:59:00+01:00``, ``2025-03-01 23:59``, ``2025-03-01``; UTC when it
    names no zone), or None for an empty one. git's own date parser is not used: it reads a typo as
    "now", which would silently grade every repository's latest commit."""
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"deadline {text!r} is not an ISO 8601 time such as 2025-03-01T23:59:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def git_env(base: str, token: str | None, environ: dict | None = None) -> dict:
    """git's environment: never prompting (a missing repository must fail, not wait for a password),
    and with ``token`` sent as an ``Authorization`` header to ``base`` only, the way actions/checkout
    sends it. The header goes in through ``GIT_CONFIG_*`` so that the token is in no URL, no argument
    list and no ``.git/config``."""
    env = dict(os.environ if environ is None else environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="", GIT_LFS_SKIP_SMUDGE="1")
    if token and base.startswith(("https://", "http://")):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"http.{base.rstrip('/')}/.extraheader",
                   GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {basic}")
    return env


def _git(args: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], env=env, capture_output=True, timeout=_GIT_SECONDS, **kw)


def _why(done: subprocess.CompletedProcess) -> str:
    """git's first ``fatal:`` line, else its last line (the token is in no URL, so git cannot echo it)."""
    lines = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal:")]
    return one_line((fatal or lines or [f"git exited with status {done.returncode}"])[0 if fatal else -1])


#: At most this many files in one student's repository (a tree can name one blob a million times).
_MAX_FILES = 20000


def one_line(text: str) -> str:
    """:func:`autograder.sandbox.runtime.protocol.one_line`, imported when first needed (it brings numpy,
    which this module's command line does not otherwise need)."""
    from ..sandbox.runtime.protocol import one_line as _one_line

    return _one_line(text)


def cell(text: str) -> str:
    """``text`` as one cell of a Markdown table: one line, no HTML, no ``|`` (``\\|``), no backticks."""
    from html import escape

    return escape(one_line(text), quote=False).replace("|", "\\|").replace("`", "'")


def _too_big(bare: Path, commit: str, env: dict) -> str:
    """Why the tree of ``commit`` is too big to unpack ("" when it is not), from its blobs' sizes: read
    before ``git archive`` writes a byte, since a small push can name one large blob many times."""
    listing = subprocess.run(["git", "--git-dir", str(bare), "ls-tree", "-r", "-l", "-z", commit], env=env,
                             capture_output=True, timeout=_GIT_SECONDS)
    if listing.returncode:
        return _why(listing)
    entries = [e for e in listing.stdout.split(b"\0") if e]
    if len(entries) > _MAX_FILES:
        return f"more than {_MAX_FILES} files"
    total = sum(int(fields[3]) for e in entries if len(fields := e.split(b"\t", 1)[0].split()) == 4
                and fields[3].isdigit())
    return f"its files hold more than {_MAX_ARCHIVE_BYTES >> 20} MB" if total > _MAX_ARCHIVE_BYTES else ""


def _fetch_one(login: str, url: str, dest: Path, env: dict, deadline: datetime | None, ref: str) -> Fetched:
    got = Fetched(login, repository=url)
    with tempfile.TemporaryDirectory(prefix="convcourse-clone-") as scratch:
        bare = Path(scratch) / "repo.git"
        done = _git(["clone", "--bare", "--quiet", "--", url, str(bare)], env)
        if done.returncode:
            # GitHub answers "not found" for a repository the token may not read, too: both are "missing"
            missing = re.search(r"not found|does not exist|does not appear to be a git repository|"
                                r"could not read Username|Authentication failed",
                                done.stderr.decode("utf-8", "replace"), re.I)
            got.status, got.detail = ("missing" if missing else "failed"), _why(done)
            return got
        wanted = ref or "HEAD"
        before = [f"--before={deadline.isoformat()}"] if deadline else []
        done = _git(["--git-dir", str(bare), "rev-list", "-1", "--first-parent", *before, wanted, "--"], env)
        if done.returncode:
            got.status, got.detail = "failed", f"no {wanted!r} in the repository ({_why(done)})"
            return got
        commit = done.stdout.decode().strip()
        if not commit:
            got.status = "no commit before the deadline"
            got.detail = f"every commit of {wanted} is after {deadline.isoformat()}"
            return got
        got.commit = commit
        got.committed = _git(["--git-dir", str(bare), "show", "-s", "--format=%cI", commit], env).stdout.decode().strip()
        if why := _too_big(bare, commit, env):
            got.status, got.detail = "failed", why
            return got
        # git archive rather than a checkout: no work tree, hooks or .git in the class folder; to a file,
        # so that memory never holds it
        tar_path = Path(scratch) / "commit.tar"
        archive = subprocess.run(["git", "--git-dir", str(bare), "archive", "--format=tar", f"--output={tar_path}",
                                  commit], env=env, capture_output=True, timeout=_GIT_SECONDS)
        if archive.returncode or tar_path.stat().st_size > _MAX_ARCHIVE_BYTES + (64 << 20):   # + tar headers
            got.status = "failed"
            got.detail = _why(archive) if archive.returncode else f"more than {_MAX_ARCHIVE_BYTES >> 20} MB"
            return got
        dest.mkdir(parents=True)
        left_out = []

        def _safe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
            # the data filter refuses links out of dest, absolute paths and devices: leave those out alone
            try:
                return tarfile.data_filter(member, path)
            except tarfile.FilterError:
                left_out.append(member.name)
                return None

        try:
            with tarfile.open(tar_path) as tar:
                tar.extractall(dest, filter=_safe)
        except (tarfile.TarError, OSError) as exc:
            shutil.rmtree(dest, ignore_errors=True)
            got.status, got.detail, got.commit = "failed", f"cannot unpack: {exc}", None
        if left_out:
            got.detail = "left out, as they point outside the repository: " + ", ".join(map(one_line, left_out))
    return got


def fetch_class(roster: str | Path, org: str, prefix: str, into: str | Path, *, deadline: datetime | None = None,
                ref: str = "", base: str | None = None, token: str | None = None,
                progress=print) -> list[Fetched]:
    """Clone ``<base>/<org>/<prefix>-<login>`` of every rostered login into ``into/<login>/``, at the last
    commit of ``ref`` (default: the default branch) no later than ``deadline`` (committer dates, first
    parents). Returns one :class:`Fetched` per roster entry, problems included, in roster order."""
    base = (base or os.environ.get(CLONE_BASE_ENV) or DEFAULT_CLONE_BASE).rstrip("/")
    logins, problems = read_roster(roster)
    into = Path(into)
    if into.exists() and any(into.iterdir()):
        raise RosterError(f"{into} is not empty: fetch into a new folder, so that no earlier run's student "
                          "is graded with this one")
    into.mkdir(parents=True, exist_ok=True)
    env = git_env(base, token)
    out = []
    for login in logins:
        url = f"{base}/{org}/{prefix}-{login}"
        try:
            got = _fetch_one(login, url, into / login, env, deadline, ref)
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(into / login, ignore_errors=True)
            got = Fetched(login, url, "failed", detail=f"git took more than {exc.timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - one repository, whatever it holds, never stops the others
            shutil.rmtree(into / login, ignore_errors=True)
            got = Fetched(login, url, "failed", detail=one_line(f"could not be fetched: {type(exc).__name__}: {exc}"[:300]))
        progress(f"{login}: {got.status}" + (f" {got.commit[:12]} ({got.committed})" if got.commit else "")
                 + (f": {got.detail}" if got.detail else ""))
        out.append(got)
    for problem in problems:
        progress(f"{problem.login}: {problem.status}: {problem.detail}")
    return out + problems


def _markdown(results: list[Fetched], prefix: str, deadline: datetime | None, ref: str) -> str:
    fetched = [r for r in results if r.status == "fetched"]
    at = f" at the last commit before {deadline.isoformat()}" if deadline else " at their latest commit"
    lines = [f"## convcourse fetch-class: {len(fetched)} of {len(results)} repositories of `{prefix}` fetched"
             f"{at}{f' of `{ref}`' if ref else ''}\n"]
    problems = [r for r in results if r.status != "fetched"]
    if problems:
        lines += ["| login | repository | problem |", "|---|---|---|"]
        lines += [f"| {r.login} | {r.repository or '-'} | {r.status}: {cell(r.detail)} |" for r in problems]
    return "\n".join(lines) + "\n\n"     # a blank line ends the table before the next step's heading


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``convcourse fetch-class``'s options."""
    p.add_argument("roster", help="GitHub Classroom's classroom_roster.csv, or a file of one GitHub login a line")
    p.add_argument("--org", required=True, help="the organisation that holds the assignment's repositories")
    p.add_argument("--prefix", required=True, help="the assignment's repository prefix, e.g. conv-hw1 for conv-hw1-<login>")
    p.add_argument("--into", default="class", help="the class folder to create (default: class); one folder per login")
    p.add_argument("--deadline", default="", metavar="WHEN",
                   help="take each repository's last commit before this ISO 8601 time (UTC without a zone)")
    p.add_argument("--ref", default="", help="the branch or tag to take (default: each repository's default branch)")
    p.add_argument("--manifest", metavar="FILE", help="write what was fetched (login, commit, status) as JSON")
    p.add_argument("--summary", metavar="FILE", help="append a Markdown report (e.g. $GITHUB_STEP_SUMMARY)")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    """Exit 0 when at least one repository was fetched, 1 when none was, 2 when the command cannot run."""
    if not args.prefix.strip() or not args.org.strip():
        print("convcourse fetch-class: the organisation and the assignment prefix must not be empty",
              file=sys.stderr)
        return 2
    try:
        deadline = parse_deadline(args.deadline)
        token = os.environ.get(TOKEN_ENV) or None
        if token is None:
            print(f"convcourse fetch-class: {TOKEN_ENV} is not set: cloning with git's own credentials, if any",
                  file=sys.stderr)
        results = fetch_class(args.roster, args.org.strip(), args.prefix.strip(), args.into, deadline=deadline,
                              ref=args.ref.strip(), token=token)
    except (ValueError, RosterError) as exc:
        print(f"convcourse fetch-class: {exc}", file=sys.stderr)
        return 2
    if args.manifest:
        Path(args.manifest).write_text(json.dumps({
            "prefix": args.prefix.strip(), "deadline": deadline.isoformat() if deadline else None,
            "ref": args.ref.strip() or None, "students": [asdict(r) for r in results]}, indent=2) + "\n")
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as f:
            f.write(_markdown(results, args.prefix.strip(), deadline, args.ref.strip()))
    if not any(r.status == "fetched" for r in results):
        print("convcourse fetch-class: no repository could be fetched: check the organisation, the prefix and "
              f"that {TOKEN_ENV} can read them", file=sys.stderr)
        return 1
    return 0
