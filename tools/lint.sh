#!/usr/bin/env bash
# ruff (lint, then format --check) on every Python file; mypy on plugins/ (strict) and the lab (pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$root/.venv/bin:$PATH"

echo "== ruff check"
ruff check --no-fix .
echo "== ruff format --check"
ruff format --check .

# mypy finds the collection as ansible_collections.configmgr.scp through build/pythonpath, the link the tests make.
.venv/bin/python -c "from tests.collection_path import collections_path; collections_path()"
echo "== mypy"
mypy -p ansible_collections.configmgr.scp.plugins -p tests.lab
