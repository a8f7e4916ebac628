"""The instructors' guide's commands run as written: every ``convcourse`` line parses with the real
command line, and no block leaves the reader in another folder (a ``cd`` outside a subshell would make
the next block's paths wrong)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = [ROOT / "docs" / "instructors.md", ROOT / "README.md"]


def _commands(path: Path) -> list[str]:
    """The shell lines of a document's ``sh`` blocks, comments dropped and continuations joined."""
    lines = []
    for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", path.read_text(), re.S):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: p.name)
def test_every_convcourse_command_of_the_guides_parses(path):
    from autograder.cli import build_parser

    parser = build_parser()
    seen = 0
    for line in _commands(path):
        for part in re.split(r"&&|\|\||;|\|", line.strip("()")):
            words = shlex.split(part.strip())
            if words[:1] == ["convcourse"] and "[-" not in part:   # a synopsis (`[--out DIR]`) is not a command
                seen += 1
                try:
                    parser.parse_args(words[1:])
                except SystemExit:
                    pytest.fail(f"{path.name}: `{part.strip()}` does not parse with convcourse's command line")
    assert seen, f"{path.name} shows no convcourse command"


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: p.name)
def test_no_block_changes_the_readers_folder(path):
    for line in _commands(path):
        if line.startswith("git clone"):
            continue   # the one cd a reader keeps: into the fresh clone
        outside = re.sub(r"\([^()]*\)", "", line)   # a subshell's cd ends with it
        assert not re.search(r"(^|&&|;)\s*cd\s", outside), f"{path.name}: `{line}` leaves the reader in another folder"
