# smecredit — the two commands that matter: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP  := $(VENV)/.installed
export SMECREDIT_DATABASE_URL ?= sqlite://var/smecredit.sqlite3

.PHONY: demo test bench lint install schema clean help

help:
	@echo "make demo   - install, migrate, seed demo data, serve on http://127.0.0.1:8000"
	@echo "make test   - install, run every test"
	@echo "make bench  - run the benchmarks and print their figures"
	@echo "make lint   - ruff + mypy"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel

$(STAMP): $(PY) pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PIP) install --quiet -e ".[dev]"
	# The plugins build with the venv's own setuptools: no isolated build env per plugin.
	for p in $(PLUGINS); do $(PIP) install --quiet --no-build-isolation -e "$$p" || exit 1; done
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/smecredit db migrate
	$(VENV)/bin/smecredit demo seed
	$(VENV)/bin/smecredit serve

test: install
	$(PY) -m pytest -q

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: install
	$(VENV)/bin/ruff check platform plugins tests benchmarks
	$(VENV)/bin/ruff format --check platform plugins tests benchmarks
	$(VENV)/bin/mypy platform/smecredit

schema: install
	$(VENV)/bin/smecredit schema export

clean:
	rm -rf $(VENV) var build dist .pytest_cache .mypy_cache .ruff_cache
