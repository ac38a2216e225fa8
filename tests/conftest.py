"""Make the collection importable as ``ansible_collections.configmgr.scp`` from a plain checkout."""

from __future__ import annotations

import sys

from tests.collection_path import ROOT, collections_path

sys.path.insert(0, str(collections_path()))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
