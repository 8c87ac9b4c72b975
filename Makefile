# smecredit — the two commands that matter: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP  := $(VENV)/.installed
export SMECREDIT_DATABASE_URL ?= sqlite://var/smecredit.sqlite3
NPM    ?= npm
WEB    := frontend
# Where the browser tests write their screenshots (phone and desktop size of each screen).
export WEB_SCREENSHOTS ?= $(CURDIR)/$(WEB)/screenshots
# pytest workers: one per core (`make test PYTEST_WORKERS=0` runs in one process). The
# browser tests run after, on their own: a served platform and Chromium beside a second
# worker's load made their waits time out.
PYTEST_WORKERS ?= auto
NO_NPM := npm was not found: install Node.js 20.19+ with npm (Debian: apt-get install nodejs npm; or https://nodejs.org), then run make web

.PHONY: demo test bench lint install schema clean help web web-test

help:
	@echo "make demo   - install, migrate, seed demo data, serve on http://127.0.0.1:8000"
	@echo "make test   - install, run every test"
	@echo "make bench  - run the benchmarks and print their figures"
	@echo "make lint   - ruff + mypy"
	@echo "make web    - build the web client (npm ci + npm run build in frontend/)"

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

web:
	cd $(WEB) && $(NPM) ci && $(NPM) run build

# The client's checks: generated code up to date, types, unit tests, then the build the
# browser tests (tests/browser, run by pytest) drive. In CI a missing npm fails.
web-test:
	@if ! command -v $(NPM) >/dev/null 2>&1; then \
	  if [ -n "$$CI" ]; then echo "$(NO_NPM)" >&2; exit 1; fi; \
	  echo "$(NO_NPM) (the web client's tests are skipped)"; exit 0; fi; \
	cd $(WEB) && $(NPM) ci && $(NPM) run codegen:check && $(NPM) run typecheck \
	  && $(NPM) test && $(NPM) run build

demo: install
	@if command -v $(NPM) >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "$(NO_NPM); serving the API only"; fi
	$(VENV)/bin/smecredit db migrate
	$(VENV)/bin/smecredit demo seed
	$(VENV)/bin/smecredit serve

test: install web-test
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile --ignore=tests/browser
	$(PY) -m pytest -q tests/browser
	@echo "web client screenshots: $(WEB_SCREENSHOTS)"

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: install
	$(VENV)/bin/ruff check platform plugins tests benchmarks
	$(VENV)/bin/ruff format --check platform plugins tests benchmarks
	$(VENV)/bin/mypy platform/smecredit

schema: install
	$(VENV)/bin/smecredit schema export

clean:
	rm -rf $(VENV) var build dist .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
