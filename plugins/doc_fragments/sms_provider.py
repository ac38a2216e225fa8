# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    # The SMS Provider options: SMS_PROVIDER_ARGSPEC and SMS_PROVIDER_RULES in plugins/module_utils/_argspec.py;
    # tests/unit/test_argspec_docs.py checks that the two agree. Every module returns the same two values (RETURN of
    # each module), so a later task can pass them on.
    DOCUMENTATION = r"""
options:
  sms_provider:
    description:
      - FQDN of the SMS Provider machine to use, as an earlier task of this collection returned it (RV(sms_provider)).
      - With O(sms_provider_site_code) the task skips discovering them (one round trip, which reads C(SMS_ProviderLocation)
        in C(root\SMS) of the host it connects to), and connects to this machine itself when it is not the task's host
        (its inventory host of that name, else the task host's credentials).
      - Requires O(sms_provider_site_code). Default is what the host the task connects to reports.
      - Give values of the same SMS Provider only; after moving the SMS Provider leave both out.
    type: str
  sms_provider_site_code:
    description:
      - Site code of O(sms_provider) (three letters or digits), as an earlier task returned it (RV(sms_provider_site_code)).
      - This is the site of the SMS Provider, not the site of the object a module manages (the C(site_code) option of
        the modules that have one).
      - Requires O(sms_provider).
    type: str
  sms_provider_route:
    description:
      - How the task reaches an SMS Provider that is another machine than the task's host (a site server whose
        C(root\SMS) names a remote provider, or O(sms_provider)).
      - V(direct) connects to the provider machine itself over WinRM (its inventory host of that name, else the task
        host's credentials against its FQDN).
      - V(task_host) runs the ConfigMgr cmdlets in the task host's session, with the CMSite drive rooted at the
        provider machine, for a controller that cannot reach the provider over WinRM. That is a second hop; Windows
        passes credentials on only when the logon delegated them, with O(auth=credssp), or with Kerberos and
        O(negotiate_delegate=true) for an account whose tickets may be forwarded; otherwise the provider answers
        C(Access is denied) and the task fails saying so. The other machines (the SCP server, the site server whose
        log a wait reads) are still reached directly.
    type: str
    choices: [direct, task_host]
    default: direct
"""
