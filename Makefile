# convcourse: every target sets itself up from nothing (Python 3.11+, pip, make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev-course

.PHONY: setup test test-browser chromium bubblewrap demo bench lab course clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,course,cluster]'
	touch $(STAMP)

## setup: .venv with the project, its dev, course and cluster extras (JupyterLab, nbgrader, Dask); Numba kernels compiled;
## bubblewrap, the sandbox that student code runs in
setup: $(STAMP) bubblewrap
	$(BIN)/convcourse warmup

## bubblewrap: Debian's bubblewrap (bwrap) for the grader's sandbox (installed with apt when missing)
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap; } \
	  || echo "bubblewrap could not be installed: convcourse grade will say which isolation layers are missing"; }

## chromium: Debian's Chromium for the browser tests (installed with apt when missing)
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

## test: the whole test suite, the browser tests included
test: setup chromium
	$(BIN)/python -m pytest

## test-browser: only the notebooks in JupyterLab in Chromium (screenshots in tests/browser/artifacts/)
test-browser: setup chromium
	$(BIN)/python -m pytest tests/browser

## demo: the worked examples, the model solutions and three sample submissions graded, a class graded by
## nbgrader and by convcourse side by side, a short benchmark
demo: setup
	$(BIN)/convcourse examples
	@echo
	$(BIN)/convcourse grade solutions --student demo --practice
	@for s in same-plus-one even-kernel-symmetric-crop identity-comparison; do \
	  echo; echo "== tests/submissions/$$s"; \
	  $(BIN)/convcourse grade tests/submissions/$$s --student demo --practice --json - \
	    | $(BIN)/python -c "import json,sys; [print(f\"{e['slug']}: {e['status']}, {e['score']:g}/{e['max_score']:g}\n  {e['message']}\") for e in json.load(sys.stdin)['exercises'] if e['status'] != 'missing']"; \
	done
	@echo
	$(BIN)/python -m autograder.classroom.classdemo
	@echo
	$(BIN)/python benchmarks/run.py --quick

## bench: the full benchmark; writes docs/performance.md (installs PyTorch's CPU build if it lies on disk),
## docs/sandbox.md (what the sandbox costs) and docs/class-grading.md (a class of 200); prints the local pool's and a
## local Dask cluster's throughput on one class (target: Dask within 15%) and notebook 08's
## training run (test accuracy, seconds, BLAS kernel)
bench: setup
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet 'torch==2.13.0+cpu' \
	  || echo "PyTorch's CPU build is not available here: the torch column stays empty"
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/sandbox.py --write docs/sandbox.md
	$(BIN)/python benchmarks/class_run.py --students 200 --kill-at 0.5 --write docs/class-grading.md
	$(BIN)/python benchmarks/class_run.py --students 40 --compare-dask
	$(BIN)/python benchmarks/training.py

## lab: JupyterLab on the student notebooks (start with 01_convolution_by_hand)
lab: setup
	$(BIN)/jupyter lab exercises/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## course: rebuild course/source, solutions/ and exercises/ from course/lessons/ (tests fail on drift)
course: setup
	$(BIN)/convcourse build-course

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
