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

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import (PSRP_VARIABLE_NAMES, PSRP_VARIABLES,
                                                                                  SECRET_FIELDS, options_from_variables)

# The variable table and its precedence live in the library (cmscp/options.py); this module adds what only an
# action plugin has: the templar, delegate_to, play keywords, task options and the inventory of other hosts.
CONNECTION_OPTIONS = tuple(entry.option for entry in PSRP_VARIABLES)
SECRET_OPTIONS = SECRET_FIELDS

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


def options_from_vars(host_vars: Mapping[str, Any], render: Render = _identity, inventory_hostname: Optional[str] = None,
                      keywords: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Connection option values from a host's variables, exactly the psrp plugin's names and precedence.
    Only the variables the plugin reads are rendered. `inventory_hostname` replaces the variable of that name
    (with delegate_to, Ansible leaves the original host's name in the delegated host's variables)."""
    variables = {name: render(host_vars[name]) for name in PSRP_VARIABLE_NAMES if host_vars.get(name) is not None}
    if inventory_hostname is not None:
        variables["inventory_hostname"] = inventory_hostname
    return options_from_variables(variables, keywords)


def task_target(task_vars: Mapping[str, Any], overrides: Mapping[str, Any], render: Render = _identity,
                delegate_to: Optional[str] = None, remote_user: Optional[str] = None,
                keywords: Optional[Mapping[str, Any]] = None) -> Target:
    """The host the task runs for (or is delegated to), with the task options applied over its variables.
    `remote_user` (or `keywords`: remote_user, port, password) only fill options no variable sets."""
    if delegate_to:
        host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(delegate_to) or {}
        name = str(delegate_to)
    else:
        host_vars = task_vars
        name = str(task_vars.get("inventory_hostname") or "")
    play_keywords = dict(keywords or {})
    if remote_user:
        play_keywords["remote_user"] = remote_user
    options = options_from_vars(host_vars, render, inventory_hostname=name, keywords=play_keywords)
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
            options = options_from_vars(hostvars[name], render, inventory_hostname=name)
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
