# The README's commands. Each one sets up what it needs from nothing: a .venv, the package and its
# test tools. Only Python 3.11+ and make must exist beforehand.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: lab test install lint notebooks clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check kit tests benchmarks

test: lint
	$(PY) -m pytest

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
