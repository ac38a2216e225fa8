# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY. The ``main()`` of every module file: the modules are action plugins, the files
only document them.

It still builds AnsibleModule with the real argument spec and rules, so ansible-doc and validate-modules see the
same options the action plugin validates.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import module_spec


def run_documented_only(name: str) -> None:
    module = AnsibleModule(supports_check_mode=True, **module_spec(name))
    module.fail_json(
        msg=f"configmgr.scp.{name} runs as an action plugin on the controller; this file only documents it. "
        "Run it through ansible-playbook with the collection installed."
    )
