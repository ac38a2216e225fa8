"""The mutating flows of the fault matrix, run at the library level against the in-process lab exactly as the action
plugins do (read -> plan -> execute; the role's handler restart after a mode change), with short real timeouts and the
lab's simulated clock for the waits. Also: the enumeration of every remote call a clean run makes (every fault take
the lab evaluates), and the observations the matrix asserts on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.apply.scp import converge_scp
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.constants import STATE_KEY
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import READS, SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.functional.conftest import DeadlineSession, LabKit
from tests.lab.lab import Lab
from tests.lab.wsman.backend import NAMES_SEPARATOR

CM01, SCP01, NEW01, CAS01 = "cm01.contoso.com", "scp01.contoso.com", "new01.contoso.com", "cas01.contoso.com"
PROXY_ACCOUNT = "CONTOSO\\svc-cmproxy"
DMP_ROLE = "SMS Dmp Connector"
# Short real timeouts: each Receive long-polls 1 s, an HTTP answer is awaited 2 s, a pipeline has 8 s.
FAST = {"operation_timeout": 1, "read_timeout": 2, "reconnection_backoff": 0.1}
COMMAND_TIMEOUT = 8
LAB_KWARGS = {"fault_hold": 3.0, "max_poll": 0.5}  # a held request ("timeout", "lost_receive") closes after 3 s
WAIT_TIMEOUT = 300  # simulated seconds (the SCP host polls every 10 simulated s)
MUTATING = ("Add-", "Set-", "New-", "Remove-", "Restart-", "Start-", "Stop-", "Invoke-CM")
NOT_MUTATING = ("Set-Location", "New-PSDrive", "New-Object")


def is_mutating(cmdlet: str) -> bool:
    return str(cmdlet).startswith(MUTATING) and cmdlet not in NOT_MUTATING


class Rig:
    """Sessions, providers and SCP hosts as the action plugins build them, with short timeouts. One per run."""

    def __init__(self, kit: LabKit) -> None:
        self.kit = kit

    def session(self, fqdn: str) -> Session:
        session = DeadlineSession(self.kit.options(fqdn, **FAST), COMMAND_TIMEOUT)
        self.kit.sessions.append(session)
        return session

    def provider(self, fqdn: str = CM01) -> SiteProvider:
        return SiteProvider(self.session(fqdn), site_code=None, sessions=self.session)

    def scp_host(self, fqdn: str) -> ScpHost:
        return ScpHost(self.session(fqdn), sleep=self.kit.lab.advance, clock=self.kit.now, poll_interval=10.0)


class NoLease:
    """The matrix runs one job at a time (the lease is tests/integration/test_concurrency.py's): no lease file."""

    def take(self, progress: object = None) -> None:
        return None

    def release(self) -> None:
        return None


@dataclass
class RunResult:
    changed: bool = False  # what the run reported as changed before it ended (or failed)
    warnings: list[str] = field(default_factory=list)


def converge(rig: Rig, desired: DesiredScp, handler: bool = False, provider: str = CM01) -> RunResult:
    """read -> plan -> execute as plugins/action/service_connection_point.py; with `handler`, the role's handler
    (ScpHost.restart_thread) when the plan says a restart is required or the thread drifted."""
    result = RunResult()
    prov = rig.provider(provider)
    run = converge_scp(
        prov,
        desired,
        rig.scp_host,
        check_mode=False,
        wait_timeout=WAIT_TIMEOUT,
        lease_factory=lambda prov, ttl: NoLease(),
    )
    plan, result.warnings = run.plan, run.warnings
    result.changed = plan.changed
    if handler and (plan.restart_required or plan.drift):
        try:
            rig.scp_host(desired.server).restart_thread(timeout=120)
        except Exception as err:  # the task reported changed; the handler failed
            if result.changed and hasattr(err, "changed"):
                err.changed = True
            raise
        result.changed = True
    return result


def site_system_spec() -> SiteSystemSpec:
    return SiteSystemSpec(
        NEW01,
        site_code="PS1",
        account_name="CONTOSO\\cmadmin",
        proxy_server="proxy.contoso.com",
        proxy_port=3128,
        proxy_account=PROXY_ACCOUNT,
    )


def run_site_system(rig: Rig) -> RunResult:
    return RunResult(changed=rig.provider().ensure_site_system_server(site_system_spec()))


def run_usage(rig: Rig) -> RunResult:
    """As the module does: read the level, set it when it differs."""
    prov = rig.provider()
    if prov.read_state(include=("sites", "usage")).usage_data_level == "Full":
        return RunResult()
    prov.set_usage_data_level("Full")
    return RunResult(changed=True)


def expansion_mode(rig: Rig) -> str:
    """playbooks/site_expansion.yml's `se_old_mode`: the SCP's mode as the primary's provider sees it, else the mode
    the removal of step 1 recorded on the primary's SMS Provider host, else online."""
    state = rig.provider(CM01).read_state(include=READS)
    if state.scp is not None:
        return state.scp.mode
    if state.intent is not None and state.intent.operation == "remove" and state.intent.mode:
        return state.intent.mode
    return "Online"


def run_expansion_after(rig: Rig) -> RunResult:
    """Step 4 of the expansion: the SCP at the CAS (its site server), through the CAS's provider, in the old mode."""
    return converge(rig, DesiredScp(server=CAS01, mode=expansion_mode(rig)), provider=CAS01)


def setup_expanded(kit: LabKit) -> None:
    """The world after steps 1-3: the SCP removed at the stand-alone primary (clean), setup run (the lab's expand),
    an hour of simulated time for the sites to settle."""
    converge(Rig(kit), DesiredScp(state="absent"))
    kit.lab.expand("CAS", CAS01)
    kit.lab.advance(3600)
    kit.lab.clear_log()


def _scp(state: dict[str, Any]) -> dict[str, Any]:
    return state["scp"]


def _site_system(state: dict[str, Any], fqdn: str) -> dict[str, Any] | None:
    return {s["fqdn"]: s for s in state["hierarchy"]["site_systems"]}.get(fqdn)


@dataclass
class Flow:
    name: str
    scenario: str
    run: Callable[[Rig], RunResult]
    converged: Callable[[dict[str, Any]], bool]
    scp_desired: bool  # an SCP must exist at the end (invariant 4)
    extra_faults: tuple[str, ...] = ()  # world-stage kinds that apply (install_fail, thread_stuck)
    setup: Callable[[LabKit], None] | None = None  # brings the lab to the flow's starting point (unfaulted)
    recorded: Callable[[LabKit], bool] | None = None  # what the run must have left on a host besides the state


def _installed(server: str, mode: str) -> Callable[[dict[str, Any]], bool]:
    def check(state: dict[str, Any]) -> bool:
        scp = _scp(state)
        return (
            scp["configured"] is not None
            and scp["configured"]["server"] == server
            and scp["configured"]["mode"] == mode
            and scp["installed_on"] == [server]
        )

    return check


def _mode_online(state: dict[str, Any]) -> bool:
    scp = _scp(state)
    return _installed(SCP01, "Online")(state) and scp["effective_mode"] == "Online" and scp["thread_state"] == "Running"


def _absent(state: dict[str, Any]) -> bool:
    return _scp(state)["configured"] is None and _scp(state)["installed_on"] == []


def _removal_recorded(kit: LabKit) -> bool:
    """The removal of step 1 recorded the SCP's mode on the primary's SMS Provider host (step 4 reads it)."""
    host = kit.lab.world.host(CM01)
    assert host is not None
    with kit.lab.world.lock:
        op = host.registry.get_value(STATE_KEY, "IntentOperation")
        mode = host.registry.get_value(STATE_KEY, "IntentMode")
    return op is not None and op[0] == "remove" and mode is not None and str(mode[0]).lower() == "offline"


def _site_system_done(state: dict[str, Any]) -> bool:
    server = _site_system(state, NEW01)
    return (
        server is not None
        and server.get("proxy") == "proxy.contoso.com:3128"
        and server.get("proxy_account") == PROXY_ACCOUNT
        and server.get("account") == "CONTOSO\\cmadmin"
    )


FLOWS: dict[str, Flow] = {
    f.name: f
    for f in (
        Flow(
            "install",
            "standalone-primary",
            lambda rig: converge(rig, DesiredScp(server=SCP01, mode="Online")),
            _installed(SCP01, "Online"),
            True,
            ("install_fail",),
        ),
        Flow(
            "mode_change",
            "scp-remote",
            lambda rig: converge(rig, DesiredScp(server=SCP01, mode="Online"), handler=True),
            _mode_online,
            True,
            ("thread_stuck",),
        ),
        Flow("remove", "scp-remote", lambda rig: converge(rig, DesiredScp(state="absent")), _absent, False),
        Flow(
            "move",
            "scp-remote",
            lambda rig: converge(rig, DesiredScp(server=CM01, allow_move=True)),
            _installed(CM01, "Offline"),
            True,
            ("install_fail",),
        ),
        Flow(
            "expansion_before",
            "expansion",
            lambda rig: converge(rig, DesiredScp(state="absent")),
            _absent,
            False,
            recorded=_removal_recorded,
        ),
        Flow(
            "expansion_after",
            "expansion",
            run_expansion_after,
            _installed(CAS01, "Offline"),
            True,
            ("install_fail",),
            setup=setup_expanded,
        ),
        # the other topologies: the SMS Provider on its own server (the task aims at the site server), a hierarchy
        # (the CAS is the top tier; its child primaries exist), an HA pair (active and passive site servers)
        Flow(
            "install_remote_provider",
            "remote-provider",
            lambda rig: converge(rig, DesiredScp(server=SCP01, mode="Online")),
            _installed(SCP01, "Online"),
            True,
            ("install_fail",),
        ),
        Flow(
            "move_cas",
            "cas-two-primaries",
            lambda rig: converge(rig, DesiredScp(server=CAS01, allow_move=True), provider=CAS01),
            _installed(CAS01, "Online"),
            True,
        ),
        Flow(
            "install_ha",
            "ha-pair",
            lambda rig: converge(rig, DesiredScp(server=SCP01, mode="Offline")),
            _installed(SCP01, "Offline"),
            True,
            ("install_fail",),
        ),
        Flow("site_system", "standalone-primary", run_site_system, _site_system_done, False),
        Flow(
            "usage_data",
            "standalone-primary",
            run_usage,
            lambda state: state["hierarchy"]["telemetry_level"] == "Full",
            False,
        ),
    )
}


def projection(kit: LabKit) -> dict[str, Any]:
    """What a flow can change, as the lab sees it (used for "nothing changed")."""
    state = kit.lab.state()
    scp = _scp(state)
    return {
        "scp": {k: scp.get(k) for k in ("configured", "installed_on", "effective_mode", "thread_state")},
        "site_system": _site_system(state, NEW01),
        "telemetry": state["hierarchy"]["telemetry_level"],
    }


def scp_roles(kit: LabKit) -> int:
    with kit.lab.world.lock:
        return sum(1 for r in kit.lab.world.hierarchy.roles if r.role_name == DMP_ROLE)


# -- enumeration --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    flow: str
    kind: str
    host: str
    cmdlet: str | None
    nth: int
    label: str  # the pipeline's cmdlets (what the call is)
    changing: bool  # the targeted call mutates something

    @property
    def id(self) -> str:
        return f"{self.flow}-{self.kind}-{self.host.split('.')[0]}-{self.cmdlet or 'any'}-{self.nth}"


def record_takes(lab: Lab) -> list[tuple[str, str, str | None]]:
    """Wrap the lab's fault table: every (stage, host, detail) the lab checks for a fault, in order."""
    events: list[tuple[str, str, str | None]] = []
    table = lab.world.faults
    original = table.take

    def take(stage: str, host: str | None, cmdlet: str | None = None) -> str | None:
        events.append((stage, (host or "").lower(), cmdlet))
        return original(stage, host, cmdlet)

    table.take = take  # type: ignore[method-assign]
    return events


def _pick(names: list[str], earlier: list[list[str]]) -> tuple[str, int]:
    """The cmdlet of a pipeline that targets it with the smallest nth (a mutating one on a tie)."""
    best: tuple[int, int, str] | None = None
    for name in names:
        nth = 1 + sum(1 for e in earlier if name.lower() in (n.lower() for n in e))
        key = (nth, 0 if is_mutating(name) else 1, name)
        if best is None or key < best:
            best = key
    assert best is not None
    return best[2], best[0]


def _first_and_last(items: list[Any]) -> set[int]:
    """Indexes of the first and the last occurrence of every distinct item."""
    first: dict[Any, int] = {}
    last: dict[Any, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item, i)
        last[item] = i
    return set(first.values()) | set(last.values())


def enumerate_cases(flow: Flow) -> tuple[list[Case], dict[str, Any]]:
    """Run the flow once clean (the lab's fault takes recorded) and derive every (call, kind) case."""
    lab = Lab(flow.scenario, **LAB_KWARGS).start()
    kit = LabKit(lab, flow.scenario)
    try:
        if flow.setup is not None:
            flow.setup(kit)
        events = record_takes(lab)
        flow.run(Rig(kit))
        assert flow.converged(lab.state()), f"the clean run of {flow.name} does not converge"
        assert flow.recorded is None or flow.recorded(kit), f"the clean run of {flow.name} left no record"
        calls = [(c["host"].lower(), c["cmdlet"]) for c in lab.calls()]
    finally:
        kit.close()
        lab.stop()
    cases: list[Case] = []
    seen_auth: set[str] = set()
    pipelines: dict[str, list[list[str]]] = {}  # host -> the cmdlet names of each pipeline, in order
    receives: dict[str, list[list[str]]] = {}
    invokes: dict[tuple[str, str], int] = {}
    commands: dict[str, int] = {}
    world_kinds: set[tuple[str, str]] = set()
    # Only distinct calls: a pipeline shape (host, its cmdlets) and a (host, cmdlet) are faulted on their first and
    # last occurrence (a wait loop repeats the same read dozens of times; the bootstrap repeats per session); a
    # failing read cmdlet (fail_cmdlet) on its first call on a host only.
    # timeout (2 s of real time each) only on changing pipelines and the first pipeline sent to each host;
    # lost_receive (about 7 s each: the no-progress stop) only on changing pipelines.
    receive_events: list[tuple[str, list[str]]] = []
    pipeline_events: list[tuple[str, list[str]]] = []
    invoke_events: list[tuple[str, str]] = []
    for stage, host, detail in events:
        if stage == "auth" and host not in seen_auth:
            seen_auth.add(host)
            cases.append(Case(flow.name, "fail_auth", host, None, 1, f"open a session to {host}", False))
        elif stage == "pipeline":
            pipelines.setdefault(host, []).append((detail or "").split(NAMES_SEPARATOR))
            pipeline_events.append((host, (detail or "").split(NAMES_SEPARATOR)))
        elif stage == "receive":
            receive_events.append((host, (detail or "").split(NAMES_SEPARATOR)))
        elif stage == "request" and detail == "Command":
            commands[host] = commands.get(host, 0) + 1
        elif stage == "invoke":
            invoke_events.append((host, detail or ""))
        elif stage == "sitecomp" and "install_fail" in flow.extra_faults:
            world_kinds.add(("install_fail", host))
        elif stage == "thread" and "thread_stuck" in flow.extra_faults:
            world_kinds.add(("thread_stuck", host))
    keep = _first_and_last([(h, tuple(n)) for h, n in receive_events])
    for i, (host, names) in enumerate(receive_events):
        earlier = receives.setdefault(host, [])
        if names == [""]:  # a registered constant script: no cmdlet names; the nth pipeline of the host
            cmdlet, nth, names = None, len(earlier) + 1, ["constant script"]
        else:
            cmdlet, nth = _pick(names, earlier)
        earlier.append(names)
        if i not in keep:
            continue
        changing = any(is_mutating(n) for n in names) or cmdlet is None
        for kind in ("drop_after",) + (("lost_receive",) if changing else ()):
            cases.append(Case(flow.name, kind, host, cmdlet, nth, " | ".join(names), changing))
    # hang (the pipeline never runs; the call's deadline ends it: about 10 s each) on changing pipelines only
    keep = _first_and_last([(h, tuple(n)) for h, n in pipeline_events])
    sent: dict[str, list[list[str]]] = {}
    for i, (host, names) in enumerate(pipeline_events):
        earlier = sent.setdefault(host, [])
        if names == [""]:
            cmdlet, nth, names = None, len(earlier) + 1, ["constant script"]
        else:
            cmdlet, nth = _pick(names, earlier)
        earlier.append(names)
        if i in keep and (any(is_mutating(n) for n in names) or cmdlet is None):
            cases.append(Case(flow.name, "hang", host, cmdlet, nth, " | ".join(names), True))
    keep = _first_and_last(invoke_events)
    for i, (host, cmdlet) in enumerate(invoke_events):
        invokes[(host, cmdlet)] = invokes.get((host, cmdlet), 0) + 1
        if cmdlet.lower() in SHAPING:
            continue  # it shapes the output of the read before it: that read's failure is its case
        if i in keep and (is_mutating(cmdlet) or invokes[(host, cmdlet)] == 1):  # a read: its first call only
            cases.append(
                Case(flow.name, "fail_cmdlet", host, cmdlet, invokes[(host, cmdlet)], cmdlet, is_mutating(cmdlet))
            )
    # drop / timeout hit the nth Command request of a host: the nth pipeline sent there
    for host, count in commands.items():
        names_of = pipelines.get(host, [])
        shapes = [(host, tuple(n)) for n in names_of]
        keep = _first_and_last(shapes)
        for n in range(1, count + 1):
            if n - 1 not in keep:
                continue
            names = names_of[n - 1] if n - 1 < len(names_of) else ["?"]
            if names == [""]:
                names = ["constant script"]
            changing = any(is_mutating(x) for x in names) or names == ["constant script"]
            for kind in ("drop",) + (("timeout",) if changing or n == 1 else ()):
                cases.append(Case(flow.name, kind, host, "Command", n, " | ".join(names), changing))
    for kind, host in sorted(world_kinds):
        cases.append(Case(flow.name, kind, host, None, 1, kind, True))
    summary = {"calls": calls, "pipelines": {h: len(p) for h, p in pipelines.items()}, "commands": commands}
    return cases, summary


# Cmdlets that only shape a read's output inside the read script or a log read (Select-Object -Property / -Skip,
# Where-Object, Measure-Object): a failure there is the failure of that read, which has its own case.
SHAPING = frozenset(("select-object", "where-object", "measure-object"))


def sample(cases: list[Case], full: bool) -> list[Case]:
    """`make evidence` (CMSCP_EVIDENCE=full) runs every case; `make test` every fourth case of each (flow, fault) cell,
    its first included, so that every cell is exercised."""
    if full:
        return cases
    seen: dict[tuple[str, str], int] = {}
    kept = []
    for case in cases:
        index = seen.get((case.flow, case.kind), 0)
        seen[(case.flow, case.kind)] = index + 1
        if index % 4 == 0:
            kept.append(case)
    return kept
