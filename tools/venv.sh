#!/usr/bin/env bash
# Create (or refresh) .venv from the repository's requirement files. Re-installs only when they change.
set -euo pipefail
cd "$(dirname "$0")/.."
# System packages first (bindep.txt): pypsrp[kerberos] compiles against them and the lab's KDC is one of them.
tools/system-packages.sh
VENV=.venv
stamp="$VENV/.requirements.sha256"
py=$(tools/find-python.sh)
# Reuse the venv only for the same requirement files, constraints and interpreter.
want=$( (cat requirements.txt requirements-test.txt constraints.txt; "$py" -VV) | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "venv: creating $VENV with $py"
rm -rf "$VENV"
"$py" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt -c constraints.txt
echo "$want" > "$stamp"
