# The two commands a new machine needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: venv test pytest sanity demo bench quality clean

venv:
	@tools/venv.sh

## Everything CI runs: lab self-tests, unit, functional and integration tests, then sanity and linters.
test: venv pytest sanity

pytest: venv
	$(PY) -m pytest -q -p no:cacheprovider tests

sanity: venv
	tools/sanity.sh

## Start the lab (hierarchy scenario) and run the main playbook against it.
demo: venv
	$(PY) -m tests.lab demo

## Speed and size figures against the lab.
bench: venv
	$(PY) -m tests.lab.bench

## The fault matrix (also part of `make test`), then docs/quality.md written from its results.
quality: venv
	$(PY) -m pytest -q -p no:cacheprovider tests/faults
	$(PY) tools/write_quality.py

clean:
	rm -rf build dist tests/output .pytest_cache
