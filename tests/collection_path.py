"""Where ``ansible_collections.configmgr.scp`` resolves to this checkout.

The repository root is the collection root; Python and Ansible need it under an
``ansible_collections/configmgr/scp`` path. A symlink in ``build/pythonpath`` is enough for imports and for
``ANSIBLE_COLLECTIONS_PATH`` (only ansible-test insists on a physical copy; tools/collection-copy.sh makes one).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collections_path() -> Path:
    """The folder that holds ``ansible_collections`` for this checkout (made on first use)."""
    if ROOT.parent.name == "configmgr" and ROOT.parent.parent.name == "ansible_collections":
        return ROOT.parent.parent.parent  # already inside such a tree (the copy ansible-test uses)
    base = ROOT / "build" / "pythonpath"
    link = base / "ansible_collections" / "configmgr" / "scp"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(ROOT, link)
        except FileExistsError:
            pass  # made by a concurrent run
    return base
