# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Which host a task talks to and with which connection settings: ansible-core's psrp connection plugin resolves them
from the host's variables and the play keywords (its own option table and precedence, not a copy), task options go
on top. The task's own connection object is used when the task's connection is psrp (ansible-core has set its options
already: no templating here); otherwise, and for a second host reached by inventory name, the plugin is loaded and
given that host's variables, only those it reads templated (the action base passes a render function: the templar).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import CONNECTION_ARGSPEC
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import SECRET_FIELDS

PSRP_PLUGIN = "ansible.builtin.psrp"
# The plugin's option names that the library (and the task options) name as pypsrp does; the others are the same.
PLUGIN_NAMES = {"remote_addr": "host", "remote_user": "username", "remote_password": "password"}
# The plugin's options the library does not take: it opens runspaces with their profile, and never pipelines modules.
PLUGIN_ONLY = frozenset(("no_profile", "pipelining"))
# Options the psrp plugin of ansible-core before 2.21 does not define: it hands the ansible_psrp_<name> variable to
# pypsrp as an extra (its `_extras` option), so there they are read from the extras.
EXTRA_OPTIONS = frozenset(("certificate_key_password",))
EXTRA_PREFIX = "ansible_psrp_"
CONNECTION_OPTIONS = tuple(CONNECTION_ARGSPEC)
SECRET_OPTIONS = SECRET_FIELDS

Render = Callable[[Any], Any]


@dataclass
class Target:
    """A host to open a session to: its inventory name (for messages) and the connection option values."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    source: str = "inventory"  # inventory | derived (same credentials as the task host, other address)

    @property
    def address(self) -> str:
        return str(self.options.get("host") or self.name)

    def describe(self) -> str:
        """`name` or `name (address:port)` when the two differ, for messages."""
        address = self.address
        port = self.options.get("port")
        if address.lower() == self.name.lower() and not port:
            return self.name
        shown_port = f":{port}" if port else ""
        return f"{self.name} ({address}{shown_port})"


def is_psrp(connection: Any) -> bool:
    """Whether `connection` (a task's connection plugin object) is ansible-core's psrp connection plugin."""
    return (
        getattr(connection, "transport", None) in ("psrp", PSRP_PLUGIN)
        or str(getattr(connection, "_load_name", "")).rsplit(".", 1)[-1] == "psrp"
    )


def keeps_origins(plugin: Any) -> bool:
    """Whether the plugin object records where each option value came from (ansible-core 2.18 and later). Before,
    its get_option_and_origin reads the configuration again without the variables it was given."""
    return isinstance(getattr(plugin, "_origins", None), dict)


def resolved_as_is(connection: Any) -> bool:
    """Whether the task's connection object can be taken as ansible-core resolved it: psrp, with its origins kept
    (options_of leaves out the options at their default). Otherwise the host's variables go through the plugin."""
    return connection is not None and is_psrp(connection) and keeps_origins(connection)


def options_of(plugin: Any, origins: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The option values a psrp connection plugin object resolved (set_options ran), by library name. Options that
    only have the plugin's default are left out, so the ConnectionOptions defaults apply (the same values: a test
    compares them); an empty string is not set either. `origins`: where each value came from, for a plugin that does
    not keep them (keeps_origins)."""
    found: dict[str, Any] = {}
    for name in plugin.option_definitions:
        if name in PLUGIN_ONLY:
            continue
        if origins is None:
            value, origin = plugin.get_option_and_origin(name)
        else:
            value, origin = plugin.get_option(name), origins.get(name, "default")
        if origin != "default" and value is not None and value != "":
            found[PLUGIN_NAMES.get(name, name)] = value
    extras = _extras_of(plugin)
    for name in missing_extras(plugin):
        value = extras.get(EXTRA_PREFIX + name)
        if value is not None and value != "":
            found[name] = value
    return found


def missing_extras(plugin: Any) -> list[str]:
    """The EXTRA_OPTIONS this psrp plugin object does not define (all of them before ansible-core 2.21)."""
    return sorted(EXTRA_OPTIONS - set(plugin.option_definitions))


def _extras_of(plugin: Any) -> Mapping[str, Any]:
    try:
        extras = plugin.get_option("_extras")
    except KeyError:
        return {}
    return extras if isinstance(extras, Mapping) else {}


def load_psrp(like: Any = None) -> Any:
    """A fresh psrp connection plugin object (never connected: only its option resolution is used). With the task's
    psrp connection `like`, the same plugin by the name it was loaded with: ansible-core parsed its documentation (its
    option table) under that name already, which costs ~10 ms per worker under another. Otherwise the FQCN, which
    ansible-core resolves once its collection loader runs (ansible-playbook); plain Python (unit tests) knows it as
    psrp."""
    name = like._load_name if like is not None and is_psrp(like) else PSRP_PLUGIN
    plugin = connection_loader.get(name, PlayContext())
    return plugin if plugin is not None else connection_loader.get("psrp", PlayContext())


def _identity(value: Any) -> Any:
    return value


def options_from_vars(
    host_vars: Mapping[str, Any],
    render: Render = _identity,
    inventory_hostname: str | None = None,
    keywords: Mapping[str, Any] | None = None,
    like: Any = None,
) -> dict[str, Any]:
    """Connection option values from a host's variables, resolved by the psrp connection plugin itself (its names,
    precedence and keywords: remote_user, port, password). Only the variables the plugin reads are rendered; None and
    empty values are not set. `inventory_hostname` replaces the variable of that name (with delegate_to, Ansible
    leaves the original host's name in the delegated host's variables). `like`: the task's connection (load_psrp)."""
    plugin = load_psrp(like)
    variables: dict[str, Any] = {}
    for name in C.config.get_plugin_vars("connection", plugin._load_name):
        if host_vars.get(name) is not None:
            value = render(host_vars[name])
            if value is not None and value != "":
                variables[name] = value
    extras = {}
    for name in missing_extras(plugin):
        if host_vars.get(EXTRA_PREFIX + name) is not None:
            extras[EXTRA_PREFIX + name] = render(host_vars[EXTRA_PREFIX + name])
    if extras:
        variables["_extras"] = extras
    if inventory_hostname is not None:
        variables["inventory_hostname"] = inventory_hostname
    task_keys = {k: v for k, v in (keywords or {}).items() if v is not None and v != ""}
    try:
        plugin.set_options(task_keys=task_keys, var_options=variables)
        origins = None if keeps_origins(plugin) else _origins(plugin, task_keys, variables)
    except (AnsibleError, TypeError, ValueError) as err:
        # the plugin checks types and choices; a bad inventory value fails the task as invalid input, naming the host
        raise ValueError(
            f"connection variables of {inventory_hostname or host_vars.get('inventory_hostname')}: {getattr(err, 'message', None) or err}"
        ) from err
    return options_of(plugin, origins)


def _origins(plugin: Any, keys: Mapping[str, Any], variables: Mapping[str, Any]) -> dict[str, str]:
    """Where each option's value comes from, asked of the configuration as set_options asked it for the values."""
    return {
        name: C.config.get_config_value_and_origin(
            name, plugin_type="connection", plugin_name=plugin._load_name, keys=keys, variables=variables
        )[1]
        for name in plugin.option_definitions
    }


def task_target(
    task_vars: Mapping[str, Any],
    overrides: Mapping[str, Any],
    render: Render = _identity,
    delegate_to: str | None = None,
    remote_user: str | None = None,
    keywords: Mapping[str, Any] | None = None,
    connection: Any = None,
) -> Target:
    """The host the task runs for (or is delegated to), with the task options applied over its connection settings.
    `connection`: the task's connection object; when it is psrp, ansible-core resolved its options for this host
    (delegation, play keywords, connection password included) and they are taken as they are (resolved_as_is: from
    ansible-core 2.18, which keeps their origins). Otherwise the host's variables go through the plugin here;
    `remote_user` (or `keywords`: remote_user, port, password) only fill options no variable sets."""
    if delegate_to:
        host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(delegate_to) or {}
        name = str(delegate_to)
    else:
        host_vars = task_vars
        name = str(task_vars.get("inventory_hostname") or "")
    if resolved_as_is(connection):
        options = options_of(connection)
    else:
        play_keywords = dict(keywords or {})
        if remote_user:
            play_keywords["remote_user"] = remote_user
        options = options_from_vars(host_vars, render, inventory_hostname=name, keywords=play_keywords)
    options.update({k: v for k, v in overrides.items() if v is not None})
    options.setdefault("host", name)
    return Target(name=name, options=options)


def find_inventory_host(fqdn: str, names: Iterable[str], vars_of: Callable[[str], Mapping[str, Any]]) -> str | None:
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


def second_target(
    fqdn: str,
    task: Target,
    hostvars: Mapping[str, Mapping[str, Any]] | None,
    render: Render = _identity,
    overrides: Mapping[str, Any] | None = None,
    like: Any = None,
    keywords: Mapping[str, Any] | None = None,
) -> Target:
    """Connection for another server (the SCP host): its inventory variables (resolved by the psrp plugin, `like`
    the task's connection: load_psrp) when it is in the inventory, else the task host's credentials against the FQDN.
    `keywords` (the play's remote_user, port and connection password: an AWX machine credential's `-u` and password)
    fill what the host's variables do not set, as ansible-core does for every host of a play. Task connection options
    other than `host`/`port` still apply (credentials, auth, timeouts)."""
    if hostvars is not None:
        name = find_inventory_host(fqdn, hostvars.keys(), lambda n: hostvars[n])
        if name is not None:
            options = options_from_vars(hostvars[name], render, inventory_hostname=name, keywords=keywords, like=like)
            options.update({k: v for k, v in (overrides or {}).items() if v is not None and k not in ("host", "port")})
            options.setdefault("host", name)
            return Target(name=name, options=options)
    options = {k: v for k, v in task.options.items() if k not in ("host", "port")}
    if task.options.get("protocol") is None and task.options.get("port") is not None:
        # keep the task host's scheme: a port alone implies it (5985 -> http)
        options["protocol"] = "http" if int(task.options["port"]) == 5985 else "https"
    options["host"] = fqdn
    options.pop("negotiate_hostname_override", None)  # it named the first host
    return Target(name=fqdn, options=options, source="derived")
