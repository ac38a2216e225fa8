"""Make the collection importable as ``ansible_collections.configmgr.scp`` from a plain checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.collection_path import ROOT, collections_path

sys.path.insert(0, str(collections_path()))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection as a user gets it: `ansible-galaxy collection build` of this checkout, once per run (the
    packaging tests read its members, the AWX test installs it)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-galaxy"),
            "collection",
            "build",
            "--output-path",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    (built,) = out.glob("configmgr-scp-*.tar.gz")
    return built
