"""Every module and playbook in every shipped topology where it applies, with real ansible-playbook runs.

Each case is one play against one lab: check mode (no changing call reaches the lab) -> apply -> verify the lab's
/state (from Python, after the run) -> run again (changed=false). Refusal cases assert the failure names the rule
and that nothing changing reached the lab. The scenarios are described in docs/topologies.md and docs/lab.md.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.runner import assert_no_secret, assert_ok, mutating, playbook, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

SCP01, SCP02, CM01, CM02 = "scp01.contoso.com", "scp02.contoso.com", "cm01.contoso.com", "cm02.contoso.com"
PROV01, CAS01, PRI01, PRI02 = "prov01.contoso.com", "cas01.contoso.com", "pri01.contoso.com", "pri02.contoso.com"
MUTATING = "^((Add|Set|Remove|New|Import|Invoke)-CM|(Set|New|Remove)-Item|Restart-Service)"


@dataclass(frozen=True)
class Case:
    id: str
    scenario: str
    host: str  # the play's host (an inventory name of the lab)
    module: str
    args: dict[str, Any] = field(default_factory=dict)
    changes: bool = True  # the apply run reports changed
    idempotent: bool = True  # the second run reports changed=false
    refused: tuple[str, ...] = ()  # the module fails, its msg contains these words, nothing changes
    verify: Callable[[dict[str, Any]], None] | None = None  # checks on the lab's /state after the run
    result: tuple[str, ...] = ()  # Jinja tests on the apply result (`r`), asserted in the play


def configured(server: str, site: str, mode: str) -> Callable[[dict[str, Any]], None]:
    def check(state: dict[str, Any]) -> None:
        scp = state["scp"]
        assert scp["configured"] == {"server": server, "site_code": site, "mode": mode}, scp
        assert scp["installed_on"] == [server] and scp["thread_state"] == "Running", scp

    return check


def no_scp(state: dict[str, Any]) -> None:
    assert state["scp"]["configured"] is None and state["scp"]["installed_on"] == [], state["scp"]


def telemetry(level: str) -> Callable[[dict[str, Any]], None]:
    def check(state: dict[str, Any]) -> None:
        assert state["hierarchy"]["telemetry_level"] == level

    return check


def site_system(fqdn: str, proxy: str) -> Callable[[dict[str, Any]], None]:
    def check(state: dict[str, Any]) -> None:
        systems = {s["fqdn"]: s for s in state["hierarchy"]["site_systems"]}
        assert fqdn in systems and systems[fqdn]["proxy"] == proxy, systems.get(fqdn)

    return check


SCP = "service_connection_point"
INFO = "service_connection_point_info"
CASES = [
    # -- install ----------------------------------------------------------------------------------------------------
    Case(
        "install-standalone",
        "standalone-primary",
        CM01,
        SCP,
        {"server": SCP01, "mode": "online"},
        verify=configured(SCP01, "PS1", "Online"),
    ),
    Case(
        "install-remote-provider-via-provider",
        "remote-provider",
        PROV01,
        SCP,
        {"server": SCP01, "mode": "offline"},
        verify=configured(SCP01, "PS1", "Offline"),
    ),
    Case(
        "install-remote-provider-via-site-server",
        "remote-provider",
        CM01,
        SCP,
        {"server": SCP01},
        verify=configured(SCP01, "PS1", "Online"),
    ),
    Case(
        "install-two-providers",
        "two-providers",
        PROV01,
        SCP,
        {"server": SCP01},
        verify=configured(SCP01, "PS1", "Online"),
    ),
    Case(
        "install-ha-pair-other-server",
        "ha-pair",
        CM01,
        SCP,
        {"server": SCP01},
        verify=configured(SCP01, "PS1", "Online"),
    ),
    Case(
        "install-on-site-server",
        "standalone-primary",
        CM01,
        SCP,
        {"server": CM01, "mode": "offline"},
        verify=configured(CM01, "PS1", "Offline"),
    ),
    # -- mode -------------------------------------------------------------------------------------------------------
    Case(
        "mode-remote-scp",
        "scp-remote",
        CM01,
        SCP,
        {"server": SCP01, "mode": "online"},
        result=("r.restart_required", "r.mode_changed"),
        verify=configured(SCP01, "PS1", "Online"),
    ),
    Case(
        "mode-on-site-server",
        "scp-on-site-server",
        CM01,
        SCP,
        {"server": CM01, "mode": "offline"},
        result=("r.restart_required",),
        verify=configured(CM01, "PS1", "Offline"),
    ),
    Case(
        "mode-cas",
        "cas-two-primaries",
        CAS01,
        SCP,
        {"server": SCP01, "mode": "offline"},
        verify=configured(SCP01, "CAS", "Offline"),
    ),
    # -- move -------------------------------------------------------------------------------------------------------
    Case(
        "move-stranded-child-to-cas",
        "stranded-child",
        CAS01,
        SCP,
        {"server": SCP01, "allow_move": True},
        result=("r.moved_from == 'scp02.contoso.com'",),
        verify=configured(SCP01, "CAS", "Online"),
    ),
    Case(
        "move-keeps-offline",
        "scp-remote",
        CM01,
        SCP,
        {"server": CM01, "allow_move": True},
        result=("r.moved_from == 'scp01.contoso.com'", "not r.mode_changed", "r.after.mode == 'Offline'"),
        verify=configured(CM01, "PS1", "Offline"),
    ),
    Case(
        "move-off-site-server",
        "scp-on-site-server",
        CM01,
        SCP,
        {"server": SCP01, "allow_move": True},
        verify=configured(SCP01, "PS1", "Online"),
    ),
    # -- remove -----------------------------------------------------------------------------------------------------
    Case("remove-stranded-child-from-cas", "stranded-child", CAS01, SCP, {"state": "absent"}, verify=no_scp),
    Case("remove-remote", "scp-remote", CM01, SCP, {"state": "absent"}, verify=no_scp),
    Case("remove-cas", "cas-two-primaries", CAS01, SCP, {"state": "absent"}, verify=no_scp),
    # -- refusals ---------------------------------------------------------------------------------------------------
    Case(
        "refuse-remove-via-child",
        "cas-two-primaries",
        PRI01,
        SCP,
        {"state": "absent"},
        refused=("top-tier site CAS", CAS01),
    ),
    Case(
        "refuse-mode-via-child",
        "stranded-child",
        PRI01,
        SCP,
        {"server": SCP02, "mode": "offline"},
        refused=("top-tier site CAS",),
    ),
    Case(
        "refuse-install-via-child",
        "cas-two-primaries",
        PRI02,
        SCP,
        {"server": PRI02, "allow_move": True},
        refused=("top-tier site CAS",),
    ),
    Case("refuse-ha-active", "ha-pair", CM01, SCP, {"server": CM01}, refused=("high availability",)),
    Case("refuse-ha-passive", "ha-pair", CM01, SCP, {"server": CM02}, refused=("high availability",)),
    Case(
        "refuse-stranded-without-allow-move", "stranded-child", CAS01, SCP, {"server": SCP01}, refused=("allow_move",)
    ),
    # -- info (read only) -------------------------------------------------------------------------------------------
    Case(
        "info-remote-provider",
        "remote-provider",
        CM01,
        INFO,
        changes=False,
        result=("r.hierarchy.top_tier_site_code == 'PS1'",),
    ),
    Case(
        "info-child-sees-cas",
        "cas-two-primaries",
        PRI01,
        INFO,
        changes=False,
        result=("r.hierarchy.top_tier_site_code == 'CAS'", "r.scp.server == 'scp01.contoso.com'"),
    ),
    Case(
        "info-stranded-child",
        "stranded-child",
        CAS01,
        INFO,
        changes=False,
        result=("r.scp.site_code == 'PR1'", "r.scp.server == 'scp02.contoso.com'"),
    ),
    Case("info-ha-pair", "ha-pair", CM01, INFO, changes=False, result=("r.scp is none",)),
    # -- preflight (read only) --------------------------------------------------------------------------------------
    Case(
        "preflight-remote-provider",
        "remote-provider",
        CM01,
        "preflight",
        {"server": SCP01, "fail_on": "never"},
        changes=False,
        result=("r.checks | selectattr('id', 'equalto', 'top_tier_site') | map(attribute='status') | first == 'pass'",),
    ),
    Case(
        "preflight-ha-passive",
        "ha-pair",
        CM01,
        "preflight",
        {"server": CM02, "fail_on": "never"},
        changes=False,
        result=("r.checks | selectattr('id', 'equalto', 'ha_placement') | map(attribute='status') | first == 'fail'",),
    ),
    Case(
        "preflight-child",
        "cas-two-primaries",
        PRI01,
        "preflight",
        {"server": SCP01, "fail_on": "never"},
        changes=False,
        result=("r.checks | selectattr('id', 'equalto', 'top_tier_site') | map(attribute='status') | first == 'fail'",),
    ),
    # -- component, log_info ----------------------------------------------------------------------------------------
    Case("component-started-remote-scp", "scp-remote", CM01, "component", {"state": "started"}, changes=False),
    Case("component-restart-cas", "cas-two-primaries", CAS01, "component", {"state": "restarted"}, idempotent=False),
    Case(
        "component-restart-stranded",
        "stranded-child",
        CAS01,
        "component",
        {"state": "restarted", "server": SCP02},
        idempotent=False,
    ),
    Case(
        "log-sitecomp-remote-provider",
        "remote-provider",
        PROV01,
        "log_info",
        {"name": "sitecomp"},
        changes=False,
        result=("r.server == 'cm01.contoso.com'", "r.path is search('sitecomp.log$')"),
    ),
    Case("log-dmpdownloader-cas", "cas-two-primaries", CAS01, "log_info", {"name": "dmpdownloader"}, changes=False),
    # -- site systems and usage data --------------------------------------------------------------------------------
    Case(
        "site-system-remote-provider",
        "remote-provider",
        CM01,
        "site_system_server",
        {"server": SCP02, "proxy_server": "proxy.contoso.com", "proxy_port": 3128},
        verify=site_system(SCP02, "proxy.contoso.com:3128"),
    ),
    Case(
        "usage-data-remote-provider",
        "remote-provider",
        CM01,
        "usage_data",
        {"level": "basic"},
        verify=telemetry("Basic"),
    ),
    Case("usage-data-cas", "cas-two-primaries", CAS01, "usage_data", {"level": "basic"}, verify=telemetry("Basic")),
    Case(
        "refuse-usage-data-via-child",
        "cas-two-primaries",
        PRI02,
        "usage_data",
        {"level": "basic"},
        refused=("top-tier",),
    ),
]


# The read-only modules in every shipped scenario, through the top-tier site server: nothing changes, twice.
TOP_TIER = {
    "standalone-primary": CM01,
    "standalone-with-scp": CM01,
    "hierarchy": CAS01,
    "expansion": CM01,
    "remote-provider": CM01,
    "two-providers": CM01,
    "scp-on-site-server": CM01,
    "scp-remote": CM01,
    "stranded-child": CAS01,
    "cas-two-primaries": CAS01,
    "ha-pair": CM01,
    "remote-provider-hierarchy": CAS01,
}
CASES += [
    Case(
        f"info-all-{name}",
        name,
        host,
        INFO,
        {"log_tail": 5},
        changes=False,
        result=("r.hierarchy.top_tier_site_code in ['PS1', 'CAS']",),
    )
    for name, host in TOP_TIER.items()
]
CASES += [
    Case(
        f"preflight-all-{name}",
        name,
        host,
        "preflight",
        {"server": SCP01, "fail_on": "never"},
        changes=False,
        result=("r.checks | length > 0",),
    )
    for name, host in TOP_TIER.items()
]
CASES += [
    Case(
        "install-remote-provider-hierarchy-via-cas",
        "remote-provider-hierarchy",
        CAS01,
        SCP,
        {"server": SCP01},
        verify=configured(SCP01, "CAS", "Online"),
    ),
    Case(
        "install-remote-provider-hierarchy-via-provider",
        "remote-provider-hierarchy",
        "casprov01.contoso.com",
        SCP,
        {"server": SCP01, "mode": "offline"},
        verify=configured(SCP01, "CAS", "Offline"),
    ),
    Case(
        "refuse-install-remote-provider-hierarchy-via-child",
        "remote-provider-hierarchy",
        PRI01,
        SCP,
        {"server": SCP01},
        refused=("top-tier site CAS",),
    ),
]


def case_play(case: Case) -> str:
    """check -> apply -> again, with assertions on each result and on the lab's calls between them."""
    task = {f"configmgr.scp.{case.module}": dict(case.args)}
    calls = {"ansible.builtin.uri": {"url": "{{ lab_control_url }}/calls"}, "delegate_to": "localhost"}
    new_mutations = f"{{{{ (c.json[start.json | length:] | selectattr('cmdlet', 'match', '{MUTATING}') | list) }}}}"

    def read_calls(name: str, register: str) -> dict[str, Any]:
        return dict(name=name, register=register, **copy.deepcopy(calls))

    def run(name: str, register: str, **keywords: Any) -> dict[str, Any]:
        return dict(name=name, register=register, **keywords, **copy.deepcopy(task))

    tasks: list[dict[str, Any]] = [read_calls("Calls before", "start")]
    if case.refused:
        tasks += [
            run("Refused", "r", ignore_errors=True),
            read_calls("Calls after", "c"),
            {
                "name": "The refusal names the rule and nothing changed",
                "ansible.builtin.assert": {
                    "that": [
                        "r is failed",
                        "r is not changed",
                        "not (r.unreachable | default(false))",
                        *[
                            f"{quoted} in r.msg"
                            for quoted in (yaml.safe_dump(w, default_style="'").strip() for w in case.refused)
                        ],
                        f"({new_mutations.strip('{} ')}) | length == 0",
                    ]
                },
            },
        ]
        return yaml.safe_dump(
            [{"name": case.id, "hosts": case.host, "gather_facts": False, "tasks": tasks}], sort_keys=False, width=200
        )
    tasks += [
        run("Check mode", "chk", check_mode=True, diff=True),
        read_calls("Calls after check mode", "c"),
        {
            "name": "Check mode predicted and changed nothing",
            "ansible.builtin.assert": {
                "that": [
                    f"chk is {'changed' if case.changes else 'not changed'}",
                    f"({new_mutations.strip('{} ')}) | length == 0",
                ]
            },
        },
        run("Apply", "r"),
        {
            "name": "Apply result",
            "ansible.builtin.assert": {"that": [f"r is {'changed' if case.changes else 'not changed'}", *case.result]},
        },
        run("Run again", "again"),
        {
            "name": "The second run",
            "ansible.builtin.assert": {"that": [f"again is {'not changed' if case.idempotent else 'changed'}"]},
        },
    ]
    return yaml.safe_dump(
        [{"name": case.id, "hosts": case.host, "gather_facts": False, "tasks": tasks}], sort_keys=False, width=200
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    with Lab(case.scenario, scale=120) as lab:
        before = lab.state()
        proc = run_playbook(lab, tmp_path, case_play(case))
        assert_ok(proc)
        assert_no_secret(lab, proc)
        state = lab.state()
        if case.verify is not None:
            case.verify(state)
        if case.refused or not case.changes:
            assert state["scp"]["configured"] == before["scp"]["configured"]
            if case.module not in ("component",):
                assert mutating(lab.calls()) == []


PLAYBOOK_CASES = [
    # playbook, scenario, extra vars, verify, idempotent (the demo goes online then offline on every run by design)
    ("demo.yml", "remote-provider", (), configured(SCP01, "PS1", "Offline"), False),
    ("demo.yml", "ha-pair", (), configured(SCP01, "PS1", "Offline"), False),
    ("move.yml", "stranded-child", ("-e", f"move_to={SCP01}"), configured(SCP01, "CAS", "Online"), True),
    ("move.yml", "scp-remote", ("-e", f"move_to={CM01}"), configured(CM01, "PS1", "Offline"), True),
]


@pytest.mark.parametrize(
    "name, scenario, extra, verify, idempotent",
    PLAYBOOK_CASES,
    ids=[f"{c[0].split('.')[0]}-{c[1]}" for c in PLAYBOOK_CASES],
)
def test_playbook_in_topology(
    name: str,
    scenario: str,
    extra: tuple[str, ...],
    verify: Callable[[dict[str, Any]], None],
    idempotent: bool,
    tmp_path: Path,
) -> None:
    with Lab(scenario, scale=120) as lab:
        check = run_playbook(lab, tmp_path, playbook(name), "--check", *extra)
        assert_ok(check)
        assert mutating(lab.calls()) == []
        proc = run_playbook(lab, tmp_path, playbook(name), *extra)
        assert_ok(proc)
        verify(lab.state())
        again = run_playbook(lab, tmp_path, playbook(name), *extra)
        assert_ok(again, changed=0 if idempotent else None)
        verify(lab.state())
        assert_no_secret(lab, again)


RERUN_PLAY = """---
- name: A wait that gives up, then the same task again
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Install with a wait too short for Site Component Manager
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        wait_timeout: 2
      register: first
      ignore_errors: true

    - name: The first run gave up after adding the role
      ansible.builtin.assert:
        that:
          - first is failed
          - first is changed
          - "'was not installed' in first.msg"

    - name: The same task again
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        wait_timeout: "{{ rerun_timeout }}"
      register: again
      ignore_errors: true

    - name: The re-run waited for the install instead of reporting ok
      ansible.builtin.assert:
        that:
          - again is not changed
          - (again is failed) == (install_fault | bool)
          - >-
            ('was not installed' in again.msg) if (install_fault | bool)
            else (again.plan | map(attribute='action') | list == ['wait_installed'])
"""


@pytest.mark.parametrize("install_fault", [False, True], ids=["completes", "never-completes"])
def test_rerun_after_a_timed_out_install(install_fault: bool, tmp_path: Path) -> None:
    """At 5 simulated seconds per real second the first wait (2 s) gives up before Site Component Manager's cycle
    (60 s after the change, ~12 s real): the re-run starts before the install and must wait for it, or fail again
    when the install never completes."""
    with Lab("standalone-primary", scale=5) as lab:
        if install_fault:
            lab.add_fault("install_fail", host=SCP01)
        proc = run_playbook(
            lab,
            tmp_path,
            RERUN_PLAY,
            "-e",
            f"rerun_timeout={3 if install_fault else 60}",
            "-e",
            f"install_fault={install_fault}",
        )
        assert_ok(proc)
        scp = lab.state()["scp"]
        assert scp["configured"]["server"] == SCP01
        assert scp["installed_on"] == ([] if install_fault else [SCP01])
