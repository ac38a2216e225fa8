#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: service_connection_tool
short_description: Run one phase of the Configuration Manager service connection tool on the right host
version_added: 0.2.0
description:
  - Runs C(ServiceConnectionTool.exe), the tool that brings updates to a hierarchy whose service connection point is
    in offline mode, for one phase, on the host Microsoft's documentation names for it, and returns its exit code, the
    files it wrote (name, size, SHA-256) and the lines of C(ServiceConnectionTool.log) (Microsoft documents that the
    tool replaces this log on each run, so it is read right after the run).
  - The task's host is the top-tier site's SMS Provider (usually its site server). From it the module reads the
    service connection point (its server and mode), the site's version and its installation directory.
  - V(prepare) (C(-prepare -usagedatadest)) and V(export) (C(-export -dest)) run on the service connection point's
    server and write the usage data (a cab file, or a CSV file). V(connect) (C(-connect -usagedatasrc
    -updatepackdest), with the download and proxy switches) runs on O(connect_host), an internet-connected computer.
    V(import) (C(-import -updatepacksrc)) runs on the service connection point's server.
  - "Checked before the tool runs, each with a message naming the host and what to do: the service connection point
    exists and is in offline mode; the tool is in its folder; its version (the first three parts of the C(FileVersion)
    of C(ServiceConnectionTool.exe)) matches the site's version; a copy of the folder holds every file of the site's
    own folder under C(CD.Latest); for V(prepare), V(export) and V(import) the account is listed in the local
    Administrators of the service connection point's server; the input files exist, and the folder an output goes
    into; the service connection point belongs to the top-tier site (one stranded at a child site is refused: move it
    first with M(configmgr.scp.service_connection_point)). When a check fails, nothing is started or written."
  - A service connection point on a site server configured for high availability runs the phase with a warning
    quoting Microsoft's rule (move it to another site system server).
  - "When the answer of the call that started the tool is lost, the task fails with C(changed: true) and says the
    outcome is unknown: run it again. After a failed V(import) the module reads the site's updates again and reports a
    change when they differ from before the run (part of the packs imported)."
  - Idempotence where the phase allows it. V(prepare), V(export) and V(connect) make new data on every run and
    always report a change. After a successful V(import) the module records the SHA-256 of the pack folder's
    C(ConfigMgr.Update.Manifest.ENC) on the service connection point's server (registry value
    C(ServiceConnectionToolImport) under C(HKLM:\SOFTWARE\configmgr.scp)); an import of the same packs then changes
    nothing and says so.
  - The values travel as parameters of C(Start-Process) only, never inside PowerShell text. The arguments are quoted
    for the tool's command line by the Microsoft C runtime's rules, so paths with spaces work.
  - The files move between the hosts (a USB drive in Microsoft's example) outside this module.
notes:
  - "The tool's folder: O(tool_path), else C(<installation directory>\\cd.latest\\SMSSETUP\\TOOLS\\ServiceConnectionTool)
    when the phase runs on the top-tier site server. On any other host copy the whole folder there first and give
    O(tool_path) (Microsoft: all the files must be in the same folder)."
  - "Microsoft documents more prerequisites that the module does not check: an elevated prompt (a remote session of
    an administrator is elevated), x64 computers with the Visual C++ Redistributable (x86 and x64), .NET Framework
    4.6.2 or later (4.8 recommended), Read permission on the site database, and TLS 1.2 for .NET on the computers
    that run the tool."
  - "During V(connect) the tool logs a C(System.UnauthorizedAccessException) about a file under C(extractmanifestcab)
    that Microsoft says can be safely ignored; the module marks that line RV(log[].known_harmless) and leaves it out
    of RV(log_errors)."
  - "Source: Microsoft Learn, Use the service connection tool for Configuration Manager
    (U(https://learn.microsoft.com/mem/configmgr/core/servers/manage/use-the-service-connection-tool))."
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  phase:
    description: The phase to run.
    type: str
    required: true
    choices: [prepare, export, connect, import]
  usage_data_dest:
    description:
      - File the usage data is written to (C(-usagedatadest)), on the service connection point's server, for example
        C(D:\USB\UsageData.cab). Required with O(phase=prepare); its folder must exist.
    type: str
  dest:
    description:
      - CSV file the usage data is exported to (C(-dest)), on the service connection point's server. Required with
        O(phase=export); its folder must exist.
    type: str
  usage_data_src:
    description:
      - Usage data file, or the folder holding one or more of them, on O(connect_host) (C(-usagedatasrc)).
        Required with O(phase=connect).
    type: str
  update_pack_dest:
    description:
      - Folder the update packs are downloaded to, on O(connect_host) (C(-updatepackdest)). Required with
        O(phase=connect); its parent folder must exist.
    type: str
  update_pack_src:
    description:
      - Folder of update packs that a O(phase=connect) run filled, copied to the service connection point's server
        (C(-updatepacksrc)). Required with O(phase=import); it must hold C(ConfigMgr.Update.Manifest.ENC).
    type: str
  download:
    description:
      - What O(phase=connect) downloads. V(default) the latest update that applies to the site's version, without
        hotfixes (the tool's default); V(all) everything, whatever the site's version (C(-downloadall)); V(hotfix)
        every hotfix (C(-downloadhotfix)); V(siteversion) updates and hotfixes later than the site's version
        (C(-downloadsiteversion)).
    type: str
    default: default
    choices: [default, all, hotfix, siteversion]
  proxy_server_uri:
    description: Proxy server for O(phase=connect) (C(-proxyserveruri)), "the FQDN of your proxy server".
    type: str
  proxy_username:
    description:
      - Proxy user name for O(phase=connect) (C(-proxyusername)); needs O(proxy_server_uri).
      - How the tool obtains the proxy password is not documented; the module passes none and warns.
    type: str
  tool_path:
    description:
      - Folder holding C(ServiceConnectionTool.exe) and its files on the host that runs the phase.
      - Default the site's C(CD.Latest) folder when the phase runs on the top-tier site server; required otherwise.
    type: str
  connect_host:
    description:
      - The internet-connected computer that runs O(phase=connect), an inventory host name or an FQDN (its connection
        variables are used when it is in the inventory). Required with O(phase=connect).
    type: str
  log_lines:
    description: How many lines of C(ServiceConnectionTool.log) to return (the last ones); 0 returns none.
    type: int
    default: 100
  timeout:
    description: Seconds the tool may run (a V(connect) downloads the updates).
    type: int
    default: 3600
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
attributes:
  check_mode:
    description:
      - Reads the site and the tool's folder and runs every check, but does not start the tool. Reports a change for
        V(prepare), V(export) and V(connect), and for an V(import) of packs not recorded as imported.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
"""

EXAMPLES = r"""
- name: Prepare the usage data on the service connection point
  configmgr.scp.service_connection_tool:
    phase: prepare
    usage_data_dest: D:\USB\UsageData.cab
  register: prepared

- name: Download the updates on an internet-connected computer (the folder copied there first)
  configmgr.scp.service_connection_tool:
    phase: connect
    connect_host: inet01.contoso.com
    tool_path: C:\Tools\ServiceConnectionTool
    usage_data_src: D:\USB
    update_pack_dest: D:\USB\UpdatePacks
    download: siteversion

- name: Import the update packs on the service connection point
  configmgr.scp.service_connection_tool:
    phase: import
    update_pack_src: D:\USB\UpdatePacks
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
phase:
  description: The phase run.
  returned: when the site was read
  type: str
  sample: prepare
host:
  description: The host the phase ran on (the service connection point's server, or O(connect_host)).
  returned: when the site was read
  type: str
  sample: cm01.contoso.com
tool_path:
  description: The tool's folder on RV(host).
  returned: when the site was read
  type: str
  sample: C:\Program Files\Microsoft Configuration Manager\cd.latest\SMSSETUP\TOOLS\ServiceConnectionTool
command_line:
  description: The arguments given to the tool, quoted as its command line receives them.
  returned: when the site was read
  type: str
  sample: -prepare -usagedatadest "D:\USB\Usage Data.cab"
problems:
  description: The checks that failed before the tool ran (nothing was started).
  returned: when a check failed
  type: list
  elements: str
exit_code:
  description: The tool's exit code (0 is success).
  returned: when the tool ran
  type: int
  sample: 0
files:
  description: The files the tool wrote under the phase's output (none for V(import)).
  returned: when the tool ran
  type: list
  elements: dict
  contains:
    path:
      description: Full path on RV(host).
      type: str
    name:
      description: File name.
      type: str
    size:
      description: Size in bytes.
      type: int
    sha256:
      description: SHA-256 of the file, lower-case hexadecimal.
      type: str
log:
  description: The last O(log_lines) lines of C(ServiceConnectionTool.log), as the tool left it after this run.
  returned: when the tool ran
  type: list
  elements: dict
  contains:
    time:
      description: Time of the line (ISO 8601), when it has one.
      type: str
    severity:
      description: info, warning or error.
      type: str
    message:
      description: The text of the line.
      type: str
    known_harmless:
      description: The error Microsoft says can be safely ignored during V(connect).
      type: bool
log_errors:
  description: The error lines of the log, without the known harmless one.
  returned: when the tool ran
  type: list
  elements: str
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("service_connection_tool")


if __name__ == "__main__":
    main()
