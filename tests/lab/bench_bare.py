"""The bare pypsrp script of ``make bench``: ``python tests/lab/bench_bare.py SPEC.json``.

It imports nothing but pypsrp and the standard library, and reads what the collection's no-op task read: per host
(in the spec's order) one RunspacePool, one PowerShell with every statement (cmdlet + parameters, the same
-ErrorAction), one invoke, then the pool's close. The bench writes the spec from the lab's call log of a no-op task
run (tests/lab/bench_targets.py ``bare_spec``) and times this script as a whole process (interpreter start and the
pypsrp import included, as the task's worker imports pypsrp too). Prints one JSON line: seconds spent importing,
seconds connecting + reading + closing, objects read per host.
"""

from __future__ import annotations

import json
import sys
import time

START = time.perf_counter()

from pypsrp.complex_objects import PSInvocationState  # noqa: E402  pylint: disable=wrong-import-position
from pypsrp.powershell import PowerShell, RunspacePool  # noqa: E402  pylint: disable=wrong-import-position
from pypsrp.wsman import WSMan  # noqa: E402  pylint: disable=wrong-import-position

IMPORTED = time.perf_counter()


def read_host(connection: dict, statements: list) -> int:
    with RunspacePool(WSMan(**connection)) as pool:
        ps = PowerShell(pool)
        for statement in statements:
            ps.add_cmdlet(statement["cmdlet"])
            for name, value in statement["parameters"]:
                if value is True:
                    ps.add_parameter(name)  # a switch
                else:
                    ps.add_parameter(name, value)
            ps.add_statement()
        output = ps.invoke()
        if ps.state != PSInvocationState.COMPLETED:
            raise RuntimeError(f"the bare script's pipeline ended in state {ps.state}: {ps.streams.error[:1]}")
        return len(output)


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    read = {host["name"]: read_host(host["connection"], host["statements"]) for host in spec["hosts"]}
    print(json.dumps({"import_s": IMPORTED - START, "work_s": time.perf_counter() - IMPORTED, "objects": read}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
