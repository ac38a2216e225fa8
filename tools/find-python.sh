#!/usr/bin/env bash
# Print the path of the best usable Python among the versions given, in order (default: 3.12, else 3.11).
# pyenv shims for versions outside `pyenv global` exist but exit 127, so every candidate is run.
set -u
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(3.12 3.11)
for ver in "${versions[@]}"; do
  candidates=("python$ver")
  if command -v pyenv >/dev/null 2>&1; then
    for d in "$(pyenv root)"/versions/"$ver".*/bin; do candidates+=("$d/python$ver"); done
  fi
  candidates+=("/usr/local/bin/python$ver" "/usr/bin/python$ver")
  for c in "${candidates[@]}"; do
    if "$c" -c 'import sys, venv, ensurepip' >/dev/null 2>&1; then
      "$c" -c 'import sys; print(sys.executable)'
      exit 0
    fi
  done
done
echo "find-python: none of Python ${versions[*]} was found" >&2
exit 1
