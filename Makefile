# Two commands on a fresh machine:
#   make lab   set everything up and open the course in JupyterLab
#   make test  set everything up and run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
NOTEBOOKS := course/[0-9]*.ipynb course/instructor/[0-9]*.ipynb
# The learner's own copy of the notebooks, which `make lab` opens (git-ignored).
WORK ?= my-course
# Jupyter refuses to run as root without this; containers, Docker and Codespaces run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with course/nbval-sanitize.cfg
LITE_VENV := build/lite/venv
LITE_BIN := $(abspath $(LITE_VENV))/bin

.PHONY: lab test unit notebook-tests notebooks bench lint clean lite lite-offline lite-serve

$(BIN)/python:
	@echo "Creating the virtual environment $(VENV) with $(PYTHON) ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change (the install is editable, so code changes need none).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(VENV)/.installed-course: pyproject.toml | $(BIN)/python
	@echo "Installing convlab and the course's packages into $(VENV)."
	@echo "TensorFlow alone is a download of about 570 MB, so the first time takes a while;"
	@echo "pip shows what it is doing below. Later runs skip this step."
	$(BIN)/python -m pip install --progress-bar on -e ".[course]"
	touch $@

# Opens JupyterLab at the first notebook of the learner's copy, $(WORK)/: made from the
# learner edition on the first run; later runs add new notebooks but never overwrite one,
# so the learner's work survives `git pull`. Token authentication stays on.
# LAB_ARGS passes extra options (the browser test uses it for a port and a known token).
lab: $(VENV)/.installed-course
	@mkdir -p $(WORK)
	@for notebook in course/[0-9]*.ipynb; do \
		[ -e "$(WORK)/$$(basename $$notebook)" ] || cp "$$notebook" "$(WORK)/"; \
	done
	@echo "Your notebooks are in $(WORK)/, your own copy: updates to course/ never overwrite it."
	cd $(WORK) && $(BIN)/jupyter lab --LabApp.default_url=/lab/tree/00_welcome.ipynb $(ROOT_FLAG) $(LAB_ARGS)

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
