# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    # Connection options: same names, meaning and inventory variables as ansible-core's psrp connection plugin.
    # The spec is CONNECTION_ARGSPEC in plugins/module_utils/_argspec.py; tests/unit/test_argspec_docs.py checks that
    # the two agree (names, types, choices) and that "Never returned or logged" marks exactly the no_log options.
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Address of the Windows host to connect to (the SMS Provider for most modules).
      - Default is the inventory host's C(ansible_psrp_host), else its C(ansible_host), else its inventory name, read
        exactly like the C(ansible.builtin.psrp) connection plugin does. With C(delegate_to) the delegated host's
        variables are used.
    type: str
  port:
    description:
      - WinRM port. Default is C(ansible_psrp_port), else C(ansible_port), else the play's C(port) keyword, else 5986
        for https and 5985 for http.
    type: int
  username:
    description:
      - User to log on with. Default is C(ansible_psrp_user), else C(ansible_user), else the play's C(remote_user)
        (C(-u), an AWX machine credential's user).
    type: str
    aliases: [user]
  password:
    description:
      - Password of O(username). Default is C(ansible_winrm_password), else C(ansible_winrm_pass), else
        C(ansible_password) (when several are set the first one named here wins), else the play's connection password
        (an AWX machine credential, C(--ask-pass)).
      - Never returned or logged.
    type: str
  protocol:
    description:
      - Transport scheme. Default is C(ansible_psrp_protocol), else https unless O(port=5985).
    type: str
    choices: [https, http]
  path:
    description:
      - URI path of the WinRM endpoint. Default is C(ansible_psrp_path), else C(wsman).
    type: str
  auth:
    description:
      - Authentication. Default is C(ansible_psrp_auth), else C(negotiate).
      - Use C(credssp) or C(kerberos) with O(negotiate_delegate=true) when the remote session must reach another
        machine with your credentials (double hop).
    type: str
    choices: [basic, certificate, credssp, kerberos, negotiate, ntlm]
  cert_validation:
    description:
      - Whether to validate the server's HTTPS certificate. Default is C(ansible_psrp_cert_validation), else C(validate).
    type: str
    choices: [validate, ignore]
  ca_cert:
    description:
      - CA bundle to validate the server certificate with. Default is C(ansible_psrp_ca_cert), else
        C(ansible_psrp_cert_trust_path) (C(ansible_psrp_ca_cert) wins when both are set).
    type: path
  connection_timeout:
    description:
      - Seconds to wait for the connection. Default is C(ansible_psrp_connection_timeout), else 30.
    type: int
  read_timeout:
    description:
      - Seconds to wait for a response; must be greater than O(operation_timeout). Default is
        C(ansible_psrp_read_timeout), else 30.
    type: int
  operation_timeout:
    description:
      - WS-Management operation timeout in seconds. Default is C(ansible_psrp_operation_timeout), else 20.
    type: int
  reconnection_retries:
    description:
      - How often to retry a failed connection. Default is C(ansible_psrp_reconnection_retries), else 0.
    type: int
  reconnection_backoff:
    description:
      - Base of the exponential backoff between retries, in seconds. Default is C(ansible_psrp_reconnection_backoff),
        else C(ansible_psrp_connection_backoff) (C(ansible_psrp_reconnection_backoff) wins when both are set), else 2.
    type: float
  message_encryption:
    description:
      - Message encryption. Default is C(ansible_psrp_message_encryption), else C(auto).
    type: str
    choices: [auto, always, never]
  proxy:
    description:
      - HTTP proxy for the WinRM connection. Default is C(ansible_psrp_proxy).
    type: str
  ignore_proxy:
    description:
      - Ignore proxy environment variables. Default is C(ansible_psrp_ignore_proxy), else false.
    type: bool
  configuration_name:
    description:
      - PowerShell session configuration (JEA endpoint) to connect to. Default is C(ansible_psrp_configuration_name),
        else C(Microsoft.PowerShell).
    type: str
  max_envelope_size:
    description:
      - Maximum WS-Management envelope size in bytes. Default is C(ansible_psrp_max_envelope_size), else 153600.
    type: int
  certificate_pem:
    description:
      - Client certificate for O(auth=certificate). Default is C(ansible_psrp_certificate_pem).
    type: path
  certificate_key_pem:
    description:
      - Private key of O(certificate_pem). Default is C(ansible_psrp_certificate_key_pem). Never returned or logged.
    type: path
  certificate_key_password:
    description:
      - Password of the encrypted private key O(certificate_key_pem). Default is
        C(ansible_psrp_certificate_key_password). Needs pypsrp 0.9.0 or later. Never returned or logged.
    type: str
  negotiate_delegate:
    description:
      - Allow Kerberos credential delegation. Default is C(ansible_psrp_negotiate_delegate).
    type: bool
  negotiate_hostname_override:
    description:
      - Host name to use for the Kerberos SPN. Default is C(ansible_psrp_negotiate_hostname_override).
    type: str
  negotiate_send_cbt:
    description:
      - Send channel binding tokens over HTTPS. Default is C(ansible_psrp_negotiate_send_cbt), else true.
    type: bool
  negotiate_service:
    description:
      - Service part of the SPN. Default is C(ansible_psrp_negotiate_service), else C(host) (the psrp plugin's default
        since ansible-core 2.21; it was C(WSMAN) before).
    type: str
  credssp_auth_mechanism:
    description:
      - Inner authentication of CredSSP. Default is C(ansible_psrp_credssp_auth_mechanism), else C(auto).
    type: str
    choices: [auto, kerberos, ntlm]
  credssp_disable_tlsv1_2:
    description:
      - Allow TLS 1.0 for CredSSP. Default is C(ansible_psrp_credssp_disable_tlsv1_2), else false.
    type: bool
  credssp_minimum_version:
    description:
      - Minimum CredSSP server version. Default is C(ansible_psrp_credssp_minimum_version), else 2.
    type: int
notes:
  - The module runs on the controller and connects to the host itself over PowerShell Remoting; the task's
    connection plugin is not used, so it works with C(gather_facts=false) and any C(ansible_connection).
  - Task options override the inventory variables, which override the play keywords C(remote_user), C(port) and the
    connection password (as in the psrp connection plugin); put task options in C(module_defaults) with
    C(group/configmgr.scp.scp) to set them once.
  - When the module must also reach the server that hosts the service connection point, it uses that server's
    inventory variables when the server is in the inventory (matched by inventory name, then by C(ansible_host)),
    else the same credentials against the server's FQDN.
requirements:
  - pypsrp >= 0.8.0, < 1.0.0 on the controller
"""
