#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: component
short_description: Start, stop or restart an SMS_EXECUTIVE thread on a Configuration Manager site system
version_added: 0.1.0
description:
  - Controls a component thread of C(SMS_EXECUTIVE) (by default C(SMS_DMP_DOWNLOADER) of the service connection
    point) through its registry keys C(Requested Operation) and C(Current State), the way Configuration Manager
    Service Manager does.
  - V(started) and V(stopped) are idempotent; V(restarted) always changes.
  - When the thread does not stop or start in time, V(restarted) falls back to restarting the C(SMS_EXECUTIVE) service.
    That restarts B(every Configuration Manager component on that host), not only O(name); the result says so in
    RV(restarted_components) (V(all)) and in a warning, also when the task fails after the service restart.
  - After it started or restarted the thread it reads the server's clock and records it on that server, as the
    registry value C(ThreadStarted_<name>) (for example C(ThreadStarted_SMS_DMP_DOWNLOADER)) under
    C(HKLM:\SOFTWARE\configmgr.scp), an ISO 8601 UTC string such as C(2026-11-02T09:05:07.123000+00:00) (the same
    value as RV(confirmed_running_at)). M(configmgr.scp.service_connection_point_info) reads it there to tie log lines
    to the running thread (its effective mode), in this job or any later one, from any controller.
  - A stop removes the record, and so does a failure after the thread was asked to start or C(SMS_EXECUTIVE) was
    restarted (the thread may then start at a time nobody records). After a restart of the C(SMS_EXECUTIVE) service
    the records of the other threads are removed too.
  - This is what a handler calls after M(configmgr.scp.service_connection_point) changed the mode.
notes:
  - The module returns no C(configmgr_scp_thread_starts) fact any more. The thread's start is recorded on the server
    itself (see the description), so it is known across plays, jobs and controllers.
  - A start this collection did not make (the console, a restart of C(SMS_EXECUTIVE) or of the server, a reinstall of
    the role) is not recorded; the record then names an earlier start, and the log lines written between the two
    are taken for the running thread's. Restart the thread with this module before reading the effective mode when
    that may have happened.
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  name:
    description: Component (thread) name, letters, digits and underscores.
    type: str
    default: SMS_DMP_DOWNLOADER
  server:
    description:
      - FQDN of the site system. Default is the server that hosts the service connection point (read through
        the SMS Provider the task connects to).
    type: str
  state:
    description: Desired state of the thread.
    type: str
    required: true
    choices: [started, stopped, restarted]
  method:
    description:
      - How V(restarted) restarts. V(thread) stops and starts the thread only; V(service) restarts C(SMS_EXECUTIVE)
        (every component of the server).
    type: str
    default: thread
    choices: [thread, service]
  fallback:
    description:
      - With O(method=thread) and O(state=restarted), when the thread does not stop or start within O(timeout), restart
        the C(SMS_EXECUTIVE) service instead. That restarts B(every component) of that site system, not only O(name).
      - V(false) fails the task on the timeout instead; the thread may then be stopped (the result's C(changed) is
        true when the stop request went through).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the thread to reach the state.
    type: int
    default: 300
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.CHANGES
seealso:
  - module: configmgr.scp.service_connection_point
"""

EXAMPLES = r"""
- name: Restart the downloader on the SCP server so a new mode takes effect
  configmgr.scp.component:
    state: restarted

- name: Make sure SMS_DMP_UPLOADER runs on scp01
  configmgr.scp.component:
    name: SMS_DMP_UPLOADER
    server: scp01.contoso.com
    state: started
"""

RETURN = r"""
sms_provider:
  description:
    - FQDN of the SMS Provider machine the task used (discovered, or given as O(sms_provider)). Pass it to a later
      task as O(sms_provider), with RV(sms_provider_site_code), and that task skips the discovery round trip.
  returned: when the task read the SMS Provider
  type: str
  sample: cm01.contoso.com
sms_provider_site_code:
  description: Site code of RV(sms_provider). Pass it to a later task as O(sms_provider_site_code).
  returned: when the task read the SMS Provider
  type: str
  sample: CAS
server:
  description: The site system the thread runs on.
  returned: success
  type: str
  sample: scp01.contoso.com
name:
  description: The component name.
  returned: success
  type: str
  sample: SMS_DMP_DOWNLOADER
before:
  description: Thread state before the task.
  returned: success
  type: dict
  contains:
    host:
      description: The site system.
      type: str
    name:
      description: Component name.
      type: str
    present:
      description: Whether the thread's registry key exists (the component is installed).
      type: bool
    current_state:
      description: C(Current State) of the thread, such as Running or Stopped.
      type: str
    requested_operation:
      description: C(Requested Operation) of the thread (None, Stop, Start).
      type: str
    startup_type:
      description: C(Startup Type) of the thread.
      type: str
    service_status:
      description: Status of the C(SMS_EXECUTIVE) service.
      type: str
  sample: {"host": "scp01.contoso.com", "name": "SMS_DMP_DOWNLOADER", "present": true, "current_state": "Running",
           "requested_operation": "None", "startup_type": "Automatic", "service_status": "Running"}
after:
  description: Thread state after the task (predicted in check mode). Same keys as RV(before).
  returned: success
  type: dict
method:
  description:
    - How the state was reached (thread, service or none). V(service) means the C(SMS_EXECUTIVE) service was restarted
      (O(method=service) or the fallback), which restarted every Configuration Manager component on that host.
  returned: success
  type: str
  sample: thread
restarted_components:
  description:
    - What was restarted. V(all) when the C(SMS_EXECUTIVE) service was restarted (O(method=service) or the fallback of
      O(method=thread)), which restarts every Configuration Manager component on RV(server), not only O(name); the
      thread name when only that thread was stopped and started; V(none) when nothing was restarted (O(state=started),
      O(state=stopped), or nothing to do). Predicted in check mode.
    - Also returned with the failure when the task fails after the service restart.
  returned: success, and on a failure after the service restart
  type: str
  sample: all
warnings:
  description:
    - When the C(SMS_EXECUTIVE) service was (or in check mode would be) restarted, a warning that every Configuration
      Manager component on that host was restarted, with why (O(method=service), or the fallback).
    - When the thread's start could not be recorded on the server (or its record removed after a stop).
  returned: when there is something to warn about
  type: list
  elements: str
  sample: ["scp01.contoso.com: restarted the SMS_EXECUTIVE service on scp01.contoso.com, which restarted every
            Configuration Manager component on that host, not only SMS_DMP_DOWNLOADER (fallback: the thread did not
            stop or start within the timeout, or its registry write failed)"]
confirmed_running_at:
  description:
    - The server's clock (ISO 8601, in UTC) when the thread was seen running again after this task started or
      restarted it; every C(dmpdownloader.log) line at or after it was written by this run of the thread. The same
      string is recorded on the server as C(ThreadStarted_<name>) under C(HKLM:\SOFTWARE\configmgr.scp).
    - Null in check mode, when nothing was started, or when the time could not be read or recorded (with a warning).
  returned: success
  type: str
  sample: "2026-11-02T09:05:07.123000+00:00"
elapsed:
  description: Seconds it took.
  returned: success
  type: float
  sample: 6.2
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("component")


if __name__ == "__main__":
    main()
