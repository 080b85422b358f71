# sosbot — the two commands: `make demo` runs the system, `make test` runs the tests.
# Both create .venv and install the pinned dependencies (requirements.lock) themselves.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean browser

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sosbot demo

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; 0: in this process). Each one
# has a PostgreSQL database and a Redis database of its own (tests/conftest.py).
PYTEST_WORKERS ?= 2

test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Browser tests use Debian's Chromium; install it when missing and we may (root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped (apt-get install chromium)"; fi; }

# Benchmarks (about 17 minutes): prints the table, writes bench/RESULTS.md and bench/results.json.
# Needs the PostgreSQL and Redis of the tests; installs Debian's wrk when missing and we may.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is not installed: saturation runs use the aiohttp load client (apt-get install wrk)"; fi; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check sosbot tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
