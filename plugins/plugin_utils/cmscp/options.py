"""Connection options, named and defaulted like ansible-core's psrp connection plugin, and the one table of the
inventory variables that plugin reads for them (the action plugins use it too, via plugin_utils/_connvars.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import InvalidOption

AUTH_METHODS = ("basic", "certificate", "credssp", "kerberos", "negotiate", "ntlm")
ENCRYPTION = ("auto", "always", "never")
PROTOCOLS = ("https", "http")
SECRET_FIELDS = frozenset(("password", "certificate_key_pem", "certificate_key_password"))
_REDACTED = "********"
_TRUE = ("yes", "true", "on", "1", "y")
_FALSE = ("no", "false", "off", "0", "n")


@dataclass(frozen=True)
class PsrpVariable:
    """How ansible-core's psrp connection plugin (ansible-core 2.21) sets one option from a host's variables."""

    option: (
        str  # ConnectionOptions field (the plugin's remote_addr/remote_user/remote_password are host/username/password)
    )
    variables: tuple[str, ...]  # lowest precedence first: like Ansible's config manager, the last one that is set wins
    keyword: str | None = None  # play/task keyword, used only when none of the variables is set


# Every option of the plugin except no_profile (the library opens runspaces with their profile). The defaults
# are the ConnectionOptions field defaults; the plugin's remote_addr defaults to the inventory name, which is
# why inventory_hostname is its lowest variable.
PSRP_VARIABLES: tuple[PsrpVariable, ...] = (
    PsrpVariable("host", ("inventory_hostname", "ansible_host", "ansible_psrp_host")),
    PsrpVariable("port", ("ansible_port", "ansible_psrp_port"), keyword="port"),
    PsrpVariable("username", ("ansible_user", "ansible_psrp_user"), keyword="remote_user"),
    PsrpVariable("password", ("ansible_password", "ansible_winrm_pass", "ansible_winrm_password"), keyword="password"),
    PsrpVariable("protocol", ("ansible_psrp_protocol",)),
    PsrpVariable("path", ("ansible_psrp_path",)),
    PsrpVariable("auth", ("ansible_psrp_auth",)),
    PsrpVariable("cert_validation", ("ansible_psrp_cert_validation",)),
    PsrpVariable("ca_cert", ("ansible_psrp_cert_trust_path", "ansible_psrp_ca_cert")),
    PsrpVariable("connection_timeout", ("ansible_psrp_connection_timeout",)),
    PsrpVariable("read_timeout", ("ansible_psrp_read_timeout",)),
    PsrpVariable("operation_timeout", ("ansible_psrp_operation_timeout",)),
    PsrpVariable("reconnection_retries", ("ansible_psrp_reconnection_retries",)),
    PsrpVariable("reconnection_backoff", ("ansible_psrp_connection_backoff", "ansible_psrp_reconnection_backoff")),
    PsrpVariable("message_encryption", ("ansible_psrp_message_encryption",)),
    PsrpVariable("proxy", ("ansible_psrp_proxy",)),
    PsrpVariable("ignore_proxy", ("ansible_psrp_ignore_proxy",)),
    PsrpVariable("configuration_name", ("ansible_psrp_configuration_name",)),
    PsrpVariable("max_envelope_size", ("ansible_psrp_max_envelope_size",)),
    PsrpVariable("certificate_pem", ("ansible_psrp_certificate_pem",)),
    PsrpVariable("certificate_key_pem", ("ansible_psrp_certificate_key_pem",)),
    PsrpVariable("certificate_key_password", ("ansible_psrp_certificate_key_password",)),
    PsrpVariable("negotiate_delegate", ("ansible_psrp_negotiate_delegate",)),
    PsrpVariable("negotiate_hostname_override", ("ansible_psrp_negotiate_hostname_override",)),
    PsrpVariable("negotiate_send_cbt", ("ansible_psrp_negotiate_send_cbt",)),
    PsrpVariable("negotiate_service", ("ansible_psrp_negotiate_service",)),
    PsrpVariable("credssp_auth_mechanism", ("ansible_psrp_credssp_auth_mechanism",)),
    PsrpVariable("credssp_disable_tlsv1_2", ("ansible_psrp_credssp_disable_tlsv1_2",)),
    PsrpVariable("credssp_minimum_version", ("ansible_psrp_credssp_minimum_version",)),
)
PSRP_VARIABLE_NAMES: tuple[str, ...] = tuple(name for entry in PSRP_VARIABLES for name in entry.variables)


def _is_set(value: Any) -> bool:
    # An empty string means "not set" too: for these options Ansible would pass it on and fail or fall back anyway.
    return value is not None and value != ""


def options_from_variables(variables: Mapping[str, Any], keywords: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The option values a host's (already templated) variables set, resolved like the psrp plugin: per option
    the last listed variable that is set wins, else its play keyword (`remote_user`, `port`, `password`).
    Options nothing sets are left out, so the ConnectionOptions defaults apply. No validation here."""
    found: dict[str, Any] = {}
    for entry in PSRP_VARIABLES:
        value = None
        for name in entry.variables:
            if _is_set(variables.get(name)):
                value = variables[name]
        if value is None and entry.keyword and keywords and _is_set(keywords.get(entry.keyword)):
            value = keywords[entry.keyword]
        if value is not None:
            found[entry.option] = value
    return found


@dataclass
class ConnectionOptions:
    host: str = ""
    port: int | None = None  # None: 5986 for https, 5985 for http
    protocol: str | None = None  # None: https, or http when port is 5985
    path: str = "wsman"
    auth: str = "negotiate"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cert_validation: bool | str = True  # True/"validate" or False/"ignore"
    ca_cert: str | None = None
    connection_timeout: int = 30
    read_timeout: int = 30
    operation_timeout: int = 20
    reconnection_retries: int = 0
    reconnection_backoff: float = 2.0
    message_encryption: str = "auto"
    proxy: str | None = None
    ignore_proxy: bool = False
    configuration_name: str = "Microsoft.PowerShell"
    max_envelope_size: int = 153600
    certificate_pem: str | None = None
    certificate_key_pem: str | None = field(default=None, repr=False)
    certificate_key_password: str | None = field(default=None, repr=False)
    negotiate_delegate: bool | None = None
    negotiate_hostname_override: str | None = None
    negotiate_send_cbt: bool = True
    negotiate_service: str = "host"  # the plugin's default since ansible-core 2.21 (was WSMAN)
    credssp_auth_mechanism: str = "auto"
    credssp_disable_tlsv1_2: bool = False
    credssp_minimum_version: int = 2
    allow_basic_over_http: bool = False
    display_name: str | None = None  # how messages name the host (inventory name); default: host

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ConnectionOptions:
        """Build from option names; None values mean 'use the default'. Unknown names are refused."""
        names = {f.name for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in names:
                raise InvalidOption(key, "unknown connection option")
            if value is not None:
                kwargs[key] = value
        opts = cls(**kwargs)
        opts.validate()
        return opts

    @classmethod
    def from_host_vars(
        cls,
        host_vars: Mapping[str, Any],
        overrides: Mapping[str, Any] | None = None,
        inventory_hostname: str | None = None,
        keywords: Mapping[str, Any] | None = None,
    ) -> ConnectionOptions:
        """Options from a host's already templated variables, read like the psrp connection plugin reads them
        (PSRP_VARIABLES), then `overrides` (option names; None values ignored) on top. `inventory_hostname`, when
        given, replaces the variable of that name: it is the fallback address and how messages name the host.
        `keywords`: play keywords (remote_user, port, password) used when no variable sets the option."""
        variables = dict(host_vars)
        if inventory_hostname:
            variables["inventory_hostname"] = inventory_hostname
        data = options_from_variables(variables, keywords)
        name = variables.get("inventory_hostname")
        if _is_set(name):
            data["display_name"] = str(name)
        data.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls.from_mapping(data)

    def for_host(self, host: str) -> ConnectionOptions:
        """The same credentials and settings against another host."""
        clone = dataclasses.replace(self, host=host, display_name=None)
        clone.validate()
        return clone

    # -- derived values -------------------------------------------------------------------------------
    @property
    def effective_protocol(self) -> str:
        if self.protocol:
            return self.protocol
        return "http" if self.port == 5985 else "https"

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return int(self.port)
        return 5986 if self.effective_protocol == "https" else 5985

    @property
    def label(self) -> str:
        return self.display_name or self.host

    @property
    def validates_certificate(self) -> bool:
        return _cert_validation_bool(self.cert_validation)

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value is not None:
                value = _REDACTED
            parts.append(f"{f.name}={value!r}")
        return f"ConnectionOptions({', '.join(parts)})"

    __str__ = __repr__

    # -- validation -----------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise InvalidOption naming the first bad option. Also normalises types (ints, bools)."""
        host = self.host or None
        if not self.host or not isinstance(self.host, str) or any(c.isspace() for c in self.host):
            raise InvalidOption("host", "a host name or address is required", host=host)
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise InvalidOption("protocol", f"must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}", host)
        if self.port is not None:
            self.port = _as_int("port", self.port, host, 1, 65535)
        if self.auth not in AUTH_METHODS:
            raise InvalidOption("auth", f"must be one of {', '.join(AUTH_METHODS)}, got {self.auth!r}", host)
        if self.message_encryption not in ENCRYPTION:
            raise InvalidOption(
                "message_encryption",
                f"must be one of {', '.join(ENCRYPTION)}, got {self.message_encryption!r}",
                host,
            )
        try:
            _cert_validation_bool(self.cert_validation)
        except ValueError:
            raise InvalidOption(
                "cert_validation", f"must be validate or ignore, got {self.cert_validation!r}", host
            ) from None
        for name in ("connection_timeout", "read_timeout", "operation_timeout"):
            setattr(self, name, _as_int(name, getattr(self, name), host, 1, 86400))
        self.reconnection_retries = _as_int("reconnection_retries", self.reconnection_retries, host, 0, 100)
        self.max_envelope_size = _as_int("max_envelope_size", self.max_envelope_size, host, 8192, 1 << 30)
        try:
            self.reconnection_backoff = float(self.reconnection_backoff)
        except (TypeError, ValueError):
            raise InvalidOption("reconnection_backoff", "must be a number of seconds", host) from None
        if self.reconnection_backoff < 0:
            raise InvalidOption("reconnection_backoff", "must not be negative", host)
        for name in ("ignore_proxy", "negotiate_send_cbt", "credssp_disable_tlsv1_2", "allow_basic_over_http"):
            setattr(self, name, _as_bool(name, getattr(self, name), host))
        if self.negotiate_delegate is not None:
            self.negotiate_delegate = _as_bool("negotiate_delegate", self.negotiate_delegate, host)
        if self.read_timeout <= self.operation_timeout:
            raise InvalidOption(
                "read_timeout",
                f"must be greater than operation_timeout ({self.operation_timeout}), got {self.read_timeout}",
                host,
            )
        if self.auth == "certificate":
            if not self.certificate_pem or not self.certificate_key_pem:
                raise InvalidOption(
                    "certificate_pem", "auth=certificate needs certificate_pem and certificate_key_pem", host
                )
            if self.effective_protocol != "https":
                raise InvalidOption("auth", "certificate authentication needs protocol https", host)
        elif not self.username:
            if self.auth in ("basic", "ntlm", "credssp"):
                raise InvalidOption("username", f"auth={self.auth} needs a username", host)
        if self.auth in ("basic", "ntlm", "credssp") and self.password is None:
            raise InvalidOption("password", f"auth={self.auth} needs a password", host)
        if self.auth == "basic" and self.effective_protocol == "http" and not self.allow_basic_over_http:
            # allow_basic_over_http is for library callers only: no task option or inventory variable sets it, so
            # the message names what a playbook can change.
            raise InvalidOption(
                "auth",
                "basic authentication over plain HTTP sends the password and every message in "
                "clear text; use protocol https (ansible_psrp_protocol: https, port 5986), or an auth "
                "that encrypts the messages over HTTP: ntlm, negotiate or kerberos (ansible_psrp_auth)",
                host,
            )
        if not self.configuration_name or not isinstance(self.configuration_name, str):
            raise InvalidOption("configuration_name", "must be a non-empty endpoint name", host)

    # -- pypsrp ---------------------------------------------------------------------------------------
    def wsman_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for pypsrp.wsman.WSMan (pypsrp 0.x)."""
        https = self.effective_protocol == "https"
        cert_validation: bool | str = self.validates_certificate
        if cert_validation and self.ca_cert:
            cert_validation = self.ca_cert
        encryption = self.message_encryption
        if self.auth == "basic" and not https:
            encryption = "never"  # pypsrp cannot seal Basic; allowed only with allow_basic_over_http
        kwargs: dict[str, Any] = dict(
            server=self.host,
            port=self.effective_port,
            ssl=https,
            path=self.path,
            auth=self.auth,
            username=self.username,
            password=self.password,
            cert_validation=cert_validation,
            connection_timeout=self.connection_timeout,
            read_timeout=self.read_timeout,
            operation_timeout=self.operation_timeout,
            encryption=encryption,
            proxy=self.proxy,
            no_proxy=self.ignore_proxy,
            max_envelope_size=self.max_envelope_size,
            # Session.open is the one reconnection layer (1 + reconnection_retries attempts): pypsrp's urllib3 connect
            # retries under it would multiply them ((1 + N) x (1 + N)). The backoff still paces pypsrp's resends of a
            # Receive whose answer timed out.
            reconnection_retries=0,
            reconnection_backoff=self.reconnection_backoff,
        )
        if self.auth == "certificate":
            kwargs.update(certificate_pem=self.certificate_pem, certificate_key_pem=self.certificate_key_pem)
            if self.certificate_key_password:
                kwargs["certificate_key_password"] = self.certificate_key_password
        if self.auth in ("negotiate", "ntlm", "kerberos"):
            kwargs.update(negotiate_send_cbt=self.negotiate_send_cbt, negotiate_service=self.negotiate_service)
            if self.negotiate_delegate is not None:
                kwargs["negotiate_delegate"] = self.negotiate_delegate
            if self.negotiate_hostname_override:
                kwargs["negotiate_hostname_override"] = self.negotiate_hostname_override
        if self.auth == "credssp":
            kwargs.update(
                credssp_auth_mechanism=self.credssp_auth_mechanism,
                credssp_disable_tlsv1_2=self.credssp_disable_tlsv1_2,
                credssp_minimum_version=self.credssp_minimum_version,
            )
        return kwargs


def _cert_validation_bool(value: bool | str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("validate",) + _TRUE:
        return True
    if text in ("ignore",) + _FALSE:
        return False
    raise ValueError(value)


def _as_int(name: str, value: Any, host: str | None, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidOption(name, f"must be an integer, got {value!r}", host) from None
    if isinstance(value, bool) or not low <= number <= high:
        raise InvalidOption(name, f"must be between {low} and {high}, got {value!r}", host)
    return number


def _as_bool(name: str, value: Any, host: str | None) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidOption(name, f"must be a boolean, got {value!r}", host)
