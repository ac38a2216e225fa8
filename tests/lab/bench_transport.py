"""Transport benchmark: ``python -m tests.lab.bench_transport`` prints pool-open and per-pipeline medians.

Targets on loopback: <= 30 ms to open a pool, <= 20 ms per small pipeline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from typing import Any

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from tests.lab.wsman.certs import make_pki
from tests.lab.wsman.fake import FakeBackend
from tests.lab.wsman.server import EndpointConfig, WSManServer

HTTP, HTTPS = "bench.lab.local", "bench-tls.lab.local"
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("basic/http", HTTP, {"auth": "basic", "encryption": "never"}),
    ("ntlm/http", HTTP, {"auth": "ntlm"}),
    ("ntlm/https", HTTPS, {"auth": "ntlm"}),
]


def measure(port: int, https: bool, ca_path: str, runs: int, pipelines: int, **kwargs: Any) -> tuple[float, float]:
    opens: list[float] = []
    per_pipeline: list[float] = []
    # cert_validation takes a CA bundle path too (requests' verify), though pypsrp annotates it bool.
    connect: dict[str, Any] = dict(
        port=port, ssl=https, cert_validation=ca_path, username="LAB\\lab", password="labpass"
    )
    for _unused in range(runs):
        wsman = WSMan("127.0.0.1", **connect, **kwargs)
        start = time.perf_counter()
        pool = RunspacePool(wsman)
        pool.open()
        opens.append(time.perf_counter() - start)
        for i in range(pipelines):
            start = time.perf_counter()
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Thing").add_parameter("Name", f"x{i}")
            ps.invoke()
            per_pipeline.append(time.perf_counter() - start)
        pool.close()
    return statistics.median(opens), statistics.median(per_pipeline)


def main(runs: int = 5, pipelines: int = 20) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(tmp, [HTTPS])
        server = WSManServer(FakeBackend(), [EndpointConfig(HTTP), EndpointConfig(HTTPS, https=True, certs=pki)])
        ports = server.start()
        try:
            print(f"{'case':<12} {'open ms':>8} {'pipeline ms':>12}")
            for label, name, kwargs in CASES:
                opened, piped = measure(ports[name], name == HTTPS, pki.ca_path, runs, pipelines, **kwargs)
                print(f"{label:<12} {opened * 1000:>8.1f} {piped * 1000:>12.1f}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
