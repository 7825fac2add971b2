# calgate: `make serve` runs the service on its embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
TESTDEPS := $(VENV)/.installed-test

.PHONY: serve test lint-imports chromium migrate clean bench

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TESTDEPS): $(RUNTIME) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

migrate: $(RUNTIME)
	$(BIN)/calgate migrate

serve: $(RUNTIME)
	$(BIN)/calgate serve --host $${CALGATE_HOST:-127.0.0.1} --port $${CALGATE_PORT:-8000}

# Browser tests drive Debian's chromium (never `playwright install`).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint-imports: $(TESTDEPS)
	$(BIN)/lint-imports

test: $(TESTDEPS) chromium lint-imports
	$(BIN)/pytest

# Benchmarks (not part of `make test`): each writes its section of docs/benchmarks.md. Needs the
# PostgreSQL of the tests (CALGATE_TEST_DATABASE_URL, default postgres@127.0.0.1:5432/test).
bench: $(TESTDEPS)
	$(BIN)/python benchmarks/bench_availability.py
	$(BIN)/python benchmarks/bench_caldav_sync.py

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
