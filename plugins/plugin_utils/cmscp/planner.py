"""Pure planner: current ProviderState + desired SCP -> ordered Steps, or PlanRefused. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .configmgr.model import Intent, ProviderState, SiteSystemSpec, ThreadState, check_site_is_top_tier, normalise_mode
from .configmgr.topology import Topology, require_top_tier, same_machine
from .errors import InvalidOption, PlanRefused
from .steps import PlanStep


@dataclass(frozen=True)
class DesiredScp:
    state: str = "present"  # present | absent
    server: str | None = None  # FQDN; required for present
    site_code: str | None = None  # default: the top-tier site
    mode: str | None = None  # Online | Offline; None keeps the current mode (Online on install)
    allow_move: bool = False
    site_system: SiteSystemSpec | None = None
    wait: bool = True

    def __post_init__(self) -> None:
        # the edge: names and the mode are normalised once here (InvalidOption for a bad mode), so the planner and
        # its steps only ever see "Online" / "Offline" and lower-case FQDNs
        if self.server:
            object.__setattr__(self, "server", self.server.lower())
        if self.site_code:
            object.__setattr__(self, "site_code", self.site_code.upper())
        if self.mode is not None:
            object.__setattr__(self, "mode", normalise_mode(self.mode))


# -- plan steps: one frozen dataclass per kind; the executor dispatches on the type ---------------------------------
@dataclass(frozen=True)
class Step(PlanStep):
    """A step of plan_scp (the other modules' plans have their own kinds, cmscp/decide/)."""


@dataclass(frozen=True)
class EnsureSiteSystem(Step):
    action: ClassVar[str] = "ensure_site_system"
    mutates: ClassVar[bool] = True
    spec: SiteSystemSpec  # server and site_code filled in

    @property
    def expects(self) -> dict[str, Any]:
        return {"site_system": self.spec.server}


@dataclass(frozen=True)
class AddScp(Step):
    action: ClassVar[str] = "add_scp"
    mutates: ClassVar[bool] = True
    server: str
    site_code: str
    mode: str  # Online | Offline

    @property
    def expects(self) -> dict[str, Any]:
        return {"scp": {"server": self.server, "site_code": self.site_code, "mode": self.mode}}


@dataclass(frozen=True)
class SetMode(Step):
    action: ClassVar[str] = "set_mode"
    mutates: ClassVar[bool] = True
    server: str
    site_code: str
    mode: str  # Online | Offline

    @property
    def expects(self) -> dict[str, Any]:
        return {"mode": self.mode}


@dataclass(frozen=True)
class RemoveScp(Step):
    action: ClassVar[str] = "remove_scp"
    mutates: ClassVar[bool] = True
    server: str
    site_code: str
    moving: bool = False  # a move expects no SCP on `server`; a removal none at all

    @property
    def expects(self) -> dict[str, Any]:
        return {"scp_on" if self.moving else "scp": None}


@dataclass(frozen=True)
class Wait(Step):
    """The wait for Site Component Manager on `server`: its thread state and, after this run's Add / Remove on
    `server`, the completion in the sitecomp.log of the site server of `site_code`."""

    mutates: ClassVar[bool] = False
    server: str
    site_code: str | None


@dataclass(frozen=True)
class WaitInstalled(Wait):
    action: ClassVar[str] = "wait_installed"

    @property
    def expects(self) -> dict[str, Any]:
        return {"thread": "Running"}


@dataclass(frozen=True)
class WaitRemoved(Wait):
    action: ClassVar[str] = "wait_removed"

    @property
    def expects(self) -> dict[str, Any]:
        return {"installed": False}


@dataclass(frozen=True)
class Verify(Step):
    """After a move: the hierarchy has one SCP, on `server`."""

    action: ClassVar[str] = "verify"
    mutates: ClassVar[bool] = False
    server: str
    site_code: str
    mode: str

    @property
    def expects(self) -> dict[str, Any]:
        return {"scp": {"server": self.server, "site_code": self.site_code, "mode": self.mode}}


@dataclass(frozen=True)
class RecordIntent(Step):
    action: ClassVar[str] = "record_intent"
    mutates: ClassVar[bool] = True
    intent: Intent


@dataclass(frozen=True)
class ClearIntent(Step):
    action: ClassVar[str] = "clear_intent"
    mutates: ClassVar[bool] = False  # the collection's own record, not the site: not a change


@dataclass
class Plan:
    steps: list[Step]
    before: dict[str, Any] | None  # {"server", "site_code", "mode"} or None
    predicted_after: dict[str, Any] | None
    restart_required: bool = False
    moved_from: str | None = None
    pending: str | None = None  # "install" | "removal": configured but not in effect yet
    drift: str | None = None  # why the downloader does not run the configured mode (restart it)

    @property
    def changed(self) -> bool:
        return any(step.mutates for step in self.steps)

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.steps]


def plan_scp(
    current: ProviderState, desired: DesiredScp, installed: Mapping[str, bool | None | ThreadState] | None = None
) -> Plan:
    """Decide what to do. Raises PlanRefused (with where/why) or InvalidOption.

    `installed` maps a server FQDN to whether the role's thread key exists on it (ScpHost.thread_state().present),
    None when it could not be read. It makes the effective state part of the current state: a role that is
    configured but not installed yet (an earlier run gave up waiting) is waited for again, and so is a role that
    was removed from the site but is still installed on its server."""
    if desired.state not in ("present", "absent"):
        raise InvalidOption("state", f"must be present or absent, got {desired.state!r}")
    host = current.provider
    hierarchy = current.hierarchy
    top = hierarchy.top_tier
    topology = Topology.from_state(current)
    scp = current.scp
    before = scp.to_dict() if scp else None
    if len(current.scps) > 1:
        raise PlanRefused(
            f"the hierarchy has {len(current.scps)} service connection points ({', '.join(s.server for s in current.scps)}); "
            f"only one is supported: fix it by hand",
            host,
            "plan",
        )
    server = desired.server
    mode = desired.mode
    observed = {k.lower(): v for k, v in (installed or {}).items()}
    known = {k: (v.present if isinstance(v, ThreadState) else v) for k, v in observed.items()}
    intent = current.intent

    if desired.state == "absent":
        if scp is None and not server and intent is not None and intent.source:
            server = intent.source  # the server an earlier removal (or move) took the SCP from
        if scp is None or (server and scp.server != server):
            if server and known.get(server) is True and desired.wait:
                # removed from the site earlier, still installed on the server: finish waiting for the removal
                return Plan(
                    [
                        WaitRemoved(
                            f"wait until the role is uninstalled from {server} (removed from the site earlier, "
                            "still installed)",
                            server=server,
                            site_code=None,
                        )
                    ],
                    before,
                    before,
                    pending="removal",
                )
            return Plan([], before, before)
        require_top_tier(current, f"remove the service connection point from {scp.server} (site {scp.site_code})")
        _refuse_busy(current, host, "remove the service connection point")
        # the record of what was removed (server, site, mode) stays on the provider host: a site expansion
        # reinstalls the SCP at the CAS in that mode (playbooks/site_expansion.yml reads it as `intent`)
        steps: list[Step] = [
            RecordIntent(
                f"record the removed service connection point ({scp.server}, site {scp.site_code}, {scp.mode} mode) on the SMS Provider host",
                intent=Intent("remove", scp.server, None, scp.site_code, scp.mode),
            ),
            RemoveScp(
                f"remove the service connection point from {scp.server} (site {scp.site_code})",
                server=scp.server,
                site_code=scp.site_code,
            ),
        ]
        if desired.wait and known.get(scp.server) is not False:
            # added but never installed (no thread key): there is no de-installation to wait for
            steps.append(
                WaitRemoved(
                    f"wait until the role is uninstalled from {scp.server}", server=scp.server, site_code=scp.site_code
                )
            )
        return Plan(steps, before, None)

    if not server:
        raise InvalidOption("server", "state=present needs the FQDN of the server that hosts the SCP")
    site_code = (desired.site_code or (top.site_code if top else current.site_code) or "").upper()
    if top is not None and hierarchy.site(site_code) is None:
        raise PlanRefused(
            f"site {site_code} does not exist in this hierarchy (sites: {', '.join(s.site_code for s in hierarchy.sites)})",
            host,
            "plan",
        )
    verdict = check_site_is_top_tier(hierarchy, site_code)
    if not verdict.ok and top is None and hierarchy.site(site_code) is None and current.site_code:
        verdict = check_site_is_top_tier(hierarchy, current.site_code.upper())  # a child's provider: name its parent
    if not verdict.ok:
        raise PlanRefused(verdict.message, host, "plan")
    partner = topology.ha_partner(server)
    if partner is not None:
        # [OFFICIAL] site-server-high-availability: "Don't host the service connection point role on either site
        # server configured for high availability. If it's currently on the original site server, remove it, and
        # install it on another site system server."
        already = scp is not None and same_machine(scp.server, server)
        raise PlanRefused(
            f"{server} is a site server configured for high availability at site {partner[0]} (site servers {', '.join(partner[1])}): "
            "Microsoft says not to host the service connection point on either site server of an HA "
            "pair; choose another site system server"
            + (
                f" (the SCP is configured there now: give another site system server with allow_move=true to move it off {server})"
                if already
                else ""
            ),
            host,
            "plan",
        )

    steps = []
    moved_from = None
    if mode is None and scp is not None and scp.server != server and scp.mode is None:
        raise PlanRefused(
            f"could not read the current mode of the service connection point on {scp.server} (no OfflineMode "
            f"property): give mode to move it to {server}",
            host,
            "plan",
        )
    # the documented default of `mode`: the current mode, also when the role moves (an interrupted move: the mode its
    # record kept); Online on a first install
    target_mode = (
        mode
        or (scp.mode if scp else None)
        or (intent.mode if intent and intent.operation == "move" else None)
        or "Online"
    )
    after: dict[str, str | None] = {"server": server, "site_code": site_code, "mode": target_mode}

    if scp is not None and scp.server == server and scp.site_code == site_code:
        steps += _site_system_steps(current, desired, server, site_code, required=False)
        if steps:
            require_top_tier(current, f"configure the site system server {server}")
        if mode and scp.mode is None:
            raise PlanRefused(
                f"could not read the current mode of the service connection point on {server} (no OfflineMode "
                f"property): refusing to set {mode} mode on every run; check the role in the console",
                host,
                "plan",
            )
        # a mode change, or drift, needs a restart of the downloader: the role's handler (or component) does it
        restart = False
        if mode and scp.mode != mode:
            require_top_tier(current, "change the service connection point mode")
            _refuse_expansion(current, host, "change the service connection point mode")
            steps.append(
                SetMode(
                    f"set the service connection point on {server} to {mode} mode (was {scp.mode})",
                    server=server,
                    site_code=scp.site_code,
                    mode=mode,
                )
            )
            restart = True
        after["mode"] = mode or scp.mode
        pending = None
        drift = None
        seen = observed.get(server)
        if not restart and isinstance(seen, ThreadState) and seen.needs_restart:
            # drift: a mode change that no restart applied yet, or the thread left stopped: the downloader does not
            # run the configured mode; the restart (the role's handler, or component) repairs it
            drift = _drift(seen)
            restart = True
        if intent is not None and known.get(server) is not False:
            steps.append(ClearIntent(f"forget the recorded move to {intent.target}: it is done"))
        if known.get(server) is False:
            # configured but its thread key does not exist yet: not installed (an earlier wait gave up, or
            # Site Component Manager has not run): the desired state is the installed role, so wait again
            pending = "install"
            if desired.wait:
                steps.append(
                    WaitInstalled(
                        f"wait until SMS_DMP_DOWNLOADER runs on {server} (configured, not installed yet)",
                        server=server,
                        site_code=site_code,
                    )
                )
        return Plan(steps, before, after, restart_required=restart, pending=pending, drift=drift)

    if scp is not None:
        require_top_tier(current, "move the service connection point")
        if not desired.allow_move and scp.server == server:
            raise PlanRefused(
                f"the service connection point on {server} is at site {scp.site_code}, not at the top-tier site {site_code}: set "
                f"allow_move=true to remove it and add it again at {site_code}",
                host,
                "plan",
            )
        if not desired.allow_move:
            raise PlanRefused(
                f"the service connection point is already configured on {scp.server} (site {scp.site_code}); one is allowed per "
                f"hierarchy. Set allow_move=true to move it to {server}",
                host,
                "plan",
            )
        _refuse_busy(current, host, "move the service connection point")
        moved_from = scp.server
        steps += [
            RecordIntent(
                f"record the move from {scp.server} to {server} ({target_mode} mode) on the SMS Provider host, so that running "
                "again finishes it",
                intent=Intent("move", scp.server, server, site_code, target_mode),
            ),
            RemoveScp(
                f"remove the service connection point from {scp.server}",
                server=scp.server,
                site_code=scp.site_code,
                moving=True,
            ),
            WaitRemoved(
                f"wait until the role is uninstalled from {scp.server}", server=scp.server, site_code=scp.site_code
            ),
        ]
    else:
        require_top_tier(current, "install the service connection point")
        _refuse_busy(current, host, "install the service connection point")
    steps += _site_system_steps(current, desired, server, site_code, required=True)
    steps.append(
        AddScp(
            f"add the service connection point on {server} (site {site_code}, {target_mode} mode)",
            server=server,
            site_code=site_code,
            mode=target_mode,
        )
    )
    if desired.wait or moved_from:
        steps.append(
            WaitInstalled(f"wait until SMS_DMP_DOWNLOADER runs on {server}", server=server, site_code=site_code)
        )
    if moved_from:
        steps.append(
            Verify(
                f"verify that the hierarchy has one service connection point, on {server}",
                server=server,
                site_code=site_code,
                mode=target_mode,
            )
        )
    if moved_from or intent is not None:
        steps.append(ClearIntent(f"forget the recorded move: the SCP is on {server}"))
    return Plan(steps, before, after, restart_required=False, moved_from=moved_from)


def _drift(seen: ThreadState) -> str:
    if seen.pending_mode:
        return f"{seen.pending_mode} mode was set and no restart of SMS_DMP_DOWNLOADER has applied it yet"
    return (
        f"SMS_DMP_DOWNLOADER is {seen.current_state or 'not running'} (requested {seen.requested_operation or 'None'})"
    )


def _site_system_steps(
    current: ProviderState, desired: DesiredScp, server: str, site_code: str, required: bool
) -> list[Step]:
    existing = current.site_system(server)
    spec = desired.site_system or (SiteSystemSpec(server=server) if required else None)
    if spec is None:
        return []
    spec = SiteSystemSpec(**{**spec.__dict__, "server": server, "site_code": spec.site_code or site_code})
    diff = spec.differences(existing)
    if existing is not None and not diff:
        return []
    if existing is None:
        text = f"create the site system server {server} in site {spec.site_code}"
    else:
        text = f"configure the site system server {server} ({', '.join(sorted(diff))})"
    return [EnsureSiteSystem(text, spec=spec)]


def _refuse_expansion(current: ProviderState, host: str, what: str) -> None:
    expanding = [s.site_code for s in current.hierarchy.sites if s.expansion_in_progress]
    if expanding:
        raise PlanRefused(f"cannot {what}: site expansion is in progress (site {', '.join(expanding)})", host, "plan")


def _refuse_busy(current: ProviderState, host: str, what: str) -> None:
    _refuse_expansion(current, host, what)
    installing = current.updates_in_progress
    if installing:
        raise PlanRefused(
            f"cannot {what} while an update is installing ({', '.join(installing)}); wait until it finishes",
            host,
            "plan",
        )
