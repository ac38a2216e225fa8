# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    # Site system settings: SITE_SYSTEM_OPTIONS and SITE_SYSTEM_RULES in plugins/module_utils/_argspec.py.
    # DOCUMENTATION documents them as a module's own options (configmgr.scp.site_system_server), SUBOPTIONS as the
    # suboptions of a `site_system` option (configmgr.scp.service_connection_point). The two texts say the same:
    # tests/unit/test_argspec_docs.py checks that they are equal once O(site_system.x) is read as O(x), and that both
    # match the spec.
    DOCUMENTATION = r"""
options:
  account_name:
    description:
      - Site system installation account, an existing ConfigMgr account (C(DOMAIN\name) or C(name@domain)).
      - Mutually exclusive with O(use_site_server_account), also when that is V(false); give one of the two.
    type: str
  use_site_server_account:
    description:
      - Install the site system with the site server's computer account.
      - Mutually exclusive with O(account_name).
    type: bool
    default: false
  proxy_server:
    description:
      - Name (or IP address) of the proxy the site system uses to reach the internet.
      - Requires O(proxy_port), the two go together (C(-EnableProxy) takes both).
    type: str
  proxy_port:
    description:
      - TCP port of O(proxy_server), 1 to 65535.
      - Requires O(proxy_server).
    type: int
  proxy_account:
    description:
      - ConfigMgr account that authenticates to the proxy (an existing account; its password stays in ConfigMgr).
      - Optional; requires O(proxy_server).
    type: str
  public_fqdn:
    description:
      - Internet FQDN of the site system.
    type: str
"""

    SUBOPTIONS = r"""
options:
  site_system:
    description:
      - Settings for the site system server O(server), used when it must be created or differs.
      - The same settings as M(configmgr.scp.site_system_server).
    type: dict
    suboptions:
      account_name:
        description:
          - Site system installation account, an existing ConfigMgr account (C(DOMAIN\name) or C(name@domain)).
          - Mutually exclusive with O(site_system.use_site_server_account), also when that is V(false); give one of the two.
        type: str
      use_site_server_account:
        description:
          - Install the site system with the site server's computer account.
          - Mutually exclusive with O(site_system.account_name).
        type: bool
        default: false
      proxy_server:
        description:
          - Name (or IP address) of the proxy the site system uses to reach the internet.
          - Requires O(site_system.proxy_port), the two go together (C(-EnableProxy) takes both).
        type: str
      proxy_port:
        description:
          - TCP port of O(site_system.proxy_server), 1 to 65535.
          - Requires O(site_system.proxy_server).
        type: int
      proxy_account:
        description:
          - ConfigMgr account that authenticates to the proxy (an existing account; its password stays in ConfigMgr).
          - Optional; requires O(site_system.proxy_server).
        type: str
      public_fqdn:
        description:
          - Internet FQDN of the site system.
        type: str
"""
