# The README's commands. Each one sets up what it needs from nothing: a .venv, the package and its
# test tools. Only Python 3.11+ and make must exist beforehand.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: lab test install lint notebooks clean browser-deps fuzz

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

# Debian's Chromium for the browser tests (tests/e2e), when root on Debian/Ubuntu and it is missing.
# Elsewhere it says why and goes on: those tests then skip (and fail under CI=true).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "browser-deps: apt-get could not install chromium; the browser tests will skip"; \
	else echo "browser-deps: no /usr/bin/chromium and no root apt-get to install it;" \
	  "the browser tests will skip"; fi

test: lint browser-deps
	$(PY) -m pytest

# The slow exploratory fuzz run (tests/README.md): thousands of fresh hostile inputs per reader.
# CI runs the same suite with a few dozen derandomized examples as part of `make test`.
fuzz: install
	KIT_FUZZ=explore $(PY) -m pytest -q -p no:cacheprovider tests/fuzz

# Re-execute the guided notebooks in place on the sample case: they are committed with their
# outputs (the worked example, and what nbval compares in `make test`). MPLBACKEND would hide charts.
notebooks: install
	env -u MPLBACKEND $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.store_widget_state=False --ExecutePreprocessor.record_timing=False \
	  --ExecutePreprocessor.kernel_name=python3 notebooks/*.ipynb

# JupyterLab refuses to run as root without --allow-root (containers, lab machines).
lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
