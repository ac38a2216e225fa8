#!/usr/bin/env bash
# `make test` after lint: the main pytest run (newest ansible-core, .venv) and the support matrix's lowest run
# (`make matrix`, build/venv-lowest) side by side, then sanity. Both runs mostly wait on the lab's simulated timeouts
# and deadlines (a whole CI run was about 8 minutes of CPU in 24 of wall time), so running them together costs
# little wall time. The matrix's output goes to build/matrix.log and is printed after the main run; either failing
# fails `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
make --no-print-directory matrix > build/matrix.log 2>&1 &
matrix=$!
main=0
make --no-print-directory pytest || main=$?
lowest=0
wait "$matrix" || lowest=$?
echo "== make matrix, run beside pytest (build/matrix.log):"
cat build/matrix.log
if [ "$main" -ne 0 ] || [ "$lowest" -ne 0 ]; then
  echo "make test: pytest exit $main, matrix exit $lowest" >&2
  exit 1
fi
make --no-print-directory sanity
