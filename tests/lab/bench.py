"""``make bench``: ``python -m tests.lab.bench [--details]``.

Prints the figures of docs/performance.md beside their targets (tests/lab/bench_targets.py: 5 runs of each, one
table; ``BENCH_RUNS``, ``BENCH_QUICK=1``). ``--details`` (or ``BENCH_DETAILS=1``) adds the older, finer figures: the
transport's pool-open and per-pipeline medians (tests/lab/bench_transport.py) and the library against a bare pypsrp
script, in process, per operation (tests/bench_library.py).
"""

from __future__ import annotations

import os
import sys

from tests.collection_path import collections_path

# the collection importable as ansible_collections.configmgr.scp from a fresh checkout (pytest's conftest does the same)
if str(collections_path()) not in sys.path:
    sys.path.insert(0, str(collections_path()))

from tests import bench_library
from tests.lab import bench_targets, bench_transport


def main(argv: list[str]) -> int:
    status = bench_targets.main()
    if "--details" in argv or os.environ.get("BENCH_DETAILS", "") not in ("", "0"):
        print()
        print("== Transport (tests.lab.bench_transport): loopback WSMan/PSRP, medians ==")
        status = status or bench_transport.main()
        print()
        print("== Library (tests.bench_library): cmscp vs a bare pypsrp script, in process ==")
        status = status or bench_library.main(bench_targets.RUNS)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
