# calgate: `make serve` runs the service on its embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
TESTDEPS := $(VENV)/.installed-test
DEMODEPS := $(VENV)/.installed-demo

.PHONY: serve demo test lint-imports chromium migrate clean bench load docs

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

# The booking demo (examples/booking/README.md): calgate on :8000 and the demo on :8001; Ctrl-C
# stops both. pycronofy (the `demo` extra) is the one package the demo adds.
$(DEMODEPS): $(RUNTIME) pyproject.toml
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $@

demo: $(DEMODEPS)
	$(BIN)/python -m examples.booking.run_demo

# Browser tests drive Debian's chromium (never `playwright install`).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint-imports: $(TESTDEPS)
	$(BIN)/lint-imports

test: $(TESTDEPS) chromium lint-imports
	$(BIN)/pytest

# The guides (docs/guide/*.md) as a static site in build/docs/ (open build/docs/index.html).
# Their samples and links are tested in tests/docs/ (part of `make test`).
docs: $(TESTDEPS)
	$(BIN)/python docs/build_guides.py --out build/docs

# Benchmarks (not part of `make test`): each writes its section of docs/benchmarks.md. Needs the
# PostgreSQL of the tests (CALGATE_TEST_DATABASE_URL, default postgres@127.0.0.1:5432/test).
# bench_free_busy measures GET /v1/free_busy against Radicale's free-busy-query (both stores);
# profile_routes writes where each route's time goes (cProfile, in process).
bench: $(TESTDEPS)
	$(BIN)/python benchmarks/bench_availability.py
	$(BIN)/python benchmarks/bench_caldav_sync.py
	$(BIN)/python benchmarks/bench_free_busy.py
	$(BIN)/python benchmarks/profile_routes.py

# 60 s of mixed load on 2 API processes + 2 workers (PostgreSQL as for `bench`), every acknowledged
# upsert and invitation checked after ("load" in docs/benchmarks.md); then every fault run of
# tests/integration/faults/ ("faults"; `make test` runs only its two short ones). Between them, the
# same mix for 20 s each on 1, 2 and 4 API processes ("scaling").
load: $(TESTDEPS)
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/load.py --api-processes 1,2,4 --seconds 20
	CALGATE_FAULT_RUNS=1 $(BIN)/pytest -q -p no:cacheprovider tests/integration/faults

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache build
