# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Argument specs of the collection's modules, as plain data: options and the rules between them.

Both sides read them: the module files (whose only job is to fail with "runs as an action plugin" after
AnsibleModule validated the options, so ansible-test can compare the docs with the spec) and the action
plugins that do the work on the controller (ActionBase.validate_argument_spec, before any remote call). Module files
may import only module_utils, so the specs live here, and this file imports nothing of the collection.

One option group, one spec and one doc fragment: CONNECTION_ARGSPEC is plugins/doc_fragments/connection.py,
SMS_PROVIDER_ARGSPEC (with SMS_PROVIDER_RULES) is plugins/doc_fragments/sms_provider.py, SITE_SYSTEM_OPTIONS (with
SITE_SYSTEM_RULES) is plugins/doc_fragments/site_system.py. tests/unit/test_argspec_docs.py checks every module's spec
against its documentation and the connection options against the library's ConnectionOptions. What a spec cannot
express (formats, ranges, host names, accounts, a value that excludes another option) is checked in
plugins/plugin_utils/_validate.py and the action plugins' check_args.
"""

from __future__ import annotations

import copy
from typing import Any

# -- values the library defines too ---------------------------------------------------------------------------------
# module_utils cannot import the library (plugins/plugin_utils/cmscp), so these are its constants repeated once, here;
# tests/unit/test_argspec_docs.py checks that each equals the library's and the documentation's value.
AUTH_CHOICES = ("basic", "certificate", "credssp", "kerberos", "negotiate", "ntlm")  # cmscp/options.py AUTH_METHODS
PROTOCOL_CHOICES = ("https", "http")  # cmscp/options.py PROTOCOLS
ENCRYPTION_CHOICES = ("auto", "always", "never")  # cmscp/options.py ENCRYPTION
DOWNLOADER_THREAD = "SMS_DMP_DOWNLOADER"  # cmscp/configmgr/constants.py DOWNLOADER_THREAD

# -- option groups --------------------------------------------------------------------------------------------------
# Connection options: names and meaning of ansible-core's psrp connection plugin options (every one the library's
# ConnectionOptions takes from a task). All default to None, meaning "use the inventory host's variable, else the psrp
# plugin's default". The secrets (no_log) are the library's SECRET_FIELDS.
CONNECTION_ARGSPEC = dict(
    host=dict(type="str"),
    port=dict(type="int"),
    username=dict(type="str", aliases=["user"]),
    password=dict(type="str", no_log=True),
    protocol=dict(type="str", choices=list(PROTOCOL_CHOICES)),
    path=dict(type="str"),
    auth=dict(type="str", choices=list(AUTH_CHOICES)),
    cert_validation=dict(type="str", choices=["validate", "ignore"]),
    ca_cert=dict(type="path"),
    connection_timeout=dict(type="int"),
    read_timeout=dict(type="int"),
    operation_timeout=dict(type="int"),
    reconnection_retries=dict(type="int"),
    reconnection_backoff=dict(type="float"),
    message_encryption=dict(type="str", choices=list(ENCRYPTION_CHOICES)),
    proxy=dict(type="str"),
    ignore_proxy=dict(type="bool"),
    configuration_name=dict(type="str"),
    max_envelope_size=dict(type="int"),
    certificate_pem=dict(type="path"),
    certificate_key_pem=dict(type="path", no_log=True),
    certificate_key_password=dict(type="str", no_log=True),
    negotiate_delegate=dict(type="bool"),
    negotiate_hostname_override=dict(type="str"),
    negotiate_send_cbt=dict(type="bool"),
    negotiate_service=dict(type="str"),
    credssp_auth_mechanism=dict(type="str", choices=["auto", "kerberos", "ntlm"]),
    credssp_disable_tlsv1_2=dict(type="bool"),
    credssp_minimum_version=dict(type="int"),
)

# The SMS Provider a task uses: what every module returns once it knows it (`sms_provider`, `sms_provider_site_code`),
# given back to a later task so that it skips the discovery round trip (SMS_ProviderLocation). Together or not at all:
# the CMSite drive needs both. Formats are checked in plugin_utils/_validate.py (provider_options).
# `sms_provider_route`: how a remote SMS Provider is reached, a connection of its own or through the task host's session
# (a second hop, which needs delegated credentials).
SMS_PROVIDER_ARGSPEC = dict(
    sms_provider=dict(type="str"),
    sms_provider_site_code=dict(type="str"),
    sms_provider_route=dict(type="str", choices=["direct", "task_host"], default="direct"),
)
SMS_PROVIDER_RULES = dict(
    required_together=[["sms_provider", "sms_provider_site_code"]],
)

# Site system settings: site_system_server's own options and service_connection_point's site_system suboptions.
SITE_SYSTEM_OPTIONS = dict(
    account_name=dict(type="str"),
    use_site_server_account=dict(type="bool", default=False),
    proxy_server=dict(type="str"),
    proxy_port=dict(type="int"),
    proxy_account=dict(type="str"),
    public_fqdn=dict(type="str"),
)
# ... and the rules between them, as Ansible checks them (on the options given: a value of null or "" counts too, as
# everywhere in Ansible; leave an option out, or `omit` it). An installation account and the site server's computer
# account exclude each other; Set-CMSiteSystemServer -EnableProxy takes the proxy's name and port together; the proxy
# account is optional but means nothing without a proxy.
SITE_SYSTEM_RULES = dict(
    mutually_exclusive=[["account_name", "use_site_server_account"]],
    required_together=[["proxy_server", "proxy_port"]],
    required_by={"proxy_account": ["proxy_server"]},
)

# -- modules --------------------------------------------------------------------------------------------------------
SERVICE_CONNECTION_POINT = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    server=dict(type="str"),
    site_code=dict(type="str"),
    mode=dict(type="str", choices=["online", "offline"]),
    allow_move=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=900),
    site_system=dict(type="dict", options=SITE_SYSTEM_OPTIONS, **SITE_SYSTEM_RULES),
)

SERVICE_CONNECTION_POINT_INFO = dict(
    thread=dict(type="bool", default=True),
    log_tail=dict(type="int", default=0),
    raw=dict(type="bool", default=False),
)

COMPONENT = dict(
    name=dict(type="str", default=DOWNLOADER_THREAD),
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
    **SITE_SYSTEM_OPTIONS,
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
    name=dict(
        type="str", default="dmpdownloader", choices=["dmpdownloader", "dmpuploader", "sitecomp", "srvboot", "hman"]
    ),
    server=dict(type="str"),
    since=dict(type="str"),
    severity=dict(type="str", choices=["info", "warning", "error"]),
    tail=dict(type="int", default=500),
    match=dict(type="str"),
)

SITE_UPDATES = dict(
    check=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=600),
)

FILE_TRANSFER: dict[str, Any] = dict(
    src_host=dict(type="str"),
    src=dict(type="str", required=True),
    dest_host=dict(type="str"),
    dest=dict(type="str", required=True),
    method=dict(type="str", default="controller", choices=["controller", "share"]),
    chunk_size=dict(type="int", default=4194304),
    share=dict(type="str"),
)

SERVICE_CONNECTION_TOOL = dict(
    phase=dict(type="str", required=True, choices=["prepare", "export", "connect", "import"]),
    usage_data_dest=dict(type="str"),
    dest=dict(type="str"),
    usage_data_src=dict(type="str"),
    update_pack_dest=dict(type="str"),
    update_pack_src=dict(type="str"),
    download=dict(type="str", default="default", choices=["default", "all", "hotfix", "siteversion"]),
    proxy_server_uri=dict(type="str"),
    proxy_username=dict(type="str"),
    tool_path=dict(type="str"),
    connect_host=dict(type="str"),
    log_lines=dict(type="int", default=100),
    timeout=dict(type="int", default=3600),
)

MODULE_ARGSPECS: dict[str, dict[str, Any]] = dict(
    service_connection_point=SERVICE_CONNECTION_POINT,
    service_connection_point_info=SERVICE_CONNECTION_POINT_INFO,
    component=COMPONENT,
    site_system_server=SITE_SYSTEM_SERVER,
    preflight=PREFLIGHT,
    usage_data=USAGE_DATA,
    log_info=LOG_INFO,
    site_updates=SITE_UPDATES,
    file_transfer=FILE_TRANSFER,
    service_connection_tool=SERVICE_CONNECTION_TOOL,
)

# Rules between a module's top-level options: keyword arguments of AnsibleModule and of
# ActionBase.validate_argument_spec (mutually_exclusive, required_together, required_one_of, required_if, required_by).
MODULE_RULES: dict[str, dict[str, Any]] = dict(
    service_connection_point=dict(
        required_if=[["state", "present", ["server"]]],
    ),
    site_system_server=SITE_SYSTEM_RULES,
    file_transfer=dict(required_if=[["method", "share", ["share"]]]),
    # each phase's documented switches; the options of another phase are refused in the action
    service_connection_tool=dict(
        required_if=[
            ["phase", "prepare", ["usage_data_dest"]],
            ["phase", "export", ["dest"]],
            ["phase", "connect", ["usage_data_src", "update_pack_dest", "connect_host"]],
            ["phase", "import", ["update_pack_src"]],
        ],
        required_by={"proxy_username": ["proxy_server_uri"]},
    ),
)


def argument_spec(module: str) -> dict[str, Any]:
    """The full spec of one module: its own options plus the SMS Provider and connection options (a deep copy)."""
    spec = copy.deepcopy(MODULE_ARGSPECS[module])
    spec.update(copy.deepcopy(SMS_PROVIDER_ARGSPEC))
    spec.update(copy.deepcopy(CONNECTION_ARGSPEC))
    return spec


def module_rules(module: str) -> dict[str, Any]:
    """The rules between one module's top-level options: its own plus those of the SMS Provider options (a copy)."""
    rules = copy.deepcopy(MODULE_RULES.get(module, {}))
    for kind, more in SMS_PROVIDER_RULES.items():
        rules[kind] = list(rules.get(kind, [])) + copy.deepcopy(more)
    return rules


def module_spec(module: str) -> dict[str, Any]:
    """Keyword arguments of AnsibleModule and of ActionBase.validate_argument_spec for one module: `argument_spec` and
    the rules between its top-level options (a deep copy)."""
    return dict(argument_spec=argument_spec(module), **module_rules(module))
