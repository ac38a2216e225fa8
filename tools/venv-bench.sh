#!/usr/bin/env bash
# Create (or refresh) build/venv-bench, the bench-only venv of the peer (requirements-bench.txt); `make test` never
# uses it. Under build/ because git (.gitignore), ansible-galaxy build (galaxy.yml build_ignore) and
# tools/collection-copy.sh all skip build/; a .venv-bench at the root would be packed into the collection.
# Re-installs only when requirements-bench.txt, constraints.txt or the interpreter change.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=build/venv-bench
stamp="$VENV/.requirements.sha256"
py=$(tools/find-python.sh)
want=$( (cat requirements-bench.txt constraints.txt; "$py" -VV) | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/ansible-playbook" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "venv-bench: creating $VENV with $py (the ansible package, about 50 MB, for the peer figure)"
rm -rf "$VENV"
mkdir -p build
"$py" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt -c constraints.txt
echo "$want" > "$stamp"
