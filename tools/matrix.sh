#!/usr/bin/env bash
# Run the matrix tests of tools/matrix.env with build/venv-lowest (tools/venv-matrix.sh makes it): first proof that
# its python, ansible and the ansible-playbook the integration runner starts are the lowest ansible-core.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=matrix.env
. tools/matrix.env
PY=build/venv-lowest/bin/python
want="core $LOWEST_ANSIBLE_CORE]"
core=$("$PY" -c 'from ansible.release import __version__; print(__version__)')
# tests/integration/runner.py starts the ansible-playbook next to the Python that runs pytest
playbook=$(PYTHONPATH=. "$PY" -c 'from tests.integration.runner import PLAYBOOK_BIN; print(PLAYBOOK_BIN)')
echo "matrix: $("$PY" -V), ansible-core $core"
for tool in build/venv-lowest/bin/ansible "$playbook"; do
  version=$("$tool" --version)
  echo "matrix: $tool --version: ${version%%$'\n'*}"
  if [ "$core" != "$LOWEST_ANSIBLE_CORE" ] || [[ "${version%%$'\n'*}" != *"$want" ]]; then
    echo "matrix: $tool is not ansible-core $LOWEST_ANSIBLE_CORE (rm -rf build/venv-lowest; make matrix)" >&2
    exit 1
  fi
done
deselect=()
for id in $MATRIX_DESELECT; do deselect+=(--deselect "$id"); done
log=build/matrix-beside.log
# shellcheck disable=SC2086 # the test lists are lists of paths
"$PY" -m pytest -q -p no:cacheprovider "${deselect[@]}" $MATRIX_TESTS_BESIDE > "$log" 2>&1 &
beside=$!
status=0
# shellcheck disable=SC2086
"$PY" -m pytest -q -p no:cacheprovider "${deselect[@]}" $MATRIX_TESTS || status=$?
wait "$beside" || status=$?
echo "matrix: $MATRIX_TESTS_BESIDE (run beside the above, $log):"
cat "$log"
exit "$status"
