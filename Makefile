# Wellkept: `make demo` and `make test` work on a fresh clone with only
# Python 3.11, pip and make. Everything else is installed into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/pip --disable-pip-version-check --quiet

.PHONY: help venv demo test test-postgres lint format bench clean

help:
	@echo "make demo    build the environment, seed synthetic data, serve http://127.0.0.1:8000"
	@echo "make test    build the environment and run the test suite (SQLite, one worker per core)"
	@echo "make lint    ruff, mypy and the declared layers (import-linter)"
	@echo "make bench   run the benchmarks in bench/"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Wellkept needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements-dev.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/wellkept migrate --noinput
	@# Starts the audit trail's checkpoint chain on a new installation only.
	$(BIN)/wellkept audit init --if-new
	$(BIN)/wellkept seed_demo
	@# The embedded scheduler (retention, daily) runs beside the server and
	@# stops with it.
	$(BIN)/wellkept scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/wellkept runserver 127.0.0.1:8000

# pytest-xdist workers: one per core by default, each with its own test
# database; PYTEST_WORKERS=0 runs everything in this one process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal

test: venv
	$(PYTEST) $(PYTEST_ARGS)

test-postgres: venv
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/wellkept} $(PYTEST) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wellkept
	$(BIN)/lint-imports --no-logo

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var/test-*.sqlite3*
