#!/usr/bin/env bash
# Create (or refresh) build/venv-lowest: the lowest ansible-core of the support matrix (tools/matrix.env) on its
# Python, with requirements-matrix.txt (what the tests need, no linters). Re-installs only when they change.
set -euo pipefail
cd "$(dirname "$0")/.."
# pypsrp[kerberos] compiles gssapi and krb5 against the packages of bindep.txt (about 2 minutes on a fresh machine).
tools/system-packages.sh
# shellcheck source=matrix.env
. tools/matrix.env
VENV=build/venv-lowest
stamp="$VENV/.requirements.sha256"
if ! py=$(tools/find-python.sh "$LOWEST_PYTHON" 2>/dev/null); then
  # shellcheck disable=SC2086 # the fallbacks are a list
  if ! py=$(tools/find-python.sh $LOWEST_PYTHON_FALLBACK 2>/dev/null); then
    echo "venv-matrix: ansible-core $LOWEST_ANSIBLE_CORE needs Python $LOWEST_PYTHON (or $LOWEST_PYTHON_FALLBACK) with" \
      "venv and ensurepip; none was found: install one (pyenv install $LOWEST_PYTHON, or" \
      "apt-get install python$LOWEST_PYTHON-venv python$LOWEST_PYTHON-dev)" >&2
    exit 1
  fi
  echo "venv-matrix: Python $LOWEST_PYTHON not found; using $py (README.md's matrix names $LOWEST_PYTHON)" >&2
fi
# Reuse the venv only for the same requirement files, ansible-core and interpreter.
want=$( (cat requirements.txt requirements-matrix.txt; echo "$LOWEST_ANSIBLE_CORE"; "$py" -VV) | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "venv-matrix: creating $VENV with $py and ansible-core $LOWEST_ANSIBLE_CORE"
rm -rf "$VENV"
mkdir -p build
"$py" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-matrix.txt \
  "ansible-core==$LOWEST_ANSIBLE_CORE"
echo "$want" > "$stamp"
