"""The notebooks as students see them: JupyterLab in Chromium (Debian's package), driven by Playwright.

A JupyterLab server runs on a temporary copy of the course: ``blank/`` (the student release as handed
out) and ``solved/`` (the release with the model answers typed into its solution cells, as a student who
finished would have it). Each notebook is opened, run with Run All, and checked for what a student would
see; a screenshot of each is saved in ``tests/browser/artifacts/`` (git-ignored). A blank notebook shows no
answer of a by-hand exercise anywhere on the page (:mod:`tests.browser.answers`); the cells whose pictures
show one draw only in the solved copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.answers import GATE_NOTE, answer_sequences, shown

playwright = pytest.importorskip("playwright.sync_api", reason="the dev extra (make setup installs it)")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NAMES = [p.stem for p in sorted((ROOT / "course" / "lessons").glob("[0-9][0-9]_*.py"))]
TOKEN = "convcourse-browser-test"

pytestmark = pytest.mark.slow


def _solved(name: str) -> dict:
    """The student release of ``name`` with the model answers in its solution cells."""
    release = json.loads((ROOT / "exercises" / name / f"{name}.ipynb").read_text())
    source = json.loads((ROOT / "course" / "source" / name / f"{name}.ipynb").read_text())
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in release["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = [ln for ln in answers[meta["grade_id"]] if "SOLUTION" not in ln]
    return release


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on blank/ and solved/ copies; yields its base URL. Stopped by PID at the end."""
    work = tmp_path_factory.mktemp("lab")
    for name in NAMES:
        (work / "blank" / name).mkdir(parents=True)
        shutil.copy(ROOT / "exercises" / name / f"{name}.ipynb", work / "blank" / name)
        (work / "solved" / name).mkdir(parents=True)
        (work / "solved" / name / f"{name}.ipynb").write_text(json.dumps(_solved(name)))
    settings = work / ".settings" / "@jupyterlab"
    for extension, plugin, values in [("apputils-extension", "notification", {"fetchNews": "false"}),
                                      ("notebook-extension", "tracker", {"windowingMode": "none"})]:
        (settings / extension).mkdir(parents=True, exist_ok=True)
        (settings / extension / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    log = open(work / "server.log", "w")
    server = subprocess.Popen(
        [str(bin_dir / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.root_dir={work}", f"--IdentityProvider.token={TOKEN}",
         f"--LabApp.user_settings_dir={work / '.settings'}", "--expose-app-in-browser", "--allow-root"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"JupyterLab did not start:\n{(work / 'server.log').read_text()[-3000:]}")
            time.sleep(0.3)
    yield url
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:   # one server once ignored SIGTERM
        server.kill()
        server.wait()
    log.close()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


def _open_and_run(browser, lab, folder: str, name: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # a workspace of its own, reset: no tab of an earlier test comes back
    page.goto(f"{lab}/lab/workspaces/{folder}-{name}/tree/{folder}/{name}/{name}.ipynb?reset&token={TOKEN}")
    # The toolbar says "idle" before the kernel is connected, and Run All sent then is dropped: wait
    # until the debugger button is enabled, which happens once the kernel is really there.
    page.wait_for_selector('.jp-DebuggerBugButton[aria-disabled="false"]', timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('runmenu:run-all')")   # no default shortcut
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent);
        return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
    }""", timeout=300_000)
    return page


def _close(page, lab) -> None:
    """Close the page and shut its kernel down (a dozen idle kernels would crowd the machine)."""
    page.close()
    headers = {"Authorization": f"token {TOKEN}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab}/api/sessions", headers=headers)) as r:
        sessions = json.load(r)
    for session in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{lab}/api/sessions/{session['id']}", method="DELETE",
                                                      headers=headers))


def _screenshot(page, label: str) -> None:
    height = page.evaluate("Math.max(...[...document.querySelectorAll("
                           "'.jp-NotebookPanel-notebook, .jp-NotebookPanel-notebook .jp-WindowedPanel-outer, "
                           ".jp-NotebookPanel-notebook .jp-WindowedPanel-inner')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 150, 16_000)})
    page.evaluate("document.querySelectorAll('.jp-NotebookPanel-notebook, .jp-WindowedPanel-outer')"
                  ".forEach(e => { e.scrollTop = 0; })")   # Run All left it scrolled to the last cell
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{label}.png"))


def _graded_cells(name: str) -> int:
    nb = json.loads((ROOT / "exercises" / name / f"{name}.ipynb").read_text())
    return sum(1 for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade"))


def _points(name: str) -> list[str]:
    nb = json.loads((ROOT / "exercises" / name / f"{name}.ipynb").read_text())
    return [f"Points: {c['metadata']['nbgrader']['points']:g} of {c['metadata']['nbgrader']['points']:g}"
            for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]


def _no_errors(page) -> None:
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert errors.count() == 0, errors.first.text_content()[:500]


def _gated(page):
    """The code cells whose picture shows an exercise's answer (they ask ``figures.answered`` first)."""
    return page.locator(".jp-CodeCell").filter(has_text="figures.answered(")


def _drawn(cell) -> int:
    return cell.locator(".jp-OutputArea-output img, .jp-OutputArea-output .widget-interact").count()


@pytest.mark.parametrize("name", NAMES)
def test_a_blank_notebook_runs_and_says_not_implemented(lab, browser, name):
    page = _open_and_run(browser, lab, "blank", name)
    try:
        _no_errors(page)
        # the figures rendered (but not yet those of a by-hand answer: notebook 5 draws one picture blank)
        assert page.locator(".jp-RenderedImage img").count() >= 1
        graded = page.locator(".jp-CodeCell").filter(has_text="# Autograded:")
        assert graded.count() == _graded_cells(name)
        for i in range(graded.count()):
            text = graded.nth(i).text_content()
            assert "Not implemented yet" in text and "Points: 0 of" in text, text[:300]
        # no answer before the student's passes: not printed, not in the prose, not drawn
        page_text = page.locator(".jp-NotebookPanel-notebook").text_content()
        for seq in answer_sequences(name):
            assert not shown(seq, page_text), f"the blank {name} shows the answer {seq}"
        gated = _gated(page)
        for i in range(gated.count()):
            assert GATE_NOTE in gated.nth(i).text_content() and _drawn(gated.nth(i)) == 0
        if answer_sequences(name):
            assert gated.count() > 0, "a by-hand notebook gates the pictures of its answers"
        _screenshot(page, f"{name}-blank")
    finally:
        _close(page, lab)


@pytest.mark.parametrize("name", NAMES)
def test_a_solved_notebook_earns_full_marks_and_validates(lab, browser, name):
    page = _open_and_run(browser, lab, "solved", name)
    try:
        _no_errors(page)
        assert page.locator(".jp-RenderedImage img").count() >= 2          # the figures rendered
        text = page.locator(".jp-NotebookPanel-notebook").text_content()
        for want in _points(name):
            assert want in text, want
        if "perf=True" in (ROOT / "course" / "lessons" / f"{name}.py").read_text():
            assert re.search(r"tier (reference-class|fast|vectorized|loops)", text) and "Tier:" in text
        gated = _gated(page)                     # answered: the pictures of the answers are drawn
        for i in range(gated.count()):
            assert GATE_NOTE not in gated.nth(i).text_content() and _drawn(gated.nth(i)) > 0
        _screenshot(page, f"{name}-solved")
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.get_by_role("button", name="Validate").click()              # nbgrader's toolbar button
        page.wait_for_function(
            "() => /Success|failed|FAILED|error/.test(document.querySelector('.jp-Dialog')?.textContent || '')",
            timeout=300_000)
        assert "Success! Your notebook passes all the tests." in page.locator(".jp-Dialog").text_content()
    finally:
        _close(page, lab)


def test_the_slider_moves_the_window(lab, browser):
    page = _open_and_run(browser, lab, "solved", NAMES[0])   # blank, it waits for the by-hand answer
    try:
        picture = page.locator(".widget-interact img").first
        before = picture.get_attribute("src")
        page.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "(before) => { const img = document.querySelector('.widget-interact img');"
            " return img && img.getAttribute('src') !== before; }", arg=before, timeout=30_000)
        assert page.locator(".widget-readout").first.text_content().strip() == "1"
    finally:
        _close(page, lab)
