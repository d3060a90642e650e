# Every target bootstraps .venv on a fresh machine: nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install bytecode run ui test test-load lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[local,demo,dev]'
	touch $(STAMP)

install: $(STAMP)

# The project's bytecode, written once: Python writes none when PYTHONDONTWRITEBYTECODE is set,
# and then every run worker, daemon and CLI process compiles the package again (0.3-1 s each).
# compileall skips what is up to date.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q ecs_pipelines ecs_pipelines_tests > /dev/null

# The main job on the embedded ECS (started here if it is not running already).
run: bytecode
	$(BIN)/python -m ecs_pipelines.demo.main_run $(ARGS)

# dg dev (webserver + daemon) with the embedded ECS started for it.
ui: bytecode
	$(BIN)/python -m ecs_pipelines.demo.ui

# Three workers on two cores: the suite waits on servers, tasks and browsers more than it
# computes (two workers kept the cores 64% busy). Whole files per worker, in collection order:
# the root conftest puts the files of long tests first.
test: bytecode
	$(BIN)/python -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder

# The load test alone (20 runs launched at once in make ui's topology under a fault plan, about
# 80 s); make test runs it too, last in the file of the make ui tests whose dagster dev it shares.
test-load: bytecode
	$(BIN)/python -m pytest -q -m load

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict ecs_pipelines

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
