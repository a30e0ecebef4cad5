# Two commands: `make run` (serve the demo on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lock lint messages services browser clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/run_local.py

services:
	@./scripts/test-services.sh

browser:
	@command -v chromium >/dev/null || ./scripts/install-chromium.sh

test: $(STAMP) services browser
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=.local
	DEBUG=true $(PY) manage.py compilemessages -l en --ignore=.venv

lock: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions of every installed package (direct ones are declared in pyproject.toml)."; \
	  echo "# Regenerate with: make lock"; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock
	$(PY) -m pip uninstall --quiet -y lvv-cases

clean:
	rm -rf $(VENV) .pytest_cache
