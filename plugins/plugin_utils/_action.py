# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

The base of every action plugin of the collection: option validation, connection settings from the
inventory, one session per host per task, the SMS Provider given back by an earlier task, and the single place where
library errors become Ansible results (HostUnreachable of the task's own host -> unreachable, any other ConfigMgrError ->
failed with a message naming host and object; `changed` stays true when a mutating step ran before the error).
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import CONNECTION_ARGSPEC, module_spec
from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._connvars import (
    SECRET_OPTIONS,
    Target,
    resolved_as_is,
    second_target,
    task_target,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CommandFailed,
    ConfigMgrError,
    HostUnreachable,
    InvalidOption,
    MissingExtra,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session

PYPSRP_IMPORT_ERROR: str | None = None
try:
    import pypsrp  # noqa: F401  pylint: disable=unused-import
except ImportError:
    PYPSRP_IMPORT_ERROR = traceback.format_exc()

display = Display()
TASK_TIMEOUT_MARGIN = 5.0  # seconds kept from the task's `timeout:` for the error result

_ACCESS_DENIED = ("access is denied", "unauthorizedaccess", "0x80070005", "logon failure", "anonymous logon")
AUTH_HINT = "Check ansible_user/ansible_password (or the task's username/password) and ansible_psrp_auth."
DOUBLE_HOP_HINT = (
    "This looks like the double-hop problem: the remote session cannot pass your credentials on to "
    "a second machine (remote SMS Provider, SQL Server, a share). Use auth=credssp, or Kerberos with "
    "negotiate_delegate=true and delegation allowed for the account."
)


class TaskSession(Session):
    """A Session for one Target of a task. Every error it raises is made with the target's key (`target_key`, the
    inventory name in lower case), which error_result uses to tell the task's own host from a second one, and with
    the name the user knows (`display_name`, with the address when it differs: in a lab or behind NAT the address
    alone can be ambiguous)."""

    def __init__(self, target: Target, options: ConnectionOptions, task_deadline: float | None = None) -> None:
        super().__init__(options, target_key=target_key(target))
        self.target = target
        self.task_deadline = task_deadline  # time.monotonic() at which the task's `timeout:` ends, if it has one

    def call_limit(self, timeout: float | None = None) -> float:
        """The library's deadline of one pipeline, never past the task's own `timeout:` (less a few seconds, so
        the task ends with an error naming the call instead of Ansible's bare timeout)."""
        limit = super().call_limit(timeout)
        if self.task_deadline is None:
            return limit
        return max(1.0, min(limit, self.task_deadline - time.monotonic() - TASK_TIMEOUT_MARGIN))


def target_key(target: Target) -> str:
    """The key of a target's session and errors: its inventory name, case-insensitive."""
    return target.name.lower()


class TaskContext:
    """Per-task state: the task's own host, sessions (one per host), check mode, progress output."""

    def __init__(self, action: ConfigMgrAction, task_vars: Mapping[str, Any], args: Mapping[str, Any]) -> None:
        self.action = action
        self.task_vars = task_vars
        self.check_mode = bool(action._task.check_mode)
        self.diff = bool(action._task.diff)
        self.overrides = {k: args.get(k) for k in CONNECTION_ARGSPEC if args.get(k) is not None}
        delegate_to = action._task.delegate_to or None
        connection = action._connection
        # the task's psrp connection has its options resolved already (no keywords to read); any other is not ours
        self.keywords = play_keywords(action, delegated=bool(delegate_to))
        keywords = None if resolved_as_is(connection) else self.keywords
        self.target = task_target(
            task_vars, self.overrides, self.render, delegate_to=delegate_to, keywords=keywords, connection=connection
        )
        # what an earlier task returned (sms_provider, sms_provider_site_code): no discovery when both are given
        self.known_provider = (args.get("sms_provider_site_code"), args.get("sms_provider"))
        self.provider_route = str(args.get("sms_provider_route") or "direct")
        self._sessions: dict[str, TaskSession] = {}
        task_timeout = getattr(action._task, "timeout", None)
        self.task_deadline = (
            time.monotonic() + task_timeout
            if isinstance(task_timeout, int) and not isinstance(task_timeout, bool) and task_timeout > 0
            else None
        )
        self._providers: list[SiteProvider] = []
        self.secrets: set[str] = set()
        self.options(self.target)  # the library's option checks, before any remote call

    def options(self, target: Target) -> ConnectionOptions:
        """Validated connection options of `target` (InvalidOption names the option and the host)."""
        for name in SECRET_OPTIONS:
            if target.options.get(name):
                self.secrets.add(str(target.options[name]))
        try:
            # Messages name the inventory host, not the address it is reached at (often an IP).
            return ConnectionOptions.from_mapping({"display_name": target.name, **target.options})
        except InvalidOption as err:
            # the same error, made for this target (ConnectionOptions does not know which host of the task it is)
            raise InvalidOption(
                err.option, err.problem, err.host, display_name=target.describe(), target_key=target_key(target)
            ) from err

    def render(self, value: Any) -> Any:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self.action._templar.template(value)
        return value

    def session(self, target: Target | None = None) -> TaskSession:
        """The session for `target` (default: the task's host), opened lazily, reused for the whole task."""
        target = target or self.target
        key = target.name.lower()
        if key not in self._sessions:
            options = self.options(target)
            display.vvv(
                f"configmgr.scp: connecting to {target.describe()} as {options.username or '(current user)'}",
                host=self.target.name,
            )
            self._sessions[key] = TaskSession(target, options, self.task_deadline)
        return self._sessions[key]

    def site_provider(self, check_mode: bool | None = None) -> SiteProvider:
        """A SiteProvider on the task's host. Given the SMS Provider and its site code (what an earlier task returned)
        it skips the discovery round trip (bootstrap and reads go in one pipeline) and connects to that machine; what
        it used is returned (provider_result)."""
        site_code, provider = self.known_provider
        made = SiteProvider(
            self.session(),
            site_code=site_code,
            provider=provider,
            check_mode=self.check_mode if check_mode is None else check_mode,
            sessions=lambda fqdn: self.session(self.other_host(fqdn)),
            route=self.provider_route,
        )
        self._providers.append(made)
        return made

    def provider_result(self) -> dict[str, Any]:
        """The SMS Provider this task used and its site code, for the result, so that a later task can pass them
        back (sms_provider, sms_provider_site_code); nothing when the task read no SMS Provider."""
        for made in self._providers:
            if made.site_code and made.provider:
                return {"sms_provider": made.provider, "sms_provider_site_code": made.site_code}
        return {}

    def other_host(self, fqdn: str) -> Target:
        """Connection settings for another server (the SCP host): inventory first, else derived."""
        if fqdn.lower() == self.target.name.lower():
            return self.target
        return second_target(
            fqdn,
            self.target,
            self.task_vars.get("hostvars"),
            self.render,
            self.overrides,
            like=self.action._connection,
            keywords=self.keywords,
        )

    def progress(self, message: str) -> None:
        display.v(f"configmgr.scp: {message}", host=self.target.name)

    def close(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            session.close()


class ConfigMgrAction(ActionBase):
    """Subclasses set MODULE and implement `execute(ctx, args) -> dict`; `check_args(args)` may raise ValueError."""

    MODULE = ""
    TRANSFERS_FILES = False
    _requires_connection = False  # everything runs on the controller; the task's connection plugin is unused
    _supports_check_mode = True
    _supports_async = False

    def check_args(self, args: dict[str, Any]) -> None:
        """Module-specific input checks; raise ValueError. Runs before any remote call."""

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        super().run(tmp, task_vars)
        task_vars = task_vars or {}
        # Ansible checks the options and the rules between them (module_utils/_argspec.py) before anything else, so
        # no session is opened for a refused task. A top-level null is an option not given (like `omit`): Ansible's
        # rules count an option that is present, whatever its value.
        spec = module_spec(self.MODULE)
        given = self._task.args
        self._task.args = {k: v for k, v in given.items() if v is not None}
        try:
            validation, args = self.validate_argument_spec(**spec)
        except AnsibleActionFail as err:
            # a failed task like the checks below, not an exception; values of no_log options never shown
            secrets = {
                str(v) for k, v in self._task.args.items() if spec["argument_spec"].get(k, {}).get("no_log") and v != ""
            }
            refused = {"failed": True, "changed": False, "msg": f"invalid input: {err.message}"}
            return remove_values(refused, secrets) if secrets else refused
        finally:
            self._task.args = given
        no_log_values = set(getattr(validation, "_no_log_values", set()) or set())
        if PYPSRP_IMPORT_ERROR:
            return {"failed": True, "msg": missing_required_lib("pypsrp"), "exception": PYPSRP_IMPORT_ERROR}
        ctx: TaskContext | None = None
        try:
            check_provider_args(args)
            self.check_args(args)
            ctx = TaskContext(self, task_vars, args)
            result = self.execute(ctx, args)
        except ValueError as err:
            result = {"failed": True, "changed": False, "msg": f"invalid input: {err}"}
        except InvalidOption as err:
            result = {"failed": True, "changed": False, "msg": f"invalid input: {describe_error(err)}"}
        except MissingExtra as err:
            result = missing_extra_result(err)
        except ConfigMgrError as err:
            result = error_result(err, ctx)
        finally:
            if ctx is not None:
                ctx.close()
                no_log_values |= ctx.secrets
        if ctx is not None and isinstance(result, dict):
            for key, value in ctx.provider_result().items():
                result.setdefault(key, value)
        return remove_values(result, no_log_values) if no_log_values else result


def missing_extra_result(err: MissingExtra) -> dict[str, Any]:
    """Ansible's wording for a missing library, naming the pypsrp extra to install and the host that needs it."""
    reason = f"for auth={err.auth} (ansible_psrp_auth) on {err.display_name}: {err.library} cannot be imported"
    return {
        "failed": True,
        "changed": False,
        "msg": missing_required_lib(err.extra, reason=reason),
        "exception": err.import_error,
    }


def check_provider_args(args: dict[str, Any]) -> None:
    """The formats of the SMS Provider options (the argument spec requires them together): an FQDN, a site code."""
    args["sms_provider"] = check.fqdn(args.get("sms_provider"), "sms_provider")
    args["sms_provider_site_code"] = check.site_code(args.get("sms_provider_site_code"), "sms_provider_site_code")


def error_result(err: ConfigMgrError, ctx: TaskContext | None) -> dict[str, Any]:
    """A library error as a task result. Only the task's own host is reported unreachable: Ansible drops an
    unreachable host from the play, which is wrong when only a second host (the SCP server) cannot be reached."""
    result: dict[str, Any]
    own = ctx is None or err.target_key in (None, target_key(ctx.target))
    if isinstance(err, HostUnreachable) and own and not err.outcome_unknown:
        result = {"unreachable": True, "msg": describe_error(err)}
    elif isinstance(err, HostUnreachable) and own:
        # the connection went while a changing call ran: a failed task can say changed, an unreachable one cannot
        result = {"failed": True, "msg": describe_error(err)}
    elif isinstance(err, HostUnreachable):
        result = {
            "failed": True,
            "msg": f"{describe_error(err)} (a second host: reported as failed so that the task's host {ctx.target.name if ctx else ''} stays in the play)",
        }
    else:
        result = {"failed": True, "msg": describe_error(err), "exception": traceback.format_exc()}
        for name in ("waited", "last_state", "fully_qualified_error_id", "category"):
            if getattr(err, name, None) is not None:
                result[name] = to_plain(getattr(err, name))
    if err.outcome_unknown:
        result["warnings"] = [
            "the changing call was sent but its answer was lost: it may have run. Run the task again "
            "(it reads the state first) or check the site before anything else"
        ]
    steps, mutated = partial_steps(err)
    result["changed"] = mutated
    if mutated:
        result["steps_run"] = steps
    return result


def partial_steps(err: ConfigMgrError) -> tuple[list[Any], bool]:
    """What ran before `err` and whether any of it changed something. The library attaches `steps_run` (dicts
    or Step objects) and `changed`; read defensively, since a step that says nothing about `mutates` counts as a
    change only when the error does not carry `changed` itself."""
    library_changed = getattr(err, "changed", None)
    found: list[Any] = []
    mutated = library_changed is True
    for step in getattr(err, "steps_run", None) or ():
        flag = step.get("mutates") if isinstance(step, Mapping) else getattr(step, "mutates", None)
        if flag is False:
            continue
        mutated = mutated or flag is True or not isinstance(library_changed, bool)
        plain = to_plain(step)
        if plain not in found:
            found.append(plain)
    return found, mutated


def play_keywords(action: ActionBase, delegated: bool = False) -> dict[str, Any]:
    """remote_user, port and the connection password as the play sets them (an AWX machine credential gives
    `-u` and the connection password). Inventory variables win over them, as in the psrp plugin."""
    task, play_context = action._task, action._play_context
    found: dict[str, Any] = {}
    user = getattr(task, "remote_user", None)
    if not isinstance(user, str) and not delegated:
        user = getattr(play_context, "remote_user", None)
    if isinstance(user, str) and user:
        found["remote_user"] = user
    # the task's (or play's) keyword only: play_context.port may hold the global ANSIBLE_REMOTE_PORT meant for ssh
    port = getattr(task, "port", None)
    if isinstance(port, int) and not isinstance(port, bool):
        found["port"] = port
    password = getattr(play_context, "password", None)
    if isinstance(password, str) and password:
        found["password"] = password
    return found


def describe_error(err: ConfigMgrError) -> str:
    """What failed, on which host (inventory name), and what to do."""
    text = str(err)
    where = err.display_name
    if where and where.split(" ")[0].lower() not in text.lower():
        text = f"{where}: {text}"  # the message names another host (an address): say which one it is
    lowered = text.lower()
    # the library says so itself when it knows the hop (a CMSite drive rooted at another machine, a share)
    if isinstance(err, CommandFailed) and not err.explains_second_hop and any(w in lowered for w in _ACCESS_DENIED):
        text += " " + DOUBLE_HOP_HINT
    if isinstance(err, HostUnreachable) and err.reason == "auth" and not err.hint:
        # the generic reminder only when the library named no cause (after "Clock skew too great" it would mislead)
        text = text.rstrip(".") + ". " + AUTH_HINT
    return text


def to_plain(value: Any) -> Any:
    """Library objects -> JSON-friendly values (dataclasses, datetimes, objects with to_dict())."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    to_dict: Callable[[], Any] | None = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_plain(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "raw"}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    return str(value)


def raw_plain(value: Any) -> Any:
    """The `raw` object kept by a library model, JSON-friendly."""
    return to_plain(getattr(value, "raw", None))
