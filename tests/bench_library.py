"""Library benchmark: ``python -m tests.bench_library [runs]``.

For each operation, against the in-process lab: WSMan requests and bytes (from the lab's request log, NTLM handshake
included) and the median wall time over N runs, next to a bare pypsrp script doing the same reads (WSMan +
RunspacePool + one PowerShell with the same cmdlets), all in this process. Targets: <= 7 requests for the no-op check
(the role run's target, docs/performance.md: the library alone must not need more), <= 1.3x the bare script's time.
A benchmark, not a test: it prints figures and never fails on timing. ``make bench`` prints the figures of
docs/performance.md (tests/lab/bench_targets.py); ``python -m tests.lab.bench --details`` adds this one.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests import conftest as _collection_path  # noqa: F401  (puts ansible_collections.configmgr.scp on sys.path)
from tests.lab.lab import Lab

SCENARIO = "hierarchy"
PROVIDER, SITE_CODE, SCP_HOST = "cas01.contoso.com", "CAS", "scp01.contoso.com"
NOOP_REQUEST_TARGET = 7
RATIO_TARGET = 1.3
THREADS_KEY = "HKLM:\\SOFTWARE\\Microsoft\\SMS\\Components\\SMS_EXECUTIVE\\Threads\\SMS_DMP_DOWNLOADER"

# The bare script's statements: (cmdlet, parameters, error action). The same cmdlets the library sends.
BARE_NOOP: list[tuple[str, dict[str, Any], str]] = [
    ("Get-Item", {"Path": "Env:SMS_ADMIN_UI_PATH"}, "SilentlyContinue"),
    ("Import-Module", {"Name": "ConfigurationManager"}, "Stop"),
    ("New-PSDrive", {"Name": SITE_CODE, "PSProvider": "CMSite", "Root": PROVIDER}, "SilentlyContinue"),
    ("Set-Location", {"Path": f"{SITE_CODE}:"}, "Stop"),
    ("Get-Module", {"Name": "ConfigurationManager"}, "Stop"),
    ("Get-CMSite", {}, "Stop"),
    ("Get-CMServiceConnectionPoint", {"AllSite": None}, "Stop"),
    ("Get-CMSiteSystemServer", {"AllSite": None}, "Stop"),
    ("Get-CMHierarchySetting", {}, "Stop"),
    ("Get-CMAADApplication", {}, "Stop"),
    ("Get-CMSiteUpdate", {"Fast": None}, "Stop"),
]
BARE_DISCOVER: list[tuple[str, dict[str, Any], str]] = [
    ("Get-CimInstance", {"Namespace": "root\\SMS", "ClassName": "SMS_ProviderLocation"}, "Stop"),
]
BARE_THREAD: list[tuple[str, dict[str, Any], str]] = [
    ("Get-ItemProperty", {"Path": THREADS_KEY}, "SilentlyContinue"),
    ("Get-Service", {"Name": "SMS_EXECUTIVE"}, "SilentlyContinue"),
]


@dataclass
class Figures:
    requests: int
    bytes_out: int  # client -> server
    bytes_in: int  # server -> client
    median_ms: float


Statements = list[tuple[str, dict[str, Any], str]]
PIPELINES: dict[str, int] = {}  # operation name -> pipelines the library ran in its last run


def bare_read(lab: Lab, fqdn: str, *trips: Statements) -> Callable[[], Callable[[], None]]:
    """One run of the bare pypsrp script (one PowerShell per trip, one pool); returns the closer (not timed)."""

    def run() -> Callable[[], None]:
        pool = RunspacePool(WSMan(**lab.connection(fqdn)))
        pool.open()
        for statements in trips:
            ps = PowerShell(pool)
            for name, params, action in statements:
                ps.add_cmdlet(name)
                for key, value in params.items():
                    if value is None:
                        ps.add_parameter(key)
                    else:
                        ps.add_parameter(key, value)
                ps.add_parameter("ErrorAction", action)
                ps.add_statement()
            ps.invoke()
            if ps.had_errors:
                raise RuntimeError(f"bare script failed on {fqdn}: {ps.streams.error}")
        return pool.close

    return run


def library_noop(lab: Lab, site_code: str | None = SITE_CODE) -> Callable[[], Callable[[], None]]:
    """The module path of a no-op check: with the site code known (bootstrap + reads: one pipeline) or without it
    (SMS_ProviderLocation discovery first: two pipelines)."""
    key = f"noop-{'known' if site_code else 'discover'}"

    def run() -> Callable[[], None]:
        session = Session(ConnectionOptions.from_host_vars(lab.host_vars(PROVIDER), inventory_hostname=PROVIDER))
        SiteProvider(session, site_code=site_code).read_state()
        PIPELINES[key] = session.pipelines_run
        return session.close

    return run


def library_thread(lab: Lab) -> Callable[[], Callable[[], None]]:
    def run() -> Callable[[], None]:
        session = Session(ConnectionOptions.from_host_vars(lab.host_vars(SCP_HOST), inventory_hostname=SCP_HOST))
        ScpHost(session).thread_state()
        return session.close

    return run


def measure_pair(
    lab: Lab, library: Callable[[], Callable[[], None]], bare: Callable[[], Callable[[], None]], runs: int
) -> tuple[Figures, Figures]:
    """Library and bare runs interleaved (so machine noise hits both alike), GC paused while timing; one warm-up each.
    Requests/bytes come from the last run of each, pool close excluded."""
    library()()
    bare()()
    times: dict[str, list[float]] = {"library": [], "bare": []}
    logs: dict[str, list[dict[str, Any]]] = {"library": [], "bare": []}
    for _run in range(runs):
        for name, operation in (("library", library), ("bare", bare)):
            lab.clear_log()
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                close = operation()
                times[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
            logs[name] = lab.requests()
            close()

    def figures(name: str) -> Figures:
        requests = logs[name]
        return Figures(
            len(requests),
            sum(r["bytes_in"] for r in requests),
            sum(r["bytes_out"] for r in requests),
            statistics.median(times[name]) * 1000,
        )

    return figures("library"), figures("bare")


def table(rows: list[tuple[str, Figures, Figures, int | None]]) -> str:
    head = f"{'operation':<44} {'req':>5} {'sent B':>9} {'recv B':>9} {'ms':>9} | {'req':>5} {'sent B':>9} {'recv B':>9} {'ms':>9} | {'ratio':>6}  targets"
    lines = [f"{'':<44} {'cmscp library':<45} | {'bare pypsrp script':<45} |", head, "-" * len(head)]
    for name, lib, bare, request_target in rows:
        ratio = lib.median_ms / bare.median_ms if bare.median_ms else float("inf")
        verdicts = [f"time {'ok' if ratio <= RATIO_TARGET else 'MISSED'} (<= {RATIO_TARGET:.1f}x)"]
        if request_target is not None:
            verdicts.append(f"requests {'ok' if lib.requests <= request_target else 'MISSED'} (<= {request_target})")
        lines.append(
            f"{name:<44} {lib.requests:5d} {lib.bytes_out:9d} {lib.bytes_in:9d} {lib.median_ms:9.1f} | "
            f"{bare.requests:5d} {bare.bytes_out:9d} {bare.bytes_in:9d} {bare.median_ms:9.1f} | {ratio:5.2f}x  {', '.join(verdicts)}"
        )
    return "\n".join(lines)


def main(runs: int = 20) -> int:
    with Lab(SCENARIO) as lab:
        rows = [
            (
                "no-op, site code known (1 pipeline)",
                *measure_pair(lab, library_noop(lab), bare_read(lab, PROVIDER, BARE_NOOP), runs),
                NOOP_REQUEST_TARGET,
            ),
            (
                "no-op, site code discovered (2 pipelines)",
                *measure_pair(lab, library_noop(lab, None), bare_read(lab, PROVIDER, BARE_DISCOVER, BARE_NOOP), runs),
                None,
            ),
            (
                "SCP host thread read: open + read",
                *measure_pair(lab, library_thread(lab), bare_read(lab, SCP_HOST, BARE_THREAD), runs),
                None,
            ),
        ]
    print(
        f"Library vs bare pypsrp against the lab (scenario {SCENARIO}, NTLM over HTTPS, median of {runs} runs; requests and bytes "
        "include the NTLM handshake, pool close excluded)"
    )
    print(table(rows))
    print(
        f"library pipelines per no-op check: site code known {PIPELINES.get('noop-known')}, discovered {PIPELINES.get('noop-discover')} (expected 1 and 2)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
