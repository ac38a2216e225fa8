"""Values that look dangerous but are valid as Windows and ConfigMgr accept them are accepted, and arrive unchanged.

The counterpart of the input_errors target (bad values refused before any remote call): each value here passes the
checks, goes to the lab for real through ansible-playbook (site_system_server's own options and
service_connection_point's site_system suboptions, one loop per module, one run) and must arrive byte for byte as the
bound value of the parameter that stores it (the lab's call log). No user value is ever part of PowerShell text: the
test also records every command of every pipeline the lab receives, as the client sent it, and checks that the value
is in no command or script text, that every script is one of the lab's registered constant scripts, and that the lab
refused no script (it refuses any other script text).

One JSON line per case goes to tests/output/input_accepted.jsonl (written before the case is asserted); the
ansible-playbook output is kept as tests/output/input_errors/accepted.log.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import ROOT, TARGETS, assert_no_secret, assert_ok, output, run_playbook
from tests.lab.lab import Lab, load_scenario
from tests.lab.ps import scripts as lab_scripts
from tests.lab.ps.convert import from_ps
from tests.lab.ps.runtime import PSRuntime

pytestmark = pytest.mark.timeout(300)

OUTPUT = ROOT / "tests" / "output"
ACCEPTED_REPORT = OUTPUT / "input_accepted.jsonl"
LOGS = OUTPUT / "input_errors"
SSS_SERVER = "scp01.contoso.com"  # already a site system of PS1: Set-CMSiteSystemServer
SCP_SERVER = "scp02.contoso.com"  # a member server (added below): New-, then Set-CMSiteSystemServer
PROXY = {"proxy_server": "proxy.contoso.com", "proxy_port": 8080}

# The same filter the input_errors target's report uses, so a value is shown the same way in both reports.
_spec = importlib.util.spec_from_file_location(
    "input_report", TARGETS / "input_errors" / "filter_plugins" / "input_report.py"
)
assert _spec is not None and _spec.loader is not None
input_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(input_report)

HOST_253 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57, "com"])
assert len(HOST_253) == 253

# (option, value, the other settings the case needs). Every value passes plugins/plugin_utils/_validate.py: accounts
# are DOMAIN\name (NetBIOS domain <= 15, sAMAccountName <= 20, none of "/\[]:;|=,+*?<> nor control characters) or
# name@dns.domain; a proxy server is an RFC 1123 host name (<= 253) or an IP address; a public FQDN an FQDN. Quotes,
# $, $( ), backticks, &, %, #, {}, spaces and non-ASCII letters are all allowed in Windows account names.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("account_name", "CONTOSO\\o'brien", {}),
    ("account_name", "CONTOSO\\svc$(calc)", {}),
    ("account_name", "CONTOSO\\a&b", {}),
    ("account_name", "CONTOSO\\svc`x", {}),
    ("account_name", "CONTOSO\\%TEMP%", {}),
    ("account_name", "CONTOSO\\$null", {}),
    ("account_name", "CONTOSO\\it's`$x", {}),
    ("account_name", "CONTOSO\\svc{0}#1 x", {}),
    ("account_name", "CONTOSO\\J\u00fcrgen M\u00fcller", {}),
    ("account_name", "svc-install@contoso.com", {}),
    ("account_name", "CONTOSO\\svc-install-account1", {}),  # sAMAccountName of 20 characters, the maximum
    ("account_name", "CONTOSO-EUROPE1\\svc-install", {}),  # NetBIOS domain of 15 characters, the maximum
    ("proxy_account", "CONTOSO\\gmsa-proxy$", PROXY),
    ("proxy_account", "CONTOSO\\p'x`$(calc)", PROXY),
    ("proxy_account", "o'proxy$@contoso.com", PROXY),
    ("proxy_server", "10.0.0.99", {"proxy_port": 8080}),  # an IPv4 address
    ("proxy_server", HOST_253, {"proxy_port": 3128}),  # a host name of 253 characters, the maximum
    ("proxy_server", "Proxy-2.Contoso.com.", {"proxy_port": 8081}),  # mixed case and the root's trailing dot
    ("public_fqdn", "Scp01-Ext.Contoso.COM", {}),  # mixed case
    ("public_fqdn", "xn--bcher-kva.contoso.com", {}),  # an IDN in its ASCII (punycode) form
]
# sAMAccountName: "svc-install-account1" is 20 characters; the NetBIOS domain "CONTOSO-EUROPE1" is 15.
assert len("svc-install-account1") == 20 and len("CONTOSO-EUROPE1") == 15

# option -> the cmdlet parameter that stores it (New-/Set-CMSiteSystemServer). The proxy account travels as the
# ProxyUserName parameter of a constant script, whose Get-CMAccount -UserName finds the account it passes on.
PARAMETER = {
    "account_name": "AccountName",
    "proxy_server": "ProxyServerName",
    "public_fqdn": "PublicFqdn",
    "proxy_account": "UserName",
}
SITE_SYSTEM_CMDLETS = ("New-CMSiteSystemServer", "Set-CMSiteSystemServer")

PLAY = f"""---
- name: Valid values that look dangerous, through each module that takes them
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Each value in site_system_server
      configmgr.scp.site_system_server:
        server: {SSS_SERVER}
        account_name: "{{{{ item.settings.account_name | default(omit) }}}}"
        proxy_server: "{{{{ item.settings.proxy_server | default(omit) }}}}"
        proxy_port: "{{{{ item.settings.proxy_port | default(omit) }}}}"
        proxy_account: "{{{{ item.settings.proxy_account | default(omit) }}}}"
        public_fqdn: "{{{{ item.settings.public_fqdn | default(omit) }}}}"
      loop: "{{{{ accepted_cases }}}}"
      loop_control:
        label: "{{{{ item.option }}}}={{{{ item.value }}}}"
      register: accepted_sss
      ignore_errors: true             # the test reports and asserts every case

    - name: Each value in service_connection_point's site_system
      configmgr.scp.service_connection_point:
        server: {SCP_SERVER}
        site_system: "{{{{ item.settings }}}}"
        wait: false
      loop: "{{{{ accepted_cases }}}}"
      loop_control:
        label: "site_system.{{{{ item.option }}}}={{{{ item.value }}}}"
      register: accepted_scp
      ignore_errors: true

    - name: Keep the results for the test
      ansible.builtin.copy:
        content: "{{{{ {{'site_system_server': accepted_sss.results,
          'service_connection_point': accepted_scp.results}} | to_json }}}}"
        dest: "{{{{ accepted_results }}}}"
        mode: "0644"
      delegate_to: localhost
"""


def scenario() -> dict[str, Any]:
    """standalone-primary, with every account of the cases as a ConfigMgr account (Get-CMAccount finds it) and a
    member server scp02 for the service connection point."""
    data = copy.deepcopy(load_scenario("standalone-primary"))
    known = {a["user"].lower() for a in data["accounts"]}
    for option, value, _extra in CASES:
        if option in ("account_name", "proxy_account") and value.lower() not in known:
            data["accounts"].append(
                {
                    "user": value,
                    "site": "PS1",
                    "purpose": "Site system installation account"
                    if option == "account_name"
                    else "Site system proxy server account",
                }
            )
    scp01 = next(h for h in data["hosts"] if h["fqdn"] == SSS_SERVER)
    data["hosts"].append({**copy.deepcopy(scp01), "fqdn": SCP_SERVER})
    return data


@pytest.fixture(scope="session")
def accepted_report() -> Iterator[Path]:
    """tests/output/input_accepted.jsonl, emptied once per test session."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    ACCEPTED_REPORT.write_text("", encoding="utf-8")
    yield ACCEPTED_REPORT


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool, list[tuple[Any, Any]]]]:
    """Every command the lab's runspaces receive, as the client sent it: (name or script text, is a script, the
    parameters as plain Python values)."""
    seen: list[tuple[str, bool, list[tuple[Any, Any]]]] = []
    original = PSRuntime.invoke

    def recording(self: PSRuntime, request: Any, writer: Any) -> None:
        for command in request.commands:
            seen.append((command.name, command.is_script, [(n, from_ps(v)) for n, v in command.parameters]))
        original(self, request, writer)

    monkeypatch.setattr(PSRuntime, "invoke", recording)
    return seen


def _texts(value: Any) -> Iterator[str]:
    """Every string inside a received parameter value (hashtables and lists included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def _user_name(account: Any) -> Any:
    """UserName of the account object a call received (a LabObject), else None."""
    return account.get("UserName") if hasattr(account, "get") else None


def arrival(
    option: str,
    value: str,
    server: str,
    calls: list[dict[str, Any]],
    commands: list[tuple[str, bool, list[tuple[Any, Any]]]],
) -> tuple[str, str, bool, list[str]]:
    """Where the value must arrive for `server`: (cmdlet, parameter, arrived unchanged, the problems found)."""
    problems: list[str] = []
    parameter = PARAMETER[option]
    stores = [
        c
        for c in calls
        if c["cmdlet"] in SITE_SYSTEM_CMDLETS
        and c["outcome"] == "ok"
        and str(c["parameters"].get("SiteSystemServerName", "")).lower() == server
    ]
    if option == "proxy_account":
        cmdlet = "Get-CMAccount"
        # the constant script that receives it as its ProxyUserName parameter, for this server
        scripts = [
            dict(params)
            for name, is_script, params in commands
            if is_script
            and dict(params).get("ProxyUserName") == value
            and str((dict(params).get("Parameters") or {}).get("SiteSystemServerName", "")).lower() == server
        ]
        if not scripts:
            problems.append(f"no constant script received ProxyUserName {value!r} for {server}")
        if not [
            c
            for c in calls
            if c["cmdlet"] == cmdlet and c["parameters"].get(parameter) == value and c["outcome"] == "ok"
        ]:
            problems.append(f"no Get-CMAccount call had -UserName {value!r}")
        # ... and the live account object it found went to -ProxyAccessAccount
        if not [c for c in stores if _user_name(c["parameters"].get("ProxyAccessAccount")) == value]:
            problems.append(
                f"no {'/'.join(SITE_SYSTEM_CMDLETS)} call for {server} had a -ProxyAccessAccount with UserName {value!r}"
            )
    else:
        hits = [c for c in stores if c["parameters"].get(parameter) == value]
        cmdlet = hits[0]["cmdlet"] if hits else "/".join(SITE_SYSTEM_CMDLETS)
        if not hits:
            got = [c["parameters"].get(parameter) for c in stores if parameter in c["parameters"]]
            problems.append(f"no {cmdlet} call for {server} had -{parameter} {value!r} (values seen: {got!r})")
        if option == "account_name" and not [
            c for c in calls if c["cmdlet"] == "Get-CMAccount" and c["parameters"].get("UserName") == value
        ]:
            problems.append(f"no Get-CMAccount call had -UserName {value!r}")
    in_text = [name[:80] for name, _is_script, _params in commands if value in name]
    if in_text:
        problems.append(f"the value is part of command or script text: {in_text!r}")
    if not any(text == value for _name, _is_script, params in commands for _n, v in params for text in _texts(v)):
        problems.append("the value reached the lab as no parameter value")
    return cmdlet, parameter, not problems, problems


def test_input_errors_accepted_values_arrive_unchanged(
    tmp_path: Path, accepted_report: Path, received: list[tuple[str, bool, list[tuple[Any, Any]]]]
) -> None:
    cases = [{"option": option, "value": value, "settings": {**extra, option: value}} for option, value, extra in CASES]
    (tmp_path / "cases.json").write_text(json.dumps({"accepted_cases": cases}), encoding="utf-8")
    results_path = tmp_path / "results.json"
    with Lab(scenario(), scale=120) as lab:
        proc = run_playbook(
            lab, tmp_path, PLAY, "-e", f"@{tmp_path / 'cases.json'}", "-e", f"accepted_results={results_path}"
        )
        LOGS.mkdir(parents=True, exist_ok=True)
        (LOGS / "accepted.log").write_text(proc.stdout, encoding="utf-8")
        calls = lab.calls()
        assert_ok(proc)
        assert_no_secret(lab, proc)
    results = json.loads(results_path.read_text(encoding="utf-8"))

    rows, failures = [], []
    for module, server, prefix in (
        ("site_system_server", SSS_SERVER, ""),
        ("service_connection_point", SCP_SERVER, "site_system."),
    ):
        assert len(results[module]) == len(CASES), output(proc)
        for (option, value, _extra), result in zip(CASES, results[module], strict=True):
            cmdlet, parameter, unchanged, problems = arrival(option, value, server, calls, received)
            if result.get("failed"):
                unchanged, problems = False, [f"the task failed: {str(result.get('msg'))[:300]}"] + problems
            elif module == "site_system_server" and str((result.get("after") or {}).get(option)) != value:
                problems.append(f"read back as {(result.get('after') or {}).get(option)!r}")
            rows.append(
                {
                    "module": "configmgr.scp." + module,
                    "option": prefix + option,
                    "value": input_report.shown_value(value),
                    "cmdlet": cmdlet,
                    "parameter": parameter,
                    "arrived_unchanged": unchanged,
                }
            )
            if problems:
                failures.append(f"{module} {prefix}{option}={value!r}: {'; '.join(problems)}")
    with accepted_report.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    # no user value was ever script text: every script the lab received is one of its registered constants, and
    # the lab refused no script
    texts = [name for name, is_script, _params in received if is_script]
    assert all(lab_scripts.lookup(text) is not None for text in texts), [t[:80] for t in texts]
    assert [c for c in calls if "ScriptsRefused" in str(c["outcome"])] == []
    assert texts, "the proxy account cases ran the constant scripts"
    assert failures == [], "\n".join(failures)
    assert len(rows) == 2 * len(CASES) and all(row["arrived_unchanged"] for row in rows)
