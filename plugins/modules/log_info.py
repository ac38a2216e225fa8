#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: log_info
short_description: Read and parse Configuration Manager logs of the service connection point
version_added: 0.1.0
description:
  - Reads a log from the host that writes it and returns structured entries. Both the CMTrace format and the
    SMS trace format are parsed; the rotated C(.lo_) file is read too.
  - C(dmpdownloader), C(dmpuploader) and C(srvboot) are read on the service connection point server, C(sitecomp) and
    C(hman) on the site server of its site (located through the SMS Provider the task connects to).
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  name:
    description: Which log.
    type: str
    default: dmpdownloader
    choices: [dmpdownloader, dmpuploader, sitecomp, srvboot, hman]
  server:
    description: FQDN of the server to read the log on, instead of the one chosen from O(name).
    type: str
  since:
    description:
      - Only entries at or after this time. A duration before now on the controller (V(30m), V(2h), V(1d), V(90s))
        or an ISO 8601 time (UTC when no offset is given).
    type: str
  severity:
    description:
      - Only entries of at least this severity.
      - A CMTrace-format line has a C(type) field (1 info, 2 warning, 3 error) and that decides. SMS trace lines
        (C(... $$<component><time><thread=...>)) and unparsed lines have none; their severity is derived from the
        text as CMTrace highlights such lines, a case-insensitive search for C(error) (error), then C(warn) (warning).
        This module also counts a line that matches neither but contains C(fail) as an error (for example
        C(Bootstrap operation failed.)), which CMTrace does not document. RV(entries[].severity_source) tells
        which rule applied.
    type: str
    choices: [info, warning, error]
  tail:
    description: Return at most this many entries, the newest ones.
    type: int
    default: 500
  match:
    description: Only entries whose message matches this regular expression (case-insensitive).
    type: str
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.READ_ONLY
"""

EXAMPLES = r"""
- name: Errors of the downloader in the last two hours
  configmgr.scp.log_info:
    name: dmpdownloader
    since: 2h
    severity: error
  register: downloader_errors

- name: Did the SCP install finish?
  configmgr.scp.log_info:
    name: sitecomp
    match: "Bootstrap operation"
    tail: 20
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
  description: The server the log was read on.
  returned: success
  type: str
  sample: scp01.contoso.com
path:
  description: Path of the log on that server.
  returned: success
  type: str
  sample: C:\SMS\Logs\dmpdownloader.log
read:
  description: Number of entries read before filtering.
  returned: success
  type: int
entries:
  description: The entries, oldest first.
  returned: success
  type: list
  elements: dict
  contains:
    time:
      description: Time of the entry in ISO 8601 with offset; null for lines without a timestamp.
      type: str
    severity:
      description:
        - info, warning or error.
        - From the CMTrace C(type) field when the line has one, else derived from the text (see O(severity)).
      type: str
    severity_source:
      description:
        - V(type) when RV(entries[].severity) comes from the CMTrace C(type) field; V(text) when it was derived from
          the message text (SMS trace and unparsed lines, or a CMTrace line without a type value).
      type: str
      sample: text
    component:
      description: Component that wrote the line.
      type: str
    thread:
      description: Thread id.
      type: int
    message:
      description: The message.
      type: str
    source:
      description: File the entry came from (the log or its rotated C(.lo_)).
      type: str
    line_number:
      description: First line of the entry in that file's text.
      type: int
    format:
      description: cmtrace, simple or unparsed.
      type: str
    raw:
      description: The entry's text as read from the file.
      type: str
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("log_info")


if __name__ == "__main__":
    main()
