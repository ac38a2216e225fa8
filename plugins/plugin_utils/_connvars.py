# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Which host a task talks to and with which connection settings: the inventory variables that ansible-core's
psrp connection plugin reads, overridden by task options. Pure functions (no Ansible objects) so they are
unit-tested on their own; the action base passes in the variables and a render function (the templar).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional

# (connection option, inventory variables in the psrp plugin's order). As in Ansible's config manager, when
# several of the variables are set, the last one in the list wins.
PSRP_VARIABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("host", ("ansible_host", "ansible_psrp_host")),
    ("port", ("ansible_port", "ansible_psrp_port")),
    ("username", ("ansible_user", "ansible_psrp_user")),
    ("password", ("ansible_password", "ansible_winrm_pass", "ansible_winrm_password")),
    ("protocol", ("ansible_psrp_protocol",)),
    ("path", ("ansible_psrp_path",)),
    ("auth", ("ansible_psrp_auth",)),
    ("cert_validation", ("ansible_psrp_cert_validation",)),
    ("ca_cert", ("ansible_psrp_cert_trust_path", "ansible_psrp_ca_cert")),
    ("connection_timeout", ("ansible_psrp_connection_timeout",)),
    ("read_timeout", ("ansible_psrp_read_timeout",)),
    ("operation_timeout", ("ansible_psrp_operation_timeout",)),
    ("reconnection_retries", ("ansible_psrp_reconnection_retries",)),
    ("reconnection_backoff", ("ansible_psrp_connection_backoff", "ansible_psrp_reconnection_backoff")),
    ("message_encryption", ("ansible_psrp_message_encryption",)),
    ("proxy", ("ansible_psrp_proxy",)),
    ("ignore_proxy", ("ansible_psrp_ignore_proxy",)),
    ("configuration_name", ("ansible_psrp_configuration_name",)),
    ("max_envelope_size", ("ansible_psrp_max_envelope_size",)),
    ("certificate_pem", ("ansible_psrp_certificate_pem",)),
    ("certificate_key_pem", ("ansible_psrp_certificate_key_pem",)),
    ("negotiate_delegate", ("ansible_psrp_negotiate_delegate",)),
    ("negotiate_hostname_override", ("ansible_psrp_negotiate_hostname_override",)),
    ("negotiate_send_cbt", ("ansible_psrp_negotiate_send_cbt",)),
    ("negotiate_service", ("ansible_psrp_negotiate_service",)),
    ("credssp_auth_mechanism", ("ansible_psrp_credssp_auth_mechanism",)),
    ("credssp_disable_tlsv1_2", ("ansible_psrp_credssp_disable_tlsv1_2",)),
    ("credssp_minimum_version", ("ansible_psrp_credssp_minimum_version",)),
)
CONNECTION_OPTIONS = tuple(name for name, _vars in PSRP_VARIABLES)
SECRET_OPTIONS = frozenset(("password", "certificate_key_pem"))

Render = Callable[[Any], Any]


@dataclass
class Target:
    """A host to open a session to: its inventory name (for messages) and the connection option values."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    source: str = "inventory"         # inventory | derived (same credentials as the task host, other address)

    @property
    def address(self) -> str:
        return str(self.options.get("host") or self.name)

    def describe(self) -> str:
        """`name` or `name (address:port)` when the two differ, for messages."""
        address = self.address
        port = self.options.get("port")
        if address.lower() == self.name.lower() and not port:
            return self.name
        return "%s (%s%s)" % (self.name, address, ":%s" % port if port else "")


def _identity(value: Any) -> Any:
    return value


def options_from_vars(host_vars: Mapping[str, Any], render: Render = _identity) -> dict[str, Any]:
    """Connection option values from a host's variables, exactly the psrp plugin's variable names."""
    found: dict[str, Any] = {}
    for option, names in PSRP_VARIABLES:
        for name in names:
            value = host_vars.get(name)
            if value is not None:
                found[option] = render(value)
    return {k: v for k, v in found.items() if v is not None and v != ""}


def task_target(task_vars: Mapping[str, Any], overrides: Mapping[str, Any], render: Render = _identity,
                delegate_to: Optional[str] = None, remote_user: Optional[str] = None) -> Target:
    """The host the task runs for (or is delegated to), with the task options applied over its variables."""
    if delegate_to:
        host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(delegate_to) or {}
        name = str(delegate_to)
    else:
        host_vars = task_vars
        name = str(task_vars.get("inventory_hostname") or "")
    options = options_from_vars(host_vars, render)
    if remote_user and "username" not in options:
        options["username"] = remote_user       # the play's remote_user keyword, as the psrp plugin does
    options.update({k: v for k, v in overrides.items() if v is not None})
    options.setdefault("host", name)
    return Target(name=name, options=options)


def find_inventory_host(fqdn: str, names: Iterable[str], vars_of: Callable[[str], Mapping[str, Any]]) -> Optional[str]:
    """The inventory host for `fqdn`: a host named like it wins over one whose ansible_host is it (in the lab
    every host has ansible_host 127.0.0.1, so matching by address alone would be ambiguous)."""
    wanted = fqdn.strip().lower().rstrip(".")
    all_names = list(names)
    for name in all_names:
        if name.lower().rstrip(".") == wanted:
            return name
    for name in all_names:
        address = vars_of(name).get("ansible_host")
        if isinstance(address, str) and address.lower().rstrip(".") == wanted:
            return name
    return None


def second_target(fqdn: str, task: Target, hostvars: Optional[Mapping[str, Mapping[str, Any]]], render: Render = _identity,
                  overrides: Optional[Mapping[str, Any]] = None) -> Target:
    """Connection for another server (the SCP host): its inventory variables when it is in the inventory,
    else the task host's credentials against the FQDN. Task connection options other than `host`/`port`
    still apply (credentials, auth, timeouts)."""
    if hostvars is not None:
        name = find_inventory_host(fqdn, hostvars.keys(), lambda n: hostvars[n])
        if name is not None:
            options = options_from_vars(hostvars[name], render)
            options.update({k: v for k, v in (overrides or {}).items() if v is not None and k not in ("host", "port")})
            options.setdefault("host", name)
            return Target(name=name, options=options)
    options = {k: v for k, v in task.options.items() if k not in ("host", "port")}
    if task.options.get("protocol") is None and task.options.get("port") is not None:
        # keep the task host's scheme: a port alone implies it (5985 -> http)
        options["protocol"] = "http" if int(task.options["port"]) == 5985 else "https"
    options["host"] = fqdn
    options.pop("negotiate_hostname_override", None)     # it named the first host
    return Target(name=fqdn, options=options, source="derived")


def redact(options: Mapping[str, Any]) -> dict[str, Any]:
    """A copy safe to show: secrets replaced."""
    return {k: ("********" if k in SECRET_OPTIONS and v is not None else v) for k, v in options.items()}
