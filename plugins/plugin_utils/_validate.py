# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Input checks that run before any remote call. Each raises ValueError with a message that names the option.

Only what an argument spec cannot express lives here: formats (site codes, host names, FQDNs, accounts, times,
regular expressions) and ranges. Types, choices, required options and the rules between options (mutually exclusive,
required together, required by, required if) are data in plugins/module_utils/_argspec.py, checked by Ansible first.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.bootstrap import SITE_CODE
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.constants import DOWNLOADER_THREAD
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import THREAD_NAME_CHARS

# RFC 1123 host name label (fullmatch: `$` would also match before a trailing newline)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
MAX_HOST_NAME = 253  # RFC 1123 / DNS: a name of at most 253 characters (without the trailing dot)
MAX_NETBIOS_DOMAIN = 15  # NetBIOS domain name
MAX_SAM_ACCOUNT_NAME = 20  # sAMAccountName, the user name after DOMAIN\
MAX_UPN_PREFIX = 64  # the part of name@domain before the @
# Characters Active Directory refuses in user logon names (sAMAccountName) and that the NetBIOS domain part may not hold.
ACCOUNT_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>')
SHOWN = 40  # characters of a bad value repeated in a message
_RELATIVE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def site_code(value: str | None, option: str = "site_code") -> str | None:
    """Upper-cased site code or None; three letters or digits."""
    if value is None:
        return None
    code = str(value).strip().upper()
    if not SITE_CODE.match(code):
        raise ValueError(f"{option} must be three letters or digits (for example PS1), got {value!r}")
    return code


def thread_name(value: str, option: str = "name") -> str:
    """Upper-cased SMS_EXECUTIVE component (thread) name: the library's characters (letters, digits, _)."""
    if not value or not set(value) <= THREAD_NAME_CHARS:
        raise ValueError(
            f"{option} must be a component name such as {DOWNLOADER_THREAD} (letters, digits, _), got {value!r}"
        )
    return value.upper()


def _shown(value: Any) -> str:
    """`value` for a message: repr() (control characters visible), cut short when it is long."""
    text = str(value)
    if len(text) <= SHOWN:
        return repr(text)
    return f"{text[:SHOWN]!r}... ({len(text)} characters)"


def _control(text: str) -> str | None:
    """The reason a value with a control character is refused, else None."""
    for char in text:
        if ord(char) < 32 or ord(char) == 127:
            return f"it contains the control character {char!r}"
    return None


def _stored_as_given(text: str) -> str | None:
    """Why a free-text value cannot be stored exactly as given (a control character, surrounding spaces), else None:
    such values are refused, never stripped."""
    problem = _control(text)
    if problem is None and text != text.strip():
        problem = "it has leading or trailing spaces"
    return problem


def _host_name_problem(name: str) -> str | None:
    """Why `name` (no surrounding spaces, no trailing dot) is no RFC 1123 host name, else None."""
    problem = _control(name)
    if problem:
        return problem
    if "://" in name:
        return "it is a URL; give the host name only"
    if len(name) > MAX_HOST_NAME:
        return f"it has {len(name)} characters, at most {MAX_HOST_NAME} are allowed"
    for label in name.split("."):
        if not label:
            return "it has an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"a label has {len(label)} characters, at most 63 are allowed"
        bad = sorted({c for c in label if not (c.isascii() and (c.isalnum() or c == "-"))})
        if bad:
            return f"{', '.join(repr(c) for c in bad)} is not allowed (letters, digits, hyphens and dots only)"
        if not _LABEL.fullmatch(label):
            return f"the label {_shown(label)} starts or ends with a hyphen"
    return None


def fqdn(value: str | None, option: str = "server") -> str | None:
    """Lower-cased fully qualified domain name or None. ConfigMgr stores site systems by FQDN, so a short
    name or an IP address would never match the existing objects."""
    if value is None:
        return None
    name = str(value).strip().rstrip(".").lower()
    labels = name.split(".")
    problem = _host_name_problem(name)
    if problem is None and (len(labels) < 2 or labels[-1].isdigit()):
        problem = "a short name or an IP address is not one"
    if problem:
        raise ValueError(
            f"{option} must be a fully qualified domain name such as scp01.contoso.com, got {_shown(value)}: {problem}"
        )
    return name


def host_name(value: str | None, option: str) -> str | None:
    """A host name as Windows resolves it (RFC 1123 labels, at most 253 characters: a short name or an FQDN) or an
    IP address; None stays None. Surrounding spaces are refused, not stripped: the value is stored as given."""
    if value is None:
        return None
    text = str(value)
    problem = _stored_as_given(text)
    if problem is None:
        try:
            ipaddress.ip_address(text)
            return text
        except ValueError:
            pass
        name = text[:-1] if text.endswith(".") else text
        if ":" in name and name.rsplit(":", 1)[1].isdigit() and "://" not in name:
            problem = "give the port in its own option, not after a colon"
        else:
            problem = _host_name_problem(name)
        if problem is None and all(label.isdigit() for label in name.split(".")):
            problem = "it is all digits, and not an IPv4 address"
    if problem:
        raise ValueError(
            f"{option} must be a host name (RFC 1123: letters, digits and hyphens in labels of at most 63 "
            f"characters, at most 253 in all) or an IP address, got {_shown(value)}: {problem}"
        )
    return text


def _account_part_problem(part: str, what: str, limit: int) -> str | None:
    if not part:
        return f"the {what} is empty"
    problem = _control(part)
    if problem:
        return problem
    if len(part) > limit:
        return f"the {what} has {len(part)} characters, at most {limit} are allowed"
    bad = sorted(set(part) & ACCOUNT_FORBIDDEN)
    if bad:
        return f"the {what} contains {' '.join(bad)}, which Windows does not allow there"
    if not part.strip(". "):
        return f"the {what} consists only of periods or spaces"
    return None


def account(value: str | None, option: str) -> str | None:
    """A Windows account name as ConfigMgr stores it: DOMAIN\\name (NetBIOS domain of at most 15 characters,
    sAMAccountName of at most 20, none of the characters "/\\[]:;|=,+*?<> nor control characters) or name@domain
    (user principal name with a DNS domain). None stays None."""
    if value is None:
        return None
    text = str(value)
    problem = _stored_as_given(text)
    if problem is None and "\\" in text:
        domain, _sep, user = text.partition("\\")
        problem = _account_part_problem(domain, "domain (NetBIOS name)", MAX_NETBIOS_DOMAIN)
        if problem is None and domain.startswith("."):
            problem = "the domain (NetBIOS name) starts with a period"
        if problem is None:
            problem = _account_part_problem(user, "user name (sAMAccountName)", MAX_SAM_ACCOUNT_NAME)
    elif problem is None and "@" in text:
        prefix, _sep, suffix = text.rpartition("@")
        problem = _account_part_problem(prefix, "user name before the @", MAX_UPN_PREFIX)
        if problem is None and "@" in prefix:
            problem = "it has more than one @"
        if problem is None and (any(c.isspace() for c in prefix)):
            problem = "the user name before the @ contains a space"
        if problem is None:
            problem = _host_name_problem(suffix.rstrip(".")) if suffix else "the domain after the @ is empty"
            if problem is not None:
                problem = "the domain after the @ is no DNS name: " + problem
    elif problem is None:
        problem = "it names no domain"
    if problem:
        raise ValueError(
            f"{option} must be an account as DOMAIN\\name or name@domain.com, got {_shown(value)}: {problem}"
        )
    return text


def positive(value: int | None, option: str) -> int | None:
    if value is not None and int(value) <= 0:
        raise ValueError(f"{option} must be greater than 0, got {value!r}")
    return value


def port(value: int | None, option: str) -> int | None:
    if value is not None and not 1 <= int(value) <= 65535:
        raise ValueError(f"{option} must be a TCP port between 1 and 65535, got {value!r}")
    return value


def since(value: str | None, now: datetime | None = None) -> datetime | None:
    """`30m`/`2h`/`1d`/`90s` before now, or an ISO 8601 time (naive means UTC)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(text.lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"since must be a duration like 30m, 2h, 1d or an ISO 8601 time, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def regex(value: str | None, option: str = "match") -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(value, re.I)
    except re.error as err:
        raise ValueError(f"{option} is not a valid regular expression: {err}") from err


def site_system_settings(args: Mapping[str, Any], prefix: str = "") -> None:
    """The site system settings (top-level options or `site_system` suboptions, `prefix` "site_system.") as Windows
    and ConfigMgr accept them: accounts, proxy host name and port, public FQDN; each on its own, an empty value means
    "not given" (set_fields). The rules between them (an installation account or the site server's account, a proxy
    server with its port, a proxy account only with a proxy server) are SITE_SYSTEM_RULES of the argument spec."""
    for name in ("account_name", "proxy_account"):
        if args.get(name) not in (None, ""):
            account(args[name], prefix + name)
    if args.get("proxy_server") not in (None, ""):
        host_name(args["proxy_server"], prefix + "proxy_server")
    port(args.get("proxy_port"), prefix + "proxy_port")
    if args.get("public_fqdn") not in (None, ""):
        fqdn(args["public_fqdn"], prefix + "public_fqdn")
