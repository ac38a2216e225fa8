# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.scp_role_input: the configmgr.scp.scp role's input checks, on the controller."""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.configmgr.scp.plugins.plugin_utils._role_input import ROLE_VARIABLES, scp_role_input_errors


class ActionModule(ActionBase):
    """Reads the role's variables from the task's variables, as ansible.builtin.validate_argument_spec does for a
    role's argument_specs, so no template of them is compiled: the values are templated one by one, each as given."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        if self._task.args:
            unknown = ", ".join(sorted(self._task.args))
            return {**result, "failed": True, "msg": f"configmgr.scp.scp_role_input takes no options, got {unknown}"}
        given = task_vars or {}
        values = {name: self._templar.template(given[name]) for name in ROLE_VARIABLES if name in given}
        errors = scp_role_input_errors(values)
        if errors:
            return {**result, "changed": False, "failed": True, "msg": "configmgr.scp.scp: " + "; ".join(errors)}
        return {**result, "changed": False, "msg": "The role's variables are valid."}
