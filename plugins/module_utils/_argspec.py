# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Argument specs of the collection's modules, as plain data.

Both sides read them: the module files (whose only job is to fail with "runs as an action plugin" after
AnsibleModule validated the options, so ansible-test can compare the docs with the spec) and the action
plugins that do the work on the controller. Module files may import only module_utils, so the specs live here.
"""
from __future__ import annotations

import copy

# Connection options: names and meaning of ansible-core's psrp connection plugin options. All default to
# None, meaning "use the inventory host's variable, else the psrp plugin's default".
CONNECTION_ARGSPEC = dict(
    host=dict(type="str"),
    port=dict(type="int"),
    username=dict(type="str", aliases=["user"]),
    password=dict(type="str", no_log=True),
    protocol=dict(type="str", choices=["http", "https"]),
    path=dict(type="str"),
    auth=dict(type="str", choices=["basic", "certificate", "negotiate", "kerberos", "ntlm", "credssp"]),
    cert_validation=dict(type="str", choices=["validate", "ignore"]),
    ca_cert=dict(type="path"),
    connection_timeout=dict(type="int"),
    read_timeout=dict(type="int"),
    operation_timeout=dict(type="int"),
    reconnection_retries=dict(type="int"),
    reconnection_backoff=dict(type="float"),
    message_encryption=dict(type="str", choices=["auto", "always", "never"]),
    proxy=dict(type="str"),
    ignore_proxy=dict(type="bool"),
    configuration_name=dict(type="str"),
    max_envelope_size=dict(type="int"),
    certificate_pem=dict(type="path"),
    certificate_key_pem=dict(type="path", no_log=True),
    negotiate_delegate=dict(type="bool"),
    negotiate_hostname_override=dict(type="str"),
    negotiate_send_cbt=dict(type="bool"),
    negotiate_service=dict(type="str"),
    credssp_auth_mechanism=dict(type="str", choices=["auto", "kerberos", "ntlm"]),
    credssp_disable_tlsv1_2=dict(type="bool"),
    credssp_minimum_version=dict(type="int"),
)

SITE_SYSTEM_OPTIONS = dict(
    account_name=dict(type="str"),
    use_site_server_account=dict(type="bool", default=False),
    proxy_server=dict(type="str"),
    proxy_port=dict(type="int"),
    proxy_account=dict(type="str"),
    public_fqdn=dict(type="str"),
)

SERVICE_CONNECTION_POINT = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    server=dict(type="str"),
    site_code=dict(type="str"),
    mode=dict(type="str", choices=["online", "offline"]),
    allow_move=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=900),
    site_system=dict(type="dict", options=SITE_SYSTEM_OPTIONS),
)

SERVICE_CONNECTION_POINT_INFO = dict(
    thread=dict(type="bool", default=True),
    log_tail=dict(type="int", default=0),
)

COMPONENT = dict(
    name=dict(type="str", default="SMS_DMP_DOWNLOADER"),
    server=dict(type="str"),
    state=dict(type="str", required=True, choices=["started", "stopped", "restarted"]),
    method=dict(type="str", default="thread", choices=["thread", "service"]),
    fallback=dict(type="bool", default=True),
    timeout=dict(type="int", default=300),
)

SITE_SYSTEM_SERVER = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    server=dict(type="str", required=True),
    site_code=dict(type="str"),
    account_name=dict(type="str"),
    use_site_server_account=dict(type="bool", default=False),
    proxy_server=dict(type="str"),
    proxy_port=dict(type="int"),
    proxy_account=dict(type="str"),
    public_fqdn=dict(type="str"),
)

PREFLIGHT = dict(
    server=dict(type="str", required=True),
    site_code=dict(type="str"),
    mode=dict(type="str", choices=["online", "offline"]),
    allow_move=dict(type="bool", default=False),
    fail_on=dict(type="str", default="error", choices=["error", "warning", "never"]),
)

USAGE_DATA = dict(
    level=dict(type="str", required=True, choices=["basic", "enhanced", "full"]),
)

LOG_INFO = dict(
    name=dict(type="str", default="dmpdownloader",
              choices=["dmpdownloader", "dmpuploader", "sitecomp", "srvboot", "hman"]),
    server=dict(type="str"),
    since=dict(type="str"),
    severity=dict(type="str", choices=["info", "warning", "error"]),
    tail=dict(type="int", default=500),
    match=dict(type="str"),
)

MODULE_ARGSPECS = dict(
    service_connection_point=SERVICE_CONNECTION_POINT,
    service_connection_point_info=SERVICE_CONNECTION_POINT_INFO,
    component=COMPONENT,
    site_system_server=SITE_SYSTEM_SERVER,
    preflight=PREFLIGHT,
    usage_data=USAGE_DATA,
    log_info=LOG_INFO,
)


def argument_spec(module: str) -> dict:
    """The full spec of one module: its own options plus the connection options (a deep copy)."""
    spec = copy.deepcopy(MODULE_ARGSPECS[module])
    spec.update(copy.deepcopy(CONNECTION_ARGSPEC))
    return spec
