# Two commands: `make run` (serve the demo on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test coverage install lock lint messages services browser clean settings-docs

# A development install: runtime and dev packages (requirements-dev.lock). The Docker image
# installs requirements.lock, the runtime packages only.
$(STAMP): requirements-dev.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/run_local.py

services:
	@./scripts/test-services.sh

browser:
	@command -v chromium >/dev/null || ./scripts/install-chromium.sh

# The suite runs on every core (pytest-xdist; each worker creates its own test database).
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

# Lint first (seconds), so CI fails fast on style, complexity or a missing migration.
test: $(STAMP) services browser lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

# The whole suite with line coverage of the apps (pyproject.toml [tool.coverage]): fails when it
# is below the floor (95 %). Slower than `make test` (the tracing).
coverage: $(STAMP) services browser lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term

# Style, complexity, formatting, a model change without its migration, and types (mypy on the
# services, selectors, access policy and API: pyproject.toml [tool.mypy]). mypy loads the test
# settings; the database URL it gets is never connected to, so it needs no running services.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=lvv.settings_test $(PY) -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run
	DATABASE_URL=postgres://typecheck@localhost/typecheck $(VENV)/bin/mypy

# The README's configuration table and .env.example, from lvv/settings_catalog.py.
settings-docs: $(STAMP)
	$(PY) scripts/settings_docs.py

messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=.local
	DEBUG=true $(PY) manage.py compilemessages -l en --ignore=.venv

# requirements-dev.lock: every package of a development install (pip freeze after installing
# the project with its dev extra). requirements.lock: the runtime subset, resolved by pip
# for the project without extras, at the versions of requirements-dev.lock.
lock: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions of every package of a development install: runtime, tests and tools."; \
	  echo "# Direct ones are declared in pyproject.toml. Regenerate with: make lock"; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements-dev.lock.tmp
	{ echo "# Exact versions of the runtime packages only (the Docker image installs this file)."; \
	  echo "# The same versions as requirements-dev.lock. Regenerate with: make lock"; \
	  $(PY) -m pip install --quiet --dry-run --ignore-installed --report - -e . -c requirements-dev.lock.tmp \
	    | $(PY) scripts/runtime_lock.py; } > requirements.lock.tmp
	mv requirements-dev.lock.tmp requirements-dev.lock
	mv requirements.lock.tmp requirements.lock
	$(PY) -m pip uninstall --quiet -y lvv-cases

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .coverage
