"""Connection options, named and defaulted like ansible-core's psrp connection plugin."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Optional, Union

from .errors import InvalidOption

AUTH_METHODS = ("basic", "certificate", "credssp", "kerberos", "negotiate", "ntlm")
ENCRYPTION = ("auto", "always", "never")
PROTOCOLS = ("https", "http")
SECRET_FIELDS = frozenset(("password", "certificate_key_pem"))
_REDACTED = "********"
_TRUE = ("yes", "true", "on", "1", "y")
_FALSE = ("no", "false", "off", "0", "n")


@dataclass
class ConnectionOptions:
    host: str = ""
    port: Optional[int] = None                 # None: 5986 for https, 5985 for http
    protocol: Optional[str] = None             # None: https, or http when port is 5985
    path: str = "wsman"
    auth: str = "negotiate"
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    cert_validation: Union[bool, str] = True   # True/"validate" or False/"ignore"
    ca_cert: Optional[str] = None
    connection_timeout: int = 30
    read_timeout: int = 30
    operation_timeout: int = 20
    reconnection_retries: int = 0
    reconnection_backoff: float = 2.0
    message_encryption: str = "auto"
    proxy: Optional[str] = None
    ignore_proxy: bool = False
    configuration_name: str = "Microsoft.PowerShell"
    max_envelope_size: int = 153600
    certificate_pem: Optional[str] = None
    certificate_key_pem: Optional[str] = field(default=None, repr=False)
    negotiate_delegate: Optional[bool] = None
    negotiate_hostname_override: Optional[str] = None
    negotiate_send_cbt: bool = True
    negotiate_service: str = "WSMAN"
    credssp_auth_mechanism: str = "auto"
    credssp_disable_tlsv1_2: bool = False
    credssp_minimum_version: int = 2
    allow_basic_over_http: bool = False
    display_name: Optional[str] = None         # how messages name the host (inventory name); default: host

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "ConnectionOptions":
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
    def from_host_vars(cls, host_vars: Mapping[str, Any], overrides: Optional[Mapping[str, Any]] = None,
                       inventory_hostname: Optional[str] = None) -> "ConnectionOptions":
        """Read the variables the psrp connection plugin reads (ansible_host, ansible_port, ansible_user,
        ansible_password, ansible_psrp_<option>), then apply task-level overrides."""
        data: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        host = host_vars.get("ansible_host") or inventory_hostname
        if host:
            data["host"] = host
        if inventory_hostname:
            data["display_name"] = inventory_hostname
        for var, opt in (("ansible_port", "port"), ("ansible_user", "username"), ("ansible_password", "password"),
                         ("ansible_psrp_user", "username"), ("ansible_psrp_password", "password")):
            if host_vars.get(var) is not None:
                data[opt] = host_vars[var]
        for name in names:
            var = "ansible_psrp_%s" % name
            if host_vars.get(var) is not None:
                data[name] = host_vars[var]
        for key, value in (overrides or {}).items():
            if value is not None:
                data[key] = value
        return cls.from_mapping(data)

    def for_host(self, host: str) -> "ConnectionOptions":
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
            parts.append("%s=%r" % (f.name, value))
        return "ConnectionOptions(%s)" % ", ".join(parts)

    __str__ = __repr__

    # -- validation -----------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise InvalidOption naming the first bad option. Also normalises types (ints, bools)."""
        host = self.host or None
        if not self.host or not isinstance(self.host, str) or any(c.isspace() for c in self.host):
            raise InvalidOption("host", "a host name or address is required", host=host)
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise InvalidOption("protocol", "must be one of %s, got %r" % (", ".join(PROTOCOLS), self.protocol), host)
        if self.port is not None:
            self.port = _as_int("port", self.port, host, 1, 65535)
        if self.auth not in AUTH_METHODS:
            raise InvalidOption("auth", "must be one of %s, got %r" % (", ".join(AUTH_METHODS), self.auth), host)
        if self.message_encryption not in ENCRYPTION:
            raise InvalidOption("message_encryption", "must be one of %s, got %r"
                                % (", ".join(ENCRYPTION), self.message_encryption), host)
        try:
            _cert_validation_bool(self.cert_validation)
        except ValueError:
            raise InvalidOption("cert_validation", "must be validate or ignore, got %r" % (self.cert_validation,), host)
        for name in ("connection_timeout", "read_timeout", "operation_timeout"):
            setattr(self, name, _as_int(name, getattr(self, name), host, 1, 86400))
        self.reconnection_retries = _as_int("reconnection_retries", self.reconnection_retries, host, 0, 100)
        self.max_envelope_size = _as_int("max_envelope_size", self.max_envelope_size, host, 8192, 1 << 30)
        try:
            self.reconnection_backoff = float(self.reconnection_backoff)
        except (TypeError, ValueError):
            raise InvalidOption("reconnection_backoff", "must be a number of seconds", host)
        if self.reconnection_backoff < 0:
            raise InvalidOption("reconnection_backoff", "must not be negative", host)
        for name in ("ignore_proxy", "negotiate_send_cbt", "credssp_disable_tlsv1_2", "allow_basic_over_http"):
            setattr(self, name, _as_bool(name, getattr(self, name), host))
        if self.negotiate_delegate is not None:
            self.negotiate_delegate = _as_bool("negotiate_delegate", self.negotiate_delegate, host)
        if self.read_timeout <= self.operation_timeout:
            raise InvalidOption("read_timeout", "must be greater than operation_timeout (%d), got %d"
                                % (self.operation_timeout, self.read_timeout), host)
        if self.auth == "certificate":
            if not self.certificate_pem or not self.certificate_key_pem:
                raise InvalidOption("certificate_pem", "auth=certificate needs certificate_pem and certificate_key_pem", host)
            if self.effective_protocol != "https":
                raise InvalidOption("auth", "certificate authentication needs protocol https", host)
        elif not self.username:
            if self.auth in ("basic", "ntlm", "credssp"):
                raise InvalidOption("username", "auth=%s needs a username" % self.auth, host)
        if self.auth in ("basic", "ntlm", "credssp") and self.password is None:
            raise InvalidOption("password", "auth=%s needs a password" % self.auth, host)
        if self.auth == "basic" and self.effective_protocol == "http" and not self.allow_basic_over_http:
            raise InvalidOption("auth", "basic authentication over plain HTTP sends the password in clear text; use "
                                "protocol=https or another auth, or set allow_basic_over_http=true", host)
        if not self.configuration_name or not isinstance(self.configuration_name, str):
            raise InvalidOption("configuration_name", "must be a non-empty endpoint name", host)

    # -- pypsrp ---------------------------------------------------------------------------------------
    def wsman_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for pypsrp.wsman.WSMan (pypsrp 0.x)."""
        https = self.effective_protocol == "https"
        cert_validation: Union[bool, str] = self.validates_certificate
        if cert_validation and self.ca_cert:
            cert_validation = self.ca_cert
        encryption = self.message_encryption
        if self.auth == "basic" and not https:
            encryption = "never"        # pypsrp cannot seal Basic; allowed only with allow_basic_over_http
        kwargs: dict[str, Any] = dict(
            server=self.host, port=self.effective_port, ssl=https, path=self.path, auth=self.auth,
            username=self.username, password=self.password, cert_validation=cert_validation,
            connection_timeout=self.connection_timeout, read_timeout=self.read_timeout,
            operation_timeout=self.operation_timeout, encryption=encryption, proxy=self.proxy,
            no_proxy=self.ignore_proxy, max_envelope_size=self.max_envelope_size,
            reconnection_retries=self.reconnection_retries, reconnection_backoff=self.reconnection_backoff,
        )
        if self.auth == "certificate":
            kwargs.update(certificate_pem=self.certificate_pem, certificate_key_pem=self.certificate_key_pem)
        if self.auth in ("negotiate", "ntlm", "kerberos"):
            kwargs.update(negotiate_send_cbt=self.negotiate_send_cbt, negotiate_service=self.negotiate_service)
            if self.negotiate_delegate is not None:
                kwargs["negotiate_delegate"] = self.negotiate_delegate
            if self.negotiate_hostname_override:
                kwargs["negotiate_hostname_override"] = self.negotiate_hostname_override
        if self.auth == "credssp":
            kwargs.update(credssp_auth_mechanism=self.credssp_auth_mechanism,
                          credssp_disable_tlsv1_2=self.credssp_disable_tlsv1_2,
                          credssp_minimum_version=self.credssp_minimum_version)
        return kwargs


def _cert_validation_bool(value: Union[bool, str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("validate",) + _TRUE:
        return True
    if text in ("ignore",) + _FALSE:
        return False
    raise ValueError(value)


def _as_int(name: str, value: Any, host: Optional[str], low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidOption(name, "must be an integer, got %r" % (value,), host)
    if isinstance(value, bool) or not low <= number <= high:
        raise InvalidOption(name, "must be between %d and %d, got %r" % (low, high, value), host)
    return number


def _as_bool(name: str, value: Any, host: Optional[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidOption(name, "must be a boolean, got %r" % (value,), host)
