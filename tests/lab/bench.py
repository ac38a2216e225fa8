"""``make bench``: ``python -m tests.lab.bench [runs]`` prints the transport figures, then the library figures."""
from __future__ import annotations

import sys

from tests import bench_library
from tests.lab import bench_transport


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 20
    print("== Transport (tests.lab.bench_transport): loopback WSMan/PSRP, medians ==")
    status = bench_transport.main()
    print()
    print("== Library (tests.bench_library): cmscp vs a bare pypsrp script ==")
    return status or bench_library.main(runs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
