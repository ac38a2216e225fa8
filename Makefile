# The two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: venv venv-matrix test lint pytest matrix sanity demo bench evidence clean

venv:
	@tools/venv.sh

## Everything CI runs: ruff and mypy, then lab self-tests, unit, functional and integration tests on the newest
## ansible-core (`make pytest`) beside the lowest (`make matrix`), then sanity and linters (tools/test.sh).
test: venv lint
	tools/test.sh

## ruff (lint + format check) and mypy (strict on plugins/); the settings are in pyproject.toml.
lint: venv
	tools/lint.sh

pytest: venv
	$(PY) -m pytest -q -p no:cacheprovider --durations=15 tests

## The lowest ansible-core of the support matrix (tools/matrix.env; README.md "Support matrix") on its Python, in
## build/venv-lowest: unit and functional tests and a core integration subset (about 5 minutes, 2 of them the venv).
matrix: venv-matrix
	tools/matrix.sh

venv-matrix:
	@tools/venv-matrix.sh

sanity: venv
	tools/sanity.sh

## Start the lab (hierarchy scenario) and run the main playbook against it.
demo: venv
	$(PY) -m tests.lab demo

## The figures of docs/performance.md beside their targets, 5 runs each, in one table (under 15 minutes on 2 cores);
## BENCH_QUICK=1 skips the two heavy figures, BENCH_RUNS=N changes the runs, BENCH_DETAILS=1 adds the finer benches.
bench: venv venv-bench
	$(PY) -m tests.lab.bench

## The bench-only venv build/venv-bench (requirements-bench.txt: the ansible package, for the peer figure of
## `make bench`); `make test` never needs it.
venv-bench:
	@tools/venv-bench.sh || echo "venv-bench: not created; make bench prints the peer figures as not measured"

## Every evidence run in full (the fault matrix, the concurrency trials, the bad-input table; `make test` runs a
## sample of the first two), then docs/quality.md written from their records.
evidence: venv
	rm -rf tests/output/concurrency tests/output/input_errors
	CMSCP_EVIDENCE=full $(PY) -m pytest -q -p no:cacheprovider tests/faults tests/integration/test_concurrency.py \
		tests/integration/test_input_table.py "tests/integration/test_targets.py::test_target[input_errors]"
	$(PY) tools/write_quality.py

clean:
	rm -rf build dist tests/output .pytest_cache
