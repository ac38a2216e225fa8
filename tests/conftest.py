"""Make the collection importable as ``ansible_collections.configmgr.scp`` from a plain checkout.

The repository root is the collection root; Python needs it under an
``ansible_collections/configmgr/scp`` path. A symlink in ``build/`` is enough for imports
(only ansible-test insists on a physical copy, and the test script makes one for it).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _collection_path() -> Path:
    # Already inside .../ansible_collections/configmgr/scp (the copy ansible-test uses)?
    if ROOT.parent.name == "configmgr" and ROOT.parent.parent.name == "ansible_collections":
        return ROOT.parent.parent.parent
    base = ROOT / "build" / "pythonpath"
    link = base / "ansible_collections" / "configmgr" / "scp"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(ROOT, link)
        except FileExistsError:
            pass
    return base


sys.path.insert(0, str(_collection_path()))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
