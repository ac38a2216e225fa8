#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: file_transfer
short_description: Copy a file or a folder tree from one Windows host to another
version_added: 0.2.0
description:
  - Moves the files of offline servicing between hosts, for example the usage-data cab from the service connection
    point server to an internet-connected host, and the update pack folder back.
  - With O(method=controller) the controller reads chunks on the source host and writes them on the destination
    host over PSRP, one chunk in memory at a time, whatever the file size. Each file is written as
    C(<name>.cmscp-partial) and renamed once its SHA-256 (C(Get-FileHash) on the destination) equals the source's
    and the controller's running hash; a mismatch fails naming the file and both hosts and removes the partial file.
    A task interrupted during a copy resumes the next time after the partial file's prefix, when both hosts hash
    that prefix the same (the controller's hash then covers the part it sent; the hosts' hashes cover the file).
  - With O(method=share) the source host copies the files to O(share) (those already there with the same hash are
    not copied again) and the destination host copies them from it. A WinRM session that reaches a share on a third
    machine is a second hop; without delegated credentials it is refused, and the task says what to change.
  - A file whose size and SHA-256 at the destination equal the source's is not copied. Files at the destination that
    the source does not have are left alone. Empty folders are not copied.
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  src_host:
    description: Inventory name of the host that has the files. Default is the task's host.
    type: str
  src:
    description: Path of a file or a folder on O(src_host).
    type: str
    required: true
  dest_host:
    description: Inventory name of the host that gets the files. Default is the task's host.
    type: str
  dest:
    description:
      - The path of the copy on O(dest_host). For a file, the file's path; for a folder, the folder that gets the
        folder's contents (its files keep their paths below it).
    type: str
    required: true
  method:
    description: How the files travel.
    type: str
    default: controller
    choices: [controller, share]
  chunk_size:
    description:
      - Bytes per chunk with O(method=controller), between 65536 and 16777216. One chunk is one PSRP call on each
        host; the controller holds one chunk (and its serialized form) at a time.
    type: int
    default: 4194304
  share:
    description:
      - With O(method=share), the UNC path of a folder both hosts reach (C(\\\\server\\share\\folder)). The files go to
        its subfolders by their path below O(src) (a single file, by its name).
    type: str
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.CHANGES
"""

EXAMPLES = r"""
- name: Take the usage data cab to the internet-connected host
  configmgr.scp.file_transfer:
    src_host: scp01.contoso.com
    src: C:\Temp\UsageData.cab
    dest_host: tools01.contoso.com
    dest: D:\Servicing\UsageData.cab

- name: Bring the update pack back through a share
  configmgr.scp.file_transfer:
    src_host: tools01.contoso.com
    src: D:\Servicing\UpdatePacks
    dest_host: scp01.contoso.com
    dest: C:\Temp\UpdatePacks
    method: share
    share: \\fs01.contoso.com\servicing\packs
    auth: credssp
"""

RETURN = r"""
sms_provider:
  description:
    - FQDN of the SMS Provider machine the task used. This module reads no SMS Provider, so it returns it only when
      given as O(sms_provider) with O(sms_provider_site_code).
  returned: when the task read the SMS Provider
  type: str
  sample: cm01.contoso.com
sms_provider_site_code:
  description: Site code of RV(sms_provider).
  returned: when the task read the SMS Provider
  type: str
  sample: CAS
method:
  description: How the files travelled.
  returned: success
  type: str
  sample: controller
files:
  description: The source's files, by their path below O(src).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Path below O(src) (a single file's name).
      type: str
    size:
      description: Size in bytes.
      type: int
    sha256:
      description: Upper-case hex SHA-256, as C(Get-FileHash) gives it.
      type: str
copied:
  description: The files copied (in check mode, those that would be).
  returned: success
  type: list
  elements: str
unchanged:
  description: The files already at the destination with the same size and SHA-256.
  returned: success
  type: list
  elements: str
resumed:
  description: Files whose copy resumed after a verified partial file, with the offset it resumed at.
  returned: success
  type: dict
staged:
  description: With O(method=share), the files the source host copied to the share.
  returned: when O(method=share) and something was copied
  type: list
  elements: str
bytes_copied:
  description: Bytes written at the destination by this task.
  returned: success
  type: int
"""
