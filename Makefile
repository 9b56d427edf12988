# Dixian: `make demo` runs the platform with demo data; `make test` runs mypy, then the whole suite.
VENV ?= .venv
BIN := $(VENV)/bin
SCALE ?= county
SEED ?= 20261129

.PHONY: demo test venv venv-dev npm lint bench clean

$(BIN)/python:
	"$$(scripts/find-python)" -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9

$(VENV)/.base-installed: requirements/base.lock pyproject.toml | $(BIN)/python
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements/base.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.dev-installed
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements/dev.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(VENV)/.base-installed $@

venv: $(VENV)/.base-installed
venv-dev: $(VENV)/.dev-installed

# The chart library the app serves itself (docs/reports.md §1), exactly as package-lock.json pins it;
# reinstalled only when the lock changes (npm ci empties node_modules/ first, the stamp with it).
node_modules/.installed: package.json package-lock.json
	scripts/ensure-node
	npm ci --omit=dev --no-audit --no-fund
	touch $@

npm: node_modules/.installed

# The demo runs on this machine with the embedded secret key (docs/security.md §7).
demo: export DIXIAN_DEMO ?= 1
demo: venv node_modules/.installed
	$(BIN)/dixian migrate --no-input -v0
	$(BIN)/dixian collectstatic --no-input -v0
	$(BIN)/dixian load_demo --scale $(SCALE) --seed $(SEED)
	$(BIN)/dixian demo_serve

# The suite runs in parallel (pytest-xdist): one worker per CPU, at most TEST_MAX_WORKERS. Each worker has its
# own test database (pytest-django adds _gw0, _gw1 … to its name) and starts its own chromium and Spark JVM
# when its tests need them. TEST_WORKERS=0 runs it in this process, one test after another.
TEST_WORKERS ?= auto
TEST_MAX_WORKERS ?= 4
test: venv-dev node_modules/.installed
	$(BIN)/mypy
	scripts/ensure-chromium
	scripts/ensure-java
	$(BIN)/pytest -q -n $(TEST_WORKERS) --maxprocesses $(TEST_MAX_WORKERS)

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var node_modules
