# Two commands on a fresh machine:
#   make lab   set everything up and open the course in JupyterLab
#   make test  set everything up and run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
NOTEBOOKS := course/[0-9]*.ipynb course/instructor/[0-9]*.ipynb
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with course/nbval-sanitize.cfg
LITE_VENV := build/lite/venv
LITE_BIN := $(abspath $(LITE_VENV))/bin

.PHONY: lab test unit notebook-tests notebooks bench lint clean lite lite-offline lite-serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change (the install is editable, so code changes need none).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(VENV)/.installed-course: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[course]"
	touch $@

# Opens JupyterLab on course/ at the first notebook; token authentication stays on.
# LAB_ARGS passes extra options (the browser test uses it for a port and a known token).
lab: $(VENV)/.installed-course
	cd course && $(BIN)/jupyter lab --LabApp.default_url=/lab/tree/00_welcome.ipynb $(LAB_ARGS)

# The course extras too: the browser test starts `make lab`.
test: $(VENV)/.installed-test $(VENV)/.installed-course
	$(BIN)/ruff check .
	$(MAKE) unit notebook-tests

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# Both editions, re-executed and compared with their stored outputs (strict).
notebook-tests: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS)

# Rebuild both editions from course/src and execute them (after editing a source).
notebooks: $(VENV)/.installed-test
	$(BIN)/python -m convlab.course

# The course in the browser (JupyterLite): notebooks 00-04 as a static site in build/lite/site.
# Its build tools live in their own environment (pinned: see the "lite" extra in pyproject.toml).
$(LITE_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_BIN)/python -m pip install --quiet --upgrade pip
	$(LITE_BIN)/python -m pip install --quiet -e ".[lite]"
	touch $@

# Pyodide's compiled packages (NumPy, matplotlib, ...) load from Pyodide's CDN.
lite: $(LITE_VENV)/.installed
	$(LITE_BIN)/python -m convlab.lite

# Everything bundled and checked: for classrooms without internet, and for CI.
lite-offline: $(LITE_VENV)/.installed
	$(LITE_BIN)/python -m convlab.lite --offline

# Serve the built site on http://127.0.0.1:8000/ (any static web server will do).
lite-serve:
	$(LITE_BIN)/python -m convlab.lite --serve 8000

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/conv.py
	$(BIN)/python benchmarks/widgets.py

clean:
	rm -rf $(VENV) build *.egg-info
