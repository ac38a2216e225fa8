"""Prerequisite checks for hosting the service connection point on a server: pass / warn / fail with evidence.

Remote reads are batched: one pipeline on the SMS Provider (skipped when the caller passes a state that already
holds the site roles) and one on the SCP host. A terminating error inside the SCP-host batch (Invoke-WebRequest
throws one for an unreachable URL whatever -ErrorAction says) marks that probe failed and the rest of the batch
runs again from the next statement, so a failing endpoint costs one extra round trip and hides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import CommandFailed
from ..pipeline import SWITCH, Pipeline
from ..session import Session
from .constants import (
    ADMINISTRATORS_SID,
    DOC_ENDPOINTS,
    DOC_HA,
    DOC_SCP,
    DOC_TLS,
    NET_FRAMEWORK_KEYS,
    SCP_ENDPOINTS,
    SITE_SERVER_ROLE,
)
from .model import AadApp, ProviderState, SiteSystemServer, SiteSystemSpec, check_site_is_top_tier, server_from_path
from .provider import OPTIONAL_READS, READS, SiteProvider
from .scphost import ScpHost
from .topology import ha_site_servers, same_machine

PASS, WARN, FAIL = "pass", "warn", "fail"
TLS_VALUES = ("SystemDefaultTlsVersions", "SchUseStrongCrypto")
DOC_ACCOUNTS = "https://learn.microsoft.com/intune/configmgr/core/plan-design/hierarchy/accounts"
DOC_TOP_TIER = (
    "https://learn.microsoft.com/intune/configmgr/core/servers/deploy/configure/about-the-service-connection-point"
)
DOC_USAGE = "https://learn.microsoft.com/intune/configmgr/core/plan-design/diagnostics/diagnostics-and-usage-data"
DOC_AAD = "https://learn.microsoft.com/intune/configmgr/core/servers/deploy/configure/azure-services-wizard#bkmk_renew"


@dataclass
class CheckResult:
    id: str
    status: str  # pass | warn | fail
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    reference: str | None = None  # documentation URL

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "evidence": dict(self.evidence),
            "reference": self.reference,
        }


def run_prerequisites(
    provider: SiteProvider,
    server: str,
    scp_host: ScpHost | None = None,
    *,
    state: ProviderState | None = None,
    site_code: str | None = None,
    mode: str | None = None,
    allow_move: bool = False,
    site_system: SiteSystemSpec | None = None,
    endpoints: Sequence[str] = SCP_ENDPOINTS,
    port: int = 443,
    secret_warn_days: int = 30,
    now: datetime | None = None,
) -> list[CheckResult]:
    """All checks for hosting the SCP on `server` (FQDN). `scp_host` is a connection to that server; without it the
    host-side checks are reported as warnings (not checked). `site_system` is the planned site system settings
    (installation account, proxy) when they are not applied yet."""
    server = server.lower()
    if state is None or state.site_roles is None:
        if state is None:
            state = provider.read_state(include=READS + OPTIONAL_READS)
        else:
            state = replace(state, site_roles=provider.site_roles())
    now = now or datetime.now(timezone.utc)
    target = (site_code or state.site_code or "").upper()
    current = state.site_system(server)
    proxy = _proxy(current, site_system)
    proxy_account = _proxy_account(current, site_system) if proxy else None
    effective_mode = mode or (state.scp.mode if state.scp else None) or "Online"
    site_servers = _site_servers(state, target)

    results = [_top_tier(state, target), _single_scp(state, server, allow_move), _ha(state, server)]
    if scp_host is None:
        results += [
            CheckResult(cid, WARN, f"not checked: no connection to {server}", {}, ref)
            for cid, ref in (("site_server_admin", DOC_SCP), ("internet_endpoints", DOC_ENDPOINTS), ("tls12", DOC_TLS))
        ]
    else:
        # An authenticated proxy cannot be probed without the account's password (ConfigMgr keeps it): probe directly
        # only and report the proxied path as not probed.
        probe = HostProbe(scp_host.session, endpoints, port, None if proxy_account else proxy)
        probe.run()
        known = state.hierarchy.site(target) is not None
        results.append(_admin(probe, server, site_servers, current, site_system, target if not known else None))
        results.append(_endpoints(probe, server, effective_mode, proxy if proxy_account else None, proxy_account))
        results.append(_tls(probe, server, effective_mode))
    results.append(_usage(state))
    results.append(_aad(state, server, now, secret_warn_days))
    return results


def probe_connectivity(
    scp_host: ScpHost,
    server: str,
    site_system: SiteSystemServer | None,
    *,
    endpoints: Sequence[str] = SCP_ENDPOINTS,
    port: int = 443,
) -> list[CheckResult]:
    """The preflight's `internet_endpoints` and `tls12` checks of an online SCP on `server`, run on its host with the
    proxy its site system has: why the service may be out of reach (one pipeline, one more per endpoint that fails
    through the proxy)."""
    proxy = _proxy(site_system, None)
    proxy_account = _proxy_account(site_system, None) if proxy else None
    probe = HostProbe(scp_host.session, endpoints, port, None if proxy_account else proxy)
    probe.run()
    server = server.lower()
    return [
        _endpoints(probe, server, "Online", proxy if proxy_account else None, proxy_account),
        _tls(probe, server, "Online"),
    ]


# -- SCP host batch ------------------------------------------------------------------------------------------
class HostProbe:
    """One pipeline on the SCP host: local Administrators, .NET TLS values, direct and proxied endpoint probes."""

    def __init__(self, session: Session, endpoints: Sequence[str], port: int, proxy: str | None) -> None:
        self.session = session
        self.host = session.host
        self.endpoints = list(endpoints)
        self.port = int(port)
        self.proxy = proxy
        self.outputs: list[list[Any]] = []
        self.errors: dict[int, str] = {}  # statement index -> terminating error message
        self.pipeline = self._build()

    def _build(self) -> Pipeline:
        pipe = Pipeline(operation="check the service connection point prerequisites")
        pipe.add(
            "Get-LocalGroupMember",
            ("SID", ADMINISTRATORS_SID),
            error_action="SilentlyContinue",
            label="read the local Administrators",
        )
        for key in NET_FRAMEWORK_KEYS:
            pipe.add("Get-ItemProperty", ("Path", key), error_action="SilentlyContinue", label=f"read {key}")
        for name in self.endpoints:
            pipe.add(
                "Test-NetConnection",
                ("ComputerName", name),
                ("Port", self.port),
                ("InformationLevel", "Quiet"),
                ("WarningAction", "SilentlyContinue"),
                error_action="SilentlyContinue",
                label=f"probe {name}",
            )
        if self.proxy:
            for name in self.endpoints:
                pipe.add(
                    "Invoke-WebRequest",
                    ("Uri", f"https://{name}"),
                    ("Proxy", self.proxy),
                    ("UseBasicParsing", SWITCH),
                    ("Method", "Head"),
                    error_action="SilentlyContinue",
                    label=f"probe {name} through {self.proxy}",
                )
        return pipe

    def run(self) -> None:
        statements = self.pipeline.statements
        start = 0
        self.outputs = [[] for _stmt in statements]
        while start < len(statements):
            chunk = Pipeline(list(statements[start:]), operation=self.pipeline.operation)
            try:
                result = self.session.run(chunk, idempotent=True)
            except CommandFailed as err:
                failed = start + (err.statement_index or 0)
                for offset, output in enumerate(err.partial):
                    self.outputs[start + offset] = list(output)
                self.errors[failed] = err.error_message
                start = failed + 1
                continue
            for offset, item in enumerate(result.statements):
                self.outputs[start + offset] = list(item.output)
            break

    # -- accessors ---
    @property
    def admins(self) -> list[str]:
        return [member["name"] for member in self.admin_members]

    @property
    def admin_members(self) -> list[dict[str, Any]]:
        """Members of the local Administrators: name, object_class (User, Group, ... or None when not returned),
        principal_source (Local, ActiveDirectory, AzureAD, ...)."""
        members = []
        for item in self.outputs[0]:
            if isinstance(item, dict):
                members.append(
                    {
                        "name": str(item.get("Name")),
                        "object_class": _text(item.get("ObjectClass")),
                        "principal_source": _text(item.get("PrincipalSource")),
                    }
                )
            else:
                members.append({"name": str(item), "object_class": None, "principal_source": None})
        return members

    def tls(self) -> dict[str, dict[str, Any]]:
        values = {}
        for offset, key in enumerate(NET_FRAMEWORK_KEYS, 1):
            row = self.outputs[offset][0] if self.outputs[offset] else None
            values[key] = {name: (row.get(name) if isinstance(row, dict) else None) for name in TLS_VALUES}
        return values

    def direct(self) -> dict[str, bool]:
        base = 1 + len(NET_FRAMEWORK_KEYS)
        return {
            name: bool(self.outputs[base + i] and self.outputs[base + i][0] is True)
            for i, name in enumerate(self.endpoints)
        }

    def proxied(self) -> dict[str, Any]:
        """Endpoint -> True, or the error text; empty without a proxy."""
        if not self.proxy:
            return {}
        base = 1 + len(NET_FRAMEWORK_KEYS) + len(self.endpoints)
        out: dict[str, Any] = {}
        for i, name in enumerate(self.endpoints):
            index = base + i
            out[name] = True if self.outputs[index] else self.errors.get(index, "no response")
        return out


def _proxy(current: SiteSystemServer | None, planned: SiteSystemSpec | None) -> str | None:
    if planned is not None and planned.proxy_server:
        return f"http://{planned.proxy_server}:{planned.proxy_port or 80}"
    if current is not None and current.proxy_enabled and current.proxy_server:
        return f"http://{current.proxy_server}:{current.proxy_port or 80}"
    return None


def _proxy_account(current: SiteSystemServer | None, planned: SiteSystemSpec | None) -> str | None:
    """The proxy account of the proxy that _proxy() picked (planned settings win)."""
    if planned is not None and planned.proxy_server:
        return planned.proxy_account or None
    return current.proxy_account if current is not None else None


def _site_servers(state: ProviderState, site_code: str) -> list[str]:
    """Site server(s) of the site: the Site's ServerName plus every server with the site server role (HA)."""
    servers = []
    site = state.hierarchy.site(site_code)
    if site is not None and site.server:
        servers.append(site.server)
    for row in state.site_roles or []:
        name = server_from_path(row.get("NetworkOSPath"))
        if (
            name
            and str(row.get("RoleName")) == SITE_SERVER_ROLE
            and str(row.get("SiteCode") or "").upper() == site_code
            and name not in servers
        ):
            servers.append(name)
    return servers


# -- provider-side checks ------------------------------------------------------------------------------------
def _top_tier(state: ProviderState, target: str) -> CheckResult:
    top = state.hierarchy.top_tier
    verdict = check_site_is_top_tier(state.hierarchy, target)
    evidence = {
        "target_site": target,
        "top_tier_site": verdict.top_tier_site,
        "top_tier_server": top.server if top else None,
        "standalone": state.hierarchy.is_standalone,
    }
    return CheckResult("top_tier_site", PASS if verdict.ok else FAIL, verdict.message, evidence, DOC_TOP_TIER)


def _single_scp(state: ProviderState, server: str, allow_move: bool) -> CheckResult:
    where = [{"server": s.server, "site_code": s.site_code, "mode": s.mode} for s in state.scps]
    evidence = {"service_connection_points": where}
    if len(where) > 1:
        return CheckResult(
            "single_scp",
            FAIL,
            f"the hierarchy has {len(where)} service connection points ({', '.join(s.server for s in state.scps)}); only one is "
            "supported",
            evidence,
            DOC_SCP,
        )
    if not where:
        return CheckResult("single_scp", PASS, "no service connection point in the hierarchy yet", evidence, DOC_SCP)
    scp = where[0]
    if scp["server"] == server:
        return CheckResult(
            "single_scp",
            PASS,
            f"the service connection point is on {server} (site {scp['site_code']})",
            evidence,
            DOC_SCP,
        )
    if allow_move:
        return CheckResult(
            "single_scp",
            WARN,
            f"the service connection point is on {scp['server']} (site {scp['site_code']}); it will be moved to {server}",
            evidence,
            DOC_SCP,
        )
    return CheckResult(
        "single_scp",
        FAIL,
        f"the service connection point is already on {scp['server']} (site {scp['site_code']}); one is allowed per "
        f"hierarchy: remove it or allow moving it to {server}",
        evidence,
        DOC_SCP,
    )


def _ha(state: ProviderState, server: str) -> CheckResult:
    """Site server HA: the same rule the planner refuses by (topology.ha_site_servers: more than one site server role
    at a site, or a role name containing "passive", which is inferred)."""
    pairs = ha_site_servers(state)
    ha_servers = sorted({s for servers in pairs.values() for s in servers})
    evidence = {"high_availability_site_servers": ha_servers, "roles_read": state.site_roles is not None}
    if any(same_machine(server, s) for s in ha_servers):
        return CheckResult(
            "ha_placement",
            FAIL,
            f"{server} is a site server configured for high availability (active or passive); "
            "host the service connection point on another site system server",
            evidence,
            DOC_HA,
        )
    return CheckResult(
        "ha_placement", PASS, f"{server} is not a site server in high availability mode", evidence, DOC_HA
    )


def _usage(state: ProviderState) -> CheckResult:
    level = state.usage_data_level
    if level is None:
        return CheckResult(
            "usage_data_level", WARN, "the usage data level could not be read", {"level": None}, DOC_USAGE
        )
    return CheckResult("usage_data_level", PASS, f"usage data level is {level}", {"level": level}, DOC_USAGE)


def _aad(state: ProviderState, server: str, now: datetime, warn_days: int) -> CheckResult:
    apps: list[AadApp] = state.aad_apps
    moving = state.scp is not None and state.scp.server != server
    evidence: dict[str, Any] = {"apps": [a.to_dict() for a in apps], "move": moving}
    if not apps:
        return CheckResult("aad_secret_expiry", PASS, "no Azure AD applications configured", evidence, DOC_AAD)
    soon = now + timedelta(days=warn_days)
    expired = [a.name for a in apps if a.secret_expiry is not None and a.secret_expiry <= now]
    expiring = [a.name for a in apps if a.secret_expiry is not None and now < a.secret_expiry <= soon]
    problems = []
    if expired:
        problems.append(f"secret expired: {', '.join(str(n) for n in expired)}")
    if expiring:
        problems.append(f"secret expires within {warn_days} days: {', '.join(str(n) for n in expiring)}")
    if moving:
        problems.append("after moving the service connection point renew the secret key of every Azure AD application")
    if problems:
        return CheckResult("aad_secret_expiry", WARN, "; ".join(problems), evidence, DOC_AAD)
    return CheckResult(
        "aad_secret_expiry",
        PASS,
        f"{len(apps)} Azure AD application secret(s) valid for more than {warn_days} days",
        evidence,
        DOC_AAD,
    )


# -- SCP-host checks -----------------------------------------------------------------------------------------
def _admin(
    probe: HostProbe,
    server: str,
    site_servers: list[str],
    current: SiteSystemServer | None,
    planned: SiteSystemSpec | None,
    unknown_site: str | None = None,
) -> CheckResult:
    """The site server computer account (or the site system installation account) must be a local Administrator of
    `server`. Get-LocalGroupMember lists direct members only: an account that is an Administrator through a group
    (a domain group such as CONTOSO\\Domain Admins, or a well-known group) is not listed, and the members of domain
    groups are not read here. So a missing account is a proven absence (fail) only when the list was read and holds no
    group (nor a member whose kind is unknown); otherwise it is a warning with the groups that might contain it.
    `unknown_site`: the target site code when the hierarchy does not list it (then nothing is known to check)."""
    members = probe.admin_members
    names = [m["name"] for m in members]
    lowered = [n.lower() for n in names]
    groups = [m["name"] for m in members if _may_contain(m)]
    wanted = [f"{s.split('.')[0]}$" for s in site_servers if s != server]
    missing = [w for w in wanted if not any(m.endswith("\\" + w) or m == w for m in lowered)]
    account = (planned.account_name if planned is not None and planned.account_name else None) or (
        current.account_name if current is not None and current.has_installation_account else None
    )
    evidence = {
        "administrators": names,
        "administrators_read": bool(members),
        "groups": groups,
        "site_server_accounts": wanted,
        "not_listed": missing,
        "installation_account": account,
    }
    if unknown_site is not None or not site_servers:
        what = (
            f"site unknown: site {unknown_site} does not exist in this hierarchy"
            if unknown_site is not None
            else "site unknown: no site server is known for the site"
        )
        return CheckResult(
            "site_server_admin",
            WARN,
            f"{what}, so the computer account that must be a local Administrator of {server} cannot be named",
            evidence,
            DOC_ACCOUNTS,
        )
    if not wanted:  # the server is the site's only site server
        return CheckResult("site_server_admin", PASS, f"{server} is the site server itself", evidence, DOC_ACCOUNTS)
    if not missing:
        return CheckResult(
            "site_server_admin",
            PASS,
            f"the site server computer account ({', '.join(wanted)}) is in the local Administrators of {server}",
            evidence,
            DOC_ACCOUNTS,
        )
    if account and account.lower() in lowered:
        return CheckResult(
            "site_server_admin",
            PASS,
            f"the installation account {account} is a local Administrator of {server}",
            evidence,
            DOC_ACCOUNTS,
        )
    ssa = f"the site server computer account ({', '.join(missing)})"
    if not members:
        or_account = f" or the installation account {account}" if account else ""
        return CheckResult(
            "site_server_admin",
            WARN,
            f"the local Administrators of {server} could not be read (Get-LocalGroupMember "
            f"returned no member): whether {ssa}{or_account} is a local Administrator is not known",
            evidence,
            DOC_ACCOUNTS,
        )
    if account and not _comparable(account):
        return CheckResult(
            "site_server_admin",
            WARN,
            f"the installation account {account} cannot be compared with the local "
            f"Administrators of {server} (they are named DOMAIN\\name), and {ssa} is not listed there",
            evidence,
            DOC_ACCOUNTS,
        )
    subject = f"neither the installation account {account} nor {ssa}" if account else ssa
    if groups:
        return CheckResult(
            "site_server_admin",
            WARN,
            f"{_upper(subject)} {'is' if account else 'is not'} listed in the local Administrators of {server}, "
            f"but {'either may' if account else 'it may'} be a member "
            f"through a group whose members are not read here: {', '.join(groups)}",
            evidence,
            DOC_ACCOUNTS,
        )
    if account:
        return CheckResult(
            "site_server_admin",
            FAIL,
            f"{_upper(subject)} is a local Administrator of {server}: the local Administrators ({len(members)} "
            "members) hold neither account and no group that could contain them",
            evidence,
            DOC_ACCOUNTS,
        )
    return CheckResult(
        "site_server_admin",
        FAIL,
        f"{ssa} is not a local Administrator of {server} and no site system installation "
        f"account is configured: the local Administrators ({len(members)} members) hold no such account and no group that "
        "could contain it",
        evidence,
        DOC_ACCOUNTS,
    )


def _may_contain(member: dict[str, Any]) -> bool:
    """A member that may have other accounts in it: a group, or a member whose kind was not returned."""
    kind = (member.get("object_class") or "").lower()
    return kind != "user" and kind != "computer"


def _comparable(account: str) -> bool:
    """A DOMAIN\\name account compares with Get-LocalGroupMember names; a UPN (name@domain) does not."""
    return "\\" in account and "@" not in account


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _endpoints(
    probe: HostProbe, server: str, mode: str, unprobed_proxy: str | None = None, proxy_account: str | None = None
) -> CheckResult:
    direct, proxied = probe.direct(), probe.proxied()
    unreachable = [e for e in probe.endpoints if not direct.get(e) and proxied.get(e) is not True]
    evidence = {
        "port": probe.port,
        "proxy": probe.proxy or unprobed_proxy,
        "direct": direct,
        "proxy_results": proxied,
        "unreachable": unreachable,
    }
    if not unreachable:
        via = f"directly or through {probe.proxy}" if probe.proxy else "directly"
        return CheckResult(
            "internet_endpoints",
            PASS,
            f"all {len(probe.endpoints)} endpoints reachable from {server} {via}",
            evidence,
            DOC_ENDPOINTS,
        )
    if unprobed_proxy:
        evidence["proxy_account"] = proxy_account
        return CheckResult(
            "internet_endpoints",
            WARN,
            f"authenticated proxy not probed: {len(unreachable)} endpoint(s) not reachable "
            f"directly from {server} ({', '.join(unreachable)}); the proxy {unprobed_proxy} needs the password of {proxy_account}, which cannot be read",
            evidence,
            DOC_ENDPOINTS,
        )
    status = FAIL if mode == "Online" else WARN
    through = f" (directly or through {probe.proxy})" if probe.proxy else ""
    return CheckResult(
        "internet_endpoints",
        status,
        f"{len(unreachable)} endpoint(s) not reachable from {server}{through}: {', '.join(unreachable)}",
        evidence,
        DOC_ENDPOINTS,
    )


def _tls(probe: HostProbe, server: str, mode: str) -> CheckResult:
    values = probe.tls()
    wrong = [f"{key}\\{name}" for key, row in values.items() for name in TLS_VALUES if row.get(name) != 1]
    evidence = {"values": values, "not_set": wrong}
    if not wrong:
        return CheckResult(
            "tls12",
            PASS,
            f".NET Framework uses TLS 1.2 on {server} (SystemDefaultTlsVersions and SchUseStrongCrypto = 1)",
            evidence,
            DOC_TLS,
        )
    status = FAIL if mode == "Online" else WARN
    return CheckResult(
        "tls12",
        status,
        f".NET TLS 1.2 settings missing on {server}: {', '.join(wrong)} = 1 needed",
        evidence,
        DOC_TLS,
    )


def summary(results: list[CheckResult]) -> str:
    """The worst status of a list of results."""
    statuses = {r.status for r in results}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS


__all__ = ["CheckResult", "run_prerequisites", "probe_connectivity", "summary", "PASS", "WARN", "FAIL", "HostProbe"]
