#!/usr/bin/env bash
# Copy the collection to build/ac.XXXXXX/ansible_collections/configmgr/scp (a new folder each run), where ansible-test,
# ansible-lint and antsibull-docs need it (ansible-test refuses symlinks). Prints that path.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fresh folder per run, so two runs (or two developers' terminals) never share one copy.
mkdir -p build
base=$(mktemp -d "$(pwd)/build/ac.XXXXXX")
dest="$base/ansible_collections/configmgr/scp"
mkdir -p "$dest"
# Tracked files plus untracked ones that are not ignored: the same set ansible-test would see.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  cp -p "$f" "$dest/$f"
done
# ansible-test lists files through git when inside a work tree; the copy is its own repository
# so that it is not seen as ignored files of this one.
git -C "$dest" init -q
echo "$dest"
