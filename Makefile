# Two commands: `make run` serves the service, `make test` runs the suite.
# `make widget` rebuilds the committed widgets/dist after a change to widgets/src (needs Node).
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgresql test-faults lint widget install install-dev worker bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(FLASK) db upgrade
	@echo
	@$(FLASK) demo --if-empty
	@echo "Demo shop     http://$(HOST):$(PORT)/demo"
	@echo "Staff console http://$(HOST):$(PORT)/login"
	@echo "API docs      http://$(HOST):$(PORT)/api/v1/docs"
	@echo
	@# The worker keeps the sweep (retries, SLA checks, retention); it stops with the server.
	@$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	  $(VENV)/bin/gunicorn wsgi:app --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile -

worker: install
	$(FLASK) worker

# The whole suite: on SQLite and again on PostgreSQL, two processes at a time (pytest-xdist);
# the browser tests once (on SQLite); the fault tests, which stop, freeze and kill real servers
# and measure latencies, once and alone, on PostgreSQL.
XDIST ?= -n 2
test: install-dev
	@bash .ci/ensure-chromium
	$(MAKE) --no-print-directory test-sqlite test-postgresql test-faults

test-sqlite: install-dev
	TEST_DATABASE_URL=sqlite $(PY) -m pytest -p no:cacheprovider $(XDIST) -m "not slow" $(PYTEST_ARGS)

test-postgresql: install-dev
	TEST_DATABASE_URL=$(TEST_PG_URL) $(PY) -m pytest -p no:cacheprovider $(XDIST) -m "not slow and not browser" \
	  $(PYTEST_ARGS)

test-faults: install-dev
	TEST_DATABASE_URL=$(TEST_PG_URL) $(PY) -m pytest -p no:cacheprovider -m slow $(PYTEST_ARGS)

# Style and imports (ruff), and the one-way imports (import-linter; make test runs it too).
lint: install-dev
	$(VENV)/bin/ruff check feedback_service tests bench
	$(VENV)/bin/lint-imports

# Each prints its figures beside its baseline and target (see bench/README.md).
# They need the local PostgreSQL and Redis; `apt-get install wrk` sharpens the throughput one.
bench: install-dev
	$(PY) bench/widget_size.py
	$(PY) bench/sentiment_drain.py
	$(PY) bench/webhooks.py
	$(PY) bench/follow_up_opening.py
	$(PY) bench/submit_throughput.py --redis
	$(PY) bench/journey_report.py
	$(PY) bench/themes_quality.py

# The widget's build, esbuild from npm (its binary comes as a package: no install script needed).
# Commit widgets/dist with the change to widgets/src.
# The only target that needs Node; tests/test_widget_build.py fails while the build is stale.
widget:
	cd widgets && npm ci --ignore-scripts --no-audit --no-fund && npm run --silent build

clean:
	rm -rf $(VENV) instance .pytest_cache
