#!/usr/bin/env bash
# ansible-test sanity (no ignore files), ansible-lint (production profile), antsibull docs/changelog lint.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$root/.venv/bin:$PATH"
coll=$(tools/collection-copy.sh)
colls_path=$(cd "$coll/../../.." && pwd)
trap 'rm -rf "$colls_path"' EXIT
pyver=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test downloads get-pip.py from a host that is not reachable here: give it the stand-in.
pipv=$(.venv/bin/python - <<'PY'
import pathlib, re, ansible_test
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
match = re.search(r"pip='([0-9.]+)'", src)
if not match:
    raise SystemExit("sanity: cannot find the pip version ansible-test bootstraps; update tools/sanity.sh")
print(match.group(1).replace(".", "_"))
PY
)
mkdir -p ~/.ansible/test/cache
cp tools/get_pip_shim.py ~/.ansible/test/cache/get_pip_"$pipv".py

# ansible-test needs real interpreters named pythonX.Y on PATH (pyenv shims exit 127).
mkdir -p build/bin
ln -sf "$(.venv/bin/python -c 'import sys, os; print(os.path.realpath(sys.executable))')" build/bin/python"$pyver"
export PATH="$root/build/bin:$PATH"

if ls tests/sanity/ignore-*.txt >/dev/null 2>&1 && [ -n "$(cat tests/sanity/ignore-*.txt)" ]; then
  echo "sanity: ignore files must stay empty" >&2
  exit 1
fi

echo "== ansible-test sanity (python $pyver)"
(cd "$coll" && ansible-test sanity --venv --python "$pyver" --color no)

echo "== ansible-lint --profile production"
(cd "$coll" && ANSIBLE_COLLECTIONS_PATH="$colls_path" ansible-lint --profile production --offline -q)

echo "== antsibull-docs lint-collection-docs"
(cd "$coll" && antsibull-docs lint-collection-docs --plugin-docs .)

echo "== antsibull-changelog lint"
(cd "$coll" && antsibull-changelog lint)
