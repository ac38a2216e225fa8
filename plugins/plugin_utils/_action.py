# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

The base of every action plugin of the collection: option validation, connection settings from the
inventory, one session per host per task, and the single place where library errors become Ansible results
(HostUnreachable -> unreachable, any other ConfigMgrError -> failed with a message naming host and object).
"""
from __future__ import annotations

import dataclasses
import traceback
from datetime import date, datetime
from typing import Any, Callable, Mapping, Optional

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import CONNECTION_ARGSPEC, argument_spec
from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._connvars import SECRET_OPTIONS, Target, second_target, task_target
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (CommandFailed, ConfigMgrError,
                                                                                 HostUnreachable, InvalidOption)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session

PYPSRP_IMPORT_ERROR: Optional[str] = None
try:
    import pypsrp  # noqa: F401  pylint: disable=unused-import
except ImportError:
    PYPSRP_IMPORT_ERROR = traceback.format_exc()

display = Display()

_ACCESS_DENIED = ("access is denied", "unauthorizedaccess", "0x80070005", "logon failure", "anonymous logon")
DOUBLE_HOP_HINT = ("This looks like the double-hop problem: the remote session cannot pass your credentials on to "
                   "a second machine (remote SMS Provider, SQL Server, a share). Use auth=credssp, or Kerberos with "
                   "negotiate_delegate=true and delegation allowed for the account.")


class TaskSession(Session):
    """A Session that remembers the inventory name it was opened for, so errors name the host the user knows
    (in a lab or behind NAT the address alone can be ambiguous)."""

    def __init__(self, target: Target, options: ConnectionOptions) -> None:
        super().__init__(options)
        self.target = target

    def open(self) -> None:
        try:
            super().open()
        except ConfigMgrError as err:
            _tag(err, self.target)
            raise

    def run(self, pipeline: Any, *, idempotent: bool = False, timeout: Optional[float] = None) -> Any:
        try:
            return super().run(pipeline, idempotent=idempotent, timeout=timeout)
        except ConfigMgrError as err:
            _tag(err, self.target)
            raise


def _tag(err: ConfigMgrError, target: Target) -> None:
    if getattr(err, "target_name", None) is None:
        setattr(err, "target_name", target.describe())


class TaskContext:
    """Per-task state: the task's own host, sessions (one per host), check mode, progress output."""

    def __init__(self, action: "ConfigMgrAction", task_vars: Mapping[str, Any], args: Mapping[str, Any]) -> None:
        self.action = action
        self.task_vars = task_vars
        self.check_mode = bool(action._task.check_mode)
        self.diff = bool(action._task.diff)
        self.overrides = {k: args.get(k) for k in CONNECTION_ARGSPEC if args.get(k) is not None}
        delegate_to = action._task.delegate_to or None
        remote_user = getattr(action._play_context, "remote_user", None) if not delegate_to else None
        self.target = task_target(task_vars, self.overrides, self.render, delegate_to=delegate_to, remote_user=remote_user)
        self._sessions: dict[str, TaskSession] = {}
        self.secrets: set[str] = set()

    def render(self, value: Any) -> Any:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self.action._templar.template(value)
        return value

    def session(self, target: Optional[Target] = None) -> TaskSession:
        """The session for `target` (default: the task's host), opened lazily, reused for the whole task."""
        target = target or self.target
        key = target.name.lower()
        if key not in self._sessions:
            for name in SECRET_OPTIONS:
                if target.options.get(name):
                    self.secrets.add(str(target.options[name]))
            try:
                options = ConnectionOptions.from_mapping(target.options)
            except InvalidOption as err:
                _tag(err, target)
                raise
            display.vvv("configmgr.scp: connecting to %s as %s" % (target.describe(), options.username or "(current user)"),
                        host=self.target.name)
            self._sessions[key] = TaskSession(target, options)
        return self._sessions[key]

    def other_host(self, fqdn: str) -> Target:
        """Connection settings for another server (the SCP host): inventory first, else derived."""
        if fqdn.lower() == self.target.name.lower():
            return self.target
        return second_target(fqdn, self.target, self.task_vars.get("hostvars"), self.render, self.overrides)

    def progress(self, message: str) -> None:
        display.v("configmgr.scp: %s" % message, host=self.target.name)

    def close(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            session.close()


class ConfigMgrAction(ActionBase):
    """Subclasses set MODULE and implement `execute(ctx, args) -> dict`; `check_args(args)` may raise ValueError."""

    MODULE = ""
    TRANSFERS_FILES = False
    _requires_connection = False     # everything runs on the controller; the task's connection plugin is unused
    _supports_check_mode = True
    _supports_async = False

    def check_args(self, args: dict[str, Any]) -> None:
        """Module-specific input checks; raise ValueError. Runs before any remote call."""

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def run(self, tmp: Any = None, task_vars: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        super().run(tmp, task_vars)
        task_vars = task_vars or {}
        validation, args = self.validate_argument_spec(argument_spec(self.MODULE))
        no_log_values = set(getattr(validation, "_no_log_values", set()) or set())
        if PYPSRP_IMPORT_ERROR:
            return {"failed": True, "msg": missing_required_lib("pypsrp"), "exception": PYPSRP_IMPORT_ERROR}
        ctx: Optional[TaskContext] = None
        try:
            check_connection_args(args)
            self.check_args(args)
            ctx = TaskContext(self, task_vars, args)
            result = self.execute(ctx, args)
        except ValueError as err:
            result = {"failed": True, "changed": False, "msg": "invalid input: %s" % err}
        except HostUnreachable as err:
            result = {"unreachable": True, "changed": False, "msg": describe_error(err)}
        except ConfigMgrError as err:
            result = {"failed": True, "changed": False, "msg": describe_error(err), "exception": traceback.format_exc()}
            for name in ("waited", "last_state", "fully_qualified_error_id", "category"):
                if getattr(err, name, None) is not None:
                    result[name] = to_plain(getattr(err, name))
        finally:
            if ctx is not None:
                ctx.close()
                no_log_values |= ctx.secrets
        return remove_values(result, no_log_values) if no_log_values else result


def check_connection_args(args: Mapping[str, Any]) -> None:
    for name in ("connection_timeout", "read_timeout", "operation_timeout"):
        check.positive(args.get(name), name)
    check.port(args.get("port"), "port")
    if args.get("reconnection_retries") is not None and args["reconnection_retries"] < 0:
        raise ValueError("reconnection_retries must not be negative")
    read, operation = args.get("read_timeout"), args.get("operation_timeout")
    if read is not None and operation is not None and read <= operation:
        raise ValueError("read_timeout (%s) must be greater than operation_timeout (%s)" % (read, operation))


def describe_error(err: ConfigMgrError) -> str:
    """What failed, on which host (inventory name), and what to do."""
    text = str(err)
    where = getattr(err, "target_name", None)
    if where and where.split(" ")[0].lower() not in text.lower():
        text = "%s: %s" % (where, text)
    if isinstance(err, CommandFailed) and any(word in text.lower() for word in _ACCESS_DENIED):
        text += " " + DOUBLE_HOP_HINT
    if isinstance(err, HostUnreachable) and getattr(err, "reason", "") == "auth":
        text += " Check ansible_user/ansible_password (or the task's username/password) and ansible_psrp_auth."
    return text


def to_plain(value: Any) -> Any:
    """Library objects -> JSON-friendly values (dataclasses, datetimes, objects with to_dict())."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    to_dict: Optional[Callable[[], Any]] = getattr(value, "to_dict", None)
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


def site_code_arg(args: Mapping[str, Any]) -> Optional[str]:
    return check.site_code(args.get("site_code"))
