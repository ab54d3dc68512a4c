# QuantumTime: `make serve` builds what is stale and serves the site + registry;
# `make test` installs everything the tests need and runs the whole suite.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test test-py lint typecheck test-pyodide bench bench-site site wheel clean deps \
	browser compiler scenarios serve-static bench-registry bench-small test-js

# `pip install --group` (PEP 735 dependency groups in pyproject.toml) needs pip >= 25.1.
$(STAMP): pyproject.toml | compiler
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade 'pip>=25.1'
	$(BIN)/pip install -q -e . --group test
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.installed

# Pure-Python wheels (pytest, hypothesis...) that qtcore's tests need inside Pyodide.
.cache/test-wheels/manifest.json: build/fetch_test_wheels.py $(STAMP)
	$(BIN)/python build/fetch_test_wheels.py

# The qtcore wheel with hatchling, reproducibly: the same tree gives the same bytes. Its build
# hook (hatch_build.py) compiles the WebAssembly kernel with clang + lld first.
SOURCE_DATE_EPOCH ?= 315532800
wheel: $(STAMP) compiler
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(BIN)/python -m build --wheel --no-isolation --outdir dist .

# Debian's Chromium for the browser tests (CI runs as root).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's clang + lld (wasm-ld) for the WebAssembly kernel, installed the same way.
compiler:
	@command -v clang >/dev/null && command -v wasm-ld >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang lld; }

deps: $(STAMP) node_modules/.installed browser compiler

lint: $(STAMP) node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	npx --no-install biome check .

typecheck: $(STAMP)
	$(BIN)/mypy

test-py: deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# Unit tests of the site's pure modules (frames, circuit model, Quirk import, URL state).
test-js:
	node --test tests/js/

# qtcore's tests again, under Pyodide (Python 3.14) in Node.js, from the built wheel.
test-pyodide: node_modules/.installed .cache/test-wheels/manifest.json wheel
	node build/pyodide_test.mjs --wheel

# Benchmarks print tables; CI runs them at small sizes so they keep working.
bench-small: deps site
	$(BIN)/python benchmarks/bench_statevector.py --small
	$(BIN)/python benchmarks/bench_wasm.py --small
	$(BIN)/python benchmarks/bench_branching.py --small
	$(BIN)/python benchmarks/bench_parallel.py --small
	$(BIN)/python benchmarks/bench_registry.py --small
	$(BIN)/python benchmarks/bench_site.py --repeat 1

test: lint typecheck test-js test-py test-pyodide bench-small

# The static site (MkDocs Material + self-hosted Pyodide + the qtcore wheel) in public/.
site: node_modules/.installed $(STAMP) compiler
	$(BIN)/python build/build_site.py

# The site and the registry on one origin. With no DATABASE_URL/REDIS_URL the registry
# starts embedded Postgres and Redis under ./var (QT_DATA_DIR); it prints the URLs.
HOST ?= 127.0.0.1
PORT ?= 8000
# The build's site_url (sitemap.xml) must name this address for instant navigation.
serve: export QT_SITE_URL ?= http://$(HOST):$(PORT)/
serve: site
	$(BIN)/python -m registry_api serve --site-dir public --host $(HOST) --port $(PORT)

# Just the static site, no registry (what any static host would serve).
serve-static: site
	$(BIN)/python build/serve_static.py

# Check every scenario in the library against the outcome it states.
scenarios: $(STAMP)
	$(BIN)/python -m pytest tests/scenarios -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_statevector.py

bench-site: site browser
	$(BIN)/python benchmarks/bench_site.py

bench-registry: $(STAMP)
	$(BIN)/python benchmarks/bench_registry.py

clean:
	rm -rf public .cache dist
