"""The support matrix has one source, tools/matrix.env: README.md's table, meta/runtime.yml's requires_ansible,
constraints.txt's pin, the Makefile's `make test` and the matrix run's requirements must agree with it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def matrix_env() -> dict[str, str]:
    """tools/matrix.env as the shell reads it: NAME=value lines, values shell-quoted."""
    found: dict[str, str] = {}
    for line in (ROOT / "tools" / "matrix.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            found[name.strip()] = " ".join(shlex.split(value))
    return found


ENV = matrix_env()


def readme_rows() -> dict[str, list[str]]:
    """The rows of the README's "Support matrix" table, by their first cell (lowest, newest)."""
    section = README.split("## Support matrix", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert cells[0][:3] == ["Run", "ansible-core", "Python"], cells[0]
    return {row[0]: row for row in cells[2:]}


def minor(version: str) -> tuple[int, int]:
    parts = version.split(".")
    return int(parts[0]), int(parts[1])


def test_the_readme_table_is_the_matrix_the_make_target_runs():
    rows = readme_rows()
    assert set(rows) == {"lowest", "newest"}
    assert rows["lowest"][1:3] == [ENV["LOWEST_ANSIBLE_CORE"], ENV["LOWEST_PYTHON"]]
    assert rows["newest"][1:3] == [ENV["NEWEST_ANSIBLE_CORE"], ENV["NEWEST_PYTHON"]]
    tests = ENV["MATRIX_TESTS"].split() + ENV["MATRIX_TESTS_BESIDE"].split()
    integration = [path for path in tests if path.startswith("tests/integration/")]
    assert integration and {"tests/unit", "tests/functional"} == set(tests) - set(integration)
    for path in integration:
        assert f"`{Path(path).name}`" in rows["lowest"][4], path
    assert rows["lowest"][4].startswith("unit and functional tests; integration: ")
    for test_id in ENV["MATRIX_DESELECT"].split():
        assert f"`{test_id}`" in README, f"README.md does not say that {test_id} is deselected"
        path, name = test_id.split("::", 1)
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), test_id


def test_the_lowest_is_the_requires_ansible_of_meta_runtime():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    match = re.fullmatch(r">=(\d+\.\d+)\.0", runtime["requires_ansible"])
    assert match, runtime["requires_ansible"]
    assert minor(ENV["LOWEST_ANSIBLE_CORE"]) == minor(match.group(1))
    assert f'`requires_ansible: "{runtime["requires_ansible"]}"`' in README
    assert f"(ansible-core {match.group(1)} or later, `meta/runtime.yml`)" in README
    # ansible-core 2.16 runs on controller Pythons 3.10 to 3.12
    for python in [ENV["LOWEST_PYTHON"], *ENV["LOWEST_PYTHON_FALLBACK"].split()]:
        assert (3, 10) <= minor(python) <= (3, 12), python


def test_the_newest_is_what_the_main_venv_installs():
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    pin = re.search(r"^ansible-core==([\d.]+);", constraints, re.M)
    assert pin and pin.group(1) == ENV["NEWEST_ANSIBLE_CORE"]
    assert f"(Python {ENV['NEWEST_PYTHON']})" in constraints.splitlines()[0]
    # tools/venv.sh makes .venv with tools/find-python.sh's first default
    defaults = re.search(
        r"^\[ \$\{#versions\[@\]\} -eq 0 \] && versions=\(([\d. ]+)\)$", _text("tools/find-python.sh"), re.M
    )
    assert defaults and defaults.group(1).split()[0] == ENV["NEWEST_PYTHON"]


def test_make_test_runs_both_ends_and_the_lowest_venv_only_needs_test_requirements():
    makefile = _text("Makefile")
    # make test runs tools/test.sh after lint, which runs `make pytest` beside `make matrix`, then `make sanity`
    assert re.search(r"^test: venv lint\n\ttools/test\.sh$", makefile, re.M)
    script = _text("tools/test.sh")
    assert "make --no-print-directory matrix " in script and "make --no-print-directory pytest " in script
    assert 'wait "$matrix" || lowest=$?' in script and "make --no-print-directory sanity" in script
    assert re.search(r"^matrix: venv-matrix\n\ttools/matrix\.sh$", makefile, re.M)
    needed = _requirements("requirements-matrix.txt")
    assert "-r requirements.txt" in needed and needed <= _requirements("requirements-test.txt")
    assert not any(line.startswith("ansible-core") for line in needed)  # tools/venv-matrix.sh pins the lowest


def _text(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def _requirements(path: str) -> set[str]:
    return {line.strip() for line in _text(path).splitlines() if line.strip() and not line.startswith("#")}
