# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    # Attributes shared by every module of the collection.
    DOCUMENTATION = r"""
options: {}
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  action_group:
    description: Use C(group/configmgr.scp.scp) in C(module_defaults) to set options for every module of the collection.
    support: full
    membership:
      - configmgr.scp.scp
  async:
    description: Async is not supported.
    support: none
  bypass_host_loop:
    description: Runs once per inventory host (or delegated host).
    support: none
  platform:
    description: Targets Windows hosts of a Configuration Manager hierarchy through PowerShell Remoting.
    support: full
    platforms: windows
"""

    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff; nothing changes.
    support: none
"""

    CHANGES = r"""
options: {}
attributes:
  check_mode:
    description: Reads the current state and returns the predicted result without any changing call.
    support: full
  diff_mode:
    description: Returns the state before and after in the diff output.
    support: full
"""
