"""What a user installs: the collection tarball, and the execution environment ansible-builder makes from it.

Both run the real tools from the venv (ansible-galaxy, ansible-builder and its introspect script) on the repository's
files, offline: `ansible-builder create` only writes a build context, so no container engine is needed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import ansible_builder
import pytest
import yaml
from bindep.depends import Depends

from tests.collection_path import ROOT

BIN = Path(sys.executable).parent
SHIPPED = [
    "COPYING",
    "README.md",
    "CHANGELOG.rst",
    "MANIFEST.json",
    "FILES.json",
    "requirements.txt",
    "bindep.txt",
    "meta/execution-environment.yml",
    "meta/runtime.yml",
    "plugins/action",
    "plugins/modules",
    "plugins/plugin_utils/cmscp",
    "roles/scp",
    "playbooks/demo.yml",
    "extensions/awx",
    "docs",
]
# Build and test tooling: the top-level entries a user never needs.
NOT_SHIPPED = {
    "tools",
    "tests",
    "build",
    "dist",
    ".ci",
    ".venv",
    "Makefile",
    "pyproject.toml",
    "pytest.ini",
    "constraints.txt",
    "requirements-test.txt",
    "requirements-bench.txt",
    "requirements-matrix.txt",
    ".ansible-lint",
    ".gitignore",
}
# bindep.txt's lines for an rpm-based image (the EE's base image): the default profile stays in the final image,
# the compile profile is installed in the build stage only.
EE_RUNTIME = {"krb5-workstation", "krb5-libs"}
EE_COMPILE_ONLY = {"gcc", "krb5-devel", "python3-devel"}


@pytest.fixture(scope="module")
def installed(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball unpacked as ansible-galaxy installs it: <path>/ansible_collections/configmgr/scp."""
    path = tmp_path_factory.mktemp("collections")
    dest = path / "ansible_collections" / "configmgr" / "scp"
    dest.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return path


def members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tar:
        return [name.removeprefix("./") for name in tar.getnames()]


def test_tarball_ships_what_a_user_needs(tarball: Path) -> None:
    names = members(tarball)
    for wanted in SHIPPED:
        assert any(name == wanted or name.startswith(f"{wanted}/") for name in names), wanted
    assert not {name.split("/")[0] for name in names} & NOT_SHIPPED
    assert not [name for name in names if name.startswith("changelogs/fragments")]
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_tarball_licence_is_the_full_gpl3_text(tarball: Path) -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))  # type: ignore[arg-type]
        copying = tar.extractfile("COPYING").read().decode()  # type: ignore[union-attr]
    assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]
    assert copying.lstrip().startswith("GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007")
    # The whole text: from the preamble through the last section and the "how to apply" appendix.
    for part in ("Preamble", "TERMS AND CONDITIONS", "17. Interpretation of Sections 15 and 16.", "END OF TERMS"):
        assert part in copying, part
    assert "either version 3 of the License, or\n    (at your option) any later version." in copying
    assert copying == (ROOT / "COPYING").read_text()


def test_collection_dependencies_as_ansible_builder_introspects_them(installed: Path, tmp_path: Path) -> None:
    """An EE that lists configmgr.scp gets its Python and system packages from meta/execution-environment.yml."""
    script = Path(ansible_builder.__file__).parent / "_target_scripts" / "introspect.py"
    pip_out, bindep_out = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    subprocess.run(
        [
            sys.executable,
            str(script),
            "introspect",
            str(installed),
            f"--write-pip={pip_out}",
            f"--write-bindep={bindep_out}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pip_lines = [line.split("  #")[0] for line in pip_out.read_text().splitlines()]
    assert "pypsrp[kerberos,credssp]>=0.8,<1.0" in pip_lines
    assert not [line for line in pip_lines if line.startswith("ansible-core")]  # the EE installs its own
    assert_bindep_for_rpm_image(bindep_out)


def test_execution_environment_build_context(installed: Path, tmp_path: Path) -> None:
    """The definition, from a copy at the collection root (README.md), as `ansible-builder create` renders it."""
    coll = installed / "ansible_collections" / "configmgr" / "scp"
    definition = coll / "execution-environment.yml"
    shutil.copy(coll / "meta" / "execution-environment.yml", definition)
    context = tmp_path / "context"
    subprocess.run(
        [
            str(BIN / "ansible-builder"),
            "create",
            "-f",
            str(definition),
            "-c",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    build = context / "_build"
    assert (build / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (build / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
    assert_bindep_for_rpm_image(build / "bindep.txt")
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/fedora/fedora:42"' in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.21.5 ansible-runner"' in containerfile
    for step in (
        "COPY _build/requirements.txt requirements.txt",
        "COPY _build/bindep.txt bindep.txt",
        "--user-pip=requirements.txt --user-bindep=bindep.txt",
        "RUN /output/scripts/assemble",
        "RUN /output/scripts/install-from-bindep",
    ):
        assert step in containerfile, step
    assert not (build / "requirements.yml").exists()  # the collection depends on no other collection


def assert_bindep_for_rpm_image(path: Path) -> None:
    text = "\n".join(line.split("  #")[0] for line in path.read_text().splitlines())
    deps = Depends(text)
    rpm = ["platform:rpm", "platform:redhat", "platform:fedora", "rpm"]
    runtime = {rule[0] for rule in deps.active_rules([*rpm, "default"])}
    compile_stage = {rule[0] for rule in deps.active_rules([*rpm, "compile"])}
    assert runtime == EE_RUNTIME
    assert compile_stage == EE_RUNTIME | EE_COMPILE_ONLY
